"""Keras 2's backend module `K`, for custom layers, losses, metrics and regularisers.

`from minikeras import backend as K` offers Keras 2's names (`K.dot`, `K.mean`,
`K.variable`, `K.eval`, `K.gradients`, ...). They return minikeras tensors, which take
part in automatic differentiation, so code written with them trains. Keras 2 built a
static graph; here everything runs eagerly, which changes nothing for these functions.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from minikeras.config import (  # noqa: F401
    backend,
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from minikeras.autodiff import primitives as P  # noqa: E402
from minikeras.autodiff.tensor import Tensor, Variable  # noqa: E402
from minikeras.autodiff.tensor import gradients as _gradients  # noqa: E402
from minikeras import ops  # noqa: E402

# --- values and variables -----------------------------------------------------------


def cast_to_floatx(x: Any) -> np.ndarray:
    """A NumPy array (or scalar) of dtype floatx, as Keras 2 returns."""
    if isinstance(x, Tensor):
        x = x.value
    return np.asarray(x, dtype=floatx())


def variable(value: Any, dtype: Any = None, name: str | None = None,
             constraint: Any = None) -> Variable:
    v = Variable(value, dtype=dtype or floatx(), name=name)
    v.constraint = constraint
    return v


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str | None = None) -> Tensor:
    arr = np.asarray(value.value if isinstance(value, Tensor) else value, dtype=dtype or floatx())
    if shape is not None:
        arr = np.broadcast_to(arr, shape).copy()
    return Tensor(arr)


def eval(x: Any) -> np.ndarray:  # noqa: A001 - Keras 2 name
    return np.asarray(x.value if isinstance(x, Tensor) else x)


get_value = eval


def batch_get_value(xs) -> list:
    return [eval(x) for x in xs]


def set_value(x: Variable, value: Any) -> None:
    if not isinstance(x, Variable):
        raise TypeError(f"set_value needs a variable, got {type(x).__name__}")
    x.assign(np.asarray(value, dtype=x.dtype))


def batch_set_value(pairs) -> None:
    for x, value in pairs:
        set_value(x, value)


def gradients(loss: Tensor, variables) -> list:
    """Gradients of `loss` (summed if not a scalar) with respect to each of `variables`."""
    single = isinstance(variables, Tensor)
    vs = [variables] if single else list(variables)
    grads = _gradients(loss, vs)
    out = [None if g is None else Tensor(g) for g in grads]
    return out


def is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


is_keras_tensor = is_tensor


def shape(x: Any) -> Tensor:
    return Tensor(np.asarray(ops.shape(x), dtype=np.int32))


def int_shape(x: Any) -> tuple:
    return ops.shape(x)


def ndim(x: Any) -> int:
    return ops.ndim(x)


def dtype(x: Any) -> str:
    return ops.dtype(x)


def count_params(x: Any) -> int:
    return int(np.prod(ops.shape(x)))


def zeros(shape, dtype=None, name=None) -> Variable:
    return Variable(np.zeros(shape, dtype=dtype or floatx()), name=name)


def ones(shape, dtype=None, name=None) -> Variable:
    return Variable(np.ones(shape, dtype=dtype or floatx()), name=name)


def eye(size, dtype=None, name=None) -> Variable:
    return Variable(np.eye(size, dtype=dtype or floatx()), name=name)


def zeros_like(x, dtype=None, name=None) -> Tensor:
    return ops.zeros_like(x, dtype)


def ones_like(x, dtype=None, name=None) -> Tensor:
    return ops.ones_like(x, dtype)


def _shape(shape: Any) -> tuple:
    """A shape given as ints, a list, or a tensor such as `K.shape(x)` (as Keras 2 takes)."""
    if isinstance(shape, Tensor):
        shape = shape.value
    return tuple(int(d) for d in np.atleast_1d(shape)) if not isinstance(shape, int) else \
        (shape,)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    return ops.random_normal(_shape(shape), mean, stddev, dtype, seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None) -> Tensor:
    return ops.random_uniform(_shape(shape), minval, maxval, dtype, seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """Normal values redrawn until within two standard deviations of the mean."""
    from minikeras.random import truncated_normal_array as _truncated_normal
    from minikeras.random import generator

    values = _truncated_normal(generator(seed), mean, stddev, _shape(shape))
    return Tensor(values.astype(dtype or floatx()))


def random_bernoulli(shape, p=0.0, dtype=None, seed=None) -> Tensor:
    """1 with probability p, else 0 (Keras 2: uniform draws <= p)."""
    draws = random_uniform(shape, dtype="float64", seed=seed).value
    return Tensor((draws <= p).astype(dtype or floatx()))


random_binomial = random_bernoulli  # Keras 2's older name


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None) -> Variable:
    return Variable(random_normal(shape, mean, scale, dtype, seed).value, name=name)


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None) -> Variable:
    return Variable(random_uniform(shape, low, high, dtype, seed).value, name=name)


# --- math ---------------------------------------------------------------------------


def dot(x, y) -> Tensor:
    """Keras 2 `dot`: contracts the last axis of x with the second-to-last of y."""
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    if y.ndim <= 2:
        return P.matmul(x, y)
    # y: (..., k, n) -> move k to the front, flatten the rest; then unflatten
    perm = (y.ndim - 2,) + tuple(i for i in range(y.ndim) if i != y.ndim - 2)
    yt = P.reshape(P.transpose(y, perm), (y.shape[-2], -1))
    out = P.matmul(x, yt)
    rest = tuple(y.shape[i] for i in perm[1:])
    return P.reshape(out, x.shape[:-1] + rest)


def batch_dot(x, y, axes=None) -> Tensor:
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    if axes is None or (x.ndim == 3 and y.ndim == 3 and tuple(np.atleast_1d(axes)) in ((2, 1),)):
        return P.matmul(x, y)
    if x.ndim == 2 and y.ndim == 2:
        return P.sum(P.multiply(x, y), axis=-1, keepdims=True)
    raise ValueError(f"batch_dot: unsupported shapes {x.shape}, {y.shape} with axes={axes}")


def bias_add(x, bias, data_format: str | None = None) -> Tensor:
    data_format = data_format or image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"Unknown data_format: {data_format!r}")
    axis = -1 if data_format == "channels_last" else 1
    return P.bias_add(x, bias, axis)


def transpose(x) -> Tensor:
    return P.transpose(x)


def permute_dimensions(x, pattern) -> Tensor:
    return P.transpose(x, tuple(pattern))


def reshape(x, shape) -> Tensor:
    return P.reshape(x, tuple(shape))


def flatten(x) -> Tensor:
    return P.reshape(x, (-1,))


def batch_flatten(x) -> Tensor:
    x = ops.convert_to_tensor(x)
    return P.reshape(x, (x.shape[0], -1))


def expand_dims(x, axis=-1) -> Tensor:
    return P.expand_dims(x, axis)


def squeeze(x, axis) -> Tensor:
    return P.squeeze(x, axis)


def concatenate(tensors, axis=-1) -> Tensor:
    return P.concatenate(tensors, axis)


def stack(tensors, axis=0) -> Tensor:
    return P.stack(tensors, axis)


def tile(x, n) -> Tensor:
    return P.tile(x, n)


def repeat(x, n) -> Tensor:
    """(batch, dim) -> (batch, n, dim)."""
    return P.tile(P.expand_dims(x, 1), (1, n, 1))


def sum(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001
    return P.sum(x, axis, keepdims)


def mean(x, axis=None, keepdims=False) -> Tensor:
    return P.mean(x, axis, keepdims)


def max(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001
    return P.max(x, axis, keepdims)


def min(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001
    return P.min(x, axis, keepdims)


def prod(x, axis=None, keepdims=False) -> Tensor:
    return P.prod(x, axis, keepdims)


def var(x, axis=None, keepdims=False) -> Tensor:
    return ops.var(x, axis, keepdims)


def std(x, axis=None, keepdims=False) -> Tensor:
    return ops.std(x, axis, keepdims)


def logsumexp(x, axis=None, keepdims=False) -> Tensor:
    return P.logsumexp(x, axis, keepdims)


def square(x) -> Tensor:
    return P.square(x)


def abs(x) -> Tensor:  # noqa: A001
    return P.abs(x)


def sqrt(x) -> Tensor:
    """Keras 2 clips negative inputs to 0 before the square root."""
    return P.sqrt(P.maximum(x, 0.0))


def exp(x) -> Tensor:
    return P.exp(x)


def log(x) -> Tensor:
    return P.log(x)


def pow(x, a) -> Tensor:  # noqa: A001
    return P.power(x, a)


def sign(x) -> Tensor:
    return P.sign(x)


def round(x) -> Tensor:  # noqa: A001
    return P.round(x)


def clip(x, min_value, max_value) -> Tensor:
    if max_value is not None and min_value is not None and max_value < min_value:
        max_value = min_value
    return P.clip(x, min_value, max_value)


def maximum(x, y) -> Tensor:
    return P.maximum(x, y)


def minimum(x, y) -> Tensor:
    return P.minimum(x, y)


def cast(x, dtype) -> Tensor:
    return P.cast(x, dtype)


def argmax(x, axis=-1) -> Tensor:
    return P.argmax(x, axis)


def argmin(x, axis=-1) -> Tensor:
    return P.argmin(x, axis)


def equal(x, y) -> Tensor:
    return P.equal(x, y)


def not_equal(x, y) -> Tensor:
    return P.not_equal(x, y)


def greater(x, y) -> Tensor:
    return P.greater(x, y)


def greater_equal(x, y) -> Tensor:
    return P.greater_equal(x, y)


def less(x, y) -> Tensor:
    return P.less(x, y)


def less_equal(x, y) -> Tensor:
    return P.less_equal(x, y)


def switch(condition, then_expression, else_expression) -> Tensor:
    return P.where(condition, then_expression, else_expression)


def any(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001
    return ops.any(x, axis, keepdims)


def all(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001
    return ops.all(x, axis, keepdims)


def stop_gradient(x) -> Tensor:
    return P.stop_gradient(x)


def l2_normalize(x, axis=None) -> Tensor:
    sq = P.sum(P.square(x), axis=axis, keepdims=True)
    return P.multiply(x, P.divide(1.0, P.sqrt(P.maximum(sq, 1e-12))))


def one_hot(indices, num_classes) -> Tensor:
    return ops.one_hot(indices, num_classes)


def sin(x) -> Tensor:
    return P.sin(x)


def cos(x) -> Tensor:
    return P.cos(x)


def cumsum(x, axis=0) -> Tensor:
    """Running sum along `axis` (Keras 2's default: the first axis)."""
    return P.cumsum(x, axis)


def cumprod(x, axis=0) -> Tensor:
    """Running product along `axis` (Keras 2's default: the first axis)."""
    return P.cumprod(x, axis)


def reverse(x, axes) -> Tensor:
    """x with the order of the entries along `axes` (an int or a list) reversed."""
    x = ops.convert_to_tensor(x)
    index = [slice(None)] * x.ndim
    for a in ([axes] if isinstance(axes, int) else axes):
        index[a] = slice(None, None, -1)
    return P.getitem(x, tuple(index))


def repeat_elements(x, rep, axis) -> Tensor:
    """Each entry repeated `rep` times along `axis`, as np.repeat: [a, b] -> [a, a, b, b]."""
    x = ops.convert_to_tensor(x)
    index = [slice(None)] * x.ndim
    index[axis] = np.repeat(np.arange(x.shape[axis]), rep)
    return P.getitem(x, tuple(index))


def gather(reference, indices) -> Tensor:
    """The rows of `reference` (entries along its first axis) at `indices`."""
    return P.getitem(ops.convert_to_tensor(reference),
                     np.asarray(ops.convert_to_numpy(indices), dtype=np.int64))


def arange(start, stop=None, step=1, dtype="int32") -> Tensor:
    """Keras 2's default dtype is int32 (Keras 3's `ops.arange` follows the arguments)."""
    return Tensor(np.arange(start, stop, step).astype(dtype))


def in_top_k(predictions, targets, k) -> Tensor:
    """Whether each target is among its row's k largest predictions (ties count in)."""
    return ops.in_top_k(targets, predictions, k)


def print_tensor(x, message="", summarize=3) -> Tensor:
    """Print `message` and the value of x, and return x (its gradient passes through)."""
    x = ops.convert_to_tensor(x)
    with np.printoptions(threshold=summarize * 2, edgeitems=summarize):
        print(message, np.asarray(x.value))
    return x


# --- variables updated in place (Keras 2's graph-mode "updates", run at once here) -----

def update(x: Variable, new_x) -> Variable:
    return x.assign(new_x)


def update_add(x: Variable, increment) -> Variable:
    return x.assign_add(increment)


def update_sub(x: Variable, decrement) -> Variable:
    return x.assign_sub(decrement)


# --- activations and losses ---------------------------------------------------------


def relu(x, alpha=0.0, max_value=None, threshold=0.0) -> Tensor:
    from minikeras.activations import relu as _relu

    return _relu(x, negative_slope=alpha, max_value=max_value, threshold=threshold)


def elu(x, alpha=1.0) -> Tensor:
    return ops.elu(x, alpha)


def sigmoid(x) -> Tensor:
    return P.sigmoid(x)


def hard_sigmoid(x) -> Tensor:
    """Keras 2's piecewise-linear form: clip(0.2 x + 0.5, 0, 1)."""
    return P.clip(P.add(P.multiply(x, 0.2), 0.5), 0.0, 1.0)


def tanh(x) -> Tensor:
    return P.tanh(x)


def softmax(x, axis=-1) -> Tensor:
    return P.softmax(x, axis)


def softplus(x) -> Tensor:
    return P.softplus(x)


def softsign(x) -> Tensor:
    return ops.softsign(x)


def binary_crossentropy(target, output, from_logits=False) -> Tensor:
    return ops.binary_crossentropy(target, output, from_logits)


def categorical_crossentropy(target, output, from_logits=False, axis=-1) -> Tensor:
    return ops.categorical_crossentropy(target, output, from_logits, axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1) -> Tensor:
    return ops.sparse_categorical_crossentropy(target, output, from_logits, axis)


def dropout(x, level, noise_shape=None, seed=None) -> Tensor:
    from minikeras.random import generator

    return P.dropout(x, level, generator(seed))


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """Keras 2's `K.function([model.input], [layer.output])`: a callable that takes a list of
    input arrays and returns the list of output arrays (used to read hidden activations)."""
    from minikeras.models.functional import Functional

    single = not isinstance(outputs, (list, tuple))
    ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    outs = [outputs] if single else list(outputs)
    if updates:
        raise ValueError("K.function: `updates` are a graph-mode feature minikeras does not "
                         "have; update variables in your own code instead")
    model = Functional(ins if len(ins) > 1 else ins[0], outs if len(outs) > 1 else outs[0])

    def run(values):
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        result = model.predict(values if len(values) > 1 else values[0], verbose=0,
                               batch_size=len(values[0]) or 1)
        result = result if isinstance(result, list) else [result]
        return result[0] if single else result

    return run


# --- learning phase and sessions (Keras 2 graph-mode notions) -------------------------

_LEARNING_PHASE = 0


def learning_phase() -> int:
    return _LEARNING_PHASE


def set_learning_phase(value: int) -> None:
    global _LEARNING_PHASE
    if value not in (0, 1):
        raise ValueError(f"learning phase must be 0 or 1, got {value!r}")
    _LEARNING_PHASE = value


@contextlib.contextmanager
def learning_phase_scope(value: int):
    """The learning phase set to `value` (0 or 1) inside the `with` block."""
    previous = learning_phase()
    set_learning_phase(value)
    try:
        yield value
    finally:
        set_learning_phase(previous)


def in_train_phase(x, alt, training=None) -> Any:
    """`x` in training, `alt` otherwise (each may be a function to call). As in Keras 2,
    `training=None` means the training flag of the layer call in progress (True inside
    `fit`), and outside any call the learning phase."""
    if training is None:
        from minikeras.layers.layer import _context

        training = _context.training
        if training is None:
            training = learning_phase()
    if isinstance(training, Tensor):
        training = bool(np.asarray(training.value))
    chosen = x if training else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x, alt, training=None) -> Any:
    """`x` outside training, `alt` in training."""
    return in_train_phase(alt, x, training)


