"""Primitives of the `keras.ops` math functions added for issue 11 (inverse trigonometry,
einsum, quantiles, padding, scatters, linear algebra). Forward and backward side by side,
as in `primitives.py`; the gradients are those `jax.grad` gives (checked against
compat_tests/fixtures/policy_k3.*)."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.autodiff.primitives import _binary, _t, _unary, _nograd
from minikeras.autodiff.tensor import Tensor, record

# --- element-wise ----------------------------------------------------------------------


def arccos(x) -> Tensor:
    return _unary(x, np.arccos, lambda x, o: -1.0 / np.sqrt(1.0 - x * x))


def arcsin(x) -> Tensor:
    return _unary(x, np.arcsin, lambda x, o: 1.0 / np.sqrt(1.0 - x * x))


def arctan(x) -> Tensor:
    return _unary(x, np.arctan, lambda x, o: 1.0 / (1.0 + x * x))


def arccosh(x) -> Tensor:
    return _unary(x, np.arccosh, lambda x, o: 1.0 / np.sqrt(x * x - 1.0))


def arcsinh(x) -> Tensor:
    return _unary(x, np.arcsinh, lambda x, o: 1.0 / np.sqrt(x * x + 1.0))


def arctanh(x) -> Tensor:
    return _unary(x, np.arctanh, lambda x, o: 1.0 / (1.0 - x * x))


def cbrt(x) -> Tensor:
    # d/dx x^(1/3) = 1 / (3 cbrt(x)^2): infinite at 0, as JAX
    with np.errstate(divide="ignore"):
        return _unary(x, np.cbrt, lambda x, o: 1.0 / (3.0 * o * o))


def trunc(x) -> Tensor:
    return _unary(x, np.trunc, lambda x, o: np.zeros_like(x))


def arctan2(a, b) -> Tensor:
    def den(a, b):
        return a * a + b * b
    return _binary(a, b, np.arctan2, lambda g, a, b, o: g * b / den(a, b),
                   lambda g, a, b, o: -g * a / den(a, b))


def hypot(a, b) -> Tensor:
    return _binary(a, b, np.hypot, lambda g, a, b, o: g * a / o,
                   lambda g, a, b, o: g * b / o)


def fmod(a, b) -> Tensor:
    """The remainder with the sign of a (C's fmod): a - b * trunc(a / b)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return _binary(a, b, np.fmod, lambda g, a, b, o: g,
                       lambda g, a, b, o: -g * np.trunc(a / b))


# --- einsum ------------------------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _parse_einsum(subscripts: str, shapes: list) -> tuple:
    """Explicit subscripts (ellipses expanded to letters), one string per operand and
    the output's."""
    s = subscripts.replace(" ", "")
    ins, arrow, out = s.partition("->")
    terms = ins.split(",")
    used = set(s) - set(".,->")
    spare = [c for c in _LETTERS if c not in used]
    n_ell = max((len(shape) - len(t.replace("...", "")) for t, shape in zip(terms, shapes)
                 if "..." in t), default=0)
    ell = "".join(spare[:n_ell])
    terms = [t.replace("...", ell[len(ell) - (len(shape) - len(t.replace("...", ""))):]
                       if len(shape) - len(t.replace("...", "")) else "")
             for t, shape in zip(terms, shapes)]
    if not arrow:  # implicit output: the letters used once, sorted, after the ellipsis
        counts: dict = {}
        for t in terms:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return terms, out


def einsum(subscripts: str, *operands: Any) -> Tensor:
    xs = [_t(x) for x in operands]
    terms, out_s = _parse_einsum(subscripts, [x.shape for x in xs])
    spec = ",".join(terms) + "->" + out_s
    out = np.asarray(np.einsum(spec, *[x.value for x in xs]))
    sizes = {}
    for t, x in zip(terms, xs):
        sizes.update(zip(t, x.shape))

    def backward(g):
        grads = []
        for i, (t, x) in enumerate(zip(terms, xs)):
            if not x.needs_grad:
                grads.append(None)
                continue
            others = [(terms[j], xs[j].value) for j in range(len(xs)) if j != i]
            present = set(out_s).union(*[set(o) for o, _ in others])
            unique = "".join(dict.fromkeys(t))
            kept = "".join(c for c in unique if c in present)
            src = ",".join([out_s] + [o for o, _ in others]) + "->" + kept
            gk = np.einsum(src, g, *[v for _, v in others])
            # letters summed only inside this operand: broadcast back
            full = gk
            for pos, c in enumerate(unique):
                if c not in present:
                    full = np.expand_dims(full, pos)
            full = np.broadcast_to(full, tuple(sizes[c] for c in unique))
            if len(unique) == len(t):
                grads.append(np.ascontiguousarray(np.transpose(
                    full, [unique.index(c) for c in t])) if unique != t else np.array(full))
            else:  # repeated letters: the gradient lives on the diagonal
                grad = np.zeros(x.shape, dtype=np.result_type(g, x.value))
                np.einsum(t + "->" + unique, grad)[...] = full
                grads.append(grad)
        return grads

    return record(out, tuple(xs), backward)


