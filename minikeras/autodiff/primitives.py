"""The primitive ops. Each computes its forward value and defines its backward next to it.

A backward function receives the upstream gradient `g` (same shape as the output) and
returns one gradient per parent, or None for a parent that needs none. Every other
differentiable function in minikeras (layers, losses, activations, `K.*`, `keras.ops`)
is built from these.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from minikeras.autodiff import tensor as _tensor_module
from minikeras.autodiff.tensor import Tensor, constant_like, record
from minikeras import config

_SCALARS = (int, float, bool, np.number)
_add_reduce = np.add.reduce  # ndarray.sum without its Python-level wrapper
_max_reduce = np.maximum.reduce  # ndarray.max, likewise


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else constant_like(x)


def _val(x: Any):
    """The raw operand: ndarray for tensors, Python scalars left weak for dtype promotion."""
    if isinstance(x, Tensor):
        return x.value
    if isinstance(x, np.floating) and x.dtype == np.float64:
        return float(x)  # keep it weak, so float32 tensors stay float32
    if isinstance(x, _SCALARS):
        return x
    return constant_like(x).value


def unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a broadcast gradient back down to `shape`."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _binary(a, b, forward, grad_a, grad_b):
    """Shared plumbing of the element-wise binary ops (broadcasting, constants)."""
    av, bv = _val(a), _val(b)
    out = forward(av, bv)
    parents = tuple(x for x in (a, b) if isinstance(x, Tensor))
    a_is_t, b_is_t = isinstance(a, Tensor), isinstance(b, Tensor)

    def backward(g):
        grads = []
        if a_is_t:
            grads.append(unbroadcast(grad_a(g, av, bv, out), a.value.shape)
                         if a.needs_grad else None)
        if b_is_t:
            grads.append(unbroadcast(grad_b(g, av, bv, out), b.value.shape)
                         if b.needs_grad else None)
        return grads

    return record(np.asarray(out), parents, backward)


# --- arithmetic ---------------------------------------------------------------------

def add(a, b) -> Tensor:
    return _binary(a, b, np.add, lambda g, a, b, o: g, lambda g, a, b, o: g)


def subtract(a, b) -> Tensor:
    return _binary(a, b, np.subtract, lambda g, a, b, o: g, lambda g, a, b, o: -g)


def multiply(a, b) -> Tensor:
    return _binary(a, b, np.multiply, lambda g, a, b, o: g * b, lambda g, a, b, o: g * a)


def divide(a, b) -> Tensor:
    return _binary(a, b, np.true_divide, lambda g, a, b, o: g / b,
                   lambda g, a, b, o: -g * o / b)


def power(a, b) -> Tensor:
    def grad_base(g, a, b, o):
        if isinstance(b, _SCALARS):
            if b == 2:
                return g * 2 * a
            return g * b * np.power(a, b - 1)
        return g * b * np.power(a, b - 1)

    def grad_exp(g, a, b, o):
        with np.errstate(divide="ignore", invalid="ignore"):
            return g * o * np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0)

    return _binary(a, b, np.power, grad_base, grad_exp)


def _share(first_wins, tie):
    """Gradient weights of a max/min: 1 where this side wins, 1/2 on ties (as JAX does)."""
    return np.where(tie, 0.5, first_wins)


def maximum(a, b) -> Tensor:
    return _binary(a, b, np.maximum, lambda g, a, b, o: g * _share(a > b, a == b),
                   lambda g, a, b, o: g * _share(b > a, a == b))


def minimum(a, b) -> Tensor:
    return _binary(a, b, np.minimum, lambda g, a, b, o: g * _share(a < b, a == b),
                   lambda g, a, b, o: g * _share(b < a, a == b))


def logaddexp(a, b) -> Tensor:
    """log(exp(a) + exp(b)) without overflow; d/da = exp(a - out), d/db = exp(b - out)."""
    return _binary(a, b, np.logaddexp, lambda g, a, b, o: g * np.exp(a - o),
                   lambda g, a, b, o: g * np.exp(b - o))


def mod(a, b) -> Tensor:
    """The remainder with the sign of b (NumPy's and JAX's `mod`). a - b * floor(a / b):
    the gradient is 1 for a and -floor(a / b) for b."""

    def grad_b(g, a, b, o):
        with np.errstate(divide="ignore", invalid="ignore"):
            return -g * np.floor_divide(a, b)

    with np.errstate(divide="ignore", invalid="ignore"):
        return _binary(a, b, np.mod, lambda g, a, b, o: g, grad_b)


def negative(x) -> Tensor:
    x = _t(x)
    return record(-x.value, (x,), lambda g: (-g,))


def _unary(x, forward, derivative):
    """Element-wise op whose gradient is g * derivative(x, out)."""
    x = _t(x)
    out = forward(x.value)
    return record(out, (x,), lambda g: (g * derivative(x.value, out),))


def exp(x) -> Tensor:
    return _unary(x, np.exp, lambda x, o: o)


def log(x) -> Tensor:
    return _unary(x, np.log, lambda x, o: 1.0 / x)


def log1p(x) -> Tensor:
    return _unary(x, np.log1p, lambda x, o: 1.0 / (1.0 + x))


def expm1(x) -> Tensor:
    return _unary(x, np.expm1, lambda x, o: o + 1.0)


def sqrt(x) -> Tensor:
    return _unary(x, np.sqrt, lambda x, o: 0.5 / o)


def square(x) -> Tensor:
    return _unary(x, np.square, lambda x, o: 2 * x)


def abs(x) -> Tensor:  # noqa: A001 - mirrors keras.ops.abs
    return _unary(x, np.abs, lambda x, o: np.sign(x))


def sin(x) -> Tensor:
    return _unary(x, np.sin, lambda x, o: np.cos(x))


def cos(x) -> Tensor:
    return _unary(x, np.cos, lambda x, o: -np.sin(x))


def tanh(x) -> Tensor:
    return _unary(x, np.tanh, lambda x, o: 1.0 - o * o)


def tan(x) -> Tensor:
    return _unary(x, np.tan, lambda x, o: 1.0 + o * o)


def sinh(x) -> Tensor:
    return _unary(x, np.sinh, lambda x, o: np.cosh(x))


def cosh(x) -> Tensor:
    return _unary(x, np.cosh, lambda x, o: np.sinh(x))


def _sigmoid_value(v: np.ndarray) -> np.ndarray:
    # exp of a negative number only, so large |x| neither overflows nor warns
    e = np.exp(-np.abs(v))
    return np.where(v >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(v.dtype, copy=False)


def sigmoid(x) -> Tensor:
    x = _t(x)
    out = _sigmoid_value(x.value)
    t = record(out, (x,), lambda g: (g * out * (1.0 - out),))
    t._keras_logits, t._logits_kind = x, "sigmoid"
    return t


def relu(x) -> Tensor:
    x = _t(x)
    v = x.value
    out = np.maximum(v, 0)
    return record(out, (x,), lambda g: (g * (v > 0),))


def softplus(x) -> Tensor:
    x = _t(x)
    v = x.value
    out = np.logaddexp(v, 0).astype(v.dtype, copy=False)

    def backward(g):
        e = np.exp(-np.abs(v))  # sigmoid(v), without overflow for large |v|
        return (g * np.where(v >= 0, 1.0 / (1.0 + e), e / (1.0 + e)),)

    return record(out, (x,), backward)


def sign(x) -> Tensor:
    return _nograd(np.sign(_val(x)))


def floor(x) -> Tensor:
    return _nograd(np.floor(_val(x)))


def ceil(x) -> Tensor:
    return _nograd(np.ceil(_val(x)))


def round(x) -> Tensor:  # noqa: A001
    return _nograd(np.round(_val(x)))


def clip(x, lo, hi) -> Tensor:
    """Gradient 1 inside (lo, hi), 0 outside, 1/2 exactly on a bound (JAX's convention)."""
    x = _t(x)
    v = x.value
    out = np.clip(v, lo, hi)

    def backward(g):
        inside = (v > lo) & (v < hi)
        on_bound = (v == lo) | (v == hi)
        return (g * np.where(on_bound, 0.5, inside),)

    return record(out, (x,), backward)


def relu6(x) -> Tensor:
    """min(max(x, 0), 6), with gradient 0 at both kinks (as JAX's relu6)."""
    x = _t(x)
    v = x.value
    out = np.clip(v, 0, 6)
    return record(out, (x,), lambda g: (g * ((v > 0) & (v < 6)),))


def where(cond, a, b) -> Tensor:
    c = np.asarray(_val(cond), dtype=bool)
    av, bv = _val(a), _val(b)
    out = np.asarray(np.where(c, av, bv))
    parents = tuple(x for x in (a, b) if isinstance(x, Tensor))
    flags = [isinstance(a, Tensor), isinstance(b, Tensor)]

    def backward(g):
        grads = []
        if flags[0]:
            grads.append(unbroadcast(np.where(c, g, 0), a.shape) if a.needs_grad else None)
        if flags[1]:
            grads.append(unbroadcast(np.where(c, 0, g), b.shape) if b.needs_grad else None)
        return grads

    return record(out, parents, backward)


def cast(x, dtype) -> Tensor:
    x = _t(x)
    dtype = np.dtype(dtype)
    src = x.value.dtype
    if dtype == src:
        return x
    if dtype.kind != "f" or src.kind != "f":
        return _nograd(x.value.astype(dtype))
    return record(x.value.astype(dtype), (x,), lambda g: (g.astype(src),))


def stop_gradient(x) -> Tensor:
    return _nograd(_val(x))


def _nograd(value) -> Tensor:
    return Tensor(np.asarray(value))


# --- comparisons (never differentiable) ---------------------------------------------

def equal(a, b) -> Tensor:
    return _nograd(np.equal(_val(a), _val(b)))


def not_equal(a, b) -> Tensor:
    return _nograd(np.not_equal(_val(a), _val(b)))


def less(a, b) -> Tensor:
    return _nograd(np.less(_val(a), _val(b)))


def less_equal(a, b) -> Tensor:
    return _nograd(np.less_equal(_val(a), _val(b)))


def greater(a, b) -> Tensor:
    return _nograd(np.greater(_val(a), _val(b)))


def greater_equal(a, b) -> Tensor:
    return _nograd(np.greater_equal(_val(a), _val(b)))


def argmax(x, axis=-1) -> Tensor:
    return _nograd(np.argmax(_val(x), axis=axis))


def argmin(x, axis=-1) -> Tensor:
    return _nograd(np.argmin(_val(x), axis=axis))


# --- reductions ---------------------------------------------------------------------

def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (list, tuple)):
        return tuple(a % ndim for a in axis)
    return (axis % ndim,)


