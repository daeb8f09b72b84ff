"""Convolution and pooling: float64 gradient checks of the primitives, ops and layers (every
option), shapes, configs, file round trips and bad input. Reference values from real Keras
are in compat_tests/test_conv_compat.py."""

import os

import numpy as np
import pytest

import minikeras as keras
from minikeras import backend as K
from minikeras.autodiff import conv_primitives as CP
from minikeras.autodiff.tensor import Tensor

from gradcheck import check_gradients, layer_fn

L = keras.layers
RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _float64():
    keras.config.set_floatx("float64")
    yield
    keras.config.set_floatx("float32")


def _naive_conv2d(x, k, strides, pads, dil, groups):
    """Direct loops over output pixels (a slow, obviously-right cross-correlation)."""
    xp = np.pad(x, ((0, 0),) + tuple(pads) + ((0, 0),))
    kh, kw, cg, f = k.shape
    oh = (xp.shape[1] - (kh - 1) * dil[0] - 1) // strides[0] + 1
    ow = (xp.shape[2] - (kw - 1) * dil[1] - 1) // strides[1] + 1
    fg = f // groups
    y = np.zeros((x.shape[0], oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    patch = xp[:, i * strides[0] + a * dil[0], j * strides[1] + b * dil[1]]
                    for g in range(groups):
                        y[:, i, j, g * fg:(g + 1) * fg] += \
                            patch[:, g * cg:(g + 1) * cg] @ k[a, b, :, g * fg:(g + 1) * fg]
    return y


@pytest.mark.parametrize("strides,padding,dil,groups", [
    ((1, 1), "valid", (1, 1), 1), ((2, 1), "same", (1, 1), 1), ((1, 1), "same", (2, 2), 2),
    ((2, 2), "valid", (1, 1), 4), ((3, 2), "same", (1, 1), 1)])
def test_conv_primitive_forward_and_gradients(strides, padding, dil, groups):
    x = RNG.normal(size=(2, 7, 6, 4))
    k = RNG.normal(size=(3, 2, 4 // groups, 4))
    b = RNG.normal(size=4)
    y = CP.conv(Tensor(x), Tensor(k), Tensor(b), strides, padding, dil, groups).value
    pads = CP._pads((7, 6), (3, 2), strides, dil, padding)
    np.testing.assert_allclose(y, _naive_conv2d(x, k, strides, pads, dil, groups) + b,
                               rtol=1e-10, atol=1e-12)
    check_gradients(lambda x, k, b: CP.conv(x, k, b, strides, padding, dil, groups), [x, k, b])


@pytest.mark.parametrize("nd", [1, 3])
def test_conv_primitive_1d_3d_causal(nd):
    shape = (2,) + (6,) * nd + (3,)
    x = RNG.normal(size=shape)
    k = RNG.normal(size=(2,) * nd + (3, 2))
    pad = "causal" if nd == 1 else "same"
    check_gradients(lambda x, k: CP.conv(x, k, None, (2,) * nd, pad, (1,) * nd, 1), [x, k])
    if nd == 1:  # dilated causal
        check_gradients(lambda x, k: CP.conv(x, k, None, (1,), "causal", (2,), 1), [x, k])


@pytest.mark.parametrize("strides,padding,op,dil", [
    ((1, 1), "valid", None, (1, 1)), ((2, 2), "same", None, (1, 1)),
    ((2, 3), "valid", (1, 0), (1, 1)), ((2, 2), "same", (1, 1), (1, 1)),
    ((1, 1), "same", None, (2, 2)), ((3, 3), "same", None, (1, 1))])
def test_conv_transpose_primitive_gradients(strides, padding, op, dil):
    x = RNG.normal(size=(2, 4, 5, 3))
    k = RNG.normal(size=(3, 2, 2, 3))
    b = RNG.normal(size=2)
    check_gradients(lambda x, k, b: CP.conv_transpose(x, k, b, strides, padding, op, dil),
                    [x, k, b])


def test_conv_transpose_is_the_adjoint_of_conv():
    """<conv(x), y> == <x, conv_transpose(y)> for the same kernel, strides and padding."""
    x = RNG.normal(size=(2, 8, 8, 3))
    k = RNG.normal(size=(3, 3, 3, 2))
    y = CP.conv(Tensor(x), Tensor(k), None, (2, 2), "same", (1, 1), 1).value
    v = RNG.normal(size=y.shape)
    back = CP.conv_transpose(Tensor(v), Tensor(k), None, (2, 2), "same", None, (1, 1)).value
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(y * v), np.sum(x * back), rtol=1e-10)


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("pool,strides,padding", [
    ((2, 2), (2, 2), "valid"), ((2, 2), (2, 2), "same"), ((3, 3), (2, 2), "same"),
    ((2, 3), (1, 2), "valid"), ((3, 2), (3, 2), "valid"), ((2, 2), (1, 1), "same")])
def test_pool_primitive_gradients(mode, pool, strides, padding):
    x = RNG.normal(size=(2, 7, 7, 3))
    check_gradients(lambda x: CP.pool(x, pool, strides, padding, mode), [x])


def test_pool_tiled_and_strided_paths_agree():
    x = RNG.normal(size=(2, 8, 6, 3))
    for mode in ("max", "avg"):
        tiled = CP.pool(Tensor(x), (2, 2), (2, 2), "valid", mode).value
        # the same windows through the general (strided view) path: pad nothing, overlap none
        win = CP._windows(x, (4, 3), (2, 2), (2, 2), (1, 1))
        want = win.max(axis=(3, 4)) if mode == "max" else win.mean(axis=(3, 4))
        np.testing.assert_allclose(tiled, want, rtol=1e-12)


def test_max_pool_gradient_goes_to_the_first_maximum():
    x = np.zeros((1, 2, 2, 1))
    from minikeras.autodiff.tensor import gradients, watch

    t = watch(x)
    g = gradients(CP.pool(t, (2, 2), (2, 2), "valid", "max"), [t],
                  upstream=np.ones((1, 1, 1, 1)))[0]
    np.testing.assert_array_equal(g[0, :, :, 0], [[1, 0], [0, 0]])


def test_average_pool_same_counts_only_real_elements():
    x = np.ones((1, 3, 3, 1))
    y = CP.pool(Tensor(x), (2, 2), (2, 2), "same", "avg").value
    np.testing.assert_allclose(y, np.ones((1, 2, 2, 1)))


# --- ops and K ------------------------------------------------------------------------

def test_ops_gradients_channels_first_and_depthwise():
    x = RNG.normal(size=(2, 3, 6, 5))
    k = RNG.normal(size=(2, 3, 3, 4))
    check_gradients(lambda x, k: keras.ops.conv(x, k, 1, "same", "channels_first", 2), [x, k])
    dk = RNG.normal(size=(3, 3, 3, 2))
    check_gradients(lambda x, k: keras.ops.depthwise_conv(x, k, 2, "same", "channels_first"),
                    [x, dk])
    pk = RNG.normal(size=(1, 1, 6, 2))
    check_gradients(lambda x, a, b: keras.ops.separable_conv(x, a, b, 1, "valid",
                                                             "channels_first"), [x, dk, pk])
    check_gradients(lambda x: keras.ops.max_pool(x, 2, None, "same", "channels_first"), [x])
    check_gradients(lambda x: keras.ops.average_pool(x, (3, 2), 1, "valid", "channels_first"),
                    [x])
    tk = RNG.normal(size=(3, 3, 2, 3))
    check_gradients(lambda x, k: keras.ops.conv_transpose(x, k, 2, "valid", None,
                                                          "channels_first"), [x, tk])


def test_backend_conv_and_pool_keras2_signatures():
    x = RNG.normal(size=(2, 6, 6, 2))
    k = RNG.normal(size=(3, 3, 2, 4))
    y = K.conv2d(K.constant(x), K.constant(k), padding="same")
    assert y.shape == (2, 6, 6, 4)
    assert K.pool2d(y, (2, 2), strides=(2, 2), pool_mode="avg").shape == (2, 3, 3, 4)
    assert K.pool2d(y, (2, 2)).shape == (2, 5, 5, 4)  # Keras 2: strides default to 1
    x1 = RNG.normal(size=(2, 7, 3))
    assert K.conv1d(K.constant(x1), K.constant(RNG.normal(size=(3, 3, 2))),
                    padding="causal").shape == (2, 7, 2)
    with pytest.raises(ValueError, match="pool_mode"):
        K.pool2d(y, (2, 2), pool_mode="mean")


# --- layers: gradients for every option -----------------------------------------------

LAYER_OPTIONS = [
    (L.Conv1D, dict(filters=3, kernel_size=3, padding="causal", dilation_rate=2), (2, 9, 2)),
    (L.Conv1D, dict(filters=4, kernel_size=2, strides=2, groups=2, padding="same",
                    data_format="channels_first"), (2, 4, 7)),
    (L.Conv2D, dict(filters=3, kernel_size=3, activation="tanh"), (2, 6, 5, 2)),
    (L.Conv2D, dict(filters=2, kernel_size=(2, 3), strides=(2, 1), padding="same",
                    use_bias=False), (2, 5, 6, 3)),
    (L.Conv2D, dict(filters=4, kernel_size=2, dilation_rate=2, groups=2,
                    data_format="channels_first"), (2, 4, 6, 6)),
    (L.Conv3D, dict(filters=2, kernel_size=2, strides=(1, 2, 1), padding="same"),
     (1, 3, 4, 3, 2)),
    (L.Conv1DTranspose, dict(filters=2, kernel_size=3, strides=2, output_padding=1), (2, 4, 3)),
    (L.Conv2DTranspose, dict(filters=2, kernel_size=3, strides=2, padding="same",
                             data_format="channels_first"), (2, 3, 3, 4)),
    (L.Conv2DTranspose, dict(filters=3, kernel_size=2, dilation_rate=2), (2, 3, 3, 2)),
    (L.Conv3DTranspose, dict(filters=2, kernel_size=2, strides=2), (1, 2, 2, 2, 2)),
    (L.DepthwiseConv1D, dict(kernel_size=3, depth_multiplier=3, padding="same"), (2, 6, 2)),
    (L.DepthwiseConv2D, dict(kernel_size=2, depth_multiplier=2, strides=2,
                             data_format="channels_first"), (2, 3, 5, 5)),
    (L.SeparableConv1D, dict(filters=3, kernel_size=2, dilation_rate=2), (2, 7, 2)),
    (L.SeparableConv2D, dict(filters=2, kernel_size=3, depth_multiplier=2, padding="same",
                             strides=2), (2, 5, 5, 3)),
    (L.MaxPooling1D, dict(pool_size=3, strides=1, padding="same"), (2, 7, 3)),
    (L.MaxPooling2D, dict(pool_size=(2, 3), data_format="channels_first"), (2, 3, 6, 7)),
    (L.MaxPooling3D, dict(pool_size=2, padding="same"), (1, 3, 4, 5, 2)),
    (L.AveragePooling1D, dict(pool_size=2, strides=1), (2, 6, 3)),
    (L.AveragePooling2D, dict(pool_size=3, strides=2, padding="same"), (2, 7, 6, 2)),
    (L.AveragePooling3D, dict(pool_size=2, data_format="channels_first"), (1, 2, 4, 4, 4)),
    (L.GlobalMaxPooling1D, dict(keepdims=True), (2, 5, 3)),
    (L.GlobalAveragePooling2D, dict(data_format="channels_first"), (2, 3, 4, 5)),
    (L.GlobalMaxPooling3D, dict(), (2, 3, 2, 3, 2)),
    (L.GlobalAveragePooling3D, dict(keepdims=True), (2, 3, 2, 3, 2)),
]


@pytest.mark.parametrize("cls,kwargs,shape", LAYER_OPTIONS,
                         ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(LAYER_OPTIONS)])
def test_layer_gradients_shapes_and_config(cls, kwargs, shape):
    layer = cls(**kwargs)
    x = RNG.normal(size=shape)
    y = layer(x)
    assert y.dtype == np.float64
    assert tuple(y.shape) == (shape[0],) + tuple(layer.compute_output_shape(shape)[1:])
    check_gradients(layer_fn(layer), [x] + [w.value for w in layer.trainable_weights])
    cfg = layer.get_config()
    again = cls.from_config(cfg)
    assert again.get_config() == cfg
    # the rebuilt layer with the same weights computes the same values
    again.build(shape)
    again.set_weights(layer.get_weights())
    np.testing.assert_allclose(again(x).value, y.value)


def test_keras2_spellings_and_aliases():
    assert L.Convolution2D is L.Conv2D and L.Convolution1D is L.Conv1D
    assert L.Convolution2DTranspose is L.Conv2DTranspose
    assert L.SeparableConvolution2D is L.SeparableConv2D
    assert L.MaxPool2D is L.MaxPooling2D and L.AvgPool1D is L.AveragePooling1D
    assert L.GlobalAvgPool2D is L.GlobalAveragePooling2D
    model = keras.Sequential([L.Conv2D(4, (3, 3), input_shape=(8, 8, 1), activation="relu"),
                              L.MaxPooling2D(pool_size=(2, 2)), L.Flatten(), L.Dense(2)])
    assert model.output_shape == (None, 2)
    assert model.layers[0].name.startswith("conv2d")  # Keras' names, not "conv2_d"
    assert model.layers[1].name.startswith("max_pooling2d")


def test_image_data_format_is_the_default():
    keras.config.set_image_data_format("channels_first")
    try:
        layer = L.Conv2D(2, 3)
        pool = L.MaxPooling2D()
    finally:
        keras.config.set_image_data_format("channels_last")
    assert layer.data_format == "channels_first" and pool.data_format == "channels_first"
    assert layer.compute_output_shape((None, 3, 8, 8)) == (None, 2, 6, 6)


def test_summary_rows():
    model = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(3, 3), L.MaxPooling2D(),
                              L.GlobalAveragePooling2D(), L.Dense(2)])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "(None, 6, 6, 3)" in text and "(None, 3, 3, 3)" in text
    assert "global_average_pooling2d" in text and "(GlobalAveragePooling2D)" in text
    assert " 30 " in text  # 3*3*1*3 + 3


