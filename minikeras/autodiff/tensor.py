"""Tensors that remember how they were made, and reverse-mode differentiation over them.

A `Tensor` wraps a NumPy array. When an op runs on tensors and at least one input
needs a gradient, the result keeps its inputs (`parents`) and a `backward_fn` that
maps the upstream gradient to one gradient per parent. `gradients` walks that
graph from the output back to the leaves.

Keras has no such class: its backends (TensorFlow, JAX, PyTorch) provide one. This
module is minikeras' whole "backend engine".
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from minikeras import config
from minikeras.autodiff.masks import get_keras_mask, set_keras_mask


class _State(threading.local):
    def __init__(self) -> None:
        self.recording = True
        self.tape: list | None = None


_state = _State()


@contextlib.contextmanager
def no_grad():
    """Run ops without recording them (predict, evaluate, metrics)."""
    previous = _state.recording
    _state.recording = False
    try:
        yield
    finally:
        _state.recording = previous


def is_recording() -> bool:
    return _state.recording


class Tape:
    """Collects every recorded op, in creation order (which is a topological order).

    The training step uses a tape so that backpropagation needs no graph search.
    """

    def __init__(self) -> None:
        self.nodes: list[Tensor] = []

    def __enter__(self) -> "Tape":
        self._outer = _state.tape
        _state.tape = self.nodes
        return self

    def __exit__(self, *exc) -> None:
        _state.tape = self._outer

    def gradient(self, y: "Tensor", sources: Sequence["Tensor"], upstream=None) -> list:
        if upstream is None and not y.shape and all(s.backward_fn is None for s in sources):
            return _backprop_scalar_to_leaves(self.nodes, y, sources)
        return _backprop(self.nodes, y, sources, upstream)

    def leaf_gradients(self, y: "Tensor", leaves: Sequence["Tensor"]) -> list:
        """`gradient` for the training step: a scalar `y` and leaf sources (variables),
        which the caller guarantees."""
        return _backprop_scalar_to_leaves(self.nodes, y, leaves)


class Tensor:
    """An n-dimensional array that can take part in automatic differentiation."""

    __slots__ = ("value", "parents", "backward_fn", "needs_grad", "grad", "_keras_logits",
                 "_logits_kind", "_softmax_cache", "__weakref__")
    __array_priority__ = 100
    __array_ufunc__ = None  # `ndarray * Tensor` defers to Tensor.__rmul__ instead of coercing

    def __init__(self, value: Any, dtype: Any = None, needs_grad: bool = False) -> None:
        if isinstance(value, Tensor):
            value = value.value
        self.value = np.asarray(value, dtype=dtype)
        self.parents: tuple = ()
        self.backward_fn: Callable | None = None
        self.needs_grad = needs_grad
        self.grad = None
        self._keras_logits = None  # the input of the sigmoid/softmax that made this tensor
        self._logits_kind = None   # "sigmoid" or "softmax"
        self._softmax_cache = None  # (probabilities, log-sum-exp of the logits), to reuse

    # --- array-like surface -------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.value.shape

    @property
    def dtype(self):
        return self.value.dtype

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def size(self) -> int:
        return self.value.size

    def numpy(self) -> np.ndarray:
        return self.value

    def __array__(self, dtype=None, copy=None):
        if dtype is None:
            return self.value
        return self.value.astype(dtype, copy=False)

    def __len__(self) -> int:
        return len(self.value)

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        body = np.array2string(self.value, separator=", ")
        return f"<Tensor shape={self.shape} dtype={self.dtype}\n{body}>"

    def __hash__(self) -> int:
        return id(self)

    # --- operators (the primitives live in primitives.py) ------------------
    def __add__(self, other):
        return _p().add(self, other)

    def __radd__(self, other):
        return _p().add(other, self)

    def __sub__(self, other):
        return _p().subtract(self, other)

    def __rsub__(self, other):
        return _p().subtract(other, self)

    def __mul__(self, other):
        return _p().multiply(self, other)

    def __rmul__(self, other):
        return _p().multiply(other, self)

    def __truediv__(self, other):
        return _p().divide(self, other)

    def __rtruediv__(self, other):
        return _p().divide(other, self)

    def __pow__(self, other):
        return _p().power(self, other)

    def __rpow__(self, other):
        return _p().power(other, self)

    def __matmul__(self, other):
        return _p().matmul(self, other)

    def __rmatmul__(self, other):
        return _p().matmul(other, self)

    def __neg__(self):
        return _p().negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _p().abs(self)

    def __getitem__(self, index):
        return _p().getitem(self, index)

    def __lt__(self, other):
        return _p().less(self, other)

    def __le__(self, other):
        return _p().less_equal(self, other)

    def __gt__(self, other):
        return _p().greater(self, other)

    def __ge__(self, other):
        return _p().greater_equal(self, other)

    def __eq__(self, other):  # elementwise, as in every array library
        return _p().equal(self, other)

    def __ne__(self, other):
        return _p().not_equal(self, other)

    @property
    def T(self):
        return _p().transpose(self)

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _p().reshape(self, shape)

    def sum(self, axis=None, keepdims=False):
        return _p().sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return _p().mean(self, axis=axis, keepdims=keepdims)

    def astype(self, dtype):
        return _p().cast(self, dtype)

    # Keras' `x._keras_mask` (kept in a side table: see autodiff/masks.py)
    @property
    def _keras_mask(self):
        return get_keras_mask(self)

    @_keras_mask.setter
    def _keras_mask(self, mask) -> None:
        set_keras_mask(self, mask)


# The operator methods of Tensor (`+`, `@`, `.sum()`, ...) run primitives. primitives.py
# imports this module, so it registers itself here when it is imported (autodiff/__init__
# imports it) instead of this module importing it back: no import cycle.
_PRIMITIVES: Any = None


def install_primitives(module: Any) -> None:
    """Called once by `autodiff/primitives.py` to give Tensor's operators their functions."""
    global _PRIMITIVES
    _PRIMITIVES = module


