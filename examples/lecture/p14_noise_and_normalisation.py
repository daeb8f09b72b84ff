"""Pattern 14: GaussianNoise augmentation, Normalization with adapt, Rescaling."""

import numpy as np

import minikeras as keras
from p03_compile_fit import EPOCHS, make_data


def main():
    x, y = make_data()
    x = x * 100 + 50  # badly scaled features
    norm = keras.layers.Normalization()
    norm.adapt(x)
    model = keras.models.Sequential([keras.Input(shape=(4,)), norm,
                                     keras.layers.GaussianNoise(0.1),
                                     keras.layers.Dense(8, activation="tanh"),
                                     keras.layers.Dense(3)])
    model.compile("sgd", "mse")
    history = model.fit(x, y, batch_size=32, epochs=EPOCHS, verbose=0)
    scaled = keras.layers.Rescaling(1 / 255.0)(np.array([[0.0, 127.5, 255.0]])).numpy()
    z = norm(x).numpy()
    print(f"normalised mean {z.mean():.3f}, std {z.std():.3f}; rescaled {scaled}")
    return history, z, scaled


if __name__ == "__main__":
    main()
