"""Pattern 13: Dropout between Dense layers, active only during training."""

import numpy as np

import minikeras as keras


def main():
    model = keras.models.Sequential([keras.layers.Dense(32, activation="relu", input_dim=4),
                                     keras.layers.Dropout(0.5),
                                     keras.layers.Dense(1)])
    x = np.ones((2, 4))
    inference_1 = model.predict(x, verbose=0)
    inference_2 = model.predict(x, verbose=0)
    training = model(x, training=True).numpy()
    print("predict is deterministic:", np.array_equal(inference_1, inference_2))
    return inference_1, inference_2, training


if __name__ == "__main__":
    main()
