#!/usr/bin/env python
"""Reference values for convolution and pooling, computed by REAL Keras 3 (jax backend).

    KERAS_BACKEND=jax /work/venvs/k3/bin/python compat_tests/generate_conv_fixtures.py

Writes compat_tests/fixtures/conv_k3.npz and conv_k3.json (see README_conv.md):
  layer/<case>/...  forward value and jax.grad gradients (input and every weight, with a
                    random upstream gradient) of one layer, plus its get_config();
  masked/<case>/... GlobalAveragePooling1D called with a mask: value and input gradient;
  op/<case>/...     the same for one keras.ops function;
  model/<case>/...  a training trajectory: per-epoch History, final weights, predictions.
The cases are in cases_conv.py, shared with the test. Deterministic: a rerun rewrites the
same numbers.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cases_conv as C  # noqa: E402


def _py(v):
    if isinstance(v, dict):
        return {str(k): _py(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_py(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def main() -> None:
    import jax
    import jax.numpy as jnp
    import keras

    arrays: dict = {}
    meta: dict = {"writer": {"keras": keras.__version__, "jax": jax.__version__,
                             "numpy": np.__version__, "backend": keras.backend.backend()},
                  "layers": {}, "ops": {}, "models": {}}

    for name, cls, kwargs, shape in C.LAYER_CASES:
        rng = np.random.default_rng(C.seed_of(name))
        layer = C.build_layer(keras, cls, kwargs)
        x = rng.normal(size=shape).astype(np.float32)
        layer.build(shape)
        ws = [rng.uniform(-0.5, 0.5, size=tuple(w.shape)).astype(np.float32)
              for w in layer.weights]
        layer.set_weights(ws)
        y = np.asarray(layer(x))
        u = rng.normal(size=y.shape).astype(np.float32)

        def f(xv, tw, layer=layer, u=u):
            out, _ = layer.stateless_call(tw, [], xv)
            return jnp.sum(u * out)

        gx, gw = jax.grad(f, argnums=(0, 1))(jnp.asarray(x),
                                             [v.value for v in layer.trainable_variables])
        key = f"layer/{name}"
        arrays[f"{key}/x"] = x
        arrays[f"{key}/y"] = y
        arrays[f"{key}/u"] = u
        arrays[f"{key}/gx"] = np.asarray(gx)
        for i, (w, g) in enumerate(zip(ws, gw)):
            arrays[f"{key}/w{i}"] = w
            arrays[f"{key}/gw{i}"] = np.asarray(g)
        meta["layers"][name] = {
            "class_name": cls, "kwargs": _py(kwargs), "input_shape": list(shape),
            "output_shape": list(layer.compute_output_shape(shape)),
            "weight_paths": [w.path for w in layer.weights],
            "weight_shapes": [list(w.shape) for w in layer.weights],
            "config": _py(layer.get_config())}
        print("layer", name, y.shape)

    meta["masked"] = {}
    for name, kwargs, shape in C.MASK_CASES:
        rng = np.random.default_rng(C.seed_of(name))
        layer = keras.layers.GlobalAveragePooling1D(**kwargs)
        x = rng.normal(size=shape).astype(np.float32)
        steps = shape[1] if kwargs.get("data_format") != "channels_first" else shape[2]
        mask = C.mask_for(name, shape[0], steps)
        y = np.asarray(layer(x, mask=mask))
        u = rng.normal(size=y.shape).astype(np.float32)
        gx = jax.grad(lambda xv, layer=layer, mask=mask, u=u:
                      jnp.sum(u * layer(xv, mask=mask)))(jnp.asarray(x))
        key = f"masked/{name}"
        arrays.update({f"{key}/x": x, f"{key}/mask": mask, f"{key}/y": y, f"{key}/u": u,
                       f"{key}/gx": np.asarray(gx)})
        meta["masked"][name] = {"kwargs": _py(kwargs), "input_shape": list(shape)}
        print("masked", name, y.shape)

    for name, op, shapes, kwargs in C.OP_CASES:
        rng = np.random.default_rng(C.seed_of(name))
        args = [rng.normal(size=s).astype(np.float32) for s in shapes]
        fn = getattr(keras.ops, op)
        y = np.asarray(fn(*args, **kwargs))
        u = rng.normal(size=y.shape).astype(np.float32)

        def g(*a, fn=fn, u=u, kwargs=kwargs):
            return jnp.sum(u * fn(*a, **kwargs))

        grads = jax.grad(g, argnums=tuple(range(len(args))))(*[jnp.asarray(a) for a in args])
        key = f"op/{name}"
        for i, (a, gr) in enumerate(zip(args, grads)):
            arrays[f"{key}/a{i}"] = a
            arrays[f"{key}/g{i}"] = np.asarray(gr)
        arrays[f"{key}/y"] = y
        arrays[f"{key}/u"] = u
        meta["ops"][name] = {"op": op, "shapes": [list(s) for s in shapes],
                             "kwargs": _py(kwargs)}
        print("op", name, y.shape)

    for case in C.MODEL_CASES:
        name = case["name"]
        keras.backend.clear_session()
        x, y, rng = C.model_data(case)
        model = C.build_model(keras, case)
        w0 = C.initial_weights(model, rng)
        C.set_weights(model, w0)
        hist = model.fit(x, y, epochs=C.EPOCHS, batch_size=C.BATCH, shuffle=False, verbose=0)
        w1 = [np.asarray(w) for layer in model.layers for w in layer.get_weights()]
        pred = model.predict(x, verbose=0)
        key = f"model/{name}"
        arrays[f"{key}/x"] = x
        arrays[f"{key}/y"] = y
        arrays[f"{key}/pred"] = pred
        for i, (a, b) in enumerate(zip(w0, w1)):
            arrays[f"{key}/w0_{i}"] = a
            arrays[f"{key}/w1_{i}"] = b
        meta["models"][name] = {
            "case": _py(case), "history": _py({k: [float(v) for v in vals]
                                               for k, vals in hist.history.items()}),
            "weight_paths": [w.path for layer in model.layers for w in layer.weights],
            "output_shapes": [list(layer.output.shape) for layer in model.layers]}
        print("model", name, {k: round(v[-1], 4) for k, v in hist.history.items()})

    fix = os.path.join(HERE, "fixtures")
    np.savez_compressed(os.path.join(fix, "conv_k3.npz"), **arrays)
    with open(os.path.join(fix, "conv_k3.json"), "w") as fh:
        json.dump(meta, fh, indent=1, sort_keys=True)
        fh.write("\n")
    print(f"{len(meta['layers'])} layer cases, {len(meta['masked'])} masked cases, "
          f"{len(meta['ops'])} op cases, {len(meta['models'])} model cases")


if __name__ == "__main__":
    main()
