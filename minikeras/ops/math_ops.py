"""The remaining `keras.ops` math functions (issue 11): built from the primitives of
`autodiff/primitives.py` and `autodiff/math_primitives.py`, so each is differentiable
where Keras' JAX backend is. Integer results are int32, as Keras gives them."""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from minikeras import config
from minikeras.autodiff import math_primitives as M
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor, constant_like

arccos = M.arccos
arccosh = M.arccosh
arcsin = M.arcsin
arcsinh = M.arcsinh
arctan = M.arctan
arctan2 = M.arctan2
arctanh = M.arctanh
cbrt = M.cbrt
trunc = M.trunc
hypot = M.hypot
fmod = M.fmod
einsum = M.einsum
slice_update = M.slice_update
scatter = M.scatter
scatter_update = M.scatter_update


_py_slice = builtins.slice  # (`slice` is an op name here)


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else constant_like(x)


def _raw(x: Any) -> np.ndarray:
    return np.asarray(x.value if isinstance(x, Tensor) else x)


def _int32(a: Any) -> Tensor:
    return Tensor(np.asarray(a).astype(np.int32))


def array(x: Any, dtype: Any = None) -> Tensor:
    """`keras.ops.array`: a tensor of `x` (Python integers become int32 and floats
    floatx, as Keras 3)."""
    if dtype is not None:
        return Tensor(np.array(_raw(x), dtype=np.dtype(dtype)))
    arr = np.asarray(_raw(x))
    if not isinstance(x, (Tensor, np.ndarray)):
        if arr.dtype.kind in "iu":
            arr = arr.astype(np.int32)
        elif arr.dtype.kind == "f":
            arr = arr.astype(config.floatx())
    return Tensor(np.array(arr))


def deg2rad(x: Any) -> Tensor:
    return P.multiply(_float(x), math.pi / 180.0)


def rad2deg(x: Any) -> Tensor:
    return P.multiply(_float(x), 180.0 / math.pi)


def _float(x: Any) -> Tensor:
    x = _t(x)
    return x if x.value.dtype.kind == "f" else P.cast(x, config.floatx())


def isinf(x: Any) -> Tensor:
    return Tensor(np.isinf(_raw(x)))


def signbit(x: Any) -> Tensor:
    return Tensor(np.signbit(_raw(x)))


def count_nonzero(x: Any, axis: Any = None) -> Tensor:
    axis = tuple(axis) if isinstance(axis, list) else axis
    return _int32(np.count_nonzero(_raw(x), axis=axis))


def bincount(x: Any, weights: Any = None, minlength: int = 0, sparse: bool = False) -> Tensor:
    """Counts (int32) or sums of `weights` per value of the non-negative integers `x`
    (1-D, or 2-D: one count per row, as Keras)."""
    if sparse:
        raise ValueError("bincount: sparse outputs are not supported by minikeras")
    xv = _raw(x)
    if xv.dtype.kind not in "iu":
        raise ValueError(f"bincount: `x` must hold integers, got dtype {xv.dtype}")
    if xv.size and xv.min() < 0:
        raise ValueError("bincount: `x` must hold non-negative integers")
    w = None if weights is None else _raw(weights)
    length = max(int(minlength), int(xv.max()) + 1 if xv.size else 0)
    if xv.ndim == 2:
        rows = [np.bincount(r, weights=None if w is None else wr, minlength=length)
                for r, wr in zip(xv, w if w is not None else [None] * len(xv))]
        out = np.stack(rows)
    else:
        out = np.bincount(xv, weights=w, minlength=length)
    if w is None:
        return _int32(out)
    return Tensor(out.astype(w.dtype if w.dtype.kind == "f" else config.floatx()))


def digitize(x: Any, bins: Any) -> Tensor:
    return _int32(np.digitize(_raw(x), _raw(bins)))


def searchsorted(sorted_sequence: Any, values: Any, side: str = "left") -> Tensor:
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: `side` must be 'left' or 'right', got {side!r}")
    seq = _raw(sorted_sequence)
    if seq.ndim != 1:
        raise ValueError("searchsorted: `sorted_sequence` must be 1-D, got shape "
                         f"{seq.shape}")
    return _int32(np.searchsorted(seq, _raw(values), side=side))


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: float = 10,
             dtype: Any = None, axis: int = 0) -> Tensor:
    out = np.logspace(_raw(start), _raw(stop), num, endpoint=endpoint, base=base, axis=axis)
    return Tensor(out.astype(dtype or config.floatx()))


def geomspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None,
              axis: int = 0) -> Tensor:
    out = np.geomspace(_raw(start), _raw(stop), num, endpoint=endpoint, axis=axis)
    return Tensor(out.astype(dtype or config.floatx()))


