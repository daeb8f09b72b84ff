#!/usr/bin/env python
"""Model files with convolution and pooling layers, written by REAL Keras.

    KERAS_BACKEND=jax /work/venvs/k3/bin/python compat_tests/generate_conv_model_files.py --keras 3
    /work/venvs/k2/bin/python compat_tests/generate_conv_model_files.py --keras 2

Writes compat_tests/files/conv_k3/ (Keras 3: .h5, .keras, .weights.h5) or files/conv_k2/
(tf_keras: .h5, .weights.h5), emptying the folder first. Per case a sidecar <case>.npz holds
x, y, Keras' predictions `pred` of the saved model, and `cont_loss`: the loss of one more
epoch (batch 8, no shuffle) that Keras trained after saving, with the optimizer state it
had (restored from the file by minikeras: .h5/.keras with compile). <case>.json records
the versions and what was compiled. The test is test_conv_files_compat.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
N, BATCH = 32, 8


def cases(keras, major):
    L = keras.layers

    def seq(shape, layers):
        if major == 3:
            return keras.Sequential([keras.Input(shape=shape)] + layers)
        # Keras 2 style: the input shape on the first layer
        first = layers[0].__class__.from_config({**layers[0].get_config(),
                                                 "input_shape": shape})
        return keras.Sequential([first] + layers[1:])

    cf_ok = major == 3  # TensorFlow's CPU kernels do not run channels_first convolutions
    out = [
        ("cnn2d_adam", lambda: seq((8, 8, 1), [L.Conv2D(4, (3, 3), activation="relu"),
                                               L.MaxPooling2D((2, 2)), L.Flatten(),
                                               L.Dense(3, activation="softmax")]),
         (8, 8, 1), "categorical", 3,
         dict(optimizer=keras.optimizers.Adam(learning_rate=0.003),
              loss="categorical_crossentropy", metrics=["accuracy"])),
        ("cnn1d_sgd_gap", lambda: seq((12, 2), [L.Conv1D(3, 3, padding="causal",
                                                         activation="tanh"),
                                                L.AveragePooling1D(2, padding="same"),
                                                L.Conv1D(4, 2, strides=2, padding="same"),
                                                L.GlobalMaxPooling1D(), L.Dense(1)]),
         (12, 2), "regression", 1,
         dict(optimizer=keras.optimizers.SGD(learning_rate=0.02, momentum=0.9), loss="mse")),
        ("separable_depthwise", lambda: seq((8, 8, 2), [
            L.SeparableConv2D(3, 3, padding="same", depth_multiplier=2, activation="relu"),
            L.DepthwiseConv2D(3, strides=2, padding="same"),
            L.GlobalAveragePooling2D(), L.Dense(1, activation="sigmoid")]),
         (8, 8, 2), "binary", 1,
         dict(optimizer=keras.optimizers.Adam(learning_rate=0.005),
              loss="binary_crossentropy", metrics=["accuracy"])),
        ("transpose_upsample", lambda: seq((4, 4, 2), [
            L.Conv2DTranspose(3, 3, strides=2, padding="same", activation="relu"),
            L.Conv2D(2, 3, dilation_rate=2), L.MaxPooling2D(3, strides=1, padding="same"),
            L.Flatten(), L.Dense(2)]),
         (4, 4, 2), "regression", 2,
         dict(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse",
              metrics=["mae"])),
        ("conv3d_uncompiled", lambda: seq((4, 4, 4, 1), [L.Conv3D(2, 2), L.AveragePooling3D(2),
                                                         L.Flatten(), L.Dense(1)]),
         (4, 4, 4, 1), "regression", 1, None),
    ]
    if cf_ok:
        out.append(("cnn2d_channels_first", lambda: seq((2, 7, 7), [
            L.Conv2D(3, 3, data_format="channels_first", activation="relu"),
            L.MaxPooling2D(data_format="channels_first"),
            L.GlobalAveragePooling2D(data_format="channels_first"), L.Dense(2)]),
            (2, 7, 7), "regression", 2, dict(optimizer="rmsprop", loss="mse")))
    return out


def data(seed, shape, kind, n_out):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N,) + tuple(shape)).astype("float32")
    z = x.reshape(N, -1) @ rng.normal(size=(int(np.prod(shape)), n_out)).astype("float32")
    if kind == "binary":
        y = (z[:, :1] > 0).astype("float32")
    elif kind == "categorical":
        y = np.eye(n_out, dtype="float32")[np.argmax(z, axis=1)]
    else:
        y = (z / np.sqrt(x[0].size)).astype("float32")
    return x, y


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--keras", choices=["2", "3"], required=True)
    major = int(p.parse_args().keras)
    if major == 3:
        os.environ.setdefault("KERAS_BACKEND", "jax")
        import keras
    else:
        import tf_keras as keras
    folder = os.path.join(HERE, "files", f"conv_k{major}")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    import h5py

    for seed, (name, build, shape, kind, n_out, ck) in enumerate(cases(keras, major)):
        keras.backend.clear_session()
        keras.utils.set_random_seed(200 + seed)
        x, y = data(seed, shape, kind, n_out)
        model = build()
        if ck is not None:
            model.compile(**ck)
            model.fit(x, y, epochs=2, batch_size=BATCH, shuffle=False, verbose=0)
        pred = model.predict(x, verbose=0)
        base = os.path.join(folder, name)
        model.save_weights(base + ".weights.h5")
        if major == 3:
            model.save(base + ".keras")
        model.save(base + ".h5")  # last: Keras 3's .h5 writer pops the optimizer config
        arrays = {"x": x, "y": y, "pred": pred}
        meta = {"case": name, "compiled": ck is not None,
                "writer": {"keras": keras.__version__, "numpy": np.__version__,
                           "h5py": h5py.__version__, "python": sys.version.split()[0]},
                "layers": [type(layer).__name__ for layer in model.layers]}
        if ck is not None:
            h = model.fit(x, y, epochs=1, batch_size=BATCH, shuffle=False, verbose=0)
            arrays["cont_loss"] = np.float64(h.history["loss"][0])
            meta["cont_history_keys"] = sorted(h.history)
        np.savez(base + ".npz", **arrays)
        with open(base + ".json", "w") as fh:
            json.dump(meta, fh, indent=1, sort_keys=True)
            fh.write("\n")
        print(name, "written", meta["layers"])


if __name__ == "__main__":
    main()
