#!/usr/bin/env python
"""Model files with the reshaping layers, written by REAL Keras, for the loader test
(test_reshape_compat.py::test_loads_files_written_by_keras).

    KERAS_BACKEND=jax /work/venvs/k3/bin/python compat_tests/generate_reshape_files.py --keras 3
    /work/venvs/k2/bin/python compat_tests/generate_reshape_files.py --keras 2

Keras 3 writes files/reshape_k3/{model.keras, model.h5, model.weights.h5, data.npz};
tf_keras writes files/reshape_k2/{model.h5, data.npz}. data.npz holds x, y and Keras'
`predict(x)` after one epoch of Adam (so the files carry optimizer state).
"""

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def build(keras):
    L = keras.layers
    return keras.Sequential([
        keras.Input((4, 5, 2)),
        L.ZeroPadding2D(((1, 0), (0, 1))),
        L.Cropping2D(((0, 1), (1, 1))),
        L.UpSampling2D((1, 2), interpolation="bilinear"),
        L.SpatialDropout2D(0.2, seed=1),
        L.Permute((3, 1, 2)),
        L.Reshape((8, 8)),
        L.Cropping1D((1, 0)),
        L.ZeroPadding1D(1),
        L.UpSampling1D(2),
        L.Flatten(),
        L.Dense(3, activation="tanh"),
        L.RepeatVector(2),
        L.Flatten(),
        L.Dense(2),
    ])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keras", type=int, choices=(2, 3), default=3)
    args = parser.parse_args()
    if args.keras == 3:
        os.environ.setdefault("KERAS_BACKEND", "jax")
        import keras
    else:
        import tf_keras as keras
    out = os.path.join(HERE, "files", f"reshape_k{args.keras}")
    os.makedirs(out, exist_ok=True)
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(11)
    x = rng.normal(size=(16, 4, 5, 2)).astype(np.float32)
    y = rng.normal(size=(16, 2)).astype(np.float32)
    # tf_keras' bilinear UpSampling2D is tf.image.resize (half-pixel centres, no
    # antialiasing): for up-sampling the same weights as jax.image.resize
    model = build(keras)
    model.set_weights([rng.uniform(-0.5, 0.5, size=w.shape).astype(np.float32)
                       for w in model.get_weights()])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    if args.keras == 3:
        # before the .h5: Keras 3.15 leaves the optimizer out of a .keras file's compile
        # config once the legacy .h5 saver has run on the model
        model.save(os.path.join(out, "model.keras"))
        model.save_weights(os.path.join(out, "model.weights.h5"))
    model.save(os.path.join(out, "model.h5"))
    np.savez(os.path.join(out, "data.npz"), x=x, y=y, pred=model.predict(x, verbose=0))
    print("wrote", sorted(os.listdir(out)), "with", keras.__name__, keras.__version__,
          file=sys.stderr)


if __name__ == "__main__":
    main()