# --- shapes --------------------------------------------------------------------------
def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    x = _t(x)
    perm = list(range(x.ndim))
    a, b = axis1 % x.ndim, axis2 % x.ndim
    perm[a], perm[b] = perm[b], perm[a]
    return P.transpose(x, perm)


def moveaxis(x: Any, source: Any, destination: Any) -> Tensor:
    x = _t(x)
    order = list(range(x.ndim))
    src = [s % x.ndim for s in (source if isinstance(source, (list, tuple)) else [source])]
    dst = [d % x.ndim for d in (destination if isinstance(destination, (list, tuple))
                                else [destination])]
    rest = [a for a in order if a not in src]
    perm = [None] * x.ndim
    for s, d in zip(src, dst):
        perm[d] = s
    it = iter(rest)
    perm = [p if p is not None else next(it) for p in perm]
    return P.transpose(x, perm)


def ravel(x: Any) -> Tensor:
    return P.reshape(_t(x), (-1,))


def diff(a: Any, n: int = 1, axis: int = -1) -> Tensor:
    x = _t(a)
    ax = axis % x.ndim
    for _ in range(n):
        hi = tuple(_py_slice(1, None) if i == ax else _py_slice(None) for i in range(x.ndim))
        lo = tuple(_py_slice(None, -1) if i == ax else _py_slice(None)
                   for i in range(x.ndim))
        x = P.subtract(P.getitem(x, hi), P.getitem(x, lo))
    return x


