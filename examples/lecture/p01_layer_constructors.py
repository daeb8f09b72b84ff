"""Pattern 1: Dense layers with an activation, with none (linear), and without a bias."""

import minikeras as keras


def main():
    relu = keras.layers.Dense(4, activation="relu")
    linear = keras.layers.Dense(4)
    no_bias = keras.layers.Dense(4, use_bias=False)
    for layer in (relu, linear, no_bias):
        layer.build((None, 3))
    print("weights per layer:", [len(layer.weights) for layer in (relu, linear, no_bias)])
    return relu, linear, no_bias


if __name__ == "__main__":
    main()
