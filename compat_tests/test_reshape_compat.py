"""The reshaping layers against real Keras 3 (fixtures/reshape_k3.*, written by
generate_reshape_fixtures.py; cases in cases_reshape.py).

For every layer case: forward value, gradient for Keras' random upstream gradient, config
and compute_output_shape equal Keras'. For every error case: the same exception type at
the same stage (constructor or call). For every training case: the same model from the same
initial weights gives Keras' History, final weights, predictions and evaluate()."""

import json
import os
import re
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import minikeras as keras  # noqa: E402
from minikeras.autodiff.tensor import gradients, watch  # noqa: E402

import cases_reshape  # noqa: E402

with open(os.path.join(HERE, "fixtures", "reshape_k3.json")) as _f:
    META = json.load(_f)
ARRAYS = np.load(os.path.join(HERE, "fixtures", "reshape_k3.npz"))
LAYERS = META["sections"]["layers"]["cases"]
ERRORS = META["sections"]["errors"]["cases"]
TRAINING = META["sections"]["training"]["cases"]


def _plain(v):
    """Tuples as lists, as a config looks after JSON."""
    return json.loads(json.dumps(v))


def test_every_case_has_a_fixture():
    assert set(LAYERS) == set(cases_reshape.LAYER_CASES)
    assert set(ERRORS) == set(cases_reshape.ERROR_CASES)
    assert set(TRAINING) == set(cases_reshape.TRAIN_CASES)
    for name, meta in TRAINING.items():
        assert meta["case"] == _plain(cases_reshape.TRAIN_CASES[name]), f"{name} is stale"


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_forward_gradient_config_shape(name):
    meta = LAYERS[name]
    a = {k.split("/")[2]: ARRAYS[k] for k in ARRAYS.files if k.startswith(f"layers/{name}/")}
    layer = getattr(keras.layers, meta["class"])(**meta["kwargs"])
    x = watch(a["x"])
    y = layer(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), a["y"], rtol=1e-5, atol=1e-6)
    if "grad" in a:
        (grad,) = gradients(y, [x], upstream=a["g"])
        np.testing.assert_allclose(grad, a["grad"], rtol=1e-5, atol=1e-5)
    assert list(layer.compute_output_shape((None,) + tuple(meta["shape"]))) == \
        meta["output_shape"]
    ours = _plain(layer.get_config())
    theirs = dict(meta["config"])
    for key in ("name", "dtype"):
        ours.pop(key), theirs.pop(key)
    assert ours == theirs


@pytest.mark.parametrize("name", sorted(n for n in LAYERS if n.startswith("sdrop")))
def test_spatial_dropout_drops_whole_channels_like_keras(name):
    meta = LAYERS[name]
    x, keras_train = ARRAYS[f"layers/{name}/x"], ARRAYS[f"layers/{name}/y_train"]
    rate = meta["kwargs"]["rate"]
    channel_axis = 1 if meta["kwargs"].get("data_format") == "channels_first" else -1
    layer = getattr(keras.layers, meta["class"])(**meta["kwargs"])
    ours = layer(x, training=True).numpy()
    for out in (keras_train, ours):
        kept = np.isclose(out, x / (1 - rate), rtol=1e-6)
        dropped = out == 0
        assert (kept | dropped).all()
        # per (sample, channel), all kept or all dropped
        per_channel = np.moveaxis(kept, channel_axis, 1).reshape(x.shape[0],
                                                                 x.shape[channel_axis], -1)
        assert (per_channel.all(axis=2) | ~per_channel.any(axis=2)).all()
        assert per_channel.all(axis=2).any() and (~per_channel.any(axis=2)).any()


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_input_raises_like_keras(name):
    meta = ERRORS[name]
    cls = getattr(keras.layers, meta["class"])
    expected = {"ValueError": ValueError, "TypeError": TypeError}[meta["error"]]
    if meta["stage"] == "init":
        with pytest.raises(expected):
            cls(**meta["kwargs"])
        return
    layer = cls(**meta["kwargs"])
    shape = tuple(meta["shape"])
    with pytest.raises(expected, match=f"{layer.name}"):
        layer(np.zeros((2,) + shape, np.float32))
    with pytest.raises(expected, match=re.escape(str((None,) + shape))):
        cls(**meta["kwargs"])(keras.Input(shape))


