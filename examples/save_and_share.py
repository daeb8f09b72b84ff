"""Save a trained network to .h5, load it back, continue training, and compare.

`model.save("name.h5")` writes one HDF5 file with the architecture, the weights, the compile
settings (optimizer, loss, metrics) and the optimizer's state (Adam's moving averages and
step count). `keras.models.load_model("name.h5")` rebuilds the model from it, compiled and
ready to train on from where it stopped: continuing the reloaded model gives exactly the
weights that continuing the original gives.

This file is the legacy Keras HDF5 format. It opens with `keras.models.load_model` in
Keras 3 and in Keras 2 (`tf.keras` / `tf_keras` 2.x), which predict the same numbers and
train on from it (checked with Keras 3.15.1 on JAX and tf_keras 2.21.0); minikeras opens the
.h5 files those write. See docs/saving.md. `model.save_weights("name.weights.h5")` stores
the weights alone (Keras 3's weights format), to load into a model built by code.

Run: python examples/save_and_share.py   (MINIKERAS_FAST=1 shortens it; --docs copies the
figure into docs/images/)
"""

from _common import fast, output_dir, pyplot, save  # first: it sets up BLAS before NumPy loads

import numpy as np

import minikeras as keras

FAST = fast()


def make_data(n=600, seed=0):
    """Three Gaussian blobs, one per class, with one-hot targets."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 3, n)
    centres = np.array([[0, 0], [2, 1], [0.5, 2.2]])
    x = centres[label] + rng.normal(0, 0.6, (n, 2))
    return x.astype("float32"), keras.utils.to_categorical(label, 3)


def build():
    model = keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def max_difference(a, b):
    return max(float(np.abs(u - v).max()) for u, v in zip(a, b))


def main():
    x, y = make_data()
    first, more = (4, 6) if FAST else (8, 24)

    keras.utils.set_random_seed(0)
    model = build()
    before = model.fit(x, y, batch_size=32, epochs=first, verbose=0).history
    path = output_dir() / "save_and_share.h5"
    model.save(path)
    print(f"trained {first} epochs, saved to {path} ({path.stat().st_size / 1024:.0f} KiB)")

    reloaded = keras.models.load_model(path)
    same_predictions = max_difference([model.predict(x, verbose=0)],
                                      [reloaded.predict(x, verbose=0)])
    print(f"reloaded: {type(reloaded.optimizer).__name__} at step "
          f"{int(np.asarray(reloaded.optimizer.iterations))}, learning rate "
          f"{float(np.asarray(reloaded.optimizer.learning_rate)):g}; predictions differ by "
          f"at most {same_predictions:g}")

    # continue both for the same epochs with the same shuffling, keeping each epoch's weights
    def train_on(m):
        snapshots = []
        keep = keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: snapshots.append(m.get_weights()))
        keras.utils.set_random_seed(1)
        history = m.fit(x, y, batch_size=32, epochs=more, callbacks=[keep], verbose=0)
        return history.history, snapshots

    after_original, original_path = train_on(model)
    after_reloaded, reloaded_path = train_on(reloaded)
    same_weights = max_difference(model.get_weights(), reloaded.get_weights())
    print(f"after {more} more epochs each: weights of original and reloaded differ by at "
          f"most {same_weights:g}")

    # what is lost without the optimizer state: weights only, a fresh Adam
    fresh = keras.models.load_model(path, compile=False)
    fresh.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    after_fresh, fresh_path = train_on(fresh)
    fresh_difference = max_difference(model.get_weights(), fresh.get_weights())
    print(f"reloaded without the optimizer state (a fresh Adam): weights differ by "
          f"{fresh_difference:.3g}")

    weights_path = output_dir() / "save_and_share.weights.h5"
    model.save_weights(weights_path)
    rebuilt = build()
    rebuilt.load_weights(weights_path)
    weights_only = max_difference([model.predict(x, verbose=0)],
                                  [rebuilt.predict(x, verbose=0)])
    print(f"save_weights -> a model built by code -> load_weights: predictions differ by "
          f"{weights_only:g}")
    print("The .h5 file opens with keras.models.load_model in Keras 3 and in Keras 2 "
          "(tf.keras / tf_keras 2.x); checked with Keras 3.15.1 and tf_keras 2.21.0.")

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 2, figsize=(15, 4.8))
        ax = axes[0]
        e1 = np.arange(1, first + 1)
        e2 = np.arange(first + 1, first + more + 1)
        ax.plot(e1, before["loss"], "k-", lw=2, label="training before saving")
        ax.plot(e2, after_original["loss"], "-", lw=5, alpha=0.4,
                label="original, trained on")
        ax.plot(e2, after_reloaded["loss"], "--", lw=2, label="reloaded from .h5, trained on")
        ax.plot(e2, after_fresh["loss"], ":", lw=2,
                label="reloaded weights, fresh optimizer")
        ax.axvline(first + 0.5, color="0.5", ls="--", label="save, then load_model")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (log scale)")
        ax.set_title("training curves")
        ax.legend()
        ax = axes[1]
        ax.plot(e2, [max_difference(a, b) for a, b in zip(original_path, reloaded_path)],
                "o-", color="C1", label="reloaded from .h5 (optimizer state restored)")
        ax.plot(e2, [max_difference(a, b) for a, b in zip(original_path, fresh_path)],
                "s:", color="C2", label="reloaded weights with a fresh optimizer")
        ax.set_xlabel("epoch")
        ax.set_ylabel("max |weight - original's weight|")
        ax.set_title("after reloading: distance from the original's weights")
        ax.legend()
        ax.grid(True, alpha=0.3)
        fig.suptitle("saving to .h5 keeps the weights and the optimizer state")
        save(fig, "save_and_share")
    return {"prediction_difference": same_predictions, "weight_difference": same_weights,
            "fresh_optimizer_difference": fresh_difference,
            "weights_only_difference": weights_only, "path": str(path)}


if __name__ == "__main__":
    main()
