"""The reshaping layers (ZeroPadding, Cropping, UpSampling, RepeatVector, Permute,
SpatialDropout): float64 gradient checks of every layer option (random direction, random
upstream gradient), behaviour against NumPy, configs (Keras 3 and Keras 2 forms), file round
trips and bad input. Values and gradients against real Keras 3 are in
compat_tests/test_reshape_compat.py."""

import numpy as np
import pytest

import minikeras as keras
from minikeras.autodiff import spatial
from tests.gradcheck import check_gradients, layer_fn

L = keras.layers


def arr(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


GRAD_CASES = {
    "zp1d": (lambda: L.ZeroPadding1D((2, 1)), (2, 3, 2)),
    "zp1d_cf": (lambda: L.ZeroPadding1D(1, data_format="channels_first"), (2, 3, 2)),
    "zp2d": (lambda: L.ZeroPadding2D(((1, 0), (0, 2))), (2, 3, 2, 2)),
    "zp2d_cf": (lambda: L.ZeroPadding2D((1, 2), data_format="channels_first"), (2, 2, 3, 2)),
    "zp3d": (lambda: L.ZeroPadding3D(((1, 0), (0, 1), (1, 1))), (1, 2, 2, 2, 2)),
    "zp3d_cf": (lambda: L.ZeroPadding3D(1, data_format="channels_first"), (1, 2, 2, 1, 2)),
    "crop1d": (lambda: L.Cropping1D((1, 2)), (2, 5, 2)),
    "crop2d": (lambda: L.Cropping2D(((1, 0), (1, 2))), (2, 3, 5, 2)),
    "crop2d_cf": (lambda: L.Cropping2D(1, data_format="channels_first"), (2, 2, 4, 3)),
    "crop3d": (lambda: L.Cropping3D(((0, 1), (1, 0), (0, 0))), (1, 3, 3, 2, 2)),
    "crop3d_cf": (lambda: L.Cropping3D(((1, 0), (0, 1), (1, 1)),
                                       data_format="channels_first"), (1, 2, 3, 2, 3)),
    "up1d": (lambda: L.UpSampling1D(3), (2, 3, 2)),
    "up2d": (lambda: L.UpSampling2D((2, 3)), (2, 2, 3, 2)),
    "up2d_cf": (lambda: L.UpSampling2D(2, data_format="channels_first"), (2, 2, 2, 3)),
    "up2d_bilinear": (lambda: L.UpSampling2D((3, 2), interpolation="bilinear"), (2, 3, 2, 2)),
    "up2d_bilinear_cf": (lambda: L.UpSampling2D(2, data_format="channels_first",
                                                interpolation="bilinear"), (1, 2, 3, 2)),
    "up2d_bicubic": (lambda: L.UpSampling2D(2, interpolation="bicubic"), (1, 4, 3, 1)),
    "up2d_lanczos3": (lambda: L.UpSampling2D(2, interpolation="lanczos3"), (1, 3, 4, 1)),
    "up2d_lanczos5": (lambda: L.UpSampling2D((2, 1), interpolation="lanczos5"), (1, 3, 2, 1)),
    "up3d": (lambda: L.UpSampling3D((1, 2, 2)), (1, 2, 2, 2, 2)),
    "up3d_cf": (lambda: L.UpSampling3D(2, data_format="channels_first"), (1, 2, 2, 1, 2)),
    "repeat_vector": (lambda: L.RepeatVector(4), (3, 5)),
    "permute_21": (lambda: L.Permute((2, 1)), (2, 3, 4)),
    "permute_312": (lambda: L.Permute((3, 1, 2)), (2, 3, 4, 2)),
    "sdrop1d_inference": (lambda: L.SpatialDropout1D(0.5), (2, 3, 4)),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradients(name, float64):
    make, shape = GRAD_CASES[name]
    check_gradients(layer_fn(make()), [arr(*shape)])


@pytest.mark.parametrize("cls, shape, kwargs", [
    (L.SpatialDropout1D, (3, 4, 5), {}),
    (L.SpatialDropout2D, (2, 3, 2, 5), {}),
    (L.SpatialDropout2D, (2, 5, 3, 2), {"data_format": "channels_first"}),
    (L.SpatialDropout3D, (2, 2, 2, 2, 5), {}),
])
def test_spatial_dropout_gradient_in_training(cls, shape, kwargs, float64):
    # a fresh seeded layer per evaluation keeps the mask fixed across the finite differences
    def fn(x):
        return cls(0.4, seed=5, **kwargs)(x, training=True)
    check_gradients(fn, [arr(*shape)])


def test_primitives_directly(float64):
    check_gradients(lambda x: spatial.pad(x, ((1, 0), (0, 2), (1, 1))), [arr(2, 3, 2)])
    check_gradients(lambda x: spatial.crop(x, ((0, 1), (1, 1), (0, 0))), [arr(2, 4, 2)])
    check_gradients(lambda x: spatial.repeat_axes(x, {0: 2, 2: 3}), [arr(2, 3, 2)])
    w = spatial.resize_weights(3, 7, "bilinear")
    check_gradients(lambda x: spatial.resize_separable(x, {1: w}), [arr(2, 3, 2)])


# --- behaviour against NumPy --------------------------------------------------------------

def test_values_against_numpy():
    x = arr(2, 3, 4, 2).astype("float32")
    np.testing.assert_array_equal(L.ZeroPadding2D(((1, 0), (2, 1)))(x).numpy(),
                                  np.pad(x, ((0, 0), (1, 0), (2, 1), (0, 0))))
    np.testing.assert_array_equal(L.Cropping2D(((1, 0), (1, 2)))(x).numpy(), x[:, 1:, 1:2])
    np.testing.assert_array_equal(L.UpSampling2D((2, 3))(x).numpy(),
                                  x.repeat(2, axis=1).repeat(3, axis=2))
    np.testing.assert_array_equal(L.Permute((3, 1, 2))(x).numpy(), x.transpose(0, 3, 1, 2))
    v = arr(3, 4).astype("float32")
    np.testing.assert_array_equal(L.RepeatVector(2)(v).numpy(), np.stack([v, v], axis=1))
    cf = L.ZeroPadding2D(1, data_format="channels_first")(x).numpy()
    np.testing.assert_array_equal(cf, np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))))


