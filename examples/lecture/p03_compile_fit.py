"""Pattern 3: compile('sgd', 'mse') with positional strings, then fit with mini-batches."""

import os

import numpy as np

import minikeras as keras

EPOCHS = 5 if os.environ.get("MINIKERAS_FAST") == "1" else 40


def make_data(n=320, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(n, 4))
    y = x @ np.array([[1.0, -1.0, 0.5], [0.5, 0.5, 0.5], [-1.0, 0.0, 1.0], [0.2, 0.3, -0.4]])
    return x, y


def main():
    x, y = make_data()
    network = keras.models.Sequential()
    network.add(keras.layers.Dense(5, input_dim=4))
    network.add(keras.layers.Dense(7))
    network.add(keras.layers.Dense(3))
    network.compile("sgd", "mse")
    history = network.fit(x, y, batch_size=32, epochs=EPOCHS, shuffle=True, verbose=0)
    losses = history.history["loss"]
    print(f"loss went from {losses[0]:.4f} to {losses[-1]:.4f} in {len(losses)} epochs")
    return history


if __name__ == "__main__":
    main()
