"""Primitives of the reshaping layers (padding, cropping, up-sampling), each with its
backward next to it. They work on any rank and on the axes given, so the 1D/2D/3D layers
and both data formats share them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minikeras.autodiff.tensor import Tensor, constant_like, record


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else constant_like(x)


def pad(x, pad_width: tuple) -> Tensor:
    """Zeros added before/after each axis; `pad_width` is one (before, after) per axis.
    The gradient is the upstream gradient cut back to the input's window."""
    x = _t(x)
    pad_width = tuple((int(a), int(b)) for a, b in pad_width)
    out = np.pad(x.value, pad_width)
    window = tuple(slice(a, a + n) for (a, _), n in zip(pad_width, x.value.shape))
    return record(out, (x,), lambda g: (g[window],))


def crop(x, crops: tuple) -> Tensor:
    """The input without `crops[i] = (before, after)` entries at each end of axis i. The
    gradient is the upstream gradient put back in place, zeros where entries were cut."""
    x = _t(x)
    shape = x.value.shape
    window = tuple(slice(a, n - b) for (a, b), n in zip(crops, shape))
    out = np.ascontiguousarray(x.value[window])

    def backward(g):
        full = np.zeros(shape, dtype=g.dtype)
        full[window] = g
        return (full,)

    return record(out, (x,), backward)


def repeat_axes(x, repeats: dict) -> Tensor:
    """Each entry repeated `repeats[axis]` times in a row along `axis` (as np.repeat), for
    several axes at once: nearest-neighbour up-sampling and RepeatVector. Forward is one
    broadcast copy; backward sums each block of repeated entries."""
    x = _t(x)
    shape = x.value.shape
    split, view, summed = [], [], []
    for axis, n in enumerate(shape):
        r = int(repeats.get(axis, repeats.get(axis - len(shape), 1)))
        split += [n, r]
        view += [n, 1]
        if r != 1:
            summed.append(2 * axis + 1)
    out_shape = tuple(n * split[2 * i + 1] for i, n in enumerate(shape))
    out = np.broadcast_to(x.value.reshape(view), split).reshape(out_shape)

    def backward(g):
        return (g.reshape(split).sum(axis=tuple(summed)).reshape(shape),)

    return record(out, (x,), backward)


def resize_separable(x, matrices: dict) -> Tensor:
    """Linear resampling along several axes: along `axis`, out = W @ in with
    `W = matrices[axis]` of shape (out_size, in_size). Backward applies W transposed."""
    x = _t(x)
    dtype = x.value.dtype
    mats = {a % x.ndim: np.asarray(w, dtype=dtype) for a, w in matrices.items()}

    def apply(v, transpose):
        # along `axis`, view v as (before, axis, after) and multiply by W from the left:
        # one batched GEMM, no transposed copies (7x faster than tensordot + moveaxis)
        for axis, w in mats.items():
            w = np.ascontiguousarray(w.T) if transpose else w
            shape = v.shape
            v3 = v.reshape(int(np.prod(shape[:axis], dtype=np.int64)), shape[axis], -1)
            v = np.matmul(w, v3).reshape(shape[:axis] + (w.shape[0],) + shape[axis + 1:])
        return v

    return record(apply(x.value, False), (x,), lambda g: (apply(g, True),))


# --- resampling weights as jax.image.resize computes them (Keras 3's ops.image.resize) ----

def _triangle(d: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, 1.0 - d)


def _keys_cubic(d: np.ndarray) -> np.ndarray:
    # Keys' cubic convolution with a = -0.5 (jax's "cubic"/"bicubic")
    out = ((1.5 * d - 2.5) * d) * d + 1.0
    out = np.where(d >= 1.0, ((-0.5 * d + 2.5) * d - 4.0) * d + 2.0, out)
    return np.where(d >= 2.0, 0.0, out)


def _lanczos(radius: int) -> Callable[[np.ndarray], np.ndarray]:
    def kernel(d: np.ndarray) -> np.ndarray:
        y = radius * np.sin(np.pi * d) * np.sin(np.pi * d / radius)
        safe = np.where(d != 0, np.pi ** 2 * d ** 2, 1.0)
        out = np.where(d > 1e-3, y / safe, 1.0)
        return np.where(d > radius, 0.0, out)
    return kernel


RESIZE_KERNELS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "bilinear": _triangle, "bicubic": _keys_cubic, "lanczos3": _lanczos(3),
    "lanczos5": _lanczos(5)}


def resize_weights(in_size: int, out_size: int, interpolation: str) -> np.ndarray:
    """The (out_size, in_size) matrix of jax.image.resize (no antialiasing, as Keras 3 calls
    it): output pixel o samples the input at (o + 0.5) * in/out - 0.5; the kernel weights of
    the input pixels are normalised to sum to 1, so pixels past the border drop out."""
    kernel = RESIZE_KERNELS[interpolation]
    inv_scale = in_size / out_size
    sample = (np.arange(out_size) + 0.5) * inv_scale - 0.5
    w = kernel(np.abs(sample[:, None] - np.arange(in_size)[None, :]))
    total = w.sum(axis=1, keepdims=True)
    w = np.where(np.abs(total) > 1000.0 * float(np.finfo(np.float32).eps),
                 w / np.where(total != 0, total, 1.0), 0.0)
    inside = (sample >= -0.5) & (sample <= in_size - 0.5)
    return np.where(inside[:, None], w, 0.0)