# --- files ---------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".h5", ".keras", ".weights.h5"])
def test_file_round_trips(tmp_path, suffix):
    keras.config.set_floatx("float32")
    model = keras.Sequential([
        keras.Input((8, 8, 2)),
        L.Conv2D(3, 3, padding="same", activation="relu", kernel_regularizer="l2"),
        L.SeparableConv2D(2, 2, depth_multiplier=2), L.DepthwiseConv2D(2),
        L.Conv2DTranspose(2, 2, strides=2, output_padding=1),
        L.AveragePooling2D(2, padding="same"), L.MaxPooling2D(1), L.GlobalMaxPooling2D(),
        L.Dense(2)])
    model.compile("adam", "mse")
    x = RNG.normal(size=(8, 8, 8, 2)).astype("float32")
    y = RNG.normal(size=(8, 2)).astype("float32")
    model.fit(x, y, verbose=0, batch_size=4)
    path = os.path.join(tmp_path, "m" + suffix)
    if suffix == ".weights.h5":
        model.save_weights(path)
        other = keras.models.clone_model(model) if hasattr(keras.models, "clone_model") else \
            keras.Sequential.from_config(model.get_config())
        other.load_weights(path)
    else:
        model.save(path)
        other = keras.models.load_model(path)
        assert [type(a) for a in other.layers] == [type(b) for b in model.layers]
        assert [a.get_config() for a in other.layers] == [b.get_config() for b in model.layers]
        other.fit(x, y, verbose=0, batch_size=4)  # trains on
        other = keras.models.load_model(path)
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))


