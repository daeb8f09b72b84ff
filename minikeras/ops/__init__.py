"""`keras.ops`: Keras 3's NumPy-like functions, on minikeras tensors.

Each name takes tensors, arrays or Python numbers and returns a `Tensor` that takes part
in differentiation. Composite functions here are built from the primitives in
`minikeras.autodiff.primitives`, so their gradients come for free.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor, constant_like
from minikeras import config
from minikeras.random import generator

# `keras.ops.slice` (math_ops) takes the name `slice` in this namespace below
_py_slice = builtins.slice

# --- primitives re-exported under their Keras 3 names -------------------------------
add = P.add
subtract = P.subtract
multiply = P.multiply
divide = true_divide = P.divide
power = P.power
negative = P.negative
maximum = P.maximum
minimum = P.minimum
exp = P.exp
log = P.log
log1p = P.log1p
expm1 = P.expm1
sqrt = P.sqrt
square = P.square
absolute = abs = P.abs  # noqa: A001
sin = P.sin
cos = P.cos
tanh = P.tanh
sign = P.sign
floor = P.floor
round = P.round  # noqa: A001
clip = P.clip
where = P.where
cast = P.cast
stop_gradient = P.stop_gradient
equal = P.equal
not_equal = P.not_equal
less = P.less
less_equal = P.less_equal
greater = P.greater
greater_equal = P.greater_equal
argmax = P.argmax
argmin = P.argmin
sum = P.sum  # noqa: A001
mean = P.mean
max = amax = P.max  # noqa: A001
min = amin = P.min  # noqa: A001
prod = P.prod
logsumexp = P.logsumexp
matmul = P.matmul
reshape = P.reshape
expand_dims = P.expand_dims
squeeze = P.squeeze
broadcast_to = P.broadcast_to
concatenate = P.concatenate
stack = P.stack
tile = P.tile
sigmoid = P.sigmoid
relu = P.relu
softplus = P.softplus
log_softmax = P.log_softmax


def softmax(x, axis=-1) -> Tensor:
    return P.softmax(x, axis=axis)


def transpose(x, axes=None) -> Tensor:
    return P.transpose(x, axes)


# --- conversion ---------------------------------------------------------------------

def convert_to_tensor(x: Any, dtype: Any = None) -> Tensor:
    """A Tensor from an array-like; floats become floatx unless `dtype` says otherwise."""
    if isinstance(x, Tensor):
        return x if dtype is None or x.value.dtype == dtype else P.cast(x, dtype)
    return constant_like(x, dtype)


def convert_to_numpy(x: Any) -> np.ndarray:
    return np.asarray(x.value if isinstance(x, Tensor) else x)


def is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


def shape(x: Any) -> tuple:
    return tuple(np.shape(x.value if isinstance(x, Tensor) else x))


def ndim(x: Any) -> int:
    return len(shape(x))


def dtype(x: Any) -> str:
    return str(convert_to_numpy(x).dtype)


# --- constructors -------------------------------------------------------------------

def zeros(shape, dtype=None) -> Tensor:
    return Tensor(np.zeros(shape, dtype=dtype or config.floatx()))


def ones(shape, dtype=None) -> Tensor:
    return Tensor(np.ones(shape, dtype=dtype or config.floatx()))


def full(shape, fill_value, dtype=None) -> Tensor:
    return Tensor(np.full(shape, fill_value, dtype=dtype or config.floatx()))


def zeros_like(x, dtype=None) -> Tensor:
    return Tensor(np.zeros_like(convert_to_numpy(x), dtype=dtype))


def ones_like(x, dtype=None) -> Tensor:
    return Tensor(np.ones_like(convert_to_numpy(x), dtype=dtype))


def eye(n, m=None, dtype=None) -> Tensor:
    return Tensor(np.eye(n, m, dtype=dtype or config.floatx()))


def arange(start, stop=None, step=1, dtype=None) -> Tensor:
    return Tensor(np.arange(start, stop, step, dtype=dtype))


def one_hot(x, num_classes, dtype=None) -> Tensor:
    idx = convert_to_numpy(x).astype(np.int64)
    return Tensor(np.eye(num_classes, dtype=dtype or config.floatx())[idx])


# --- composites (gradients follow from the primitives) -------------------------------

def dot(a, b) -> Tensor:
    return P.matmul(a, b)


def var(x, axis=None, keepdims=False) -> Tensor:
    m = P.mean(x, axis=axis, keepdims=True)
    return P.mean(P.square(P.subtract(x, m)), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False) -> Tensor:
    return P.sqrt(var(x, axis=axis, keepdims=keepdims))


def average(x, axis=None, weights=None) -> Tensor:
    if weights is None:
        return P.mean(x, axis=axis)
    return P.divide(P.sum(P.multiply(x, weights), axis=axis), P.sum(weights, axis=axis))


def norm(x, ord=None, axis=None, keepdims=False) -> Tensor:  # noqa: A002
    if ord not in (None, 2, "fro", "euclidean"):
        raise ValueError(f"norm: only the 2-norm is supported, got ord={ord!r}")
    return P.sqrt(P.sum(P.square(x), axis=axis, keepdims=keepdims))


def flatten(x) -> Tensor:
    return P.reshape(x, (-1,))


def reciprocal(x) -> Tensor:
    return P.divide(1.0, x)


def log2(x) -> Tensor:
    return P.divide(P.log(x), math.log(2.0))


def log10(x) -> Tensor:
    return P.divide(P.log(x), math.log(10.0))


def cumsum(x, axis=None) -> Tensor:
    return P.cumsum(convert_to_tensor(x), axis)


def cumprod(x, axis=None) -> Tensor:
    return P.cumprod(convert_to_tensor(x), axis)


def any(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001
    return Tensor(np.any(convert_to_numpy(x), axis=axis, keepdims=keepdims))


def all(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001
    return Tensor(np.all(convert_to_numpy(x), axis=axis, keepdims=keepdims))


def logical_and(a, b) -> Tensor:
    return Tensor(np.logical_and(convert_to_numpy(a), convert_to_numpy(b)))


def logical_or(a, b) -> Tensor:
    return Tensor(np.logical_or(convert_to_numpy(a), convert_to_numpy(b)))


def logical_not(a) -> Tensor:
    return Tensor(np.logical_not(convert_to_numpy(a)))


def isnan(x) -> Tensor:
    return Tensor(np.isnan(convert_to_numpy(x)))


def isfinite(x) -> Tensor:
    return Tensor(np.isfinite(convert_to_numpy(x)))


def take(x, indices, axis=None) -> Tensor:
    idx = convert_to_numpy(indices).astype(np.int64)
    if axis is None:
        return P.getitem(P.reshape(x, (-1,)), idx)
    index = [_py_slice(None)] * ndim(x)
    index[axis] = idx
    return P.getitem(x, tuple(index))


def take_along_axis(x, indices, axis=None) -> Tensor:
    idx = convert_to_numpy(indices).astype(np.int64)
    x = convert_to_tensor(x)
    grid = list(np.ix_(*[np.arange(n) for n in idx.shape]))
    grid[axis] = idx
    return P.getitem(x, tuple(grid))


def top_k(x, k, sorted=True):  # noqa: A002
    v = convert_to_numpy(x)
    idx = np.argsort(-v, axis=-1, kind="stable")[..., :k]
    return Tensor(np.take_along_axis(v, idx, -1)), Tensor(idx)


def in_top_k(targets, predictions, k) -> Tensor:
    """True where the target's score is among the k largest (ties count as in, like Keras)."""
    p = convert_to_numpy(predictions)
    t = convert_to_numpy(targets).astype(np.int64).reshape(-1)
    target_score = p[np.arange(len(t)), t]
    higher = (p > target_score[:, None]).sum(axis=-1)
    return Tensor(higher < k)


