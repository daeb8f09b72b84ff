"""Pattern 4: fit with validation_split; the last 10% of the data is held out."""

import numpy as np

import minikeras as keras
from p03_compile_fit import EPOCHS, make_data


def main():
    x, y = make_data()
    model = keras.models.Sequential([keras.layers.Dense(8, activation="tanh", input_dim=4),
                                     keras.layers.Dense(3)])
    model.compile("sgd", "mse")
    history = model.fit(x, y, validation_split=0.1, batch_size=32, epochs=EPOCHS, verbose=0)
    print("history keys:", sorted(history.history))
    print("held out:", int(np.floor(len(x) * 0.1 + 1e-9)), "samples")
    return history


if __name__ == "__main__":
    main()