def clear_session() -> None:
    """Reset the automatic layer names, as Keras does."""
    from minikeras.utils.naming import reset_uids

    reset_uids()


def get_uid(prefix: str = "") -> int:
    from minikeras.utils.naming import get_uid as _get_uid

    return _get_uid(prefix)


# --- Keras 3's dtype helpers (issue 11, item 10) ---
from minikeras.backend.dtypes import (  # noqa: E402,F401
    is_float_dtype,
    is_int_dtype,
    result_type,
    standardize_dtype,
)
# --- convolution and pooling (issue 9): Keras 2's signatures over keras.ops' ones --------

def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1) -> Tensor:
    """Keras 2's K.conv1d; kernel (width, in, out); padding may be 'causal'."""
    return ops.conv(x, kernel, strides, padding, data_format, dilation_rate)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1)) -> Tensor:
    """Keras 2's K.conv2d; kernel (rows, cols, in, out)."""
    return ops.conv(x, kernel, strides, padding, data_format, dilation_rate)


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1, 1)) -> Tensor:
    return ops.conv(x, kernel, strides, padding, data_format, dilation_rate)


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)) -> Tensor:
    return ops.depthwise_conv(x, depthwise_kernel, strides, padding, data_format, dilation_rate)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)) -> Tensor:
    return ops.separable_conv(x, depthwise_kernel, pointwise_kernel, strides, padding,
                              data_format, dilation_rate)


def _pool_nd(x, pool_size, strides, padding, data_format, pool_mode) -> Tensor:
    if pool_mode == "max":
        return ops.max_pool(x, pool_size, strides, padding, data_format)
    if pool_mode == "avg":
        return ops.average_pool(x, pool_size, strides, padding, data_format)
    raise ValueError(f"Invalid pool_mode: {pool_mode!r}. Expected 'max' or 'avg'")


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None,
           pool_mode="max") -> Tensor:
    """Keras 2's K.pool2d (note: strides default to 1 here, unlike the layers)."""
    return _pool_nd(x, pool_size, strides, padding, data_format, pool_mode)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None,
           pool_mode="max") -> Tensor:
    return _pool_nd(x, pool_size, strides, padding, data_format, pool_mode)


# --- padding and resizing (issue 9, branch `reshape`) ---
from minikeras.backend.reshaping import (  # noqa: E402,F401
    resize_images,
    resize_volumes,
    spatial_2d_padding,
    spatial_3d_padding,
    temporal_padding,
)

# --- sequences (branch rnn) ---
from minikeras.backend.rnn import rnn  # noqa: E402,F401