def _expand(g, axes, keepdims):
    """Put back the reduced axes of a gradient so that it broadcasts against the input."""
    return g if keepdims else np.expand_dims(g, axes)


def sum(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001
    x = _t(x)
    shape = x.value.shape
    out = np.sum(x.value, axis=tuple(axis) if isinstance(axis, list) else axis,
                 keepdims=keepdims)
    axes = _axes(axis, x.ndim)
    return record(np.asarray(out), (x,),
                  lambda g: (np.broadcast_to(_expand(g, axes, keepdims), shape),))


def mean(x, axis=None, keepdims=False) -> Tensor:
    x = _t(x)
    if x.value.dtype.kind != "f":
        x = Tensor(x.value.astype(config.floatx()))
    v = x.value
    shape = v.shape
    if axis is None:
        scale = 1.0 / v.size if v.size else 0.0
        out = np.asarray(_add_reduce(v, None, keepdims=keepdims) * v.dtype.type(scale))
        return record(out, (x,), lambda g: (np.full(shape, g * scale, dtype=v.dtype),))
    axes = _axes(axis, v.ndim)
    count = 1
    for a in axes:
        count *= shape[a]
    scale = np.asarray(1.0 / count if count else 0.0, dtype=v.dtype)
    out = np.asarray(v.sum(axis=axes, keepdims=keepdims) * scale)

    def backward(g):
        if not keepdims:
            g = g[..., None] if axes == (v.ndim - 1,) else np.expand_dims(g, axes)
        return (np.broadcast_to(g * scale, shape),)

    return record(out, (x,), backward)


def _extreme(x, axis, keepdims, fn):
    x = _t(x)
    axes = _axes(axis, x.ndim)
    out = fn(x.value, axis=axes, keepdims=True)
    result = out if keepdims else np.squeeze(out, axis=axes)

    def backward(g):
        mask = x.value == out
        # ties share the gradient, as TensorFlow does
        return (mask * (_expand(g, axes, keepdims) / mask.sum(axis=axes, keepdims=True)),)

    return record(np.asarray(result), (x,), backward)


def max(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001
    return _extreme(x, axis, keepdims, np.max)


def min(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001
    return _extreme(x, axis, keepdims, np.min)


def prod(x, axis=None, keepdims=False) -> Tensor:
    x = _t(x)
    axes = _axes(axis, x.ndim)
    out = np.prod(x.value, axis=axes, keepdims=True)
    result = out if keepdims else np.squeeze(out, axis=axes)
    with np.errstate(divide="ignore", invalid="ignore"):
        return record(np.asarray(result), (x,),
                      lambda g: (_expand(g, axes, keepdims) * out / x.value,))


def logsumexp(x, axis=None, keepdims=False) -> Tensor:
    x = _t(x)
    axes = _axes(axis, x.ndim)
    m = np.max(x.value, axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    s = np.log(np.sum(np.exp(x.value - m), axis=axes, keepdims=True)) + m
    result = s if keepdims else np.squeeze(s, axis=axes)
    return record(np.asarray(result), (x,),
                  lambda g: (_expand(g, axes, keepdims) * np.exp(x.value - s),))


# --- linear algebra -----------------------------------------------------------------

def matmul(a, b) -> Tensor:
    a, b = _t(a), _t(b)
    av, bv = a.value, b.value
    out = np.matmul(av, bv)

    # treat vectors as 1-row / 1-column matrices, then undo that on the gradients
    a2 = av if av.ndim > 1 else av[None, :]
    b2 = bv if bv.ndim > 1 else bv[:, None]

    def backward(g):
        g2 = g
        if av.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        if bv.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        ga = gb = None
        if a.needs_grad:
            ga = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(av.shape)
        if b.needs_grad:
            gb = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(bv.shape)
        return ga, gb

    return record(out, (a, b), backward)


def dense(x, kernel, bias=None) -> Tensor:
    """x @ kernel + bias over the last axis: the work of a Dense layer, fused for speed."""
    x = _t(x)
    xv, kv = x.value, kernel.value
    if xv.ndim == 2:
        out = xv @ kv
    else:
        out = (xv.reshape(-1, xv.shape[-1]) @ kv).reshape(xv.shape[:-1] + (kv.shape[-1],))
    if bias is not None:
        out += bias.value
        parents = (x, kernel, bias)
    else:
        parents = (x, kernel)

    def backward(g):
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        gx = None
        if x.needs_grad:
            gx = g2 @ kv.T
            if g.ndim != 2:
                gx = gx.reshape(xv.shape)
        gk = (xv if xv.ndim == 2 else xv.reshape(-1, xv.shape[-1])).T @ g2 \
            if kernel.needs_grad else None
        if bias is None:
            return gx, gk
        return gx, gk, (g2.sum(axis=0) if bias.needs_grad else None)

    return record(out, parents, backward)


# The activations `dense_chain` applies itself: the output computed in place of the
# pre-activation z, and the backward from (upstream g, output); the same numbers as relu(),
# tanh() and sigmoid() (for relu, output > 0 exactly where z > 0).
CHAIN_ACTIVATIONS = {
    "relu": (lambda z: np.maximum(z, 0, out=z), lambda g, out: g * (out > 0)),
    "tanh": (lambda z: np.tanh(z, out=z), lambda g, out: g * (1.0 - out * out)),
    "sigmoid": (_sigmoid_value, lambda g, out: g * out * (1.0 - out)),
}


def dense_chain(x, layers: tuple) -> Tensor:
    """Dense layers in a row, as one node: for each (kernel, bias or None, activation name
    or None), h = activation(h @ kernel + bias). 2-D inputs.

    Backpropagation through the chain, written out: going back layer by layer, the
    upstream gradient passes through the activation's derivative, gives the bias gradient
    (its sum over the batch) and the kernel gradient (input.T @ g), and then goes on to the
    layer's input (g @ kernel.T). The op-by-op path computes the same numbers with a graph
    node per op; the training step of `Sequential` uses this one (fewer nodes, less time).
    """
    x = _t(x)
    h = x.value
    parents: list = [x]
    saved = []  # per layer: its input, kernel value and output
    for kernel, bias, act in layers:
        kv = kernel.value
        z = h.dot(kv)  # = h @ kv, bit for bit, with half the call overhead on small arrays
        parents.append(kernel)
        if bias is not None:
            z += bias.value
            parents.append(bias)
        out = z if act is None else CHAIN_ACTIVATIONS[act][0](z)
        saved.append((h, kv, out))
        h = out

    def backward(g):
        grads: list = []  # built from the last parent back to x
        for i in range(len(layers) - 1, -1, -1):
            h, kv, out = saved[i]
            kernel, bias, act = layers[i]
            if act is not None:
                g = CHAIN_ACTIVATIONS[act][1](g, out)
            if bias is not None:
                grads.append(_add_reduce(g, 0) if bias.needs_grad else None)
            grads.append(h.T.dot(g) if kernel.needs_grad else None)
            if i or x.needs_grad:
                g = g.dot(kv.T)
        grads.append(g if x.needs_grad else None)
        return grads[::-1]

    return record(h, tuple(parents), backward)


def bias_add(x, bias, channels_axis=-1) -> Tensor:
    x, bias = _t(x), _t(bias)
    shape = [1] * x.ndim
    shape[channels_axis] = -1
    bv = bias.value.reshape(shape) if bias.ndim == 1 else bias.value
    out = x.value + bv
    axes = tuple(i for i in range(x.ndim) if i != channels_axis % x.ndim)

    def backward(g):
        gb = g.sum(axis=axes) if bias.ndim == 1 else unbroadcast(g, bias.value.shape)
        return g, gb

    return record(out, (x, bias), backward)


# --- shape ops ----------------------------------------------------------------------

def reshape(x, shape) -> Tensor:
    x = _t(x)
    src = x.value.shape
    return record(x.value.reshape(shape), (x,), lambda g: (g.reshape(src),))


def transpose(x, axes=None) -> Tensor:
    x = _t(x)
    out = np.transpose(x.value, axes)
    inverse = None if axes is None else np.argsort(axes)
    return record(out, (x,), lambda g: (np.transpose(g, inverse),))


def expand_dims(x, axis) -> Tensor:
    x = _t(x)
    src = x.value.shape
    return record(np.expand_dims(x.value, axis), (x,), lambda g: (g.reshape(src),))


def squeeze(x, axis=None) -> Tensor:
    x = _t(x)
    src = x.value.shape
    return record(np.squeeze(x.value, axis=axis), (x,), lambda g: (g.reshape(src),))


def broadcast_to(x, shape) -> Tensor:
    x = _t(x)
    src = x.value.shape
    return record(np.broadcast_to(x.value, shape), (x,), lambda g: (unbroadcast(g, src),))


def concatenate(xs, axis=-1) -> Tensor:
    xs = [_t(x) for x in xs]
    out = np.concatenate([x.value for x in xs], axis=axis)
    sizes = np.cumsum([x.shape[axis] for x in xs])[:-1]

    def backward(g):
        return np.split(g, sizes, axis=axis)

    return record(out, tuple(xs), backward)


def stack(xs, axis=0) -> Tensor:
    xs = [_t(x) for x in xs]
    out = np.stack([x.value for x in xs], axis=axis)

    def backward(g):
        return [np.take(g, i, axis=axis) for i in range(len(xs))]

    return record(out, tuple(xs), backward)


def getitem(x, index) -> Tensor:
    x = _t(x)
    if isinstance(index, Tensor):
        index = index.value
    elif isinstance(index, tuple):
        index = tuple(i.value if isinstance(i, Tensor) else i for i in index)
    out = np.asarray(x.value[index])

    def backward(g):
        full = np.zeros_like(x.value)
        np.add.at(full, index, g)
        return (full,)

    return record(out, (x,), backward)


def cumsum(x, axis=None) -> Tensor:
    """Running sums along `axis` (of the flattened array when axis is None). Each input
    adds to every later output, so the gradient is the running sum of g taken backwards."""
    x = _t(x)
    shape = x.value.shape
    v = x.value.reshape(-1) if axis is None else x.value
    ax = 0 if axis is None else axis
    out = np.cumsum(v, axis=ax)

    def backward(g):
        gx = np.flip(np.cumsum(np.flip(g, ax), axis=ax), ax)
        return (gx.reshape(shape),)

    return record(out, (x,), backward)


def cumprod(x, axis=None) -> Tensor:
    """Running products along `axis` (of the flattened array when axis is None).

    d out_j / d x_i = prod_{k<i} x_k * prod_{i<k<=j} x_k for j >= i: the gradient is the
    exclusive running product times S_i = g_i + x_{i+1} * S_{i+1}, a backward recurrence
    that needs no division (exact where some x are 0)."""
    x = _t(x)
    shape = x.value.shape
    v = x.value.reshape(-1) if axis is None else x.value
    ax = (0 if axis is None else axis) % (v.ndim or 1)
    out = np.cumprod(v, axis=ax)

    def backward(g):
        xs = np.moveaxis(v, ax, 0)
        gs = np.moveaxis(g, ax, 0)
        exclusive = np.concatenate([np.ones_like(xs[:1]), np.cumprod(xs, axis=0)[:-1]])
        acc = np.empty_like(gs)
        running = np.zeros_like(gs[:1][0])
        for i in range(len(xs) - 1, -1, -1):
            running = gs[i] + (xs[i + 1] * running if i + 1 < len(xs) else 0)
            acc[i] = running
        return (np.moveaxis(exclusive * acc, 0, ax).reshape(shape),)

    return record(out, (x,), backward)


def tile(x, reps) -> Tensor:
    x = _t(x)
    src = x.value.shape
    reps = tuple(reps) if isinstance(reps, (list, tuple)) else (reps,)
    out = np.tile(x.value, reps)

    def backward(g):
        full_reps = (1,) * (g.ndim - len(reps)) + reps
        src_full = (1,) * (g.ndim - len(src)) + src
        split = []
        for r, s in zip(full_reps, src_full):
            split += [r, s]
        return (g.reshape(split).sum(axis=tuple(range(0, 2 * g.ndim, 2))).reshape(src),)

    return record(out, (x,), backward)


def copy(x) -> Tensor:
    """A new array with the same values; the gradient passes through unchanged."""
    x = _t(x)
    return record(x.value.copy(), (x,), lambda g: (g,))


# --- neural-network ops -------------------------------------------------------------

def softmax(x, axis=-1) -> Tensor:
    x = _t(x)
    v = x.value
    m = _max_reduce(v, axis, keepdims=True)
    e = np.exp(v - m)
    s = _add_reduce(e, axis, keepdims=True)
    out = e / s

    def backward(g):
        return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)

    t = record(out, (x,), backward)
    if axis in (-1, v.ndim - 1):
        # lets categorical cross-entropy use the stable fused form, without recomputing
        t._keras_logits, t._logits_kind = x, "softmax"
        t._softmax_cache = (out, m + np.log(s))
    return t


def log_softmax(x, axis=-1) -> Tensor:
    x = _t(x)
    v = x.value
    shifted = v - v.max(axis=axis, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

    def backward(g):
        return (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)

    return record(out, (x,), backward)


def softmax_cross_entropy(labels, logits, axis=-1, cache=None, over_batch=False) -> Tensor:
    """-sum(labels * log_softmax(logits)) over `axis`; labels get a gradient too.

    `cache` = (softmax(logits), logsumexp(logits)) when a softmax already computed them.
    `over_batch=True` returns the mean of those per-sample values instead (one node in
    place of two: the training loss' usual reduction).
    """
    labels, logits = _t(labels), _t(logits)
    z = logits.value
    if cache is None:
        lse = z.max(axis=axis, keepdims=True)
        e = np.exp(z - lse)
        s = e.sum(axis=axis, keepdims=True)
        p = e / s
        lse = lse + np.log(s)
    else:
        p, lse = cache
    logp = z - lse
    y = labels.value.astype(z.dtype, copy=False)
    if over_batch:
        inv_n = z.shape[axis] / z.size  # 1 / number of samples
        out = np.asarray(-np.vdot(y, logp) * inv_n)
    else:
        out = -(y * logp).sum(axis=axis)

    def backward(g):
        if over_batch:
            g = float(g) * inv_n  # a Python float: cheaper than NumPy 0-d arithmetic
        else:
            g = g[..., None] if axis in (-1, z.ndim - 1) else np.expand_dims(g, axis)
        gz = g * (p * _add_reduce(y, axis, keepdims=True) - y) if logits.needs_grad else None
        gy = -g * logp if labels.needs_grad else None
        return gy, gz

    return record(out, (labels, logits), backward)


def sparse_softmax_cross_entropy(labels, logits, cache=None, over_batch=False) -> Tensor:
    """-log_softmax(logits)[label] over the last axis; integer labels. `cache` and
    `over_batch` as in `softmax_cross_entropy`."""
    logits = _t(logits)
    z = logits.value
    idx = np.asarray(_val(labels)).astype(np.int64)
    if idx.ndim == z.ndim:
        idx = idx[..., 0]
    n = z.shape[-1]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"sparse labels must be in [0, {n}); got values from "
                         f"{idx.min()} to {idx.max()}")
    at = idx[..., None]
    if cache is None:
        shifted = z - _max_reduce(z, -1, keepdims=True)
        e = np.exp(shifted)
        s = _add_reduce(e, -1, keepdims=True)
        out = -(np.take_along_axis(shifted, at, axis=-1) - np.log(s))[..., 0]
        p = None
    else:
        p, lse = cache
        out = -(np.take_along_axis(z, at, axis=-1) - lse)[..., 0]
    if over_batch:
        inv_n = 1.0 / out.size if out.size else 0.0
        out = np.asarray(_add_reduce(out, None) * inv_n)

    def backward(g):
        q = e / s if p is None else p.copy()  # softmax(logits), then minus 1 at the label
        np.put_along_axis(q, at, np.take_along_axis(q, at, -1) - 1, -1)
        return (q * (float(g) * inv_n) if over_batch else g[..., None] * q,)

    return record(out, (logits,), backward)


def sigmoid_cross_entropy(labels, logits, over_batch=False) -> Tensor:
    """Element-wise binary cross-entropy from logits: max(z,0) - z*y + log(1+exp(-|z|)).
    `over_batch=True` returns the mean over every element instead, as one node."""
    labels, logits = _t(labels), _t(logits)
    z = logits.value
    y = labels.value.astype(z.dtype, copy=False)
    out = (np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))).astype(z.dtype, copy=False)
    if over_batch:
        inv_n = 1.0 / out.size
        out = np.asarray(_add_reduce(out, None) * inv_n)

    def backward(g):
        if over_batch:
            g = float(g) * inv_n  # a Python float: cheaper than NumPy 0-d arithmetic
        gz = None
        if logits.needs_grad:
            e = np.exp(-np.abs(z))
            p = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
            gz = g * (p - y)
        gy = -g * z if labels.needs_grad else None
        return gy, gz

    return record(out, (labels, logits), backward)


def squared_error_mean(y_true, y_pred, over_batch=False) -> Tensor:
    """mean((y_pred - y_true)**2) over the last axis: the per-sample MSE, fused for speed.
    `over_batch=True` averages over every element instead: the batch mean of the
    per-sample values, in one node."""
    y_true, y_pred = _t(y_true), _t(y_pred)
    d = y_pred.value - y_true.value
    if over_batch:  # (Python floats as scalars: NumPy keeps the arrays' dtype)
        out = np.asarray(np.vdot(d, d) / d.size)
        scale = 2.0 / d.size
    else:
        k = d.shape[-1] if d.ndim else 1
        out = np.asarray(_add_reduce(d * d, -1) * d.dtype.type(1.0 / k) if d.ndim else d * d)
        scale = d.dtype.type(2.0 / k)

    def backward(g):
        if over_batch:
            gd = d * (float(g) * scale)  # a Python float: cheaper than NumPy 0-d arithmetic
        else:
            gd = d * (g * scale) if not d.ndim else g[..., None] * scale * d
        return (-gd if y_true.needs_grad else None), (gd if y_pred.needs_grad else None)

    return record(out, (y_true, y_pred), backward)


def dropout(x, rate: float, rng) -> Tensor:
    """Inverted dropout: zero a fraction `rate` of units and scale the rest by 1/(1-rate)."""
    x = _t(x)
    keep = 1.0 - rate
    mask = (rng.uniform(size=x.value.shape) < keep).astype(x.value.dtype) / x.value.dtype.type(keep)
    return record(x.value * mask, (x,), lambda g: (g * mask,))


# Tensor's operators call these functions (see tensor.install_primitives).
_tensor_module.install_primitives(sys.modules[__name__])