def test_bilinear_weights_rows_sum_to_one_and_interpolate():
    w = spatial.resize_weights(4, 8, "bilinear")
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    # output pixel 1 samples at (1.5 / 2) - 0.5 = 0.25: 3/4 of pixel 0, 1/4 of pixel 1
    np.testing.assert_allclose(w[1, :2], [0.75, 0.25])
    np.testing.assert_allclose(w[0, :1], [1.0])  # past the border: renormalised


def test_image_data_format_is_the_default():
    keras.config.set_image_data_format("channels_first")
    try:
        layer = L.ZeroPadding2D(1)
    finally:
        keras.config.set_image_data_format("channels_last")
    assert layer.data_format == "channels_first"
    assert layer(np.zeros((1, 2, 3, 3), "float32")).shape == (1, 2, 5, 5)


def test_spatial_dropout_training_only_and_inverted_scaling():
    x = np.ones((50, 4, 20), "float32")
    layer = L.SpatialDropout1D(0.25, seed=1)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    out = layer(x, training=True).numpy()
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.75)}
    per_channel = out[:, 0, :]
    assert (out == per_channel[:, None, :]).all()  # the same over every step
    assert abs((per_channel == 0).mean() - 0.25) < 0.06
    model = keras.Sequential([keras.Input((4, 20)), L.SpatialDropout1D(0.5)])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    np.testing.assert_array_equal(L.SpatialDropout2D(0.0)(x[..., None], training=True).numpy(),
                                  x[..., None])


def test_default_names_follow_keras():
    assert L.ZeroPadding2D().name == "zero_padding2d"
    assert L.UpSampling1D().name == "up_sampling1d"
    assert L.SpatialDropout3D(0.1).name == "spatial_dropout3d"
    assert L.Cropping2D().name == "cropping2d"


# --- configs ------------------------------------------------------------------------------

