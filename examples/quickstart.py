"""Quickstart: build, train, evaluate, save and reload a small network.

Run: python examples/quickstart.py   (MINIKERAS_FAST=1 shortens it)
"""

import os
import tempfile

import numpy as np

import minikeras as keras

FAST = os.environ.get("MINIKERAS_FAST") == "1"


def make_data(n=600, seed=0):
    """Two interleaved half-moons: a problem a straight line cannot separate."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    upper = rng.integers(0, 2, n)
    x = np.where(upper[:, None] == 1,
                 np.c_[np.cos(t), np.sin(t)],
                 np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    x += rng.normal(0, 0.1, x.shape)
    return x.astype("float32"), upper.astype("float32")


def main():
    keras.utils.set_random_seed(42)
    x, y = make_data()
    model = keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="binary_crossentropy", metrics=["accuracy"])
    model.summary()
    history = model.fit(x, y, batch_size=32, epochs=5 if FAST else 40,
                        validation_split=0.2, verbose=2)
    loss, acc = model.evaluate(x, y, verbose=0)
    print(f"final loss {loss:.4f}, accuracy {acc:.3f}")
    print(f"history keys: {sorted(history.history)}")

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "moons.h5")
        model.save(path)
        reloaded = keras.models.load_model(path)
        same = np.allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0))
        print(f"saved to .h5 and reloaded: predictions identical = {same}")
    return acc


if __name__ == "__main__":
    main()