# --- bad input -----------------------------------------------------------------------

def test_wrong_input_rank_names_layer_and_shapes():
    layer = L.Conv2D(2, 3, name="my_conv")
    with pytest.raises(ValueError, match=r"my_conv.*expected ndim=4.*\(2, 5, 1\)"):
        layer(np.zeros((2, 5, 1)))
    assert not layer.built and not layer.weights
    with pytest.raises(ValueError, match=r"max_pooling1d.*ndim=3.*\(4, 5\)|ndim=3.*\(4, 5\)"):
        L.MaxPooling1D()(np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"ndim=4"):
        L.GlobalAveragePooling2D()(np.zeros((4, 5, 3)))


def test_kernel_larger_than_input():
    layer = L.Conv2D(2, 5, name="big")
    with pytest.raises(ValueError, match=r"big.*larger than the input.*\(3, 3\)"):
        layer(np.zeros((1, 3, 3, 1)))
    assert not layer.weights
    with pytest.raises(ValueError, match="larger than the input"):
        keras.Sequential([keras.Input((2, 2, 1)), L.Conv2D(1, 3)])
    with pytest.raises(ValueError, match="pool window"):
        L.MaxPooling2D(3)(np.zeros((1, 2, 2, 1)))
    # with padding='same' the same kernel is fine
    assert L.Conv2D(2, 5, padding="same")(np.zeros((1, 3, 3, 1))).shape == (1, 3, 3, 2)


