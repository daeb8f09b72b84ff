"""Do real Keras 3 and Keras 2 (tf_keras) open, predict and train minikeras' files of models
with convolution and pooling layers?

    python compat_tests/check_minikeras_conv_files_in_keras.py [--keep DIR]

The same procedure as check_minikeras_files_in_keras.py (that script does the checking; see
its docstring), with conv/pool models instead of its Dense ones. Log:
compat_tests/check_minikeras_conv_files_in_keras.log.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import check_minikeras_files_in_keras as base  # noqa: E402


def _conv_cases(keras):
    L = keras.layers

    def seq(shape, layers):
        return keras.Sequential([keras.Input(shape=shape)] + layers)

    return [
        ("conv2d_uncompiled", lambda: seq((6, 6, 2), [L.Conv2D(3, 3), L.Flatten(), L.Dense(2)]),
         (6, 6, 2), "regression", 2, None),
        ("cnn2d_adam_maxpool",
         lambda: seq((8, 8, 1), [L.Conv2D(4, (3, 3), activation="relu"), L.MaxPooling2D(),
                                 L.Flatten(), L.Dense(3, activation="softmax")]),
         (8, 8, 1), "categorical", 3,
         dict(optimizer=keras.optimizers.Adam(learning_rate=0.002),
              loss="categorical_crossentropy", metrics=["accuracy"])),
        ("cnn1d_causal_gap_sgd",
         lambda: seq((10, 3), [L.Conv1D(4, 3, padding="causal", dilation_rate=2,
                                        activation="relu"),
                               L.GlobalAveragePooling1D(), L.Dense(1)]),
         (10, 3), "regression", 1,
         dict(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9), loss="mse")),
        ("sep_depthwise_avgpool_adam",
         lambda: seq((8, 8, 2), [L.SeparableConv2D(4, 3, padding="same", activation="relu"),
                                 L.DepthwiseConv2D(2, depth_multiplier=2),
                                 L.AveragePooling2D(2, padding="same"),
                                 L.Flatten(), L.Dense(1, activation="sigmoid")]),
         (8, 8, 2), "binary", 1,
         dict(optimizer=keras.optimizers.Adam(learning_rate=0.005),
              loss="binary_crossentropy", metrics=["accuracy"])),
        ("transpose_globalmax_adam",
         lambda: seq((4, 4, 2), [L.Conv2DTranspose(3, 3, strides=2, padding="same",
                                                   activation="relu"),
                                 L.Conv2D(2, 2, strides=2), L.GlobalMaxPooling2D(),
                                 L.Dense(2)]),
         (4, 4, 2), "regression", 2,
         dict(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")),
        ("conv3d_pool3d_sgd",
         lambda: seq((4, 4, 4, 1), [L.Conv3D(2, 2, activation="relu"), L.MaxPooling3D(),
                                    L.Flatten(), L.Dense(1)]),
         (4, 4, 4, 1), "regression", 1, dict(optimizer="sgd", loss="mse")),
        ("conv1d_transpose_maxpool1d",
         lambda: seq((6, 2), [L.Conv1D(3, 2, strides=2, padding="same"),
                              L.Conv1DTranspose(2, 3, strides=2), L.MaxPooling1D(2),
                              L.Flatten(), L.Dense(1)]),
         (6, 2), "regression", 1, dict(optimizer="adam", loss="mae")),
    ]


def _conv_data(seed, shape, kind, n_out):
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(base.N,) + tuple(shape)).astype("float32")
    z = x.reshape(base.N, -1) @ rng.normal(size=(int(np.prod(shape)), n_out)).astype("float32")
    if kind == "binary":
        y = (z[:, :1] > 0).astype("float32")
    elif kind == "categorical":
        y = np.eye(n_out, dtype="float32")[np.argmax(z, axis=1)]
    else:
        y = z.astype("float32")
    return [x], y


if __name__ == "__main__":
    base._cases = _conv_cases
    base._data = _conv_data
    argv = sys.argv[1:]
    if "--log" not in argv and "--check" not in argv:
        argv += ["--log", os.path.join(HERE, "check_minikeras_conv_files_in_keras.log")]
    sys.exit(base.main(argv))
