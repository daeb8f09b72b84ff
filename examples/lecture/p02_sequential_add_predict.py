"""Pattern 2: a Sequential network built with add(), then predict() on a plain Python list."""

import minikeras as keras


def main():
    network = keras.models.Sequential()
    network.add(keras.layers.Dense(5, input_dim=4))
    network.add(keras.layers.Dense(7))
    network.add(keras.layers.Dense(3))
    prediction = network.predict([[41, 42, 42, 43]])
    print("prediction:", prediction, "shape:", prediction.shape)
    return network, prediction


if __name__ == "__main__":
    main()
