"""Primitives of the image preprocessing layers, each with its backward next to it.

All of them are linear in the image (plus, for sampling with `fill_mode="constant"`, a
constant term), so each backward applies the transposed map to the upstream gradient.
They work on channels-last batches `(N, H, W, C)`; the layers transpose other layouts.
"""

from __future__ import annotations

import numpy as np

from minikeras.autodiff.tensor import Tensor, constant_like, record


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else constant_like(x)


def flip_images(x, flips: np.ndarray, axes: tuple) -> Tensor:
    """Image n reversed along every axis in `axes` where `flips[n]` is True, kept otherwise.
    The map is its own transpose, so the gradient is the same flip of `g`."""
    x = _t(x)
    flips = np.asarray(flips, dtype=bool)

    def apply(v: np.ndarray) -> np.ndarray:
        out = v.copy()
        if flips.any():
            out[flips] = np.flip(v[flips], axis=axes)
        return out

    return record(apply(x.value), (x,), lambda g: (apply(g),))


def _along(v: np.ndarray, m: np.ndarray, axis: int) -> np.ndarray:
    """m (out, in) applied along `axis` of v."""
    return np.moveaxis(np.tensordot(m, v, axes=([1], [axis])), 0, axis)


def resample_axes(x, matrices: dict) -> Tensor:
    """Each `matrices[axis]` (out_size, in_size) applied along `axis`: separable resizing
    (every kernel and nearest neighbour are such matrices). Backward: the transposes."""
    x = _t(x)
    out = x.value
    for axis, m in matrices.items():
        out = _along(out, m.astype(out.dtype, copy=False), axis)

    def backward(g):
        for axis, m in matrices.items():
            g = _along(g, m.T.astype(g.dtype, copy=False), axis)
        return (g,)

    return record(np.ascontiguousarray(out), (x,), backward)


def gather_weighted(x, taps: list, fill_value: float) -> Tensor:
    """out[n, i, j, :] = sum over taps (index, weight, valid) of
    weight * (x[n, iy, ix, :] if valid else fill_value), where `index` is the flat position
    n*H*W + iy*W + ix (shape (N, Ho, Wo)). This is Keras' `map_coordinates` sampling on a
    batch; the taps are the neighbours (one for nearest, four for bilinear), in JAX's order.
    Backward: each tap's weighted gradient added back at its source pixel."""
    x = _t(x)
    n, h, w, c = x.value.shape
    flat = x.value.reshape(n * h * w, c)
    out_shape = taps[0][0].shape + (c,)
    out = np.zeros(out_shape, dtype=x.value.dtype)
    fill = np.asarray(fill_value, dtype=x.value.dtype)
    for index, weight, valid in taps:
        picked = flat[index]
        if valid is not None:
            picked = np.where(valid[..., None], picked, fill)
        out += weight[..., None] * picked

    def backward(g):
        gx = np.zeros_like(flat, dtype=g.dtype)
        g2 = g.reshape(-1, c)
        for index, weight, valid in taps:
            wv = weight if valid is None else np.where(valid, weight, 0)
            np.add.at(gx, index.ravel(), wv.reshape(-1, 1).astype(g.dtype) * g2)
        return (gx.reshape(n, h, w, c),)

    return record(out, (x,), backward)
