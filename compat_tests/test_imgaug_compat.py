"""The image preprocessing layers against real Keras 3 (fixtures/imgaug_k3.*, written by
generate_imgaug_fixtures.py; cases in cases_imgaug.py).

For every case: the output, config and compute_output_shape equal Keras'. For every error
case: the same exception type. The model files Keras wrote load in minikeras and predict
Keras' values."""

import json
import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import minikeras as keras  # noqa: E402

import cases_imgaug  # noqa: E402

with open(os.path.join(HERE, "fixtures", "imgaug_k3.json")) as _f:
    META = json.load(_f)
ARRAYS = np.load(os.path.join(HERE, "fixtures", "imgaug_k3.npz"))
INPUTS = {k.split("__", 1)[1]: ARRAYS[k] for k in ARRAYS.files if k.startswith("input__")}
FILES = os.path.join(HERE, "files", "imgaug_k3")


class _ForcedDraws:
    """Stands in for the layer's generator: `uniform` returns the case's draws."""

    def __init__(self, draws):
        self.draws = np.asarray(draws, dtype=np.float64)

    def uniform(self, low=0.0, high=1.0, size=None):
        return self.draws[:size].copy()


def _jsonable(obj):
    return json.loads(json.dumps(obj, default=lambda o: o.tolist() if hasattr(o, "tolist")
                                 else list(o)))


def test_the_inputs_are_the_cases_inputs():
    for k, v in cases_imgaug.inputs().items():
        np.testing.assert_array_equal(INPUTS[k], v)


@pytest.mark.parametrize("case", cases_imgaug.CASES, ids=[c[0] for c in cases_imgaug.CASES])
def test_layer_output_config_and_shape(case):
    name, cls, kwargs, inp, training, draws = case
    assert name in META["cases"], "regenerate the fixtures"
    ref = META["cases"][name]
    layer = getattr(keras.layers, cls)(**kwargs)
    if draws is not None:
        layer._rng = _ForcedDraws(draws)
    x = INPUTS[inp]
    y = np.asarray(layer(x, training=training))
    expected = ARRAYS[f"{name}__y"]
    assert y.shape == expected.shape
    assert y.dtype == np.float32
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=2e-5 * scale)
    # config: every key Keras writes, with Keras' values (name and dtype aside)
    cfg = _jsonable(layer.get_config())
    for key, value in ref["config"].items():
        if key in ("name", "dtype"):
            continue
        assert key in cfg, key
        assert cfg[key] == value, (key, cfg[key], value)
    shape = (None,) + x.shape[1:] if x.ndim == 4 else x.shape
    assert list(layer.compute_output_shape(shape)) == ref["output_shape"]
    # and the config rebuilds an equal layer
    again = type(layer).from_config(layer.get_config())
    assert _jsonable(again.get_config()) == {**cfg, "name": again.name}


@pytest.mark.parametrize("case", cases_imgaug.ERRORS, ids=[c[0] for c in cases_imgaug.ERRORS])
def test_construction_errors(case):
    name, cls, kwargs = case
    ref = META["errors"][name]
    assert ref is not None
    exc = {"ValueError": ValueError, "NotImplementedError": NotImplementedError}[ref["type"]]
    with pytest.raises(exc) as info:
        getattr(keras.layers, cls)(**kwargs)
    # ours is always a ValueError too, and names the argument
    assert isinstance(info.value, ValueError)
    assert any(word in str(info.value) for word in ("factor", "value_range", "fill_mode",
                                                    "interpolation"))


def test_unknown_fill_mode_suggests_the_closest_name():
    with pytest.raises(ValueError, match="Did you mean 'reflect'"):
        keras.layers.RandomRotation(0.1, fill_mode="refelct")
    with pytest.raises(ValueError, match="Did you mean 'bilinear'"):
        keras.layers.Resizing(4, 4, interpolation="bilnear")
    flip = keras.layers.RandomFlip("horizontl")  # Keras accepts it (and never flips)
    with pytest.raises(ValueError, match="Did you mean 'horizontal'"):
        flip(np.zeros((1, 2, 2, 1)), training=True)


@pytest.mark.parametrize("suffix", ["keras", "h5"])
def test_keras_written_model_file_predicts_keras_values(suffix):
    model = keras.models.load_model(os.path.join(FILES, f"model.{suffix}"))
    names = [type(layer).__name__ for layer in model.layers]
    assert "RandomRotation" in names and "Resizing" in names and "Conv2D" in names
    y = model.predict(ARRAYS["model__x"], verbose=0)
    np.testing.assert_allclose(y, ARRAYS[f"model_{suffix}__predict"], rtol=1e-5, atol=1e-5)
    # configs of the image layers equal Keras' (name/dtype aside)
    ref = META["model_configs"][suffix]["layers"]
    ours = _jsonable(model.get_config())["layers"]
    assert [r["class_name"] for r in ref] == [o["class_name"] for o in ours]
    image_layers = {cls.__name__ for cls in keras.layers.preprocessing_image.CLASSES}
    for r, o in zip(ref, ours):
        if r["class_name"] not in image_layers:
            continue
        for key, value in r["config"].items():
            if key not in ("name", "dtype"):
                assert o["config"].get(key) == value, (r["class_name"], key)
