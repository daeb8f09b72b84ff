"""minikeras' convolution and pooling against real Keras 3 (fixtures/conv_k3.*, written by
generate_conv_fixtures.py): forward values, gradients (input and weights, random upstream),
configs, output shapes, weight names and shapes, and training trajectories."""

import json
import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import minikeras as keras  # noqa: E402
from minikeras.autodiff.tensor import gradients, watch  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
from gradcheck import layer_fn as layer_with_weights  # noqa: E402

import cases_conv as C  # noqa: E402

FIX = os.path.join(HERE, "fixtures")
with open(os.path.join(FIX, "conv_k3.json")) as _f:
    META = json.load(_f)
DATA = np.load(os.path.join(FIX, "conv_k3.npz"))
RTOL, ATOL = 1e-4, 1e-5


def _close(actual, desired, what, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                               np.asarray(desired, dtype=np.float64), rtol=rtol, atol=atol,
                               err_msg=what)


def test_every_case_has_a_fixture():
    assert sorted(META["layers"]) == sorted(c[0] for c in C.LAYER_CASES)
    assert sorted(META["ops"]) == sorted(c[0] for c in C.OP_CASES)
    assert sorted(META["masked"]) == sorted(c[0] for c in C.MASK_CASES)
    assert sorted(META["models"]) == sorted(c["name"] for c in C.MODEL_CASES)


def _plain_config(cfg):
    """A config without what legitimately differs: Keras 3's dtype policy object and its
    initializer axes (minikeras writes plain dtype names, readable by Keras 2 and 3)."""
    out = {}
    for k, v in cfg.items():
        if k in ("name", "dtype"):
            continue
        if isinstance(v, dict) and "config" in v:
            v = dict(v, config={a: b for a, b in v["config"].items()
                                if a not in ("input_axes", "output_axes")})
        out[k] = v
    return out


@pytest.mark.parametrize("name", [c[0] for c in C.LAYER_CASES])
def test_layer_matches_keras(name):
    meta = META["layers"][name]
    key = f"layer/{name}"
    x = DATA[f"{key}/x"]
    layer = C.build_layer(keras, meta["class_name"], meta["kwargs"])
    n_w = len(meta["weight_shapes"])
    ws = [DATA[f"{key}/w{i}"] for i in range(n_w)]
    layer.build(tuple(meta["input_shape"]))
    assert [list(w.shape) for w in layer.weights] == meta["weight_shapes"]
    assert [w.path.split("/")[-1] for w in layer.weights] == \
        [p.split("/")[-1] for p in meta["weight_paths"]]
    assert list(layer.compute_output_shape(tuple(meta["input_shape"]))) == meta["output_shape"]
    assert _plain_config(layer.get_config()) == _plain_config(meta["config"])
    layer.set_weights(ws)
    fn = layer_with_weights(layer)
    leaves = [watch(x)] + [watch(w) for w in ws]
    y = fn(*leaves)
    _close(y.value, DATA[f"{key}/y"], f"{name}: forward")
    grads = gradients(y, leaves, upstream=DATA[f"{key}/u"])
    _close(grads[0], DATA[f"{key}/gx"], f"{name}: input gradient")
    for i in range(n_w):
        _close(grads[1 + i], DATA[f"{key}/gw{i}"], f"{name}: gradient of weight {i}")
    # the config rebuilds the same layer
    again = type(layer).from_config(layer.get_config())
    assert _plain_config(again.get_config()) == _plain_config(layer.get_config())


@pytest.mark.parametrize("name", [c[0] for c in C.OP_CASES])
def test_op_matches_keras(name):
    meta = META["ops"][name]
    key = f"op/{name}"
    args = [DATA[f"{key}/a{i}"] for i in range(len(meta["shapes"]))]
    leaves = [watch(a) for a in args]
    y = getattr(keras.ops, meta["op"])(*leaves, **meta["kwargs"])
    _close(y.value, DATA[f"{key}/y"], f"{name}: forward")
    grads = gradients(y, leaves, upstream=DATA[f"{key}/u"])
    for i, g in enumerate(grads):
        _close(g, DATA[f"{key}/g{i}"], f"{name}: gradient of argument {i}")


@pytest.mark.parametrize("name", [c["name"] for c in C.MODEL_CASES])
def test_training_trajectory_matches_keras(name):
    meta = META["models"][name]
    case = meta["case"]
    key = f"model/{name}"
    keras.utils.set_random_seed(0)
    model = C.build_model(keras, case)
    n = len(meta["weight_paths"])
    C.set_weights(model, [DATA[f"{key}/w0_{i}"] for i in range(n)])
    assert [list(layer.output.shape) for layer in model.layers] == meta["output_shapes"]
    hist = model.fit(DATA[f"{key}/x"], DATA[f"{key}/y"], epochs=C.EPOCHS, batch_size=C.BATCH,
                     shuffle=False, verbose=0)
    assert sorted(hist.history) == sorted(meta["history"])
    for k, values in meta["history"].items():
        _close(hist.history[k], values, f"{name}: history[{k!r}]", rtol=2e-4)
    w1 = [w for layer in model.layers for w in layer.get_weights()]
    for i, w in enumerate(w1):
        _close(w, DATA[f"{key}/w1_{i}"], f"{name}: final weight {i}", rtol=2e-4, atol=2e-5)
    _close(model.predict(DATA[f"{key}/x"], verbose=0), DATA[f"{key}/pred"],
           f"{name}: predictions", rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("name", [c[0] for c in C.MASK_CASES])
def test_masked_global_average_pooling_matches_keras(name):
    meta = META["masked"][name]
    key = f"masked/{name}"
    layer = keras.layers.GlobalAveragePooling1D(**meta["kwargs"])
    assert layer.supports_masking
    x = watch(DATA[f"{key}/x"])
    y = layer(x, mask=DATA[f"{key}/mask"])
    _close(y.value, DATA[f"{key}/y"], f"{name}: forward")
    (gx,) = gradients(y, [x], upstream=DATA[f"{key}/u"])
    _close(gx, DATA[f"{key}/gx"], f"{name}: input gradient")
