"""Pattern 11: the initialisers named in the course, and Dense's defaults."""

import numpy as np

import minikeras as keras


def main():
    layer = keras.layers.Dense(200, kernel_initializer=keras.initializers.RandomNormal(
        mean=0.0, stddev=1.0), bias_initializer=keras.initializers.Zeros())
    layer.build((None, 300))
    glorot = keras.initializers.GlorotUniform()((300, 200))
    default = keras.layers.Dense(200)
    default.build((None, 300))
    print(f"N(0,1) kernel std {layer.kernel.numpy().std():.3f}; Glorot limit "
          f"{np.sqrt(6 / 500):.4f}, max |w| {np.abs(glorot).max():.4f}")
    return layer, glorot, default


if __name__ == "__main__":
    main()