CONFIG_CASES = [
    lambda: L.ZeroPadding1D((1, 2), data_format="channels_first"),
    lambda: L.ZeroPadding2D(((1, 0), (2, 1))),
    lambda: L.ZeroPadding3D(2, data_format="channels_first"),
    lambda: L.Cropping1D(2),
    lambda: L.Cropping2D((1, 2)),
    lambda: L.Cropping3D(((0, 1), (1, 0), (0, 0))),
    lambda: L.UpSampling1D(3),
    lambda: L.UpSampling2D((1, 2), interpolation="Bilinear"),
    lambda: L.UpSampling3D(2, data_format="channels_first"),
    lambda: L.RepeatVector(3),
    lambda: L.Permute((2, 1)),
    lambda: L.SpatialDropout1D(0.3, seed=2),
    lambda: L.SpatialDropout2D(0.3, data_format="channels_first"),
    lambda: L.SpatialDropout3D(0.1),
]


@pytest.mark.parametrize("make", CONFIG_CASES)
def test_config_round_trip(make):
    layer = make()
    cfg = layer.get_config()
    again = type(layer).from_config(cfg)
    assert again.get_config() == cfg
    by_name = L.deserialize(L.serialize(layer))
    assert type(by_name) is type(layer) and by_name.get_config() == cfg


_POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
           "registered_name": None}


def test_reads_configs_written_by_keras3_and_keras2():
    # Keras 3.15's forms (JSON lists for tuples)
    zp = L.deserialize({"module": "keras.layers", "class_name": "ZeroPadding2D",
                        "registered_name": None,
                        "config": {"name": "zp", "trainable": True, "dtype": _POLICY,
                                   "padding": [[1, 0], [0, 2]],
                                   "data_format": "channels_last"}})
    assert zp.padding == ((1, 0), (0, 2))
    sd = L.deserialize({"class_name": "SpatialDropout2D",
                        "config": {"name": "sd", "dtype": "float32", "rate": 0.4, "seed": 3,
                                   "data_format": "channels_first"}})
    assert sd.rate == 0.4 and sd.data_format == "channels_first"
    # tf_keras 2.21's forms: SpatialDropout with noise_shape/trainable and no data_format,
    # ZeroPadding1D and Cropping1D without data_format
    sd2 = L.deserialize({"class_name": "SpatialDropout2D",
                         "config": {"name": "spatial_dropout2d", "trainable": True,
                                    "dtype": "float32", "rate": 0.2, "noise_shape": None,
                                    "seed": None}})
    assert sd2.data_format == "channels_last" and "noise_shape" not in sd2.get_config()
    zp1 = L.deserialize({"class_name": "ZeroPadding1D",
                         "config": {"name": "zero_padding1d", "trainable": True,
                                    "dtype": "float32", "padding": [1, 1]}})
    assert zp1.padding == (1, 1) and zp1.data_format == "channels_last"
    up = L.deserialize({"class_name": "UpSampling2D",
                        "config": {"name": "up", "trainable": True, "dtype": "float32",
                                   "size": [2, 2], "data_format": "channels_last",
                                   "interpolation": "bilinear"}})
    assert up.size == (2, 2) and up.interpolation == "bilinear"


# --- files --------------------------------------------------------------------------------

def _model():
    inp = keras.Input((4, 5, 2))
    h = L.ZeroPadding2D(((1, 0), (0, 1)))(inp)
    h = L.Cropping2D(((0, 1), (1, 1)))(h)
    h = L.UpSampling2D((1, 2), interpolation="bilinear")(h)
    h = L.SpatialDropout2D(0.2, seed=1)(h)
    h = L.Permute((3, 1, 2))(h)
    h = L.Reshape((2 * 4, 8))(h)
    h = L.Cropping1D((1, 0))(h)
    h = L.ZeroPadding1D(1)(h)
    h = L.UpSampling1D(2)(h)
    h = L.Flatten()(h)
    h = L.Dense(3, activation="tanh")(h)
    h = L.RepeatVector(2)(h)
    h = L.Flatten()(h)
    out = L.Dense(2)(h)
    return keras.Model(inp, out)


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_model_save_load_round_trip(tmp_path, suffix):
    x = arr(16, 4, 5, 2).astype("float32")
    y = arr(16, 2, seed=1).astype("float32")
    model = _model()
    model.compile(keras.optimizers.Adam(0.01), "mse")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / f"m{suffix}"
    model.save(path)
    loaded = keras.models.load_model(path)
    for a, b in zip(model.layers, loaded.layers):
        assert type(a) is type(b) and a.get_config() == b.get_config()
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    loaded.fit(x, y, epochs=1, batch_size=8, verbose=0)