def test_bad_arguments():
    with pytest.raises(ValueError, match="causal"):
        L.Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="causal"):
        L.DepthwiseConv1D(3, padding="causal")
    with pytest.raises(ValueError, match="filters"):
        L.Conv2D(-2, 3)
    with pytest.raises(ValueError, match="filters"):
        L.Conv1D(0, 3)
    with pytest.raises(ValueError, match="kernel_size"):
        L.Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="strides"):
        L.Conv2D(2, 3, strides=0)
    with pytest.raises(ValueError, match="padding.*Did you mean 'same'"):
        L.Conv2D(2, 3, padding="sam")
    with pytest.raises(ValueError, match="dilation_rate"):
        L.Conv2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="groups"):
        L.Conv2D(3, 3, groups=2)
    with pytest.raises(ValueError, match="divisible by groups"):
        L.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3)))
    with pytest.raises(ValueError, match="data_format"):
        L.Conv2D(2, 3, data_format="NHWC")
    with pytest.raises(ValueError, match="output_padding"):
        L.Conv2DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="depth_multiplier"):
        L.DepthwiseConv2D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match="pool_size"):
        L.MaxPooling2D(pool_size=(2, 0))
    with pytest.raises(TypeError, match="kernel_size"):
        L.Conv2D(2, kernel_sise=3)