@pytest.mark.parametrize("name", sorted(TRAINING))
def test_training_trajectory(name):
    meta = TRAINING[name]
    case = cases_reshape.TRAIN_CASES[name]
    a = {k.split("/")[2]: ARRAYS[k] for k in ARRAYS.files if k.startswith(f"training/{name}/")}
    model = cases_reshape.build_model(keras, case)
    n = len(model.weights)
    assert n == len(meta["weight_names"])
    model.set_weights([a[f"w0_{i}"] for i in range(n)])
    hist = model.fit(a["x"], a["y"], shuffle=False, verbose=0, **case["fit"])
    assert set(hist.history) == set(meta["history"])
    for key, values in meta["history"].items():
        np.testing.assert_allclose(hist.history[key], values, rtol=1e-4, atol=1e-6,
                                   err_msg=key)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, a[f"w1_{i}"], rtol=1e-4, atol=1e-6, err_msg=f"w{i}")
    np.testing.assert_allclose(model.predict(a["x"], verbose=0), a["pred"], rtol=1e-4,
                               atol=1e-6)
    ev = model.evaluate(a["x"], a["y"], verbose=0, return_dict=True)
    assert set(ev) == set(meta["evaluate"])
    for key, value in meta["evaluate"].items():
        np.testing.assert_allclose(ev[key], value, rtol=1e-4, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("rel", ["reshape_k3/model.keras", "reshape_k3/model.h5",
                                 "reshape_k2/model.h5"])
def test_loads_files_written_by_keras(rel, tmp_path):
    """Files written by generate_reshape_files.py (Keras 3 and tf_keras): they load, predict
    what Keras predicted, train on, and save again."""
    folder, name = rel.split("/")
    path = os.path.join(HERE, "files", folder, name)
    data = np.load(os.path.join(HERE, "files", folder, "data.npz"))
    model = keras.models.load_model(path)
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["pred"], rtol=1e-5,
                               atol=1e-6)
    model.fit(data["x"], data["y"], epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / name)
    again = keras.models.load_model(tmp_path / name)
    np.testing.assert_array_equal(again.predict(data["x"], verbose=0),
                                  model.predict(data["x"], verbose=0))


def test_loads_weights_file_written_by_keras3():
    sys.path.insert(0, HERE)
    from generate_reshape_files import build

    data = np.load(os.path.join(HERE, "files", "reshape_k3", "data.npz"))
    model = build(keras)
    model.load_weights(os.path.join(HERE, "files", "reshape_k3", "model.weights.h5"))
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["pred"], rtol=1e-5,
                               atol=1e-6)


with open(os.path.join(HERE, "fixtures", "reshape_k2.json")) as _f:
    K2_META = json.load(_f)
K2_ARRAYS = np.load(os.path.join(HERE, "fixtures", "reshape_k2.npz"))


@pytest.mark.parametrize("name", sorted(cases_reshape.BACKEND_CASES))
def test_keras2_backend_functions(name):
    """K.temporal_padding, K.spatial_*_padding, K.resize_images/volumes against tf_keras:
    values and d sum(y * g) / dx."""
    from minikeras import backend as K

    meta = K2_META["sections"]["backend"]["cases"][name]
    assert meta["expr"] == cases_reshape.BACKEND_CASES[name][0]
    a = {k.split("/")[2]: K2_ARRAYS[k] for k in K2_ARRAYS.files
         if k.startswith(f"backend/{name}/")}
    x = watch(a["x"])
    y = eval(meta["expr"], {"K": K, "x": x})  # noqa: S307 - the case table's expressions
    np.testing.assert_allclose(y.numpy(), a["y"], rtol=1e-5, atol=1e-6)
    (grad,) = gradients(y, [x], upstream=a["g"])
    np.testing.assert_allclose(grad, a["grad"], rtol=1e-5, atol=1e-5)