def test_weights_file_round_trip(tmp_path):
    model = _model()
    model.set_weights([arr(*w.shape, seed=3) for w in model.weights])
    model.save_weights(tmp_path / "w.weights.h5")
    other = _model()
    other.load_weights(tmp_path / "w.weights.h5")
    for u, v in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(u, v)


def test_summary_rows(capsys):
    model = keras.Sequential([keras.Input((6, 4)), L.Cropping1D((1, 2)), L.ZeroPadding1D(1),
                              L.UpSampling1D(2), L.Flatten(), L.Dense(3), L.RepeatVector(2),
                              L.Permute((2, 1))])
    model.summary()
    text = capsys.readouterr().out
    for row in ("cropping1d (Cropping1D)", "(None, 3, 4)", "zero_padding1d (ZeroPadding1D)",
                "(None, 5, 4)", "up_sampling1d (UpSampling1D)", "(None, 10, 4)",
                "repeat_vector (RepeatVector)", "(None, 2, 3)", "permute (Permute)",
                "(None, 3, 2)"):
        assert row in text


# --- bad input ----------------------------------------------------------------------------

def test_wrong_rank_names_layer_and_shapes():
    layer = L.Cropping2D(1, data_format="channels_first", name="crop")
    with pytest.raises(ValueError, match=r"'crop' \(Cropping2D\).*ndim=4.*\(batch_size, "
                                         r"channels, height, width\).*\(2, 3, 4\)"):
        layer(np.zeros((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match=r"expected ndim=3.*\(None, 5\)"):
        L.UpSampling1D()(keras.Input((5,)))


def test_cropping_larger_than_input_changes_nothing():
    layer = L.Cropping1D((2, 2))
    x = arr(1, 6, 2).astype("float32")
    np.testing.assert_array_equal(layer(x).numpy(), x[:, 2:4])
    with pytest.raises(ValueError, match=r"cropping.*\(1, 4, 2\).*\(2, 2\)"):
        layer(x[:, :4])
    np.testing.assert_array_equal(layer(x).numpy(), x[:, 2:4])
    with pytest.raises(ValueError, match="cropping"):
        keras.Sequential([keras.Input((3, 3, 1)), L.Cropping2D(((1, 2), (0, 0)))])


def test_model_refuses_wrong_input_before_training():
    model = keras.Sequential([keras.Input((4, 4, 1)), L.ZeroPadding2D(1), L.Flatten(),
                              L.Dense(1)])
    model.compile("sgd", "mse")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError):
        # (a (4, 4, 4) array would be accepted, as Keras adds a missing trailing 1-axis)
        model.fit(np.zeros((4, 4, 4, 2), "float32"), np.zeros((4, 1), "float32"), verbose=0)
    for u, v in zip(before, model.get_weights()):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("make, match", [
    (lambda: L.Permute((1, 1)), "consecutive and start from 1"),
    (lambda: L.Permute((0, 1, 2)), "consecutive and start from 1"),
    (lambda: L.Permute(3), "dims"),
    (lambda: L.ZeroPadding2D((1, 2, 3)), "two elements|2 elements"),
    (lambda: L.ZeroPadding3D(((1, 2), (1,), (0, 0))), "2nd entry of padding"),
    (lambda: L.Cropping2D(-1), "cannot be negative"),
    (lambda: L.Cropping1D((1, -1)), "value >= 0"),
    (lambda: L.UpSampling1D(0), "positive integer"),
    (lambda: L.UpSampling2D((2, 0)), "value > 0"),
    (lambda: L.UpSampling2D(interpolation="bilinar"), "Did you mean 'bilinear'"),
    (lambda: L.UpSampling3D(data_format="channels_middle"), "data_format"),
    (lambda: L.RepeatVector(0), "positive integer"),
    (lambda: L.SpatialDropout1D(1.5), "rate"),
    (lambda: L.SpatialDropout2D(0.5, noise_shape=(1, 1, 1, 2)), "noise_shape"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("make", [lambda: L.UpSampling1D(2.0), lambda: L.RepeatVector("3")])
def test_non_integer_counts_are_type_errors(make):
    with pytest.raises(TypeError):
        make()


def test_legacy_config_leaves_out_zero_padding1d_data_format_for_keras2():
    """tf_keras 2.21 refuses `data_format` on ZeroPadding1D (checked by loading a minikeras
    .h5 with it); channels_last is Keras 3's default, so it is written only otherwise."""
    from minikeras.saving.legacy_h5 import serialize_layer

    assert "data_format" not in serialize_layer(L.ZeroPadding1D())["config"]
    assert "data_format" in L.ZeroPadding1D().get_config()
    cf = L.ZeroPadding1D(data_format="channels_first")
    assert serialize_layer(cf)["config"]["data_format"] == "channels_first"


def test_masks_pass_spatial_dropout_and_stop_at_reshaping_layers():
    """Keras 3: Dropout (so SpatialDropout) supports masking; the reshaping layers do not,
    and drop a mask with a warning."""
    from minikeras.autodiff.masks import get_keras_mask

    ids = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
    emb = L.Embedding(5, 3, mask_zero=True)(ids)
    np.testing.assert_array_equal(get_keras_mask(L.SpatialDropout1D(0.5)(emb)), ids != 0)
    for layer in (L.Cropping1D((1, 0)), L.ZeroPadding1D(1), L.UpSampling1D(2),
                  L.Permute((2, 1))):
        with pytest.warns(UserWarning, match="does not support masking"):
            out = layer(emb)
        assert get_keras_mask(out) is None
    inp = keras.Input((4,))
    h = L.SpatialDropout1D(0.2)(L.Embedding(5, 3, mask_zero=True)(inp))
    assert h._keras_mask is not None


# --- Keras 2's backend functions --------------------------------------------------------

@pytest.mark.parametrize("fn, shape", [
    (lambda K, x: K.temporal_padding(x, (1, 2)), (2, 3, 2)),
    (lambda K, x: K.spatial_2d_padding(x, ((1, 0), (2, 1)), "channels_first"), (1, 2, 2, 3)),
    (lambda K, x: K.spatial_3d_padding(x), (1, 2, 1, 2, 2)),
    (lambda K, x: K.resize_images(x, 2, 1, "channels_last", "bilinear"), (1, 3, 2, 2)),
    (lambda K, x: K.resize_images(x, 1, 3, "channels_first"), (1, 2, 2, 2)),
    (lambda K, x: K.resize_volumes(x, 2, 1, 2, "channels_first"), (1, 2, 2, 1, 2)),
])
def test_backend_functions_gradients(fn, shape, float64):
    from minikeras import backend as K

    check_gradients(lambda x: fn(K, x), [arr(*shape)])


@pytest.mark.parametrize("call, match", [
    (lambda K, x: K.spatial_2d_padding(x, ((1, 1),)), "2 pairs"),
    (lambda K, x: K.spatial_2d_padding(x, data_format="nchw"), "Unknown data_format"),
    (lambda K, x: K.spatial_3d_padding(x), "rank 5"),
    (lambda K, x: K.resize_images(x, 2, 2, "channels_last", "bicubic"), "bicubic"),
    (lambda K, x: K.resize_images(x, 0, 2, "channels_last"), "positive integers"),
    (lambda K, x: K.resize_volumes(x, 1, 1, 1, "channels_middle"), "data_format"),
])
def test_backend_functions_errors(call, match):
    from minikeras import backend as K

    with pytest.raises(ValueError, match=match):
        call(K, np.zeros((1, 2, 3, 4), "float32"))
