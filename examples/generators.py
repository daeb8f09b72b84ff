"""Feeding `fit` from Python: arrays, a generator, and a `Sequence` that augments its batches.

Data does not have to sit in one array. `fit` also takes a Python generator that yields
`(x, y)` batches (with `steps_per_epoch` when it never ends), and a `keras.utils.Sequence`
(Keras 3: `PyDataset`): a class with `__len__` (batches per epoch), `__getitem__(i)` (batch
i) and `on_epoch_end` (e.g. reshuffle). Batches from either go through the same training
step as slices of an array, with the same checks.

Three runs on two noisy half-moons (one hidden layer of 16 tanh units, Adam, binary
cross-entropy, batches of 32):

- arrays: `fit(x, y, shuffle=False)`;
- a generator yielding the same batches in the same order, with `steps_per_epoch`: the
  same training, weight for weight (the two loss curves coincide);
- a Keras 2 style `Sequence` that reshuffles the samples after each epoch and adds fresh
  Gaussian noise to every batch (augmentation): a different, noisier path to a similar
  accuracy on held-out points.

Run: python examples/generators.py   (MINIKERAS_FAST=1 shortens it; --docs copies the figure
into docs/images/)
"""

from _common import fast, half_moons, pyplot, save  # first: it sets up BLAS before NumPy

import math

import numpy as np

import minikeras as keras

FAST = fast()
BATCH = 32


def build():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((2,)),
                              keras.layers.Dense(16, activation="tanh"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def batches_forever(x, y):
    """The array's batches, in order, again and again."""
    while True:
        for start in range(0, len(x), BATCH):
            yield x[start:start + BATCH], y[start:start + BATCH]


class NoisyMoons(keras.utils.Sequence):
    """Batches of the training set with fresh noise, reshuffled after every epoch. Written
    as Keras 2 code writes it (no super().__init__())."""

    def __init__(self, x, y, noise=0.1, seed=0):
        self.x, self.y, self.noise = x, y, noise
        self.rng = np.random.default_rng(seed)
        self.order = np.arange(len(x))

    def __len__(self):
        return math.ceil(len(self.x) / BATCH)

    def __getitem__(self, i):
        idx = self.order[i * BATCH:(i + 1) * BATCH]
        jitter = self.rng.normal(0, self.noise, self.x[idx].shape).astype("float32")
        return self.x[idx] + jitter, self.y[idx]

    def on_epoch_end(self):
        self.rng.shuffle(self.order)


def main():
    x, y = half_moons(600, seed=0)
    x_test, y_test = half_moons(400, seed=1)
    epochs = 15 if FAST else 40
    steps = math.ceil(len(x) / BATCH)
    runs, models = {}, {}
    feeds = {
        "arrays": lambda m: m.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=False,
                                  verbose=0),
        "generator": lambda m: m.fit(batches_forever(x, y), steps_per_epoch=steps,
                                     epochs=epochs, verbose=0),
        "Sequence with noise": lambda m: m.fit(NoisyMoons(x, y), epochs=epochs, verbose=0,
                                               workers=2, use_multiprocessing=False),
    }
    for name, feed in feeds.items():
        model = build()
        runs[name] = feed(model).history
        models[name] = model
        runs[name]["test_accuracy"] = float(model.evaluate(x_test, y_test, verbose=0)[1])
        print(f"{name:20s}: final loss {runs[name]['loss'][-1]:.4f}, "
              f"test accuracy {runs[name]['test_accuracy']:.3f}")
    same = all(np.array_equal(a, b) for a, b in zip(models["arrays"].get_weights(),
                                                   models["generator"].get_weights()))
    print(f"arrays and generator give the same weights: {same}")
    draw(runs)
    return {"same_weights": same,
            "loss": {k: v["loss"] for k, v in runs.items()},
            "test_accuracy": {k: v["test_accuracy"] for k, v in runs.items()}}


def draw(runs):
    plt = pyplot()
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    styles = {"arrays": ("tab:blue", "-", 4), "generator": ("tab:orange", "--", 2),
              "Sequence with noise": ("tab:green", "-", 2)}
    for name, h in runs.items():
        color, line, width = styles[name]
        ax.plot(np.arange(1, len(h["loss"]) + 1), h["loss"], color=color, linestyle=line,
                linewidth=width, label=f"{name} (test accuracy {h['test_accuracy']:.2f})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("binary cross-entropy (training)")
    ax.set_title("the same model fed three ways")
    ax.legend()
    save(fig, "generators")


if __name__ == "__main__":
    main()