# --- more NumPy-like functions of keras.ops (and ops.rsqrt, ops.moments, ops.normalize) ----

def _as_float(x) -> Tensor:
    """x as a tensor; integers and booleans become floatx, as Keras does for float-valued ops."""
    x = convert_to_tensor(x)
    return x if x.dtype.kind == "f" else P.cast(x, config.floatx())


def _float_pair(x1, x2) -> tuple:
    """Both operands as float tensors; a Python number next to a tensor stays a number, so
    that it takes the tensor's dtype (JAX's weak types)."""
    numbers = [isinstance(v, (int, float)) and not isinstance(v, bool) for v in (x1, x2)]
    if numbers[0] and numbers[1]:
        return _as_float(x1), _as_float(x2)
    return tuple(float(v) if n else _as_float(v) for v, n in zip((x1, x2), numbers))


def _raw(x):
    """The NumPy operand of a non-differentiable op; Python numbers stay weak."""
    if isinstance(x, (bool, int, float)):
        return x
    return convert_to_tensor(x).value


def tan(x) -> Tensor:
    return P.tan(_as_float(x))


def sinh(x) -> Tensor:
    return P.sinh(_as_float(x))


def cosh(x) -> Tensor:
    return P.cosh(_as_float(x))


def ceil(x) -> Tensor:
    """Integers come back as floatx, as in Keras; the gradient is zero."""
    return P.ceil(_as_float(x))


