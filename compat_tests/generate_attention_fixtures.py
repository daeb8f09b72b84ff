"""Write the attention fixtures by running REAL Keras 3 (never minikeras for a reference).

    KERAS_BACKEND=jax /work/venvs/k3/bin/python compat_tests/generate_attention_fixtures.py

Writes
- compat_tests/fixtures/attention_k3.{npz,json}:
  * `layer/<case>/...` for every LAYER_CASE of cases_attention.py: inputs, masks, weights
    (uniform(-0.5, 0.5); `gamma`, `scale` and `concat_score_weight` of the non-additive
    layers uniform(0.5, 1.5)), outputs, random upstream gradients, and `jax.grad` of
    sum(upstream * outputs) w.r.t. every float input and every trainable weight; the json
    holds get_config(), weight paths and the output shapes.
  * `einsum/...`: `keras.ops.einsum` on symbolic tensors in a functional model (predict).
  * `train/...`: a tiny Transformer-style classifier (Embedding(mask_zero=True) ->
    MultiHeadAttention -> LayerNormalization -> GlobalAveragePooling1D -> Dense) trained
    with SGD from fixed weights: per-epoch losses, final weights, predictions.
- compat_tests/files/attention_k3/<model>.{keras,h5,weights.h5,npz}: models with these layers
  saved by Keras 3, with inputs, predictions and the model summary.
- When minikeras can be imported from this checkout (it is only used to WRITE files here),
  minikeras-written files of the same models are loaded back in Keras 3 and the outcome
  (load ok, largest prediction difference) is recorded in the json under
  `minikeras_files_in_keras`.
"""

from __future__ import annotations

import io
import json
import os
import platform
import re
import sys
import tempfile
import traceback
from contextlib import redirect_stdout

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
os.environ["KERAS_BACKEND"] = "jax"

import cases_attention as C  # noqa: E402

_HIGH = ("gamma", "scale", "concat_score_weight")


def initial_weights(rng, layer_or_model, additive=False):
    out = []
    for v in layer_or_model.weights:
        name = v.name
        if name in _HIGH and not (additive and name == "scale"):
            out.append(rng.uniform(0.5, 1.5, size=v.shape).astype("float32"))
        else:
            out.append(rng.uniform(-0.5, 0.5, size=v.shape).astype("float32"))
    return out


def case_arrays(case, rng):
    arrays = {}
    for k, shape in case["shapes"].items():
        arrays[k] = rng.normal(size=shape).astype("float32")
    for k, shape in case["masks"].items():
        m = rng.uniform(size=shape) > 0.35
        if k != "query_mask":
            m[..., 0] = True  # at least one position to attend to in every row
        arrays[k] = m
    return arrays


def _err(e):
    """A short, reproducible error text (no memory addresses)."""
    return re.sub(r" at 0x[0-9a-f]+", "", f"{type(e).__name__}: {e}")[:300]