def test_channel_mismatch_after_build_changes_nothing():
    layer = L.Conv2D(2, 3)
    layer(np.zeros((1, 5, 5, 3)))
    before = [w.copy() for w in layer.get_weights()]
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 3"):
        layer(np.zeros((1, 5, 5, 2)))
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_model_fit_rejects_wrong_image_shape_before_training():
    model = keras.Sequential([keras.Input((6, 6, 1)), L.Conv2D(2, 3), L.Flatten(), L.Dense(1)])
    model.compile("sgd", "mse")
    w0 = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError):
        model.fit(np.zeros((4, 6, 6, 2)), np.zeros((4, 1)), verbose=0)
    for a, b in zip(w0, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_ops_errors():
    with pytest.raises(ValueError, match="rank 3, 4 or 5"):
        keras.ops.conv(np.zeros((2, 3)), np.zeros((1, 3, 2)))
    with pytest.raises(ValueError, match="causal"):
        keras.ops.conv(np.zeros((1, 4, 4, 1)), np.zeros((2, 2, 1, 1)), padding="causal")
    with pytest.raises(ValueError, match="input channels"):
        keras.ops.conv(np.zeros((1, 4, 4, 3)), np.zeros((2, 2, 2, 1)))
    with pytest.raises(ValueError, match="larger than the padded input"):
        keras.ops.max_pool(np.zeros((1, 2, 2, 1)), 3)


def test_every_alias_is_the_keras_class():
    pairs = [(L.Convolution1D, L.Conv1D), (L.Convolution2D, L.Conv2D),
             (L.Convolution3D, L.Conv3D), (L.Convolution1DTranspose, L.Conv1DTranspose),
             (L.Convolution2DTranspose, L.Conv2DTranspose),
             (L.Convolution3DTranspose, L.Conv3DTranspose),
             (L.SeparableConvolution1D, L.SeparableConv1D),
             (L.SeparableConvolution2D, L.SeparableConv2D),
             (L.MaxPool1D, L.MaxPooling1D), (L.MaxPool2D, L.MaxPooling2D),
             (L.MaxPool3D, L.MaxPooling3D), (L.AvgPool1D, L.AveragePooling1D),
             (L.AvgPool2D, L.AveragePooling2D), (L.AvgPool3D, L.AveragePooling3D),
             (L.GlobalMaxPool1D, L.GlobalMaxPooling1D), (L.GlobalMaxPool2D, L.GlobalMaxPooling2D),
             (L.GlobalMaxPool3D, L.GlobalMaxPooling3D),
             (L.GlobalAvgPool1D, L.GlobalAveragePooling1D),
             (L.GlobalAvgPool2D, L.GlobalAveragePooling2D),
             (L.GlobalAvgPool3D, L.GlobalAveragePooling3D)]
    for alias, cls in pairs:
        assert alias is cls
    # files that name a layer by an alias load too
    layer = L.deserialize({"class_name": "Convolution3D",
                           "config": {"filters": 2, "kernel_size": 2}})
    assert type(layer) is L.Conv3D
    g = L.GlobalAveragePooling1D()(np.arange(12.0).reshape(1, 4, 3))
    np.testing.assert_allclose(g.value, [[4.5, 5.5, 6.5]])


def test_backend_3d_depthwise_separable_match_ops():
    x = RNG.normal(size=(1, 4, 5, 4, 2))
    k = RNG.normal(size=(2, 2, 2, 2, 3))
    np.testing.assert_allclose(K.conv3d(x, k, padding="same").value,
                               keras.ops.conv(x, k, padding="same").value)
    np.testing.assert_allclose(K.pool3d(x, (2, 2, 2), strides=(2, 2, 2), pool_mode="avg").value,
                               keras.ops.average_pool(x, 2, 2).value)
    x2 = RNG.normal(size=(2, 6, 6, 3))
    dk = RNG.normal(size=(3, 3, 3, 2))
    pk = RNG.normal(size=(1, 1, 6, 4))
    np.testing.assert_allclose(K.depthwise_conv2d(x2, dk).value,
                               keras.ops.depthwise_conv(x2, dk).value)
    np.testing.assert_allclose(K.separable_conv2d(x2, dk, pk, padding="same").value,
                               keras.ops.separable_conv(x2, dk, pk, padding="same").value)
    # a depthwise convolution is one ordinary convolution per channel
    for c in range(3):
        one = keras.ops.conv(x2[..., c:c + 1], dk[:, :, c:c + 1, :]).value
        np.testing.assert_allclose(K.depthwise_conv2d(x2, dk).value[..., 2 * c:2 * c + 2], one)


def test_global_average_pooling1d_uses_the_mask_of_an_embedding():
    tokens = np.array([[3, 1, 0, 0], [2, 5, 4, 0]])
    inp = keras.Input((4,), dtype="int32")
    emb = L.Embedding(6, 3, mask_zero=True)
    model = keras.Model(inp, L.GlobalAveragePooling1D()(emb(inp)))
    table = RNG.normal(size=(6, 3))
    emb.set_weights([table])
    want = np.stack([table[[3, 1]].mean(0), table[[2, 5, 4]].mean(0)])
    np.testing.assert_allclose(model.predict(tokens, verbose=0), want, rtol=1e-12)
    mask = np.array([[True, False, True], [True, True, False]])
    layer = L.GlobalAveragePooling1D(keepdims=True)
    check_gradients(lambda x: layer(x, mask=mask), [RNG.normal(size=(2, 3, 4))])


def test_depthwise_and_separable_take_strides_with_dilation():
    """Keras refuses strides > 1 with dilation_rate > 1 only in Conv/ConvTranspose layers."""
    for layer in (L.DepthwiseConv1D(2, strides=2, dilation_rate=2),
                  L.SeparableConv1D(2, 2, strides=2, dilation_rate=2)):
        x = RNG.normal(size=(2, 9, 2))
        assert layer(x).shape == (2, 4, layer.compute_output_shape((2, 9, 2))[-1])  # (9-3)//2+1
        check_gradients(layer_fn(layer), [x] + [w.value for w in layer.trainable_weights])
    with pytest.raises(ValueError, match="dilation_rate"):
        L.Conv1DTranspose(2, 2, strides=2, dilation_rate=2)