def rsqrt(x) -> Tensor:
    """1 / sqrt(x) (`keras.ops.rsqrt`; integers are cast to floatx first)."""
    return P.divide(1.0, P.sqrt(_as_float(x)))


def logaddexp(x1, x2) -> Tensor:
    return P.logaddexp(*_float_pair(x1, x2))


mod = P.mod


def nan_to_num(x, nan=0.0, posinf=None, neginf=None) -> Tensor:
    """NaN -> `nan`, +-inf -> `posinf`/`neginf` (default: the dtype's largest finite
    values); the gradient is that of x where it was finite and zero elsewhere."""
    x = convert_to_tensor(x)
    if x.dtype.kind != "f":
        return P.copy(x)
    info = np.finfo(x.dtype)
    v = x.value
    out = P.where(np.isnan(v), nan, x)
    out = P.where(np.isposinf(v), info.max if posinf is None else posinf, out)
    return P.where(np.isneginf(v), info.min if neginf is None else neginf, out)


def divide_no_nan(x1, x2) -> Tensor:
    """x1 / x2, and 0 where x2 == 0 (with a zero gradient there)."""
    x1, x2 = _float_pair(x1, x2)
    if isinstance(x2, float):
        x2 = Tensor(np.asarray(x2, dtype=x1.dtype))
    zero = P.equal(x2, 0)
    return P.where(zero, 0.0, P.divide(x1, P.where(zero, 1.0, x2)))


def floor_divide(x1, x2) -> Tensor:
    """floor(x1 / x2), in the operands' dtype (integers stay integers); no gradient (JAX
    gives zero)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return Tensor(np.floor_divide(_raw(x1), _raw(x2)))


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False) -> Tensor:
    return Tensor(np.isclose(_raw(x1), _raw(x2), rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False) -> Tensor:
    """A 0-d boolean tensor (as Keras' JAX backend returns)."""
    return Tensor(np.asarray(np.allclose(_raw(x1), _raw(x2), rtol=rtol, atol=atol,
                                         equal_nan=equal_nan)))


def flip(x, axis=None) -> Tensor:
    x = convert_to_tensor(x)
    axes = range(x.ndim) if axis is None else axis if isinstance(axis, (list, tuple)) \
        else (axis,)
    index = [_py_slice(None)] * x.ndim
    for a in axes:
        index[a] = _py_slice(None, None, -1)
    return P.getitem(x, tuple(index))


def roll(x, shift, axis=None) -> Tensor:
    """Shift elements along `axis` (of the flattened tensor when axis is None), wrapping
    around; `shift` and `axis` may be sequences, as in NumPy."""
    x = convert_to_tensor(x)
    if axis is None:
        return P.reshape(roll(P.reshape(x, (-1,)), shift, 0), x.shape)
    out = x
    for s, a in zip(*(v.ravel() for v in np.broadcast_arrays(shift, axis))):
        out = take(out, np.roll(np.arange(x.shape[a]), int(s)), axis=int(a))
    return out


def repeat(x, repeats, axis=None) -> Tensor:
    """Each element `repeats` times in a row along `axis` (flattened when None); `repeats`
    may be one count per element."""
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = P.reshape(x, (-1,)), 0
    return take(x, np.repeat(np.arange(x.shape[axis]), convert_to_numpy(repeats)), axis=axis)


def _triangle(x, keep_below: bool, k: int) -> Tensor:
    x = convert_to_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"tril/triu need a tensor of rank >= 2, got shape {x.shape}")
    below = np.tri(x.shape[-2], x.shape[-1], k if keep_below else k - 1, dtype=bool)
    return P.where(below if keep_below else ~below, x, False if x.dtype == bool else 0)


