"""Gradient-descent optimisers on one problem: SGD, SGD with per-epoch decay, RMSprop,
Adadelta and Adam.

Every run starts from the same initial weights (same seed) and sees the same mini-batches
(batch 32) for the same number of epochs; only the update rule differs:

- SGD: w <- w - α ∇L, with a fixed learning rate α.
- SGD with per-epoch decay: α <- α·d after every epoch (here with a larger starting α and
  d = 0.9), through a `LearningRateScheduler` callback. (Keras 2's `SGD(lr=..., decay=...)`
  is a different schedule: α / (1 + decay·t) after t updates.)
- RMSprop, Adadelta and Adam adapt a step size per weight from running averages of past
  gradients (Adadelta with learning_rate=1.0, as in Keras 2 and the original paper).

The data are two interleaved half-moons (binary classification).

Run: python examples/optimisers.py   (MINIKERAS_FAST=1 shortens it; --docs copies the figure
into docs/images/)
"""

from _common import fast, pyplot, save  # first: it sets up BLAS before NumPy loads

import numpy as np

import minikeras as keras

FAST = fast()
DECAY = 0.9


def make_data(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    upper = rng.integers(0, 2, n)
    x = np.where(upper[:, None] == 1, np.c_[np.cos(t), np.sin(t)],
                 np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    x += rng.normal(0, 0.1, x.shape)
    return x.astype("float32"), upper.astype("float32")


def per_epoch_decay(epoch, lr):
    """α <- α·d at the start of every epoch but the first."""
    return lr if epoch == 0 else lr * DECAY


OPTIMISERS = {
    "SGD (α = 0.01)": lambda: (keras.optimizers.SGD(learning_rate=0.01), []),
    f"SGD, α = 0.1, α ← {DECAY}·α per epoch": lambda: (
        keras.optimizers.SGD(learning_rate=0.1),
        [keras.callbacks.LearningRateScheduler(per_epoch_decay)]),
    "RMSprop (0.001)": lambda: (keras.optimizers.RMSprop(learning_rate=0.001), []),
    "Adadelta (1.0)": lambda: (keras.optimizers.Adadelta(learning_rate=1.0), []),
    "Adam (0.001)": lambda: (keras.optimizers.Adam(learning_rate=0.001), []),
}


def build():
    return keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])


def main():
    x, y = make_data()
    epochs = 30 if FAST else 80
    histories = {}
    for name, make in OPTIMISERS.items():
        keras.utils.set_random_seed(0)   # same initial weights and batches for every run
        model = build()
        optimizer, callbacks = make()
        model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=32, epochs=epochs, callbacks=callbacks,
                            verbose=0)
        histories[name] = history.history
        print(f"{name:32s}: loss {history.history['loss'][0]:.4f} after epoch 1 -> "
              f"{history.history['loss'][-1]:.4f} after epoch {epochs}, accuracy "
              f"{history.history['accuracy'][-1]:.3f}")

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 2, figsize=(14, 4.8),
                                 gridspec_kw={"width_ratios": [1.6, 1]})
        for name, h in histories.items():
            keras.utils.plot_history(h, metrics="loss", axes=axes[0], label=name, logy=True)
        axes[0].set_ylabel("training loss (binary cross-entropy, log scale)")
        axes[0].set_title(f"same data, same initial weights, {epochs} epochs of batch 32")
        decayed = next(name for name in histories if "per epoch" in name)
        lr = histories[decayed]["learning_rate"]
        axes[1].semilogy(np.arange(1, epochs + 1), lr, "o-", color="C1", markersize=3,
                         label=f"SGD with α ← {DECAY}·α each epoch")
        axes[1].axhline(0.01, color="C0", label="plain SGD: α = 0.01")
        axes[1].set_xlabel("epoch")
        axes[1].set_ylabel("learning rate α (log scale)")
        axes[1].set_title("the decayed SGD's learning rate")
        axes[1].grid(True, alpha=0.3)
        axes[1].legend()
        save(fig, "optimisers")
    return histories


if __name__ == "__main__":
    main()
