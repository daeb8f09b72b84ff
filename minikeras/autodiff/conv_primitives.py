"""Convolution and pooling primitives: forward and backward side by side.

Everything here works on channels_last arrays with 1, 2 or 3 spatial axes:
`x` is (batch, *spatial, channels). The public `keras.ops` functions and the layers turn
channels_first data into this layout (a transpose) before calling these.

How a convolution is computed (no Python loop over pixels):
  1. pad the input (zeros; -inf for max pooling) as `padding` says;
  2. take a strided *view* of every window: shape (batch, *out, *kernel, channels), no copy;
  3. one GEMM: the windows as a (batch*out, kernel*channels) matrix times the kernel as a
     (kernel*channels, filters) matrix.
Backward: the kernel gradient is windows.T @ upstream (one GEMM); the input gradient is
col2im done one kernel offset at a time (kh*kw iterations, never a loop over pixels): the
upstream times that offset's slice of the kernel (a small GEMM) is added, in one vectorised
operation, onto the strided slice of the padded input the offset read (`_scatter` does
the same from a full per-window gradient array, for grouped and transposed convolutions).

Keras' numbers are the XLA ones (JAX backend): 'same' pads ceil-division style with the
odd pixel at the end; max pooling routes the gradient to the first maximum of a window.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from minikeras.autodiff.primitives import CHAIN_ACTIVATIONS
from minikeras.autodiff.tensor import Tensor, constant_like, record


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else constant_like(x)


# --- geometry -------------------------------------------------------------------------

def output_length(n: int | None, k: int, stride: int, dilation: int, padding: str) -> int | None:
    """Keras' conv/pool output size along one axis (None stays None)."""
    if n is None:
        return None
    dk = (k - 1) * dilation + 1
    if padding == "same":
        return -(-n // stride)
    if padding == "causal":
        n = n + dk - 1
    return (n - dk) // stride + 1


def transpose_output_length(n: int | None, k: int, stride: int, dilation: int, padding: str,
                            output_padding: int | None) -> int | None:
    """Output size of a transposed convolution along one axis, as Keras computes it."""
    if n is None:
        return None
    dk = (k - 1) * dilation + 1
    if padding == "valid":
        op = max(dk, stride) - dk if output_padding is None else output_padding
        return (n - 1) * stride + dk + op
    if output_padding is None:
        return n * stride
    return (n - 1) * stride + dk % 2 + output_padding


@functools.lru_cache(maxsize=512)
def _pads(spatial, ksize, strides, dilation, padding) -> tuple:
    """(before, after) padding per spatial axis (remembered, like `_slices`)."""
    pads = []
    for n, k, s, d in zip(spatial, ksize, strides, dilation):
        dk = (k - 1) * d + 1
        if padding == "same":
            out = -(-n // s)
            total = max((out - 1) * s + dk - n, 0)
            pads.append((total // 2, total - total // 2))
        elif padding == "causal":
            pads.append((dk - 1, 0))
        else:
            pads.append((0, 0))
    return tuple(pads)


def _pad(xv: np.ndarray, pads: list, value: float = 0.0) -> np.ndarray:
    if not any(lo or hi for lo, hi in pads):
        return xv
    shape = (xv.shape[0],) + tuple(n + lo + hi for n, (lo, hi) in zip(xv.shape[1:-1], pads)) \
        + (xv.shape[-1],)
    out = np.full(shape, value, dtype=xv.dtype) if value else np.zeros(shape, dtype=xv.dtype)
    out[_inner(xv.shape, pads)] = xv
    return out


def _inner(shape: tuple, pads: list) -> tuple:
    """The index of the unpadded region inside a padded array."""
    return (slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(shape[1:-1], pads)) \
        + (slice(None),)


def _windows(xp: np.ndarray, out: tuple, ksize: tuple, strides: tuple, dilation: tuple):
    """A read-only strided view (batch, *out, *kernel, channels) of every window of xp."""
    st = xp.strides
    sp = st[1:-1]
    shape = (xp.shape[0],) + tuple(out) + tuple(ksize) + (xp.shape[-1],)
    strides_ = (st[0],) + tuple(a * s for a, s in zip(sp, strides)) + \
        tuple(a * d for a, d in zip(sp, dilation)) + (st[-1],)
    return as_strided(xp, shape=shape, strides=strides_, writeable=False)


def _offset_slices(out: tuple, ksize: tuple, strides: tuple, dilation: tuple):
    """For each kernel offset: its index tuple and the strided slice of the input it reads."""
    for off in itertools.product(*(range(k) for k in ksize)):
        yield off, (slice(None),) + tuple(
            slice(o * d, o * d + s * (n - 1) + 1, s)
            for o, d, s, n in zip(off, dilation, strides, out)) + (slice(None),)


@functools.lru_cache(maxsize=512)
def _slices(out: tuple, ksize: tuple, strides: tuple, dilation: tuple) -> tuple:
    """`_offset_slices` as a tuple, remembered: a training loop asks for the same geometry
    at every step."""
    return tuple(_offset_slices(out, ksize, strides, dilation))


def _scatter(gwin: np.ndarray, shape: tuple, out: tuple, ksize: tuple, strides: tuple,
             dilation: tuple) -> np.ndarray:
    """col2im: add the per-window gradients gwin (batch, *out, *kernel, channels) back onto
    an array of `shape`; one vectorised add per kernel offset."""
    nd = len(ksize)
    dx = np.zeros(shape, dtype=gwin.dtype)
    lead = (slice(None),) * (1 + nd)
    for off, sl in _slices(out, ksize, strides, dilation):
        dx[sl] += gwin[lead + off]
    return dx


def _im2col(xp: np.ndarray, out: tuple, ksize: tuple, strides: tuple, dilation: tuple):
    """The windows as a contiguous (batch, *out, *kernel, channels) array: one strided copy
    per kernel offset (faster than copying the 2n-dimensional view in one go when the
    channel axis is short)."""
    nd = len(ksize)
    cols = np.empty((xp.shape[0],) + tuple(out) + tuple(ksize) + (xp.shape[-1],), xp.dtype)
    lead = (slice(None),) * (1 + nd)
    for off, sl in _slices(out, ksize, strides, dilation):
        cols[lead + off] = xp[sl]
    return cols


def _check_out(out: tuple, spatial: tuple, ksize: tuple, dilation: tuple, what: str) -> None:
    if any(o <= 0 for o in out):
        raise ValueError(f"{what}: the kernel/pool window {tuple(ksize)} (dilation "
                         f"{tuple(dilation)}) is larger than the padded input spatial shape "
                         f"{tuple(spatial)}; the output would have shape {tuple(out)}. Use "
                         "padding='same' or a smaller kernel.")


# --- convolution ----------------------------------------------------------------------

def conv(x, kernel, bias=None, strides=(1,), padding="valid", dilation=(1,), groups=1,
         activation: str | None = None) -> Tensor:
    """N-D convolution (cross-correlation, as Keras): x (batch, *spatial, in),
    kernel (*kernel_size, in // groups, filters), bias (filters,) or None.

    `activation` ('relu' or 'tanh', as the Conv layers pass it) is applied inside the node,
    computing the same numbers as the separate primitive with one graph node less."""
    x, kernel = _t(x), _t(kernel)
    bias = None if bias is None else _t(bias)
    strides, dilation = tuple(strides), tuple(dilation)
    xv, kv = x.value, kernel.value
    nd = xv.ndim - 2
    ksize = kv.shape[:nd]
    cin, f = xv.shape[-1], kv.shape[-1]
    cg = kv.shape[-2]
    spatial = xv.shape[1:-1]
    pads = _pads(spatial, ksize, strides, dilation, padding)
    xp = _pad(xv, pads)
    out = tuple(output_length(n, k, s, d, padding)
                for n, k, s, d in zip(spatial, ksize, strides, dilation))
    _check_out(out, xp.shape[1:-1], ksize, dilation, "conv")
    n = xv.shape[0]
    m = n * int(np.prod(out))
    kp = int(np.prod(ksize))
    cols = _im2col(xp, out, ksize, strides, dilation)
    if groups == 1:
        c2 = cols.reshape(m, kp * cin)
        k2 = kv.reshape(kp * cin, f)
        y = c2 @ k2
    else:
        fg = f // groups
        # per group: (m, kp*cg) windows times (kp*cg, fg) kernel, batched over groups
        c2 = cols.reshape(m, kp, groups, cg).transpose(2, 0, 1, 3).reshape(groups, m, kp * cg)
        k2 = kv.reshape(kp, cg, groups, fg).transpose(2, 0, 1, 3).reshape(groups, kp * cg, fg)
        y = np.matmul(c2, k2).transpose(1, 0, 2).reshape(m, f)
    if bias is not None:
        y += bias.value
        parents = (x, kernel, bias)
    else:
        parents = (x, kernel)
    if activation is not None:
        y = CHAIN_ACTIVATIONS[activation][0](y)

    def backward(g):
        if activation is not None:
            g = CHAIN_ACTIVATIONS[activation][1](g, y.reshape(g.shape))
        gm = g.reshape(m, f)
        gx = gk = None
        if groups == 1:
            if kernel.needs_grad:
                gk = (c2.T @ gm).reshape(kv.shape)
            if x.needs_grad:
                # dL/dP one kernel offset at a time, each (m, cin) block added at once onto
                # the strided slice of the input that the offset read: col2im without
                # building the whole dL/dP matrix
                kt = k2.reshape(kp, cin, f)
                dxp = np.zeros(xp.shape, dtype=gm.dtype)
                for i, (_, sl) in enumerate(_slices(out, ksize, strides, dilation)):
                    dxp[sl] += (gm @ kt[i].T).reshape(cols.shape[:nd + 1] + (cin,))
                gx = dxp[_inner(xv.shape, pads)]
        else:
            gg = gm.reshape(m, groups, fg).transpose(1, 0, 2)
            if kernel.needs_grad:
                gk = np.matmul(c2.transpose(0, 2, 1), gg).reshape(groups, kp, cg, fg) \
                    .transpose(1, 2, 0, 3).reshape(kv.shape)
            if x.needs_grad:
                gcols = np.matmul(gg, k2.transpose(0, 2, 1)).reshape(
                    (groups, n) + out + (kp, cg))
                gcols = np.moveaxis(gcols, 0, -2).reshape(cols.shape)
                gx = _scatter(gcols, xp.shape, out, ksize, strides, dilation)[
                    _inner(xv.shape, pads)]
        if bias is None:
            return gx, gk
        return gx, gk, (gm.sum(axis=0) if bias.needs_grad else None)

    return record(y.reshape((n,) + out + (f,)), parents, backward)


def conv_transpose(x, kernel, bias=None, strides=(1,), padding="valid", output_padding=None,
                   dilation=(1,)) -> Tensor:
    """N-D transposed convolution (the input-gradient of `conv`): x (batch, *spatial, in),
    kernel (*kernel_size, filters, in), as Keras lays it out. Output sizes and the crop of
    the full result follow Keras' JAX backend."""
    x, kernel = _t(x), _t(kernel)
    bias = None if bias is None else _t(bias)
    strides, dilation = tuple(strides), tuple(dilation)
    xv, kv = x.value, kernel.value
    nd = xv.ndim - 2
    ksize = kv.shape[:nd]
    f, cin = kv.shape[-2], kv.shape[-1]
    spatial = xv.shape[1:-1]
    ops_ = (None,) * nd if output_padding is None else tuple(output_padding)
    n = xv.shape[0]
    full = tuple((i - 1) * s + (k - 1) * d + 1
                 for i, k, s, d in zip(spatial, ksize, strides, dilation))
    outs = tuple(transpose_output_length(i, k, s, d, padding, op)
                 for i, k, s, d, op in zip(spatial, ksize, strides, dilation, ops_))
    # JAX pads the stride-dilated input by (left, right); in terms of the full scatter
    # result that is a crop of dk-1-left at the start (negative: zeros added).
    starts = []
    for k, s, d, op in zip(ksize, strides, dilation, ops_):
        dk = (k - 1) * d + 1
        if padding == "valid":
            left = dk - 1
        else:
            pad_len = s + dk - 2 if op is None else dk + dk % 2 - 2 + op
            left = min(pad_len // 2 + pad_len % 2, dk - 1)
        starts.append(dk - 1 - left)
    _check_out(outs, spatial, ksize, dilation, "conv_transpose")
    m = n * int(np.prod(spatial))
    kp = int(np.prod(ksize))
    x2 = xv.reshape(m, cin)
    k2 = kv.reshape(kp * f, cin)
    cols = (x2 @ k2.T).reshape((n,) + spatial + ksize + (f,))
    yfull = _scatter(cols, (n,) + full + (f,), spatial, ksize, strides, dilation)

    # where the kept output sits in the full result, and in the output
    src = (slice(None),) + tuple(slice(max(st, 0), min(st + o, fl))
                                 for st, o, fl in zip(starts, outs, full)) + (slice(None),)
    dst = (slice(None),) + tuple(slice(max(-st, 0), max(-st, 0) + min(st + o, fl) - max(st, 0))
                                 for st, o, fl in zip(starts, outs, full)) + (slice(None),)
    y = np.zeros((n,) + outs + (f,), dtype=yfull.dtype)
    y[dst] = yfull[src]
    if bias is not None:
        y += bias.value
        parents = (x, kernel, bias)
    else:
        parents = (x, kernel)

    def backward(g):
        gfull = np.zeros(yfull.shape, dtype=g.dtype)
        gfull[src] = g[dst]
        gcols = _im2col(gfull, spatial, ksize, strides, dilation).reshape(m, kp * f)
        gx = (gcols @ k2).reshape(xv.shape) if x.needs_grad else None
        gk = (gcols.T @ x2).reshape(kv.shape) if kernel.needs_grad else None
        if bias is None:
            return gx, gk
        red = tuple(range(g.ndim - 1))
        return gx, gk, (g.sum(axis=red) if bias.needs_grad else None)

    return record(y, parents, backward)


# --- pooling --------------------------------------------------------------------------

def pool(x, pool_size: tuple, strides: tuple, padding: str = "valid", mode: str = "max") -> Tensor:
    """Max or average pooling over the spatial axes of a channels_last x.

    Computed with a loop over the window's offsets (prod(pool_size) iterations), each a
    vectorised maximum/add of one strided slice of the input: no copy of the windows.
    Average pooling with padding='same' divides by the number of real (unpadded) elements
    of each window, as Keras does; max pooling pads with -inf. The gradient of max pooling
    goes to the first maximum of each window in row-major order (XLA's and TensorFlow's
    choice), found by the same loop in the backward pass.
    """
    x = _t(x)
    xv = x.value
    nd = xv.ndim - 2
    spatial = xv.shape[1:-1]
    ones = (1,) * nd
    pool_size, strides = tuple(pool_size), tuple(strides)
    pads = _pads(spatial, pool_size, strides, ones, padding)
    out = tuple(output_length(n, k, s, 1, padding)
                for n, k, s in zip(spatial, pool_size, strides))
    _check_out(out, tuple(n + lo + hi for n, (lo, hi) in zip(spatial, pads)), pool_size, ones,
               f"{mode}_pool")
    xp = _pad(xv, pads, -np.inf if mode == "max" else 0.0)
    slices = [sl for _, sl in _slices(out, pool_size, strides, ones)]
    padded = xp is not xv
    # windows that do not overlap: each input element is read by at most one window, so
    # the backward pass can assign instead of accumulate
    disjoint = all(s >= k for s, k in zip(strides, pool_size))

    if mode == "max":
        y = xp[slices[0]].copy()
        for sl in slices[1:]:
            np.maximum(y, xp[sl], out=y)

        def backward(g):
            dxp = np.zeros(xp.shape, dtype=g.dtype)
            todo = np.ones(y.shape, dtype=bool)  # windows whose maximum is not yet found
            for sl in slices:
                hit = xp[sl] == y
                hit &= todo
                todo &= ~hit
                if disjoint:
                    np.multiply(g, hit, out=dxp[sl])
                else:
                    dxp[sl] += g * hit
            return (dxp[_inner(xv.shape, pads)] if padded else dxp,)
    else:
        y = xp[slices[0]].copy()
        for sl in slices[1:]:
            y += xp[sl]
        if padding == "same" and padded:
            counts = _valid_counts(spatial, out, pool_size, strides, pads).astype(xv.dtype)
        else:
            counts = np.asarray(len(slices), dtype=xv.dtype)
        y /= counts

        def backward(g):
            gs = g / counts
            dxp = np.zeros(xp.shape, dtype=g.dtype)
            for sl in slices:
                if disjoint:
                    dxp[sl] = gs
                else:
                    dxp[sl] += gs
            return (dxp[_inner(xv.shape, pads)] if padded else dxp,)

    return record(y, (x,), backward)


def _valid_counts(spatial, out, pool_size, strides, pads) -> np.ndarray:
    """How many real (unpadded) elements each window covers: (*out, 1) for broadcasting."""
    total = np.ones((), dtype=np.int64)
    for n, o, k, s, (lo, _) in zip(spatial, out, pool_size, strides, pads):
        start = np.arange(o) * s - lo
        cnt = np.minimum(start + k, n) - np.maximum(start, 0)
        total = total[..., None] * cnt
    return total[..., None]