def tril(x, k=0) -> Tensor:
    """Zero above the k-th diagonal of the last two axes."""
    return _triangle(x, True, k)


def triu(x, k=0) -> Tensor:
    """Zero below the k-th diagonal of the last two axes."""
    return _triangle(x, False, k)


def outer(x1, x2) -> Tensor:
    """The outer product of the flattened inputs."""
    return P.multiply(P.reshape(x1, (-1, 1)), P.reshape(x2, (1, -1)))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`num` evenly spaced values; floatx unless `dtype` says otherwise (Keras' JAX backend
    gives float32). A constant: no gradient flows to `start` and `stop` (JAX has one)."""
    samples, step = np.linspace(convert_to_numpy(start), convert_to_numpy(stop), num,
                                endpoint=endpoint, retstep=True, axis=axis)
    dtype = dtype or config.floatx()
    samples = Tensor(samples.astype(dtype))
    return (samples, Tensor(np.asarray(step, dtype=dtype))) if retstep else samples


def sort(x, axis=-1) -> Tensor:
    """Ascending along `axis` (flattened when None); stable, so that tied elements keep
    their order and each gets its own gradient, as with JAX."""
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = P.reshape(x, (-1,)), -1
    return take_along_axis(x, np.argsort(x.value, axis=axis, kind="stable"), axis=axis)


def argsort(x, axis=-1) -> Tensor:
    """Indices that sort x along `axis` (stable); int32, the dtype Keras declares."""
    v = convert_to_numpy(x)
    return Tensor(np.argsort(v, axis=None if v.ndim == 0 else axis, kind="stable")
                  .astype(np.int32))


def hstack(xs) -> Tensor:
    """Concatenate along axis 1 (axis 0 for 1-D tensors)."""
    xs = [convert_to_tensor(x) for x in xs]
    xs = [P.reshape(x, (1,)) if x.ndim == 0 else x for x in xs]
    return P.concatenate(xs, axis=0 if xs[0].ndim == 1 else 1)


def vstack(xs) -> Tensor:
    """Concatenate along axis 0; 0-d and 1-D tensors become rows first."""
    xs = [convert_to_tensor(x) for x in xs]
    return P.concatenate([P.reshape(x, (1, -1)) if x.ndim < 2 else x for x in xs], axis=0)


def split(x, indices_or_sections, axis=0) -> list:
    """A list of pieces: `indices_or_sections` equal parts (which must divide the axis), or
    cuts at those indices."""
    x = convert_to_tensor(x)
    n = x.shape[axis]
    if np.ndim(indices_or_sections) == 0:
        parts = int(indices_or_sections)
        if parts <= 0 or n % parts:
            raise ValueError(f"split: {parts} sections do not divide axis {axis} of size {n}")
        cuts = [i * (n // parts) for i in range(1, parts)]
    else:
        cuts = [int(i) for i in convert_to_numpy(indices_or_sections).ravel()]
    pieces = []
    for start, stop in zip([0] + cuts, cuts + [n]):
        index = [_py_slice(None)] * x.ndim
        index[axis] = _py_slice(start, stop)
        pieces.append(P.getitem(x, tuple(index)))
    return pieces


def moments(x, axes, keepdims=False, synchronized=False) -> tuple:
    """(mean, variance) over `axes`. `synchronized` only matters for TensorFlow's multi-device
    training; minikeras runs on one device and accepts it (Keras' JAX backend raises)."""
    x = _as_float(x)
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else axes
    return P.mean(x, axis=axes, keepdims=keepdims), var(x, axis=axes, keepdims=keepdims)


def normalize(x, axis=-1, order=2, epsilon=None) -> Tensor:
    """x / max(norm_order(x), epsilon) along `axis` (epsilon: `config.epsilon()`); for
    order 2 as Keras computes it, x * min(rsqrt(sum(x**2)), 1/epsilon). Vector norms only:
    an `order` other than 2 over two axes (a matrix norm in Keras) is refused."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize: order must be an int >= 1, got order={order!r}")
    x = _as_float(x)
    if x.ndim == 0:
        x = P.reshape(x, (1,))
    eps = config.epsilon() if epsilon is None else epsilon
    if order == 2:
        inv = rsqrt(P.sum(P.square(x), axis=axis, keepdims=True))
        return P.multiply(x, P.minimum(inv, 1.0 / eps))
    if isinstance(axis, (list, tuple)):
        raise ValueError(f"normalize: order={order} over several axes (a matrix norm) is not "
                         f"supported by minikeras; got axis={axis!r}")
    total = P.sum(P.power(P.abs(x), order), axis=axis, keepdims=True)
    norm = total if order == 1 else P.power(total, 1.0 / order)
    return P.divide(x, P.maximum(norm, eps))


def size(x) -> int:
    """The number of elements, as a Python int (as Keras' JAX backend returns it)."""
    return int(np.size(convert_to_numpy(x)))


def copy(x) -> Tensor:
    return P.copy(convert_to_tensor(x))


def full_like(x, fill_value, dtype=None) -> Tensor:
    return Tensor(np.full_like(convert_to_tensor(x).value, convert_to_numpy(fill_value),
                               dtype=dtype))


def identity(n, dtype=None) -> Tensor:
    return Tensor(np.identity(n, dtype=dtype or config.floatx()))


def diag(x, k=0) -> Tensor:
    """From a vector, a square matrix with it on the k-th diagonal; from a matrix, its k-th
    diagonal."""
    x = convert_to_tensor(x)
    if x.ndim == 1:
        # index -1 (off the diagonal) picks the zero appended to x
        padded = P.concatenate([x, np.zeros(1, dtype=x.dtype)])
        return P.getitem(padded, np.diag(np.arange(1, x.shape[0] + 1), k) - 1)
    if x.ndim == 2:
        flat_index = np.diag(np.arange(x.size).reshape(x.shape), k)
        return P.getitem(P.reshape(x, (-1,)), flat_index)
    raise ValueError(f"diag: x must be 1-D or 2-D, got shape {x.shape}")


def trace(x, offset=0, axis1=0, axis2=1) -> Tensor:
    """The sum of the `offset` diagonal of the (axis1, axis2) planes, in x's dtype (booleans
    and 8/16-bit integers give (u)int32, as in Keras)."""
    x = convert_to_tensor(x)
    a1, a2 = axis1 % x.ndim, axis2 % x.ndim
    moved = P.transpose(x, [a for a in range(x.ndim) if a not in (a1, a2)] + [a1, a2])
    rows, cols = moved.shape[-2:]
    flat = P.reshape(moved, moved.shape[:-2] + (rows * cols,))
    on_diagonal = np.diag(np.arange(rows * cols).reshape(rows, cols), offset)
    out = P.sum(P.getitem(flat, (Ellipsis, on_diagonal)), axis=-1)
    target = x.dtype
    if x.dtype == bool or (x.dtype.kind in "iu" and x.dtype.itemsize < 4):
        target = np.dtype("uint32" if x.dtype.kind == "u" else "int32")
    return out if out.dtype == target else P.cast(out, target)  # (NumPy sums int32 as int64)


def meshgrid(*x, indexing="xy") -> list:
    """Coordinate grids from 1-D tensors; "xy" swaps the first two axes of the grids, "ij"
    does not."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    vectors = [P.reshape(v, (-1,)) for v in x]
    axes = list(range(len(vectors)))
    if indexing == "xy" and len(vectors) >= 2:
        axes[0], axes[1] = 1, 0
    grid = [0] * len(vectors)
    for v, a in zip(vectors, axes):
        grid[a] = v.shape[0]
    grids = []
    for v, a in zip(vectors, axes):
        dims = [1] * len(vectors)
        dims[a] = -1
        grids.append(P.broadcast_to(P.reshape(v, dims), tuple(grid)))
    return grids


# --- activations (keras.ops.*) -------------------------------------------------------

def relu6(x) -> Tensor:
    return P.relu6(x)


def leaky_relu(x, negative_slope=0.2) -> Tensor:
    x = convert_to_tensor(x)
    return P.where(P.greater_equal(x, 0), x, P.multiply(x, negative_slope))


def elu(x, alpha=1.0) -> Tensor:
    x = convert_to_tensor(x)
    positive = P.greater(x, 0)
    return P.where(positive, x, P.multiply(P.expm1(P.where(positive, 0.0, x)), alpha))


def selu(x) -> Tensor:
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    return P.multiply(elu(x, alpha), scale)


def softsign(x) -> Tensor:
    return P.divide(x, P.add(P.abs(x), 1.0))


def silu(x) -> Tensor:
    return P.multiply(x, P.sigmoid(x))


swish = silu


def hard_sigmoid(x) -> Tensor:
    """Keras 3: relu6(x + 3) / 6 (Keras 2 used 0.2x + 0.5, clipped)."""
    return P.divide(relu6(P.add(x, 3.0)), 6.0)


def hard_silu(x) -> Tensor:
    return P.multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


def gelu(x, approximate=True) -> Tensor:
    """Keras 3's `ops.gelu` defaults to the tanh approximation; `activations.gelu` does not."""
    x = convert_to_tensor(x)
    if approximate:
        c = math.sqrt(2.0 / math.pi)
        inner = P.multiply(P.add(x, P.multiply(P.power(x, 3), 0.044715)), c)
        return P.multiply(P.multiply(x, 0.5), P.add(P.tanh(inner), 1.0))
    return P.multiply(P.multiply(x, 0.5), P.add(erf(P.divide(x, math.sqrt(2.0))), 1.0))


def erf(x) -> Tensor:
    x = convert_to_tensor(x)
    v = x.value
    out = _erf(v)
    from minikeras.autodiff.tensor import record

    return record(out, (x,), lambda g: (g * (2.0 / math.sqrt(math.pi)) * np.exp(-v * v),))


def _erf(v: np.ndarray) -> np.ndarray:
    vec = np.vectorize(math.erf, otypes=[np.float64])
    return vec(v).astype(v.dtype, copy=False)


def mish(x) -> Tensor:
    return P.multiply(x, P.tanh(P.softplus(x)))


def log_sigmoid(x) -> Tensor:
    return P.negative(P.softplus(P.negative(x)))


def celu(x, alpha=1.0) -> Tensor:
    x = convert_to_tensor(x)
    positive = P.greater(x, 0)
    negative = P.multiply(P.expm1(P.divide(P.where(positive, 0.0, x), alpha)), alpha)
    return P.where(positive, x, negative)


def hard_tanh(x) -> Tensor:
    x = convert_to_tensor(x)
    return P.where(P.greater(x, 1.0), 1.0, P.where(P.less(x, -1.0), -1.0, x))


def hard_shrink(x, threshold=0.5) -> Tensor:
    x = convert_to_tensor(x)
    return P.where(P.greater(P.abs(x), threshold), x, 0.0)


def soft_shrink(x, threshold=0.5) -> Tensor:
    x = convert_to_tensor(x)
    inner = P.where(P.less(x, -threshold), P.add(x, threshold), 0.0)
    return P.where(P.greater(x, threshold), P.subtract(x, threshold), inner)


def sparse_plus(x) -> Tensor:
    x = convert_to_tensor(x)
    middle = P.where(P.greater_equal(x, 1.0), x, P.multiply(P.square(P.add(x, 1.0)), 0.25))
    return P.where(P.less_equal(x, -1.0), 0.0, middle)


def sparse_sigmoid(x) -> Tensor:
    return P.multiply(P.clip(P.add(x, 1.0), 0.0, 2.0), 0.5)


def squareplus(x, b=4) -> Tensor:
    x = convert_to_tensor(x)
    return P.multiply(P.add(x, P.sqrt(P.add(P.square(x), b))), 0.5)


def tanh_shrink(x) -> Tensor:
    return P.subtract(x, P.tanh(x))


def threshold(x, threshold, default_value) -> Tensor:
    x = convert_to_tensor(x)
    return P.where(P.greater(x, threshold), x, default_value)


def glu(x, axis=-1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of x along `axis`."""
    x = convert_to_tensor(x)
    n = x.shape[axis]
    if n % 2:
        raise ValueError(f"glu: the size of axis {axis} must be even, got x.shape={x.shape}")
    first = [_py_slice(None)] * x.ndim
    second = [_py_slice(None)] * x.ndim
    first[axis] = _py_slice(0, n // 2)
    second[axis] = _py_slice(n // 2, n)
    return P.multiply(P.getitem(x, tuple(first)), P.sigmoid(P.getitem(x, tuple(second))))


def sparsemax(x, axis=-1) -> Tensor:
    """The Euclidean projection of x onto the probability simplex, along `axis`."""
    from minikeras.autodiff.tensor import record

    x = convert_to_tensor(x)
    v = x.value
    z = -np.sort(-v, axis=axis)
    cumsum = np.cumsum(z, axis=axis)
    shape = [1] * v.ndim
    shape[axis] = -1
    r = np.arange(1, v.shape[axis] + 1).reshape(shape)
    support = z - (cumsum - 1) / r > 0
    k = support.sum(axis=axis, keepdims=True)
    tau = (np.where(support, cumsum, 0.0).sum(axis=axis, keepdims=True) - 1) / k
    out = np.maximum(v - tau, 0.0).astype(v.dtype)
    # tau depends on x through the sorted cumulative sums; the element of sorted rank p
    # enters max(k - p, 0) of the summed cumulative sums, hence d tau / dx = that / k
    rank = np.argsort(np.argsort(-v, axis=axis, kind="stable"), axis=axis, kind="stable")
    dtau = np.maximum(k - rank, 0) / k
    diff = v - tau
    mask = np.where(diff > 0, 1.0, np.where(diff == 0, 0.5, 0.0))

    def backward(g):
        through = (g * mask).sum(axis=axis, keepdims=True)
        return ((g * mask - through * dtau).astype(v.dtype),)

    return record(out, (x,), backward)


# --- losses as backend functions (Keras 3 `ops.*_crossentropy`) ------------------------

def binary_crossentropy(target, output, from_logits=False) -> Tensor:
    """Element-wise; probabilities are clipped to [eps, 1-eps] as Keras does.

    When `output` came straight out of a sigmoid, the logits are used instead (as Keras'
    TensorFlow backend does), which is exact and keeps saturated units learning.
    """
    output = convert_to_tensor(output)
    target = convert_to_tensor(target, output.dtype)
    if target.shape != output.shape:
        raise ValueError(f"binary_crossentropy: target and output must have the same shape, "
                         f"got target.shape={target.shape}, output.shape={output.shape}")
    if from_logits:
        return P.sigmoid_cross_entropy(target, output)
    if output._logits_kind == "sigmoid":
        return P.sigmoid_cross_entropy(target, output._keras_logits)
    eps = config.epsilon()
    out = P.clip(output, eps, 1.0 - eps)
    return P.negative(P.add(P.multiply(target, P.log(out)),
                            P.multiply(P.subtract(1.0, target), P.log(P.subtract(1.0, out)))))


def categorical_crossentropy(target, output, from_logits=False, axis=-1) -> Tensor:
    """Sum over `axis` of -target*log(output); output renormalised and clipped (Keras)."""
    output = convert_to_tensor(output)
    target = convert_to_tensor(target, output.dtype)
    if target.shape != output.shape:
        raise ValueError(f"categorical_crossentropy: target and output must have the same "
                         f"shape, got target.shape={target.shape}, output.shape={output.shape}")
    if from_logits:
        return P.softmax_cross_entropy(target, output, axis=axis)
    if output._logits_kind == "softmax" and axis in (-1, output.ndim - 1):
        return P.softmax_cross_entropy(target, output._keras_logits, axis=axis,
                                       cache=output._softmax_cache)
    eps = config.epsilon()
    out = P.divide(output, P.sum(output, axis=axis, keepdims=True))
    out = P.clip(out, eps, 1.0 - eps)
    return P.negative(P.sum(P.multiply(target, P.log(out)), axis=axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1) -> Tensor:
    output = convert_to_tensor(output)
    labels = convert_to_numpy(target)
    if labels.ndim == output.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != output.shape[:-1]:
        raise ValueError(f"sparse_categorical_crossentropy: target shape {labels.shape} does "
                         f"not match output shape {output.shape} without its class axis")
    if axis not in (-1, output.ndim - 1):
        raise ValueError("sparse_categorical_crossentropy: only axis=-1 is supported")
    if from_logits:
        return P.sparse_softmax_cross_entropy(labels, output)
    if output._logits_kind == "softmax":
        return P.sparse_softmax_cross_entropy(labels, output._keras_logits)
    eps = config.epsilon()
    out = P.divide(output, P.sum(output, axis=-1, keepdims=True))
    out = P.clip(out, eps, 1.0 - eps)
    idx = labels.astype(np.int64)
    n = output.shape[-1]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"sparse labels must be in [0, {n}); got values from "
                         f"{idx.min()} to {idx.max()}")
    picked = take_along_axis(out, idx[..., None], axis=-1)
    return P.negative(P.log(P.squeeze(picked, -1)))


# --- random (keras.random-like helpers used by K and layers) -------------------------

def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    rng = generator(seed)
    return Tensor(rng.normal(mean, stddev, size=shape).astype(dtype or config.floatx()))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None) -> Tensor:
    rng = generator(seed)
    return Tensor(rng.uniform(minval, maxval, size=shape).astype(dtype or config.floatx()))


# --- convolution and pooling (issue 9) ---
from minikeras.ops.conv_ops import (  # noqa: E402,F401
    average_pool,
    conv,
    conv_transpose,
    depthwise_conv,
    max_pool,
    separable_conv,
)

# the remaining math functions and keras.ops.linalg (branch `policy`, issue 11)
from minikeras.ops import math_ops as _math_ops  # noqa: E402
from minikeras.ops import linalg  # noqa: E402,F401

# (this brings `keras.ops.slice`: the functions above use Python's slice as `_py_slice`)
globals().update({_n: getattr(_math_ops, _n) for _n in _math_ops.__all__})

__all__ = [name for name in dir() if not name.startswith("_")
           and name not in ("annotations", "Any", "builtins", "math", "np", "P", "config",
                            "generator",
                            "constant_like", "conv_ops", "math_ops")]


# --- keras.ops on KerasTensors build graph nodes (issue 11, item 2); keep this last, so
# that every function above is wrapped ---
from minikeras.ops import symbolic as _symbolic  # noqa: E402

_symbolic.install(globals())
