"""Over-fitting, and early stopping.

A network with far more capacity than the data need (two layers of 128 units for 50 noisy
training points) is trained for a long time. The training loss keeps falling towards zero:
the network memorises the training points, noise included. The loss on held-out validation
data falls at first, reaches a minimum, then rises: from there on the network gets worse at
the task while looking better on its training data.

The second run is the same (same seed, same batches) with
`EarlyStopping(monitor="val_loss", patience=..., restore_best_weights=True)`: it stops once
the validation loss has not improved for `patience` epochs, and puts back the weights of the
best epoch.

Run: python examples/overfitting.py   (MINIKERAS_FAST=1 shortens it; --docs copies the
figure into docs/images/)
"""

from _common import fast, grid, half_moons, pyplot, save  # first: sets up BLAS before NumPy

import numpy as np

import minikeras as keras

FAST = fast()
PATIENCE = 20


make_data = half_moons


def train(x, y, validation, epochs, callbacks=()):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=len(x), epochs=epochs, validation_data=validation,
                        callbacks=list(callbacks), verbose=0)
    return model, history


def draw(x, y, x_val, y_val, runs, stop):
    plt = pyplot()
    if plt is None:
        return
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    (model, history), (es_model, es_history) = runs
    best = int(np.argmin(history.history["val_loss"]))
    keras.utils.plot_history(history, metrics="loss", axes=axes[0, 0], logy=True)
    axes[0, 0].axvline(best + 1, color="k", ls=":",
                       label=f"lowest validation loss (epoch {best + 1})")
    axes[0, 0].legend()
    axes[0, 0].set_title("no early stopping: the curves diverge")
    keras.utils.plot_history(es_history, metrics="loss", axes=axes[0, 1], logy=True)
    axes[0, 1].set_xlim(axes[0, 0].get_xlim())
    axes[0, 1].set_ylim(axes[0, 0].get_ylim())
    axes[0, 1].axvline(stop["best_epoch"] + 1, color="k", ls=":",
                       label=f"best epoch {stop['best_epoch'] + 1}: weights restored")
    axes[0, 1].axvline(stop["stopped_epoch"] + 1, color="tab:red",
                       label=f"stopped after epoch {stop['stopped_epoch'] + 1} "
                             f"(patience {PATIENCE})")
    axes[0, 1].legend()
    axes[0, 1].set_title("EarlyStopping(restore_best_weights=True)")
    points, g0, g1 = grid(np.r_[x, x_val], steps=200, margin=0.2)
    for ax, m, title in ((axes[1, 0], model, f"after all {len(history.epoch)} epochs"),
                         (axes[1, 1], es_model, "early-stopped (best weights)")):
        p = m.predict(points, verbose=0).reshape(g0.shape)
        ax.contourf(g0, g1, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.5)
        ax.contour(g0, g1, p, levels=[0.5], colors="k", linewidths=2)
        ax.scatter(*x_val[y_val == 0].T, s=4, c="tab:blue", alpha=0.4,
                   label="validation, class 0")
        ax.scatter(*x_val[y_val == 1].T, s=4, c="tab:red", alpha=0.4,
                   label="validation, class 1")
        ax.scatter(*x[y == 0].T, s=50, c="tab:blue", edgecolors="k", label="training, class 0")
        ax.scatter(*x[y == 1].T, s=50, c="tab:red", edgecolors="k", label="training, class 1")
        _, acc = m.evaluate(x_val, y_val, verbose=0)
        ax.set_title(f"{title}: validation accuracy {acc:.3f}")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.legend(loc="lower left", fontsize=7)
    fig.suptitle(f"{len(x)} training points, a 2 x 128-unit network "
                 f"(black line: predicted P = 0.5)")
    save(fig, "overfitting")


def main():
    x, y = make_data(50, seed=0)
    x_val, y_val = make_data(500, seed=1)
    epochs = 120 if FAST else 300

    model, history = train(x, y, (x_val, y_val), epochs)
    h = history.history
    best = int(np.argmin(h["val_loss"]))
    print(f"without early stopping: validation loss lowest at epoch {best + 1} "
          f"({h['val_loss'][best]:.3f}), {h['val_loss'][-1]:.3f} at epoch {epochs}; "
          f"training loss {h['loss'][best]:.3f} -> {h['loss'][-1]:.4f}")

    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=PATIENCE,
                                            restore_best_weights=True)
    es_model, es_history = train(x, y, (x_val, y_val), epochs, callbacks=[stopper])
    restored_val_loss, _ = es_model.evaluate(x_val, y_val, verbose=0)
    stop = {"stopped_epoch": stopper.stopped_epoch, "best_epoch": stopper.best_epoch,
            "epochs_run": len(es_history.epoch), "restored_val_loss": float(restored_val_loss),
            "best_val_loss": float(min(es_history.history["val_loss"]))}
    print(f"with EarlyStopping(patience={PATIENCE}, restore_best_weights=True): ran "
          f"{stop['epochs_run']} of {epochs} epochs, best epoch {stop['best_epoch'] + 1}; "
          f"validation loss of the restored weights {restored_val_loss:.3f}")
    draw(x, y, x_val, y_val, [(model, history), (es_model, es_history)], stop)
    return {"history": h, "epochs": epochs, "early_stopping": stop}


if __name__ == "__main__":
    main()
