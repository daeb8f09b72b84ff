"""Pattern 15: fit returns a History whose .history has loss, val_loss and the metrics."""

import numpy as np

import minikeras as keras


def main():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype("float32")
    model = keras.models.Sequential([keras.layers.Dense(16, activation="relu", input_dim=2),
                                     keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, validation_split=0.2, epochs=3, verbose=0)
    print("keys:", sorted(history.history))
    return history


if __name__ == "__main__":
    main()
