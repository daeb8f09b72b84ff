"""Dropout and Gaussian-noise augmentation narrow the gap between training and validation.

The over-fitting set-up of `overfitting.py` (50 noisy training points, two layers of 128
units) is trained three ways for the same number of epochs:

- as it is: it memorises the training points; validation loss ends far above training loss;
- with `Dropout(0.5)` after each hidden layer: during training each hidden unit is switched
  off with probability 0.5 (the kept ones scaled by 1/(1 - 0.5)), so no unit can rely on
  another; in `predict`/`evaluate` dropout does nothing;
- with `GaussianNoise(0.3)` on the inputs: every epoch sees the training points moved by
  fresh noise (data augmentation), so there are no exact points to memorise; also training
  only.

The gap is measured after training with `evaluate` (no dropout, no noise) on the training
and on the validation data.

Run: python examples/dropout_and_noise.py   (MINIKERAS_FAST=1 shortens it; --docs copies the
figure into docs/images/)
"""

from _common import fast, half_moons, pyplot, save  # first: sets up BLAS before NumPy

import numpy as np

import minikeras as keras

FAST = fast()


make_data = half_moons


def build(kind):
    layers = [keras.Input(shape=(2,))]
    if kind == "GaussianNoise(0.3) on the inputs":
        layers.append(keras.layers.GaussianNoise(0.3))
    for _ in range(2):
        layers.append(keras.layers.Dense(128, activation="relu"))
        if kind == "Dropout(0.5) after each hidden layer":
            layers.append(keras.layers.Dropout(0.5))
    layers.append(keras.layers.Dense(1, activation="sigmoid"))
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


KINDS = ["no dropout, no noise", "Dropout(0.5) after each hidden layer",
         "GaussianNoise(0.3) on the inputs"]


def draw(histories, results):
    plt = pyplot()
    if plt is None:
        return
    fig, axes = plt.subplots(1, 4, figsize=(20, 4.6))
    top = max(max(h.history["val_loss"] + h.history["loss"]) for h in histories.values())
    for ax, (kind, h) in zip(axes, histories.items()):
        keras.utils.plot_history(h, metrics="loss", axes=ax)
        ax.set_ylim(0, top * 1.05)
        ax.set_title(kind, fontsize=10)
    bars = np.arange(len(results))
    train = [r["train_loss"] for r in results.values()]
    val = [r["val_loss"] for r in results.values()]
    axes[3].bar(bars - 0.2, train, width=0.4, label="training data")
    axes[3].bar(bars + 0.2, val, width=0.4, label="validation data")
    for b, r in zip(bars, results.values()):
        axes[3].annotate(f"gap {r['gap']:.2f}", (b, max(r["train_loss"], r["val_loss"])),
                         ha="center", va="bottom")
    axes[3].set_xticks(bars, ["none", "Dropout", "GaussianNoise"])
    axes[3].set_ylabel("loss after training (evaluate: no dropout, no noise)")
    axes[3].set_title("the gap between validation and training loss")
    axes[3].set_ylim(0, max(val) * 1.2)
    axes[3].legend(loc="upper right")
    fig.suptitle("50 training points, 2 x 128 units: training curves include dropout/noise, "
                 "validation curves do not")
    save(fig, "dropout_and_noise")


def main():
    x, y = make_data(50, seed=0)
    x_val, y_val = make_data(500, seed=1)
    epochs = 120 if FAST else 300
    histories, results = {}, {}
    for kind in KINDS:
        keras.utils.set_random_seed(0)
        model = build(kind)
        histories[kind] = model.fit(x, y, batch_size=len(x), epochs=epochs,
                                    validation_data=(x_val, y_val), verbose=0)
        train_loss, train_acc = model.evaluate(x, y, verbose=0)
        val_loss, val_acc = model.evaluate(x_val, y_val, verbose=0)
        results[kind] = {"train_loss": float(train_loss), "val_loss": float(val_loss),
                         "gap": float(val_loss - train_loss), "val_accuracy": float(val_acc)}
        print(f"{kind:38s}: loss training {train_loss:.3f}, validation {val_loss:.3f}, "
              f"gap {val_loss - train_loss:.3f}; validation accuracy {val_acc:.3f}")
        if kind.startswith("Dropout"):
            # dropout acts in training only: predict is repeatable, a training call is not
            once, twice = model.predict(x_val, verbose=0), model.predict(x_val, verbose=0)
            a = keras.ops.convert_to_numpy(model(x_val, training=True))
            b = keras.ops.convert_to_numpy(model(x_val, training=True))
            results[kind]["predict_repeatable"] = bool(np.array_equal(once, twice))
            results[kind]["training_calls_differ"] = bool(not np.array_equal(a, b))
            print(f"{'':38s}  predict twice: identical = {np.array_equal(once, twice)}; "
                  f"two training-mode calls identical = {np.array_equal(a, b)}")
    draw(histories, results)
    return results


if __name__ == "__main__":
    main()
