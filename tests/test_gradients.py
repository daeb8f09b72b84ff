"""Float64 gradient checks (random direction, random upstream) for every primitive, every
activation, the backend functions and the core layers."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import activations, ops
from minikeras import backend as K
from minikeras.autodiff import primitives as P
from tests.gradcheck import check_gradients, layer_fn

rng = np.random.default_rng(42)


def arr(*shape, low=-2.0, high=2.0):
    return rng.uniform(low, high, size=shape)


def positive(*shape):
    return rng.uniform(0.5, 2.0, size=shape)


def away_from_zero(*shape):
    """Values whose magnitude is at least 0.2, so kinks (relu, abs, clip) are not crossed."""
    x = rng.uniform(0.2, 2.0, size=shape)
    return x * rng.choice([-1.0, 1.0], size=shape)


PRIMITIVES = {
    "add": (lambda a, b: P.add(a, b), [arr(3, 4), arr(3, 4)]),
    "add_broadcast": (lambda a, b: P.add(a, b), [arr(3, 4), arr(4)]),
    "add_broadcast_keepdim": (lambda a, b: P.add(a, b), [arr(3, 4), arr(3, 1)]),
    "subtract": (lambda a, b: P.subtract(a, b), [arr(3, 4), arr(1, 4)]),
    "multiply": (lambda a, b: P.multiply(a, b), [arr(3, 4), arr(3, 4)]),
    "multiply_scalar": (lambda a: P.multiply(a, 2.5), [arr(5)]),
    "divide": (lambda a, b: P.divide(a, b), [arr(3, 4), positive(3, 4)]),
    "rdivide": (lambda a: P.divide(1.5, a), [positive(6)]),
    "power_scalar": (lambda a: P.power(a, 3), [arr(5)]),
    "power_square": (lambda a: P.power(a, 2), [arr(5)]),
    "power_tensor": (lambda a, b: P.power(a, b), [positive(4), arr(4)]),
    "maximum": (lambda a, b: P.maximum(a, b), [arr(10), arr(10)]),
    "minimum": (lambda a, b: P.minimum(a, b), [arr(10), arr(10)]),
    "negative": (lambda a: P.negative(a), [arr(3, 2)]),
    "exp": (lambda a: P.exp(a), [arr(3, 2)]),
    "log": (lambda a: P.log(a), [positive(3, 2)]),
    "log1p": (lambda a: P.log1p(a), [positive(3, 2)]),
    "expm1": (lambda a: P.expm1(a), [arr(3, 2)]),
    "sqrt": (lambda a: P.sqrt(a), [positive(3, 2)]),
    "square": (lambda a: P.square(a), [arr(3, 2)]),
    "abs": (lambda a: P.abs(a), [away_from_zero(3, 2)]),
    "sin": (lambda a: P.sin(a), [arr(4)]),
    "cos": (lambda a: P.cos(a), [arr(4)]),
    "tanh": (lambda a: P.tanh(a), [arr(3, 4)]),
    "sigmoid": (lambda a: P.sigmoid(a), [arr(3, 4, low=-8, high=8)]),
    "relu": (lambda a: P.relu(a), [away_from_zero(3, 4)]),
    "softplus": (lambda a: P.softplus(a), [arr(3, 4, low=-6, high=6)]),
    "clip": (lambda a: P.clip(a, -1.0, 1.0), [away_from_zero(20) * 1.3]),
    "where": (lambda a, b: P.where(np.arange(6) % 2 == 0, a, b), [arr(6), arr(6)]),
    "cast": (lambda a: P.cast(a, "float64"), [arr(3)]),
    "sum_all": (lambda a: P.sum(a), [arr(3, 4)]),
    "sum_axis": (lambda a: P.sum(a, axis=0), [arr(3, 4)]),
    "sum_keepdims": (lambda a: P.sum(a, axis=-1, keepdims=True), [arr(3, 4)]),
    "sum_axes": (lambda a: P.sum(a, axis=(0, 2)), [arr(2, 3, 4)]),
    "mean_all": (lambda a: P.mean(a), [arr(3, 4)]),
    "mean_axis": (lambda a: P.mean(a, axis=-1), [arr(3, 4)]),
    "mean_keepdims": (lambda a: P.mean(a, axis=1, keepdims=True), [arr(3, 4, 2)]),
    "max": (lambda a: P.max(a, axis=1), [arr(4, 5)]),
    "min": (lambda a: P.min(a), [arr(4, 5)]),
    "prod": (lambda a: P.prod(a, axis=0), [positive(3, 4)]),
    "logsumexp": (lambda a: P.logsumexp(a, axis=-1), [arr(3, 5)]),
    "matmul_2d": (lambda a, b: P.matmul(a, b), [arr(3, 4), arr(4, 2)]),
    "matmul_batched": (lambda a, b: P.matmul(a, b), [arr(2, 3, 4), arr(4, 5)]),
    "matmul_both_batched": (lambda a, b: P.matmul(a, b), [arr(2, 3, 4), arr(2, 4, 5)]),
    "matmul_vec_mat": (lambda a, b: P.matmul(a, b), [arr(4), arr(4, 3)]),
    "matmul_mat_vec": (lambda a, b: P.matmul(a, b), [arr(3, 4), arr(4)]),
    "dense": (lambda x, w, b: P.dense(x, w, b), [arr(5, 4), arr(4, 3), arr(3)]),
    "dense_no_bias": (lambda x, w: P.dense(x, w), [arr(5, 4), arr(4, 3)]),
    "dense_3d": (lambda x, w, b: P.dense(x, w, b), [arr(2, 5, 4), arr(4, 3), arr(3)]),
    "bias_add": (lambda x, b: P.bias_add(x, b), [arr(5, 3), arr(3)]),
    "bias_add_channels_first": (lambda x, b: P.bias_add(x, b, 1), [arr(2, 3, 4), arr(3)]),
    "reshape": (lambda a: P.reshape(a, (4, 3)), [arr(3, 4)]),
    "transpose": (lambda a: P.transpose(a, (2, 0, 1)), [arr(2, 3, 4)]),
    "expand_dims": (lambda a: P.expand_dims(a, 1), [arr(3, 4)]),
    "squeeze": (lambda a: P.squeeze(a, 1), [arr(3, 1, 4)]),
    "broadcast_to": (lambda a: P.broadcast_to(a, (3, 4)), [arr(1, 4)]),
    "concatenate": (lambda a, b: P.concatenate([a, b], axis=1), [arr(3, 2), arr(3, 4)]),
    "stack": (lambda a, b: P.stack([a, b], axis=1), [arr(3, 2), arr(3, 2)]),
    "getitem_slice": (lambda a: P.getitem(a, (slice(1, 3), slice(None, None, 2))),
                      [arr(4, 5)]),
    "getitem_fancy_repeat": (lambda a: P.getitem(a, np.array([0, 2, 2, 1])), [arr(3, 2)]),
    "tile": (lambda a: P.tile(a, (2, 3)), [arr(2, 2)]),
    "cumsum": (lambda a: P.cumsum(a, 1), [arr(3, 4)]),
    "cumsum_flat": (lambda a: P.cumsum(a), [arr(3, 4)]),
    "cumprod": (lambda a: P.cumprod(a, 0), [arr(4, 3)]),
    "cumprod_flat": (lambda a: P.cumprod(a), [arr(3, 2)]),
    "cumprod_with_zeros": (lambda a: P.cumprod(a, 1),
                           [np.array([[1.5, 0.0, -2.0, 0.5], [0.0, 2.0, 0.0, 3.0]])]),
    "softmax": (lambda a: P.softmax(a), [arr(4, 5)]),
    "softmax_axis0": (lambda a: P.softmax(a, axis=0), [arr(4, 5)]),
    "log_softmax": (lambda a: P.log_softmax(a), [arr(4, 5)]),
    "softmax_cross_entropy": (lambda y, z: P.softmax_cross_entropy(y, z),
                              [rng.dirichlet(np.ones(5), size=4), arr(4, 5)]),
    "sparse_softmax_cross_entropy": (
        lambda z: P.sparse_softmax_cross_entropy(np.array([0, 3, 1, 4]), z), [arr(4, 5)]),
    "sigmoid_cross_entropy": (lambda y, z: P.sigmoid_cross_entropy(y, z),
                              [rng.uniform(0, 1, (4, 3)), arr(4, 3, low=-6, high=6)]),
    "sigmoid_cross_entropy_over_batch": (
        lambda y, z: P.sigmoid_cross_entropy(y, z, over_batch=True),
        [rng.uniform(0, 1, (4, 3)), arr(4, 3, low=-6, high=6)]),
    "sparse_softmax_cross_entropy_over_batch": (
        lambda z: P.sparse_softmax_cross_entropy(np.array([0, 3, 1, 4]), z, over_batch=True),
        [arr(4, 5)]),
    "softmax_cross_entropy_over_batch": (
        lambda y, z: P.softmax_cross_entropy(y, z, over_batch=True),
        [rng.dirichlet(np.ones(5), size=4), arr(4, 5)]),
    "dense_chain": (lambda x, k1, b1, k2, k3, b3, k4: P.dense_chain(
        x, ((k1, b1, "relu"), (k2, None, "tanh"), (k3, b3, "sigmoid"), (k4, None, None))),
        [arr(5, 4), arr(4, 6), arr(6), arr(6, 3), arr(3, 2), arr(2), arr(2, 3)]),
    "dense_chain_one_layer": (lambda x, k, b: P.dense_chain(x, ((k, b, None),)),
                              [arr(5, 4), arr(4, 3), arr(3)]),
    "squared_error_mean": (lambda y, p: P.squared_error_mean(y, p), [arr(4, 3), arr(4, 3)]),
    "squared_error_mean_over_batch": (lambda y, p: P.squared_error_mean(y, p, over_batch=True),
                                      [arr(4, 3), arr(4, 3)]),
}


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_primitive_gradient(name, float64):
    fn, inputs = PRIMITIVES[name]
    check_gradients(fn, inputs)


ACTIVATIONS = ["linear", "relu", "leaky_relu", "relu6", "elu", "selu", "softplus", "softsign",
               "sigmoid", "tanh", "softmax", "log_softmax", "exponential", "hard_sigmoid",
               "hard_silu", "silu", "swish", "gelu", "mish", "celu"]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_gradient(name, float64):
    x = away_from_zero(4, 6)
    if name in ("relu6", "hard_sigmoid", "hard_silu"):
        x = x + 0.05  # keep away from the kinks at -3, 0, 3 and 6
        x[np.isclose(np.abs(x), 3.0, atol=0.1)] += 0.3
    check_gradients(activations.get(name), [x])


def test_gelu_approximate_gradient(float64):
    check_gradients(lambda x: activations.gelu(x, approximate=True), [arr(4, 6)])


def test_relu_with_options_gradient(float64):
    x = away_from_zero(30) * 4
    x[np.abs(x - 0.5) < 0.1] += 0.3
    x[np.abs(x - 3.0) < 0.1] += 0.3
    check_gradients(lambda t: activations.relu(t, negative_slope=0.1, max_value=3.0,
                                               threshold=0.5), [x])


BACKEND = {
    "K.dot_2d": (lambda a, b: K.dot(a, b), [arr(3, 4), arr(4, 2)]),
    "K.dot_nd": (lambda a, b: K.dot(a, b), [arr(2, 3, 4), arr(5, 4, 2)]),
    "K.bias_add": (lambda x, b: K.bias_add(x, b, data_format="channels_last"),
                   [arr(5, 3), arr(3)]),
    "K.mean": (lambda a: K.mean(K.square(a), axis=-1), [arr(4, 3)]),
    "K.sum_abs": (lambda a: K.sum(K.abs(a)), [away_from_zero(4, 3)]),
    "K.sqrt": (lambda a: K.sqrt(a), [positive(5)]),
    "K.pow": (lambda a: K.pow(a, 3), [arr(5)]),
    "K.clip": (lambda a: K.clip(a, -1.0, 1.0), [away_from_zero(10) * 1.5]),
    "K.std": (lambda a: K.std(a, axis=0), [arr(6, 3)]),
    "K.var": (lambda a: K.var(a), [arr(6, 3)]),
    "K.l2_normalize": (lambda a: K.l2_normalize(a, axis=-1), [arr(3, 4)]),
    "K.categorical_crossentropy": (
        lambda y, p: K.categorical_crossentropy(y, p),
        [rng.dirichlet(np.ones(4), size=5), rng.dirichlet(np.ones(4), size=5)]),
    "K.binary_crossentropy": (lambda y, p: K.binary_crossentropy(y, p),
                              [rng.uniform(0, 1, (5, 2)), rng.uniform(0.05, 0.95, (5, 2))]),
    "K.concatenate": (lambda a, b: K.concatenate([a, b]), [arr(2, 3), arr(2, 2)]),
    "K.batch_flatten": (lambda a: K.batch_flatten(a), [arr(2, 3, 4)]),
    "K.repeat": (lambda a: K.repeat(a, 3), [arr(2, 4)]),
    "K.permute_dimensions": (lambda a: K.permute_dimensions(a, (1, 0, 2)), [arr(2, 3, 4)]),
    "K.logsumexp": (lambda a: K.logsumexp(a, axis=1), [arr(3, 4)]),
    "ops.norm": (lambda a: ops.norm(a, axis=-1), [arr(3, 4)]),
    "ops.take": (lambda a: ops.take(a, np.array([2, 0, 2]), axis=1), [arr(3, 4)]),
    "ops.average": (lambda a, w: ops.average(a, axis=0, weights=w), [arr(5, 2), positive(5, 2)]),
}


@pytest.mark.parametrize("name", sorted(BACKEND))
def test_backend_gradient(name, float64):
    fn, inputs = BACKEND[name]
    check_gradients(fn, inputs)


LAYERS = {
    "Dense": lambda: keras.layers.Dense(3, activation="tanh"),
    "Dense_no_bias": lambda: keras.layers.Dense(3, use_bias=False),
    "Dense_softmax": lambda: keras.layers.Dense(4, activation="softmax"),
    "Activation": lambda: keras.layers.Activation("softsign"),
    "Flatten": lambda: keras.layers.Flatten(),
    "Reshape": lambda: keras.layers.Reshape((2, 2)),
    "Rescaling": lambda: keras.layers.Rescaling(0.5, offset=1.0),
    "Dropout_inference": lambda: keras.layers.Dropout(0.5),
    "GaussianNoise_inference": lambda: keras.layers.GaussianNoise(0.3),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_gradient(name, float64):
    layer = LAYERS[name]()
    x = arr(5, 4)
    layer(x)  # build
    weights = [w.numpy().copy() for w in layer.trainable_weights]
    check_gradients(layer_fn(layer), [x] + weights)


def test_normalization_layer_gradient(float64):
    layer = keras.layers.Normalization()
    data = arr(50, 4) * 3 + 1
    layer.adapt(data)
    check_gradients(lambda x: layer(x), [arr(5, 4)])


def test_dropout_training_gradient_uses_the_same_mask(float64):
    layer = keras.layers.Dropout(0.4, seed=3)
    from minikeras.autodiff.tensor import gradients, watch

    x = watch(arr(6, 5))
    y = layer(x, training=True)
    (g,) = gradients(y, [x], upstream=np.ones(y.shape))
    kept = y.numpy() != 0
    np.testing.assert_allclose(g[kept], 1 / 0.6)
    assert np.all(g[~kept] == 0)


def _course_regularizer():
    """The course's own regulariser, as examples/lecture/p07_custom_regularizer.py writes it."""
    import importlib
    import sys
    from pathlib import Path

    folder = str(Path(__file__).resolve().parents[1] / "examples" / "lecture")
    sys.path.insert(0, folder)
    try:
        return importlib.import_module("p07_custom_regularizer").MyL1L2
    finally:
        sys.path.remove(folder)


REGULARIZERS = {
    "L1": lambda: keras.regularizers.L1(0.3),
    "L2": lambda: keras.regularizers.L2(0.2),
    "L1L2": lambda: keras.regularizers.L1L2(l1=0.1, l2=0.4),
    "l1_l2": lambda: keras.regularizers.l1_l2(0.05, 0.02),
    "OrthogonalRegularizer_rows": lambda: keras.regularizers.OrthogonalRegularizer(0.5),
    "OrthogonalRegularizer_columns": lambda: keras.regularizers.OrthogonalRegularizer(
        0.5, mode="columns"),
    "course_subclass": lambda: _course_regularizer()(l1=0.1, l2=0.3),
}


@pytest.mark.parametrize("name", sorted(REGULARIZERS))
def test_regularizer_gradient(name, float64):
    reg = REGULARIZERS[name]()
    check_gradients(lambda w: reg(w), [away_from_zero(4, 3)])
