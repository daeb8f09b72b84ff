#!/usr/bin/env python
"""Reference values for the reshaping layers, from REAL Keras 3 (jax backend).

    KERAS_BACKEND=jax /work/venvs/k3/bin/python compat_tests/generate_reshape_fixtures.py
    /work/venvs/k2/bin/python compat_tests/generate_reshape_fixtures.py --keras 2

Keras 3 writes fixtures/reshape_k3.npz and fixtures/reshape_k3.json (about 10 s). npz keys
are `<section>/<case>/<array>`:

* `layers/<case>/{x,g,y,grad}`: input (2, *shape) ~ N(0, 1), random upstream gradient g,
  forward value y (inference), grad = jax.grad of sum(layer(x) * g). SpatialDropout cases
  store `y_train` (one training call with the case's seed) instead of g/grad.
* `training/<case>/{x,y,w0_i,w1_i,pred}`: data, initial and final weights, final predict.

The json holds per case the layer config (as `serialize_keras_object` writes it),
`compute_output_shape((None, *shape))`, the exceptions of ERROR_CASES, and per training
case the History, `evaluate` and the weight names. The cases are in cases_reshape.py.

tf_keras (`--keras 2`) writes fixtures/reshape_k2.{npz,json}: Keras 2's backend functions
K.temporal_padding, K.spatial_2d_padding, K.spatial_3d_padding, K.resize_images and
K.resize_volumes (BACKEND_CASES in cases_reshape.py): `backend/<case>/{x,y,g,grad}`, grad =
d sum(y * g) / dx by tf.GradientTape.
"""

import os
import sys
import zlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from cases_reshape import (BACKEND_CASES, ERROR_CASES, LAYER_CASES, TRAIN_CASES,  # noqa: E402
                           build_model, make_data)
from generate_function_fixtures import Store, clean_config  # noqa: E402


def seed_of(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def layers_section(st, keras, jax, jnp):
    sec = st.section("layers")
    for name, (cls_name, kwargs, shape) in LAYER_CASES.items():
        rng = np.random.default_rng(seed_of(name))
        x = rng.normal(size=(2,) + tuple(shape)).astype(np.float32)
        layer = getattr(keras.layers, cls_name)(**kwargs)
        y = np.asarray(layer(x))
        meta = {"class": cls_name, "kwargs": kwargs, "shape": list(shape),
                "config": clean_config(keras.saving.serialize_keras_object(layer)["config"]),
                "output_shape": list(layer.compute_output_shape((None,) + tuple(shape)))}
        st.put(f"layers/{name}/x", x)
        st.put(f"layers/{name}/y", y)
        if cls_name.startswith("SpatialDropout"):
            st.put(f"layers/{name}/y_train", np.asarray(layer(x, training=True)))
        else:
            g = rng.normal(size=y.shape).astype(np.float32)
            grad = jax.grad(lambda v: jnp.sum(layer(v) * g))(jnp.asarray(x))
            st.put(f"layers/{name}/g", g)
            st.put(f"layers/{name}/grad", np.asarray(grad))
        sec["cases"][name] = meta
    err = st.section("errors")
    for name, (cls_name, kwargs, shape) in ERROR_CASES.items():
        meta = {"class": cls_name, "kwargs": kwargs, "shape": shape}
        try:
            layer = getattr(keras.layers, cls_name)(**kwargs)
            meta["stage"] = "call"
            layer(np.zeros((2,) + tuple(shape), np.float32))
            meta["error"] = None
        except Exception as e:  # recorded: the test checks minikeras raises the same type
            meta.setdefault("stage", "init")
            meta["error"] = type(e).__name__
            meta["message"] = str(e)
        err["cases"][name] = meta


def training_section(st, keras):
    sec = st.section("training")
    for name, case in TRAIN_CASES.items():
        keras.utils.set_random_seed(0)
        rng = np.random.default_rng(seed_of(name))
        x, y = make_data(case, rng)
        model = build_model(keras, case)
        w0 = [rng.uniform(-0.5, 0.5, size=w.shape).astype(np.float32) for w in model.weights]
        model.set_weights(w0)
        hist = model.fit(x, y, shuffle=False, verbose=0, **case["fit"])
        st.put(f"training/{name}/x", x)
        st.put(f"training/{name}/y", y, dtype=y.dtype)
        for i, w in enumerate(w0):
            st.put(f"training/{name}/w0_{i}", w)
        for i, w in enumerate(model.get_weights()):
            st.put(f"training/{name}/w1_{i}", w)
        st.put(f"training/{name}/pred", model.predict(x, verbose=0))
        sec["cases"][name] = {
            "case": case, "seed": seed_of(name),
            "history": {k: [float(v) for v in vs] for k, vs in hist.history.items()},
            "evaluate": {k: float(v) for k, v in
                         model.evaluate(x, y, verbose=0, return_dict=True).items()},
            "weight_names": [w.path for w in model.weights],
            "layer_configs": [clean_config(keras.saving.serialize_keras_object(layer))
                              for layer in model.layers]}


def k2_main():
    import tensorflow as tf
    import tf_keras
    from tf_keras import backend as K

    st = Store()
    st.meta.update({"fixture_kind": "reshape_backend_k2", "keras_version": tf_keras.__version__,
                    "tensorflow_version": tf.__version__, "numpy_version": np.__version__,
                    "python_version": sys.version.split()[0]})
    sec = st.section("backend")
    for name, (expr, shape) in BACKEND_CASES.items():
        rng = np.random.default_rng(seed_of(name))
        x = rng.normal(size=shape).astype(np.float32)
        t = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = eval(expr, {"K": K, "x": t})  # noqa: S307 - the case table's own expressions
            g = tf.constant(rng.normal(size=tuple(y.shape)).astype(np.float32))
            total = tf.reduce_sum(y * g)
        st.put(f"backend/{name}/x", x)
        st.put(f"backend/{name}/y", np.asarray(y))
        st.put(f"backend/{name}/g", np.asarray(g))
        st.put(f"backend/{name}/grad", np.asarray(tape.gradient(total, t)))
        sec["cases"][name] = {"expr": expr, "shape": list(shape)}
    st.save("reshape_k2")


def main():
    if "--keras" in sys.argv and sys.argv[sys.argv.index("--keras") + 1] == "2":
        return k2_main()
    import jax
    import jax.numpy as jnp
    import keras

    st = Store()
    st.meta.update({"fixture_kind": "reshape_layers", "keras_version": keras.__version__,
                    "backend": keras.backend.backend(), "jax_version": jax.__version__,
                    "numpy_version": np.__version__, "python_version": sys.version.split()[0]})
    layers_section(st, keras, jax, jnp)
    training_section(st, keras)
    st.save("reshape_k3")


if __name__ == "__main__":
    main()