# --- sorting statistics ------------------------------------------------------------------
def quantile(x, q, axis=None, method: str = "linear", keepdims: bool = False) -> Tensor:
    """NumPy's quantile; the gradient goes to the sorted entries the result interpolates
    between (the stable sort's choice among ties), as jax.grad of jnp.quantile."""
    methods = ("linear", "lower", "higher", "midpoint", "nearest")
    if method not in methods:
        raise ValueError(f"quantile: `method` must be one of {methods}, got {method!r}")
    x = _t(x)
    v = x.value
    if v.dtype.kind != "f":
        from minikeras import config

        x = _t(v.astype(config.floatx()))
        v = x.value
    qv = np.asarray(q.value if isinstance(q, Tensor) else q, dtype=np.float64)
    axes = tuple(range(v.ndim)) if axis is None else \
        tuple(a % v.ndim for a in (axis if isinstance(axis, (list, tuple)) else (axis,)))
    rest = [a for a in range(v.ndim) if a not in axes]
    moved = np.transpose(v, rest + list(axes))
    lead = moved.shape[:len(rest)]
    flat = moved.reshape(lead + (-1,))
    n = flat.shape[-1]
    order = np.argsort(flat, axis=-1, kind="stable")
    srt = np.take_along_axis(flat, order, axis=-1)
    pos = qv * (n - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.ceil(pos).astype(np.int64)
    frac = pos - lo
    if method == "lower":
        hi, frac = lo, np.zeros_like(frac)
    elif method == "higher":
        lo, frac = hi, np.zeros_like(frac)
    elif method == "nearest":
        lo = hi = np.round(pos).astype(np.int64)  # half to even, as NumPy and JAX
        frac = np.zeros_like(frac)
    elif method == "midpoint":
        frac = np.where(hi > lo, 0.5, 0.0)
    dt = v.dtype
    wl, wh = (1.0 - frac).astype(dt), frac.astype(dt)
    lo_v = srt[..., lo]  # (lead..., *q.shape)
    hi_v = srt[..., hi]
    res = lo_v * wl + hi_v * wh
    # NumPy's layout: q's axes first, then the kept axes
    res = np.moveaxis(res, list(range(len(lead), res.ndim)), list(range(qv.ndim)))
    if keepdims:
        shape = list(v.shape)
        for a in axes:
            shape[a] = 1
        res = res.reshape(qv.shape + tuple(shape))
    out = np.asarray(res, dtype=dt)

    def backward(g):
        gq = np.asarray(g).reshape(qv.shape + lead)
        gq = np.moveaxis(gq, list(range(qv.ndim)), list(range(len(lead), len(lead) + qv.ndim)))
        gs = np.zeros(lead + (n,), dtype=dt)
        lo_b = np.broadcast_to(lo, qv.shape)
        hi_b = np.broadcast_to(hi, qv.shape)
        for idx in np.ndindex(*qv.shape) if qv.ndim else [()]:
            gi = gq[(Ellipsis,) + idx]
            gs[..., lo_b[idx]] += gi * wl[idx]
            gs[..., hi_b[idx]] += gi * wh[idx]
        gflat = np.zeros_like(gs)
        np.put_along_axis(gflat, order, gs, axis=-1)
        gm = gflat.reshape(moved.shape)
        return (np.transpose(gm, np.argsort(rest + list(axes))),)

    return record(out, (x,), backward)


# --- structure -----------------------------------------------------------------------
def pad(x, pad_width, mode: str = "constant", constant_values=None) -> Tensor:
    """np.pad. The gradient of the modes that copy entries (constant, edge, reflect,
    symmetric, wrap) sums the copies back; the statistics modes (mean, maximum, ...) have
    none here (JAX has one: a difference)."""
    x = _t(x)
    v = x.value
    kwargs = {}
    if mode == "constant" and constant_values is not None:
        kwargs["constant_values"] = constant_values
    out = np.pad(v, pad_width, mode=mode, **kwargs)

    def backward(g):
        if mode not in ("constant", "edge", "reflect", "symmetric", "wrap"):
            raise NotImplementedError(f"ops.pad: no gradient for mode={mode!r} in minikeras "
                                      "(constant, edge, reflect, symmetric, wrap have one)")
        index = np.arange(v.size, dtype=np.int64).reshape(v.shape)
        padded = np.pad(index, pad_width, mode=mode, **(
            {"constant_values": -1} if mode == "constant" else {}))
        keep = padded.ravel() >= 0
        grad = np.bincount(padded.ravel()[keep], weights=np.asarray(g).ravel()[keep],
                           minlength=v.size)
        return (grad.reshape(v.shape).astype(v.dtype),)

    return record(out, (x,), backward)


def slice_update(inputs, start_indices, updates) -> Tensor:
    x, u = _t(inputs), _t(updates)
    start = [int(s) for s in np.asarray(
        start_indices.value if isinstance(start_indices, Tensor) else start_indices)]
    index = tuple(slice(s, s + n) for s, n in zip(start, u.shape))
    out = x.value.copy()
    out[index] = u.value

    def backward(g):
        gx = np.array(g)
        gx[index] = 0
        return gx, np.array(g[index])

    return record(out, (x, u), backward)


def _index_tuple(indices) -> tuple:
    idx = np.asarray(indices.value if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu":
        idx = idx.astype(np.int64)
    return tuple(np.moveaxis(idx, -1, 0))


def scatter(indices, values, shape) -> Tensor:
    """A zeros tensor of `shape` with `values` added at `indices` (duplicates add up, as
    Keras' JAX and TensorFlow backends)."""
    u = _t(values)
    index = _index_tuple(indices)
    out = np.zeros(tuple(int(s) for s in shape), dtype=u.value.dtype)
    np.add.at(out, index, u.value)
    return record(out, (u,), lambda g: (np.array(g[index]),))


def scatter_update(inputs, indices, updates) -> Tensor:
    x, u = _t(inputs), _t(updates)
    index = _index_tuple(indices)
    out = x.value.copy()
    out[index] = u.value

    def backward(g):
        gx = np.array(g)
        gx[index] = 0
        return gx, np.array(g[index])

    return record(out, (x, u), backward)


# --- linear algebra ------------------------------------------------------------------
def _mT(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def inv(x) -> Tensor:
    x = _t(x)
    out = np.linalg.inv(x.value)
    return record(out, (x,), lambda g: (-_mT(out) @ g @ _mT(out),))


def det(x) -> Tensor:
    x = _t(x)
    d = np.linalg.det(x.value)

    def backward(g):
        return (np.asarray(g)[..., None, None] * d[..., None, None] *
                _mT(np.linalg.inv(x.value)),)

    return record(np.asarray(d, dtype=x.value.dtype), (x,), backward)


def solve(a, b) -> Tensor:
    a, b = _t(a), _t(b)
    out = np.linalg.solve(a.value, b.value)

    def backward(g):
        gb = np.linalg.solve(_mT(a.value), g)
        return -gb @ _mT(out), gb

    return record(out, (a, b), backward)


def cholesky(x) -> Tensor:
    """The lower factor; the gradient is symmetric, as JAX (which symmetrizes the input)."""
    x = _t(x)
    low = np.linalg.cholesky(x.value)

    def backward(g):
        eye = np.broadcast_to(np.eye(low.shape[-1], dtype=low.dtype), low.shape)
        linv = np.linalg.solve(low, eye)
        middle = _mT(low) @ g
        middle = np.tril(middle) - 0.5 * np.tril(np.triu(middle))  # halve the diagonal
        grad = _mT(linv) @ middle @ linv
        return (0.5 * (grad + _mT(grad)),)

    return record(low, (x,), backward)


def qr(x, mode: str = "reduced") -> tuple:
    """(q, r); gradients for the reduced factorisation of a tall or square matrix (and a
    square matrix's complete one), as TensorFlow's and JAX's."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: `mode` must be 'reduced' or 'complete', got {mode!r}")
    x = _t(x)
    q, r = np.linalg.qr(x.value, mode=mode)
    m, n = x.shape[-2:]
    differentiable = m >= n and (mode == "reduced" or m == n)
    # one node holding both outputs: the backward of each takes the other's gradient as 0
    state: dict = {}

    def backward_pair(gq, gr):
        if not differentiable:
            raise NotImplementedError("qr: minikeras differentiates the reduced QR of a tall "
                                      f"or square matrix only (got {m}x{n}, mode={mode!r})")
        qdq = _mT(q) @ gq
        qdq_ = qdq - _mT(qdq)
        rdr = r @ _mT(gr)
        rdr_ = rdr - _mT(rdr)
        low = np.tril(qdq_ + rdr_)

        def tri_solve(a):  # a @ R^-T
            return _mT(np.linalg.solve(r, _mT(a)))
        return q @ (gr + tri_solve(low)) + tri_solve(gq - q @ qdq)

    def make(k):
        def backward(g):
            gq = g if k == 0 else np.zeros_like(q)
            gr = g if k == 1 else np.zeros_like(r)
            return (backward_pair(gq, gr),)
        return backward

    state["q"] = record(q, (x,), make(0))
    state["r"] = record(r, (x,), make(1))
    return state["q"], state["r"]


def svd_values(x) -> Tensor:
    """The singular values (descending); d s / d x = U diag(g) V^T."""
    x = _t(x)
    u, s, vt = np.linalg.svd(x.value, full_matrices=False)
    return record(s, (x,), lambda g: ((u * np.asarray(g)[..., None, :]) @ vt,))


def svd(x, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """`compute_uv=False`: the singular values, differentiable; with U and V: values only
    (JAX's gradient of U and V is not provided here)."""
    if not compute_uv:
        return svd_values(x)
    x = _t(x)
    u, s, vt = np.linalg.svd(x.value, full_matrices=full_matrices)
    return _nograd(u), svd_values(x), _nograd(vt)
