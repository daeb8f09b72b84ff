"""`keras.ops.linalg`: inv, det, solve, cholesky, qr, svd, norm (differentiable as
jax.grad; see autodiff/math_primitives.py). Not provided: eig, eigh, lstsq, lu_factor,
solve_triangular, jvp (docs/compatibility.md)."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.autodiff import math_primitives as M
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor, constant_like

inv = M.inv
det = M.det
solve = M.solve
cholesky = M.cholesky
qr = M.qr
svd = M.svd


def _t(x: Any) -> Tensor:
    x = x if isinstance(x, Tensor) else constant_like(x)
    return x if x.value.dtype.kind == "f" else P.cast(x, "float32")


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A002
    """NumPy's norms: vector norms (None/2, 1, inf, -inf, 0, p) along one axis, matrix
    norms ("fro", "nuc", 1, -1, 2, -2, inf, -inf) over two axes."""
    x = _t(x)
    if axis is None:
        if ord is None:
            return _keep(P.sqrt(P.sum(P.square(x))), x.ndim, None, keepdims)
        axis = tuple(range(x.ndim))
        if len(axis) > 2:
            raise ValueError(f"norm: give `axis` for a {x.ndim}-D tensor with ord={ord!r}")
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(a % x.ndim for a in axes)
    if len(axes) == 1:
        a = axes[0]
        if ord is None or ord == 2:
            out = P.sqrt(P.sum(P.square(x), axis=a))
        elif ord == np.inf:
            out = P.max(P.abs(x), axis=a)
        elif ord == -np.inf:
            out = P.min(P.abs(x), axis=a)
        elif ord == 0:
            out = Tensor(np.sum(x.value != 0, axis=a).astype(x.value.dtype))
        elif ord == 1:
            out = P.sum(P.abs(x), axis=a)
        elif isinstance(ord, str):
            raise ValueError(f"norm: ord={ord!r} is a matrix norm; give two axes")
        else:
            out = P.power(P.sum(P.power(P.abs(x), float(ord)), axis=a), 1.0 / float(ord))
        return _keep(out, x.ndim, axes, keepdims)
    if len(axes) != 2:
        raise ValueError(f"norm: `axis` must name one or two axes, got {axis!r}")
    r, c = axes
    if ord is None or ord == "fro":
        out = P.sqrt(P.sum(P.square(x), axis=axes))
    elif ord in (1, -1):
        col = P.sum(P.abs(x), axis=r)
        out = (P.max if ord == 1 else P.min)(col, axis=c - 1 if c > r else c)
    elif ord in (np.inf, -np.inf):
        row = P.sum(P.abs(x), axis=c)
        out = (P.max if ord == np.inf else P.min)(row, axis=r - 1 if r > c else r)
    elif ord in ("nuc", 2, -2):
        moved = P.transpose(x, [a for a in range(x.ndim) if a not in axes] + [r, c])
        s = M.svd_values(moved)
        out = P.sum(s, axis=-1) if ord == "nuc" else (P.max if ord == 2 else P.min)(s, axis=-1)
    else:
        raise ValueError(f"norm: invalid ord={ord!r} for a matrix norm")
    return _keep(out, x.ndim, axes, keepdims)


def _keep(out: Tensor, ndim: int, axes: Any, keepdims: bool) -> Tensor:
    if not keepdims:
        return out
    axes = tuple(range(ndim)) if axes is None else axes
    shape = list(out.shape)
    for a in sorted(axes):
        shape.insert(a, 1)
    return P.reshape(out, tuple(shape))


__all__ = ["inv", "det", "solve", "cholesky", "qr", "svd", "norm"]

from minikeras.ops.math_ops import _numeric_only  # noqa: E402

for _name in __all__:
    globals()[_name] = _numeric_only(f"linalg.{_name}", globals()[_name])