def _flat(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def layer_case(keras, case, arrays, meta):
    import jax
    import jax.numpy as jnp

    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(sum(map(ord, case["name"])) * 7919)
    a = case_arrays(case, rng)
    layer = getattr(keras.layers, case["cls"])(**case["kwargs"])
    C.call_layer(layer, case, a)  # build
    w = initial_weights(rng, layer, additive=case["cls"] == "AdditiveAttention")
    layer.set_weights(w)
    outs = [np.asarray(o) for o in _flat(C.call_layer(layer, case, a))]
    ups = [rng.normal(size=o.shape).astype("float32") for o in outs]
    floats = [k for k in ("query", "value", "key", "x") if k in a]
    tv = [v.value for v in layer.trainable_variables]
    ntv = [v.value for v in layer.non_trainable_variables]

    def f(tv_, xs_):
        class Caller:
            def __call__(self, *args, **kwargs):
                return layer.stateless_call(tv_, ntv, *args, **kwargs)[0]

        o = C.call_layer(Caller(), case, a, dict(zip(floats, xs_)))
        return sum(jnp.sum(u * oo) for u, oo in zip(ups, _flat(o)))

    gtv, gx = jax.grad(f, argnums=(0, 1))(tv, [jnp.asarray(a[k]) for k in floats])
    p = f"layer/{case['name']}/"
    for k, v in a.items():
        arrays[p + k] = v
    for i, x in enumerate(w):
        arrays[p + f"w{i}"] = x
    for i, (o, u) in enumerate(zip(outs, ups)):
        arrays[p + f"out{i}"] = o
        arrays[p + f"up{i}"] = u
    for i, g in enumerate(gtv):
        arrays[p + f"grad_w{i}"] = np.asarray(g)
    for k, g in zip(floats, gx):
        arrays[p + f"grad_{k}"] = np.asarray(g)
    meta[case["name"]] = {
        "case": case, "n_weights": len(w), "n_outputs": len(outs),
        "weight_paths": [v.path for v in layer.weights],
        "weight_shapes": [list(v.shape) for v in layer.weights],
        "trainable_paths": [v.path for v in layer.trainable_variables],
        "config": json.loads(json.dumps(layer.get_config(), default=str)),
        "count_params": layer.count_params(),
    }


def einsum_case(keras, arrays, meta):
    keras.backend.clear_session()
    a = keras.Input((3, 4), name="a")
    b = keras.Input((4, 5), name="b")
    y = keras.ops.einsum("bij,bjk->bik", a, b)
    y = keras.layers.Dense(2, name="head")(y)
    model = keras.Model([a, b], y)
    rng = np.random.default_rng(5)
    model.set_weights([rng.uniform(-0.5, 0.5, size=w.shape).astype("float32")
                       for w in model.weights])
    xa = rng.normal(size=(3, 3, 4)).astype("float32")
    xb = rng.normal(size=(3, 4, 5)).astype("float32")
    arrays["einsum/a"], arrays["einsum/b"] = xa, xb
    for i, w in enumerate(model.get_weights()):
        arrays[f"einsum/w{i}"] = w
    arrays["einsum/pred"] = np.asarray(model.predict([xa, xb], verbose=0))
    meta["einsum"] = {"output_shape": list(model.output.shape)}


def train_case(keras, arrays, meta):
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = C.build_transformer(keras)
    ids, y = C.transformer_data()
    rng = np.random.default_rng(12)
    w0 = initial_weights(rng, model)
    model.set_weights(w0)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(ids, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    arrays["train/x"], arrays["train/y"] = ids, y
    for i, w in enumerate(w0):
        arrays[f"train/w0_{i}"] = w
    for i, w in enumerate(model.get_weights()):
        arrays[f"train/w1_{i}"] = np.asarray(w)
    arrays["train/pred"] = np.asarray(model.predict(ids, verbose=0))
    meta["train"] = {"history": {k: [float(v) for v in vs] for k, vs in hist.history.items()},
                     "weight_paths": [v.path for v in model.weights],
                     "weight_shapes": [list(v.shape) for v in model.weights]}


def write_files(keras, folder, meta):
    os.makedirs(folder, exist_ok=True)
    keras.backend.clear_session()
    keras.utils.set_random_seed(3)
    models = C.build_file_models(keras)
    inputs = C.file_inputs()
    out = {}
    for name, model in models.items():
        rng = np.random.default_rng(31)
        model.set_weights(initial_weights(rng, model))
        x = inputs[name]
        pred = np.asarray(model.predict(x, verbose=0))
        model.save(os.path.join(folder, f"{name}.keras"))
        model.save_weights(os.path.join(folder, f"{name}.weights.h5"))
        model.save(os.path.join(folder, f"{name}.h5"))
        buf = io.StringIO()
        with redirect_stdout(buf):
            model.summary(line_length=100)
        xs = x if isinstance(x, list) else [x]
        np.savez(os.path.join(folder, f"{name}.npz"), pred=pred,
                 **{f"x{i}": xi for i, xi in enumerate(xs)})
        reloads = {}
        for kind in ("keras", "h5"):
            try:
                m = keras.models.load_model(os.path.join(folder, f"{name}.{kind}"),
                                            compile=False)
                reloads[kind] = float(np.max(np.abs(np.asarray(m.predict(x, verbose=0)) - pred)))
            except Exception as e:  # recorded, not fatal
                reloads[kind] = _err(e)
        out[name] = {"summary": buf.getvalue(),
                     "weight_paths": [v.path for v in model.weights],
                     "weight_shapes": [list(v.shape) for v in model.weights],
                     "count_params": model.count_params(),
                     "output_shape": list(model.output.shape),
                     "reloads_in_keras": reloads}
    meta["files"] = out


def minikeras_files_in_keras(keras, meta):
    """Write each file model with minikeras (weights copied from the Keras model) and load the
    files in Keras 3. Records the outcome only."""
    record = {}
    try:
        sys.path.insert(0, ROOT)
        import minikeras
    except Exception as e:
        meta["minikeras_files_in_keras"] = f"minikeras not importable: {e}"
        return
    keras.backend.clear_session()
    km = C.build_file_models(keras)
    try:
        mm = C.build_file_models(minikeras)
    except Exception as e:
        meta["minikeras_files_in_keras"] = f"minikeras cannot build the models: {e}"
        return
    inputs = C.file_inputs()
    with tempfile.TemporaryDirectory() as tmp:
        for name in km:
            rng = np.random.default_rng(31)
            w = initial_weights(rng, km[name])
            km[name].set_weights(w)
            x = inputs[name]
            pred = np.asarray(km[name].predict(x, verbose=0))
            res = {}
            try:
                mm[name].set_weights(w)
                res["minikeras_vs_keras_pred"] = float(np.max(np.abs(
                    np.asarray(mm[name].predict(x, verbose=0)) - pred)))
            except Exception as e:
                res["minikeras_error"] = _err(e)
                record[name] = res
                continue
            for kind in ("keras", "h5", "weights.h5"):
                path = os.path.join(tmp, f"{name}.{kind}")
                try:
                    if kind == "weights.h5":
                        mm[name].save_weights(path)
                        m = keras.models.clone_model(km[name])
                        m.load_weights(path)
                    else:
                        mm[name].save(path)
                        m = keras.models.load_model(path, compile=False)
                    res[kind] = float(np.max(np.abs(np.asarray(m.predict(x, verbose=0)) - pred)))
                except Exception as e:
                    res[kind] = _err(e)
                    traceback.print_exc()
            record[name] = res
    meta["minikeras_files_in_keras"] = record


def main():
    import jax
    import keras

    assert keras.backend.backend() == "jax"
    arrays, meta = {}, {"layers": {}}
    for case in C.LAYER_CASES:
        layer_case(keras, case, arrays, meta["layers"])
    einsum_case(keras, arrays, meta)
    train_case(keras, arrays, meta)
    write_files(keras, os.path.join(HERE, "files", "attention_k3"), meta)
    minikeras_files_in_keras(keras, meta)
    meta["provenance"] = {"keras_version": keras.__version__, "backend": "jax",
                          "jax_version": jax.__version__, "numpy_version": np.__version__,
                          "python_version": platform.python_version(),
                          "generator": "compat_tests/generate_attention_fixtures.py"}
    out = os.path.join(HERE, "fixtures", "attention_k3")
    np.savez_compressed(out + ".npz", **arrays)
    with open(out + ".json", "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    print(f"{len(C.LAYER_CASES)} layer cases; minikeras files in keras:",
          json.dumps(meta["minikeras_files_in_keras"], indent=1))


if __name__ == "__main__":
    main()