def _p() -> Any:
    return _PRIMITIVES


class Variable(Tensor):
    """A named, assignable tensor: the weights of layers and the state of optimizers.

    Keras 2's `K.variable` and Keras 3's `keras.Variable` both map here.
    """

    __slots__ = ("name", "trainable", "constraint", "path", "regularizer")

    def __init__(self, value: Any, dtype: Any = None, name: str | None = None,
                 trainable: bool = True) -> None:
        if callable(value) and not isinstance(value, (np.ndarray, Tensor)):
            raise TypeError("Variable needs an array-like initial value, not a callable")
        raw = value.value if isinstance(value, Tensor) else value
        if dtype is None:
            arr = np.asarray(raw)
            # Keras makes float variables from Python numbers and float arrays alike.
            python_number = arr.dtype.kind in "iu" and not isinstance(raw, np.ndarray)
            if arr.dtype.kind == "f" or python_number:
                dtype = config.floatx()
        super().__init__(np.array(raw, dtype=dtype), needs_grad=True)
        self.name = name or "variable"
        self.path = self.name
        self.trainable = trainable
        self.constraint = None
        self.regularizer = None

    def assign(self, value) -> "Variable":
        value = np.asarray(value.value if isinstance(value, Tensor) else value)
        if value.shape != self.value.shape:
            raise ValueError(f"Cannot assign a value of shape {value.shape} to variable "
                             f"'{self.name}' of shape {self.value.shape}")
        self.value[...] = value
        return self

    def assign_add(self, value) -> "Variable":
        self.value += np.asarray(value.value if isinstance(value, Tensor) else value,
                                 dtype=self.value.dtype)
        return self

    def assign_sub(self, value) -> "Variable":
        self.value -= np.asarray(value.value if isinstance(value, Tensor) else value,
                                 dtype=self.value.dtype)
        return self

    def __repr__(self) -> str:
        body = np.array2string(self.value, separator=", ")
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, value={body}>"


def wrap(value: np.ndarray) -> Tensor:
    """A constant tensor around an ndarray, as `Tensor(value)` makes it, without the
    conversion (the training loop's batches, already arrays of the right dtype)."""
    t = Tensor.__new__(Tensor)
    t.value = value
    t.parents = ()
    t.backward_fn = None
    t.needs_grad = False
    t.grad = t._keras_logits = t._logits_kind = t._softmax_cache = None
    return t


def constant_like(x: Any, dtype: Any = None) -> Tensor:
    """Wrap a non-tensor operand. Float arrays follow floatx, Python scalars stay weak."""
    if isinstance(x, Tensor):
        return x
    arr = np.asarray(x)
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    elif arr.dtype == np.float64 or arr.dtype.kind in "O":
        arr = arr.astype(config.floatx())
    return Tensor(arr)