def cross(x1: Any, x2: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: Any = None) -> Tensor:
    """The cross product of 3-vectors (2-vectors are taken with z = 0) along the axes."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(_t(x1), axisa, -1), moveaxis(_t(x2), axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError("cross: the vectors must have 2 or 3 components, got shapes "
                         f"{_t(x1).shape} and {_t(x2).shape}")

    def comp(v, i):
        if i >= v.shape[-1]:
            return None
        return P.getitem(v, (Ellipsis, i))

    def term(p, q):
        return None if p is None or q is None else P.multiply(p, q)

    def sub(p, q):
        if p is None and q is None:
            return None
        if q is None:
            return p
        return P.negative(q) if p is None else P.subtract(p, q)

    a0, a1, a2 = (comp(a, i) for i in range(3))
    b0, b1, b2 = (comp(b, i) for i in range(3))
    z = sub(term(a0, b1), term(a1, b0))
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return z
    c0 = sub(term(a1, b2), term(a2, b1))
    c1 = sub(term(a2, b0), term(a0, b2))
    zero = P.multiply(z, 0.0)
    out = P.stack([c if c is not None else zero for c in (c0, c1, z)], axis=-1)
    return moveaxis(out, -1, axisc)


def tensordot(x1: Any, x2: Any, axes: Any = 2) -> Tensor:
    a, b = _t(x1), _t(x2)
    if isinstance(axes, (int, np.integer)):
        ax_a = list(range(a.ndim - int(axes), a.ndim))
        ax_b = list(range(int(axes)))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
    ax_a = [i % a.ndim for i in ax_a]
    ax_b = [i % b.ndim for i in ax_b]
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(ax_a, ax_b):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in ax_a] + \
        [c for j, c in enumerate(sb) if j not in ax_b]
    return einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", a, b)


def inner(x1: Any, x2: Any) -> Tensor:
    a, b = _t(x1), _t(x2)
    if a.ndim == 0 or b.ndim == 0:
        return P.multiply(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


def kron(x1: Any, x2: Any) -> Tensor:
    a, b = _t(x1), _t(x2)
    nd = max(a.ndim, b.ndim)
    a = P.reshape(a, (1,) * (nd - a.ndim) + a.shape)
    b = P.reshape(b, (1,) * (nd - b.ndim) + b.shape)
    # a's axes interleaved with b's: a[i, None, j, None] * b[None, k, None, l]
    ea = P.reshape(a, tuple(d for n in a.shape for d in (n, 1)))
    eb = P.reshape(b, tuple(d for n in b.shape for d in (1, n)))
    return P.reshape(P.multiply(ea, eb), tuple(p * q for p, q in zip(a.shape, b.shape)))


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Tensor:
    modes = ("constant", "edge", "linear_ramp", "maximum", "mean", "median", "minimum",
             "reflect", "symmetric", "wrap", "empty")
    if mode not in modes:
        from minikeras.utils.naming import closest

        guess = closest(str(mode), list(modes))
        raise ValueError(f"pad: unknown mode={mode!r}" +
                         (f" (did you mean {guess!r}?)" if guess else ""))
    if constant_values is not None and mode != "constant":
        raise ValueError("pad: `constant_values` can only be used with mode='constant', "
                         f"got mode={mode!r}")
    pw = pad_width.value.tolist() if isinstance(pad_width, Tensor) else pad_width
    return M.pad(x, pw, mode=mode, constant_values=constant_values)


def slice(inputs: Any, start_indices: Any, shape: Any) -> Tensor:  # noqa: A001
    x = _t(inputs)
    start = [int(s) for s in _raw(start_indices)]
    size = [int(s) for s in _raw(shape)]
    index = tuple(_py_slice(s, s + n) for s, n in zip(start, size))
    return P.getitem(x, index)


def unstack(x: Any, num: int | None = None, axis: int = 0) -> list:
    x = _t(x)
    ax = axis % x.ndim
    n = x.shape[ax]
    if num is not None and num != n:
        raise ValueError(f"unstack: num={num} but axis {axis} of shape {x.shape} has {n}")
    return [P.getitem(x, (_py_slice(None),) * ax + (i,)) for i in range(n)]


# --- statistics ----------------------------------------------------------------------
def quantile(x: Any, q: Any, axis: Any = None, method: str = "linear",
             keepdims: bool = False) -> Tensor:
    qv = _raw(q)
    if np.any((qv < 0) | (qv > 1)):
        raise ValueError(f"quantile: `q` must be in [0, 1], got {qv}")
    return M.quantile(x, qv, axis=axis, method=method, keepdims=keepdims)


def percentile(x: Any, q: Any, axis: Any = None, method: str = "linear",
               keepdims: bool = False) -> Tensor:
    return quantile(x, _raw(q) / 100.0, axis=axis, method=method, keepdims=keepdims)


def median(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    return M.quantile(x, 0.5, axis=axis, keepdims=keepdims)


def _nan_clean(x: Any, fill: float) -> tuple:
    x = _float(x)
    nan = np.isnan(x.value)
    return P.where(nan, fill, x), ~nan


def _ax(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def nansum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    clean, _ = _nan_clean(x, 0.0)
    return P.sum(clean, axis=_ax(axis), keepdims=keepdims)


def nanprod(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    clean, _ = _nan_clean(x, 1.0)
    return P.prod(clean, axis=_ax(axis), keepdims=keepdims)


def nanmax(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    clean, _ = _nan_clean(x, -np.inf)
    return P.max(clean, axis=_ax(axis), keepdims=keepdims)


def nanmin(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    clean, _ = _nan_clean(x, np.inf)
    return P.min(clean, axis=_ax(axis), keepdims=keepdims)


def nanmean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    clean, kept = _nan_clean(x, 0.0)
    count = np.sum(kept, axis=_ax(axis), keepdims=keepdims).astype(clean.value.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return P.divide(P.sum(clean, axis=_ax(axis), keepdims=keepdims), count)


def nanvar(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    clean, kept = _nan_clean(x, 0.0)
    mean = nanmean(x, axis=axis, keepdims=True)
    dev = P.where(kept, P.subtract(clean, mean), 0.0)
    count = np.sum(kept, axis=_ax(axis), keepdims=keepdims).astype(clean.value.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return P.divide(P.sum(P.square(dev), axis=_ax(axis), keepdims=keepdims), count)


def nanstd(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    return P.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


__all__ = ["array", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh",
           "bincount", "cbrt", "count_nonzero", "cross", "deg2rad", "diff", "digitize",
           "einsum", "fmod", "geomspace", "hypot", "inner", "isinf", "kron", "logspace",
           "median", "moveaxis", "nanmax", "nanmean", "nanmin", "nanprod", "nanstd",
           "nansum", "nanvar", "pad", "percentile", "quantile", "rad2deg", "ravel",
           "scatter", "scatter_update", "searchsorted", "signbit", "slice", "slice_update",
           "swapaxes", "tensordot", "trunc", "unstack"]


def _numeric_only(name: str, fn: Any) -> Any:
    """These functions have no Keras Operation record yet (minikeras' table of them comes
    from Keras' own, recorded before they existed here): on a KerasTensor they raise a
    clear error instead of failing inside NumPy."""
    import functools

    from minikeras.ops.symbolic import _has_symbolic

    @functools.wraps(fn)
    def op(*args: Any, **kwargs: Any) -> Any:
        if _has_symbolic(args, kwargs):
            raise TypeError(f"keras.ops.{name} cannot be applied to a KerasTensor in "
                            "minikeras yet; call it inside a Layer's call() instead")
        return fn(*args, **kwargs)

    return op


for _name in __all__:
    if _name != "einsum":  # (einsum has its Operation record: ops/extra_op_classes.py)
        globals()[_name] = _numeric_only(_name, globals()[_name])
