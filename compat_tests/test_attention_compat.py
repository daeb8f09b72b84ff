"""Attention layers, GroupNormalization, EinsumDense and symbolic `ops.einsum` against real
Keras 3 (fixtures written by generate_attention_fixtures.py; see cases_attention.py).

- every layer case: forward values, gradients w.r.t. inputs and weights, weight paths and
  shapes, get_config;
- the Transformer-style classifier: per-epoch losses/accuracy and final weights of SGD;
- model files written by Keras 3 (.keras, .h5, .weights.h5) load and predict the same;
- minikeras' own files of the same models, as loaded back by Keras 3 in the generator.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

import minikeras as keras
from minikeras.autodiff.tensor import Tensor, gradients, watch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cases_attention as C  # noqa: E402

FIX = os.path.join(HERE, "fixtures", "attention_k3")
FILES = os.path.join(HERE, "files", "attention_k3")
ARR = np.load(FIX + ".npz")
META = json.load(open(FIX + ".json"))
RTOL, ATOL = 1e-4, 2e-5
MODELS = ["encoder", "cross_model", "einsum_model"]
_SKIP_CONFIG = {"dtype", "quantization_config", "name"}  # (auto-names differ)


def _flat(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def test_every_case_has_a_fixture():
    assert sorted(META["layers"]) == sorted(c["name"] for c in C.LAYER_CASES)
    for c in C.LAYER_CASES:
        assert META["layers"][c["name"]]["case"] == json.loads(json.dumps(c))
    assert len(C.LAYER_CASES) >= 30


@pytest.mark.parametrize("name", [c["name"] for c in C.LAYER_CASES])
def test_layer_forward_gradients_config(name):
    case = next(c for c in C.LAYER_CASES if c["name"] == name)
    meta = META["layers"][name]
    p = f"layer/{name}/"
    a = {k: ARR[p + k] for k in list(case["shapes"]) + list(case["masks"])}
    layer = getattr(keras.layers, case["cls"])(**case["kwargs"])
    C.call_layer(layer, case, a)  # build
    assert [list(w.shape) for w in layer.weights] == meta["weight_shapes"]
    assert [w.path for w in layer.weights] == [
        layer.name + path[path.index("/"):] for path in meta["weight_paths"]]
    assert layer.count_params() == meta["count_params"]
    layer.set_weights([ARR[p + f"w{i}"] for i in range(meta["n_weights"])])
    floats = [k for k in ("query", "value", "key", "x") if k in a]
    watched = {k: watch(a[k]) for k in floats}
    outs = _flat(C.call_layer(layer, case, a, watched))
    assert len(outs) == meta["n_outputs"]
    loss = None
    for i, o in enumerate(outs):
        np.testing.assert_allclose(o.value, ARR[p + f"out{i}"], rtol=RTOL, atol=ATOL,
                                   err_msg=f"output {i}")
        term = (o * Tensor(ARR[p + f"up{i}"])).sum()
        loss = term if loss is None else loss + term
    sources = list(layer.trainable_weights) + [watched[k] for k in floats]
    grads = gradients(loss, sources)
    n = len(layer.trainable_weights)
    for i in range(n):
        np.testing.assert_allclose(grads[i], ARR[p + f"grad_w{i}"], rtol=RTOL, atol=ATOL,
                                   err_msg=f"gradient of weight {i}")
    for j, k in enumerate(floats):
        np.testing.assert_allclose(grads[n + j], ARR[p + f"grad_{k}"], rtol=RTOL, atol=ATOL,
                                   err_msg=f"gradient of {k}")
    # the config: every key Keras writes, equal values (dtype policies aside)
    ours = json.loads(json.dumps(layer.get_config(), default=str))
    for key, value in meta["config"].items():
        if key in _SKIP_CONFIG:
            continue
        assert key in ours, f"config key {key!r} missing"
        assert ours[key] == value, f"config[{key!r}]: {ours[key]!r} != Keras' {value!r}"
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_einsum_on_symbolic_tensors():
    a = keras.Input((3, 4), name="a")
    b = keras.Input((4, 5), name="b")
    y = keras.ops.einsum("bij,bjk->bik", a, b)
    y = keras.layers.Dense(2, name="head")(y)
    model = keras.Model([a, b], y)
    assert list(model.output.shape) == META["einsum"]["output_shape"]
    model.set_weights([ARR[f"einsum/w{i}"] for i in range(2)])
    pred = model.predict([ARR["einsum/a"], ARR["einsum/b"]], verbose=0)
    np.testing.assert_allclose(pred, ARR["einsum/pred"], rtol=RTOL, atol=ATOL)


def test_transformer_training_trajectory():
    meta = META["train"]
    model = C.build_transformer(keras)
    assert [w.path for w in model.weights] == meta["weight_paths"]
    n = len(meta["weight_paths"])
    model.set_weights([ARR[f"train/w0_{i}"] for i in range(n)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(ARR["train/x"], ARR["train/y"], epochs=3, batch_size=8, shuffle=False,
                     verbose=0)
    assert set(hist.history) == set(meta["history"])
    for key, values in meta["history"].items():
        np.testing.assert_allclose(hist.history[key], values, rtol=1e-4, atol=1e-6,
                                   err_msg=key)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, ARR[f"train/w1_{i}"], rtol=1e-4, atol=1e-5,
                                   err_msg=meta["weight_paths"][i])
    np.testing.assert_allclose(model.predict(ARR["train/x"], verbose=0), ARR["train/pred"],
                               rtol=1e-4, atol=1e-5)


def _file_inputs(name):
    z = np.load(os.path.join(FILES, f"{name}.npz"))
    xs = [z[f"x{i}"] for i in range(len([k for k in z.files if k.startswith("x")]))]
    return (xs[0] if len(xs) == 1 else xs), z["pred"]


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("kind", ["keras", "h5"])
def test_keras_files_load_and_predict(name, kind, tmp_path):
    x, pred = _file_inputs(name)
    model = keras.models.load_model(os.path.join(FILES, f"{name}.{kind}"), compile=False)
    meta = META["files"][name]
    assert [w.path for w in model.weights] == meta["weight_paths"]
    assert model.count_params() == meta["count_params"]
    np.testing.assert_allclose(model.predict(x, verbose=0), pred, rtol=1e-4, atol=1e-5)
    # and our own files of it read back the same
    model.save(tmp_path / f"m.{kind}")
    again = keras.models.load_model(tmp_path / f"m.{kind}", compile=False)
    np.testing.assert_allclose(again.predict(x, verbose=0), pred, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", MODELS)
def test_keras_weights_file_loads(name):
    x, pred = _file_inputs(name)
    model = keras.models.load_model(os.path.join(FILES, f"{name}.keras"), compile=False)
    for w in model.weights:
        w.assign(np.zeros(w.shape, dtype=w.dtype))
    model.load_weights(os.path.join(FILES, f"{name}.weights.h5"))
    np.testing.assert_allclose(model.predict(x, verbose=0), pred, rtol=1e-4, atol=1e-5)


def test_minikeras_files_load_in_keras():
    """Recorded by the generator: Keras 3 loaded minikeras' .keras, .h5 and .weights.h5
    of both models and predicted what the Keras-built model predicts."""
    record = META["minikeras_files_in_keras"]
    assert isinstance(record, dict), record
    for name in MODELS:
        assert record[name]["minikeras_vs_keras_pred"] < 1e-5
        for kind in ("keras", "h5", "weights.h5"):
            value = record[name][kind]
            own = META["files"][name]["reloads_in_keras"].get(kind)
            if kind == "h5" and isinstance(own, str) and "score_mode" in own:
                # Keras 3.15 cannot read Attention from any legacy .h5, its own included
                # (it turns score_mode "dot" into the function keras.ops.dot)
                assert isinstance(value, str) and "score_mode" in value, value
                continue
            assert isinstance(value, float) and value < 1e-5, (name, kind, value)


def test_summary_rows_as_keras():
    """The summary of the cross-attention model equals Keras' text. (The encoder's differs:
    Keras 3.15 lists the mask's NotEqual/ConvertToTensor operations, and minikeras' summary
    lists no keras.ops nodes, so the einsum model's Einsum row is missing too.)"""
    import contextlib
    import io

    model = C.build_file_models(keras)["cross_model"]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        model.summary(line_length=100)
    assert buf.getvalue().strip() == META["files"]["cross_model"]["summary"].strip()