def record(value: np.ndarray, parents: tuple, backward_fn: Callable) -> Tensor:
    """Make the result of a primitive: a plain tensor, or a graph node if needed."""
    t = Tensor.__new__(Tensor)
    t.value = value if type(value) is np.ndarray else np.asarray(value)
    t.grad = None
    t._keras_logits = None
    t._logits_kind = None
    t._softmax_cache = None
    if _state.recording:
        for p in parents:
            if p.needs_grad:
                t.parents = parents
                t.backward_fn = backward_fn
                t.needs_grad = True
                tape = _state.tape
                if tape is not None:
                    tape.append(t)
                return t
    t.parents = ()
    t.backward_fn = None
    t.needs_grad = False
    return t


def _topological_order(y: Tensor) -> list:
    order: list = []
    seen: set = set()
    stack = [(y, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for p in node.parents:
            if p.needs_grad and id(p) not in seen:
                stack.append((p, False))
    return order


def _backprop(order: list, y: Tensor, sources: Sequence[Tensor], upstream) -> list:
    """Propagate gradients from y back through `order` (topologically sorted nodes).

    Each node's gradient accumulates in its `grad` slot and is cleared once used; leaves
    (variables, watched inputs) are collected on the way and cleared at the end.
    """
    if upstream is None:
        upstream = np.ones_like(y.value)
    else:
        upstream = np.asarray(upstream.value if isinstance(upstream, Tensor) else upstream,
                              dtype=y.value.dtype)
        if upstream.shape != y.shape:
            raise ValueError(f"upstream gradient has shape {upstream.shape}, "
                             f"but the output has shape {y.shape}")
    inner = {id(s) for s in sources if s.backward_fn is not None}
    kept: dict = {}
    leaves: list = []
    y.grad = upstream
    if y.backward_fn is None:
        leaves.append(y)
    for node in reversed(order):
        g = node.grad
        if g is None:
            continue
        fn = node.backward_fn
        if fn is None:  # a leaf reached through the graph search; read at the end
            continue
        if inner and id(node) in inner:
            kept[id(node)] = g
        node.grad = None
        for p, gp in zip(node.parents, fn(g)):
            if gp is None or not p.needs_grad:
                continue
            if p.grad is None:
                p.grad = gp
                if p.backward_fn is None:
                    leaves.append(p)
            else:
                p.grad = p.grad + gp
    for leaf in leaves:
        kept[id(leaf)] = leaf.grad
        leaf.grad = None
    return [kept.get(id(s)) for s in sources]


_ONE: dict = {}  # d loss / d loss, per dtype (read only: backward functions never write in place)


def _backprop_scalar_to_leaves(order: list, y: Tensor, sources: Sequence[Tensor]) -> list:
    """`_backprop` for the training step: a scalar loss and leaf sources (the variables)."""
    y.grad = _ONE.get(y.value.dtype) or _ONE.setdefault(y.value.dtype,
                                                        np.ones((), dtype=y.value.dtype))
    touched: list = [y]
    for node in reversed(order):
        g = node.grad
        if g is None:
            continue
        node.grad = None
        for p, gp in zip(node.parents, node.backward_fn(g)):
            if gp is None or not p.needs_grad:
                continue
            if p.grad is None:
                p.grad = gp
                if p.backward_fn is None:
                    touched.append(p)
            else:
                p.grad = p.grad + gp
    result = [s.grad for s in sources]
    for leaf in touched:
        leaf.grad = None
    return result


def gradients(y: Tensor, sources: Iterable[Tensor], upstream=None) -> list:
    """d(sum(upstream * y)) / d(source) for each source; None where y does not depend on it."""
    sources = list(sources)
    if not isinstance(y, Tensor):
        raise TypeError(f"gradients() needs a Tensor to differentiate, got {type(y).__name__}")
    for s in sources:
        if not isinstance(s, Tensor):
            raise TypeError(f"gradients() sources must be Tensors or Variables, "
                            f"got {type(s).__name__}")
    if not y.needs_grad:
        return [None] * len(sources)
    order = _topological_order(y)
    # leaves reached only as parents are not in `order` but are handled by _backprop
    return _backprop(order, y, sources, upstream)


def watch(x: Any) -> Tensor:
    """A leaf tensor whose gradient can be asked for (e.g. the input of a layer)."""
    t = Tensor(x.value if isinstance(x, Tensor) else x)
    if t.dtype.kind != "f":
        t.value = t.value.astype(config.floatx())
    t.needs_grad = True
    return t
