"""The image preprocessing layers: training/inference behaviour, the distribution of the
random draws, reproducibility, gradients, errors and saving. Values against real Keras are
in compat_tests/test_imgaug_compat.py."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from tests.gradcheck import check_gradients, layer_fn

RANDOM = [
    lambda **k: layers.RandomFlip(**k),
    lambda **k: layers.RandomRotation(0.2, **k),
    lambda **k: layers.RandomZoom(0.3, **k),
    lambda **k: layers.RandomTranslation(0.2, 0.3, **k),
    lambda **k: layers.RandomContrast(0.5, **k),
    lambda **k: layers.RandomBrightness(0.3, **k),
    lambda **k: layers.RandomCrop(4, 5, **k),
]


def _images(n=3, h=6, w=7, c=2, seed=0):
    return (np.random.RandomState(seed).uniform(size=(n, h, w, c)) * 255).astype("float32")


class _Fixed:
    """A generator stub whose `uniform` always returns the same draws."""

    def __init__(self, draws):
        self.draws = np.asarray(draws, dtype=np.float64)
        self.calls = []

    def uniform(self, low=0.0, high=1.0, size=None):
        self.calls.append((low, high, size))
        if size is None:
            return float(self.draws[0])
        return self.draws[:size].copy()


class _Spy:
    """Records the (low, high, size) of every draw, and draws from a real generator."""

    def __init__(self, seed=0):
        self.rng = np.random.RandomState(seed)
        self.calls = []

    def uniform(self, low=0.0, high=1.0, size=None):
        self.calls.append((low, high, size))
        return self.rng.uniform(low, high, size)


@pytest.mark.parametrize("make", RANDOM)
def test_random_layers_transform_in_training_only(make):
    x = _images()
    layer = make(seed=1)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    for y in (layer(x, training=True), layer(x)):  # (Keras 3: no flag means True here)
        y = np.asarray(y)
        assert y.shape != x.shape or not np.array_equal(y, x)


def test_model_call_augments_predict_and_evaluate_do_not():
    x = _images(n=4)
    model = keras.Sequential([keras.Input((6, 7, 2)), layers.RandomRotation(0.3, seed=2),
                              layers.RandomFlip(seed=3)])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    np.testing.assert_array_equal(np.asarray(model(x, training=False)), x)
    assert not np.allclose(np.asarray(model(x)), x)  # Keras 3: model(x) augments
    model.compile("sgd", "mse")
    assert model.evaluate(x, x, verbose=0) == 0.0


def test_fit_sees_augmented_images():
    seen = []

    class Probe(layers.Layer):
        def call(self, inputs, training=False):
            seen.append((training, np.array(inputs)))
            return inputs

    x = _images(n=4)
    model = keras.Sequential([keras.Input((6, 7, 2)), layers.RandomFlip(seed=3), Probe(),
                              layers.Flatten(), layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(x, np.zeros((4, 1)), batch_size=4, epochs=3, shuffle=False, verbose=0)
    train = [v for t, v in seen if t]
    assert len(train) == 3 and any(not np.array_equal(v, x) for v in train)


def test_flip_frequency_and_per_image_draws():
    x = np.tile(np.arange(2, dtype="float32").reshape(1, 1, 2, 1), (4000, 1, 1, 1))
    y = np.asarray(layers.RandomFlip("horizontal", seed=5)(x, training=True))
    flipped = y[:, 0, 0, 0] == 1
    assert 0.46 < flipped.mean() < 0.54  # each image its own coin
    v = np.asarray(layers.RandomFlip("vertical", seed=5)(x.transpose(0, 2, 1, 3),
                                                        training=True))
    assert 0.46 < (v[:, 0, 0, 0] == 1).mean() < 0.54


@pytest.mark.parametrize("make, expected", [
    (lambda: layers.RandomRotation(0.1), [(-36.0, 36.0, 5)]),
    (lambda: layers.RandomRotation((-0.2, 0.05)), [(-72.0, 18.0, 5)]),
    (lambda: layers.RandomZoom(0.2), [(0.8, 1.2, 5)]),
    (lambda: layers.RandomZoom((-0.3, 0.1), (0.2, 0.4)), [(0.7, 1.1, 5), (1.2, 1.4, 5)]),
    (lambda: layers.RandomTranslation(0.1, (-0.2, 0.3)), [(-0.1, 0.1, 5), (-0.2, 0.3, 5)]),
    (lambda: layers.RandomContrast(0.4), [(1.0, 1.4, 5)]),  # Keras 3.15: (0, f)
    (lambda: layers.RandomContrast((0.2, 0.5)), [(0.8, 1.5, 5)]),
    (lambda: layers.RandomBrightness(0.3), [(-0.3, 0.3, 5)]),
])
def test_draw_ranges(make, expected):
    layer = make()
    layer._rng = _Spy()
    layer(_images(n=5), training=True)
    assert len(layer._rng.calls) == len(expected)
    for (lo, hi, size), (elo, ehi, esize) in zip(layer._rng.calls, expected):
        assert np.isclose(lo, elo) and np.isclose(hi, ehi) and size == esize


def test_brightness_and_zoom_spread_over_their_range():
    x = np.full((3000, 1, 1, 1), 100.0, dtype="float32")
    y = np.asarray(layers.RandomBrightness(0.2, seed=1)(x, training=True)).ravel() - 100
    assert -51.0 <= y.min() < -45 and 45 < y.max() <= 51.0  # delta = f * 255, f in ±0.2
    ones = np.ones((400, 9, 9, 1), dtype="float32")
    z = np.asarray(layers.RandomZoom((0.2, 0.6), fill_mode="constant", seed=2)(
        ones, training=True))
    filled = 1 - z.mean(axis=(1, 2, 3))  # zooming out by z leaves about 1 - 1/z² empty
    assert 0.2 < filled.min() and filled.max() < 0.65 and filled.std() > 0.03


def test_rotation_draws_differ_per_image():
    x = np.repeat(_images(n=1), 4, axis=0)
    y = np.asarray(layers.RandomRotation(0.2, seed=3)(x, training=True))
    assert all(not np.allclose(y[0], y[i]) for i in range(1, 4))


@pytest.mark.parametrize("make", RANDOM)
def test_seeded_layers_repeat_bit_for_bit(make):
    x = _images()
    a, b = make(seed=11), make(seed=11)
    ya1, ya2 = np.asarray(a(x, training=True)), np.asarray(a(x, training=True))
    np.testing.assert_array_equal(ya1, np.asarray(b(x, training=True)))
    np.testing.assert_array_equal(ya2, np.asarray(b(x, training=True)))


def test_unseeded_layers_follow_set_random_seed():
    x = _images()
    outs = []
    for _ in range(2):
        keras.utils.set_random_seed(4)
        layer = layers.RandomRotation(0.3)
        outs.append(np.asarray(layer(x, training=True)))
    np.testing.assert_array_equal(outs[0], outs[1])


def test_random_crop_one_window_per_batch_within_the_image():
    x = np.arange(2 * 9 * 10, dtype="float32").reshape(2, 9, 10, 1)
    starts = set()
    layer = layers.RandomCrop(4, 5, seed=0)
    for _ in range(60):
        y = np.asarray(layer(x, training=True))
        h0, w0 = divmod(int(y[0, 0, 0, 0]), 10)
        np.testing.assert_array_equal(y[0], x[0, h0:h0 + 4, w0:w0 + 5])
        np.testing.assert_array_equal(y[1], x[1, h0:h0 + 4, w0:w0 + 5])
        starts.add((h0, w0))
    assert {h for h, _ in starts} == set(range(6)) and {w for _, w in starts} == set(range(6))


GRAD_CASES = [
    ("flip", lambda: layers.RandomFlip(), [0.2, 0.8]),
    ("rotation_reflect", lambda: layers.RandomRotation(0.2), [0.3, -0.4]),
    ("rotation_constant_nearest", lambda: layers.RandomRotation(
        0.2, fill_mode="constant", interpolation="nearest", fill_value=2.0), [0.3, -0.4]),
    ("zoom_wrap", lambda: layers.RandomZoom(0.3, fill_mode="wrap"), [0.77, 1.21]),
    ("translation_nearest", lambda: layers.RandomTranslation(0.3, 0.3,
                                                             fill_mode="nearest"),
     [0.13, -0.21]),
    ("contrast", lambda: layers.RandomContrast(0.5, value_range=(-1e3, 1e3)), [1.3, 0.7]),
    ("brightness", lambda: layers.RandomBrightness(0.5, value_range=(-1e3, 1e3)),
     [0.01, -0.02]),
    ("crop_random", lambda: layers.RandomCrop(3, 4), [1.5]),
    ("crop_resize", lambda: layers.RandomCrop(7, 5), [0.0]),
    ("resize_bilinear", lambda: layers.Resizing(4, 9), None),
    ("resize_bicubic_pad", lambda: layers.Resizing(4, 4, interpolation="bicubic",
                                                   pad_to_aspect_ratio=True,
                                                   fill_value=1.0), None),
    ("resize_nearest_crop", lambda: layers.Resizing(3, 3, interpolation="nearest",
                                                    crop_to_aspect_ratio=True), None),
    ("centercrop_larger", lambda: layers.CenterCrop(7, 9), None),
    ("centercrop_cf", lambda: layers.CenterCrop(3, 2, data_format="channels_first"), None),
]


@pytest.mark.parametrize("name, make, draws", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradients_float64(name, make, draws):
    keras.config.set_floatx("float64")
    try:
        layer = make()
        if draws is not None:
            layer._rng = _Fixed(draws)
        x = np.random.RandomState(1).normal(size=(2, 5, 6, 3)) * 10
        check_gradients(layer_fn(layer, training=True), [x])
    finally:
        keras.config.set_floatx("float32")


def test_gradient_through_augmentation_after_a_trainable_layer():
    keras.config.set_floatx("float64")
    try:
        dense = layers.Dense(30)
        rot = layers.RandomRotation(0.2, fill_mode="constant")
        rot._rng = _Fixed([0.31, -0.2])
        reshape = layers.Reshape((5, 6, 1))
        dense.build((None, 4))

        def fn(x, kernel):
            dense.kernel.value = kernel.value
            y = rot(reshape(dense(x)), training=True)
            from tests.gradcheck import _rebind
            return _rebind(y, [dense.kernel], [kernel])

        check_gradients(fn, [np.random.RandomState(2).normal(size=(2, 4)),
                             np.random.RandomState(3).normal(size=(4, 30))])
    finally:
        keras.config.set_floatx("float32")


@pytest.mark.parametrize("bad", [np.zeros((2, 3)), np.zeros((1, 2, 3, 4, 5))])
@pytest.mark.parametrize("make", RANDOM + [lambda **k: layers.Resizing(2, 2),
                                           lambda **k: layers.CenterCrop(2, 2)])
def test_wrong_rank_is_a_value_error(make, bad):
    with pytest.raises(ValueError, match="rank 3 .* or 4"):
        make()(bad, training=True)


def test_bad_arguments():
    with pytest.raises(ValueError, match="height"):
        layers.Resizing(0, 3)
    with pytest.raises(ValueError, match="Only one of|only one of"):
        layers.Resizing(3, 3, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="fill_mode"):
        layers.Resizing(3, 3, fill_mode="reflect")
    with pytest.raises(ValueError, match="seed"):
        layers.RandomFlip(seed="abc")
    with pytest.raises(ValueError, match="factor"):
        layers.RandomRotation("big")
    with pytest.raises(ValueError, match="data_format"):
        layers.RandomZoom(0.1, data_format="channels_middle")


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_save_and_load_round_trip(tmp_path, suffix):
    model = keras.Sequential([
        keras.Input((8, 8, 3)), layers.RandomFlip("vertical", seed=1),
        layers.RandomRotation((-0.1, 0.2), fill_mode="wrap", seed=2),
        layers.RandomZoom(0.1, (0.1, 0.3), interpolation="nearest"),
        layers.RandomTranslation(0.1, 0.2, fill_mode="constant", fill_value=1.0),
        layers.RandomContrast((0.1, 0.3)), layers.RandomBrightness(0.2, value_range=(0, 1)),
        layers.RandomCrop(7, 7, seed=3),
        layers.Resizing(6, 6, interpolation="bicubic", pad_to_aspect_ratio=True),
        layers.CenterCrop(5, 5), layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(2)])
    x = _images(n=2, h=8, w=8, c=3)
    path = str(tmp_path / f"m{suffix}")
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    import json

    for a, b in zip(model.layers, again.layers):  # (tuples come back as lists)
        assert json.dumps(a.get_config()) == json.dumps(b.get_config())


def test_summary_rows(capsys):
    model = keras.Sequential([keras.Input((8, 8, 3)), layers.RandomFlip(),
                              layers.Resizing(4, 5), layers.CenterCrop(3, 3)])
    model.summary()
    out = capsys.readouterr().out
    assert "random_flip" in out and "(RandomFlip)" in out and "(None, 8, 8, 3)" in out
    assert "(None, 4, 5, 3)" in out and "(None, 3, 3, 3)" in out


def test_deserialize_by_name():
    layer = keras.layers.deserialize({"class_name": "RandomZoom",
                                      "config": {"height_factor": [0.1, 0.2]}})
    assert isinstance(layer, layers.RandomZoom) and layer.height_factor == [0.1, 0.2]
