"""Keras 2's padding and resizing backend functions (`K.temporal_padding`,
`K.spatial_2d_padding`, `K.spatial_3d_padding`, `K.resize_images`, `K.resize_volumes`),
on the primitives of the reshaping layers."""

from __future__ import annotations

from typing import Any

from minikeras import ops
from minikeras.autodiff import spatial
from minikeras.autodiff.tensor import Tensor
from minikeras.config import image_data_format


def _format(data_format: Any) -> str:
    data_format = image_data_format() if data_format is None else data_format
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Unknown data_format: {data_format}")
    return data_format


def _pairs(padding: Any, n: int, what: str) -> list:
    try:
        pairs = [tuple(int(v) for v in p) for p in padding]
    except TypeError:
        raise ValueError(f"{what}: `padding` must be {n} pairs (before, after), got "
                         f"{padding!r}") from None
    if len(pairs) != n or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise ValueError(f"{what}: `padding` must be {n} pairs of non-negative ints "
                         f"(before, after), got {padding!r}")
    return pairs


def _check_rank(x: Tensor, ndim: int, what: str) -> None:
    if x.ndim != ndim:
        raise ValueError(f"{what} needs a tensor of rank {ndim}, got shape {tuple(x.shape)}")


def _spatial_padding(x: Any, pairs: list, data_format: str, what: str) -> Tensor:
    x = ops.convert_to_tensor(x)
    _check_rank(x, len(pairs) + 2, what)
    if data_format == "channels_first":
        pads = [(0, 0), (0, 0)] + pairs
    else:
        pads = [(0, 0)] + pairs + [(0, 0)]
    return spatial.pad(x, tuple(pads))


def temporal_padding(x: Any, padding: Any = (1, 1)) -> Tensor:
    """Zeros before/after the steps of (batch, steps, features)."""
    return _spatial_padding(x, _pairs([padding], 1, "temporal_padding"), "channels_last",
                            "temporal_padding")


def spatial_2d_padding(x: Any, padding: Any = ((1, 1), (1, 1)),
                       data_format: str | None = None) -> Tensor:
    """Zeros around the rows and columns of a 4-D tensor."""
    return _spatial_padding(x, _pairs(padding, 2, "spatial_2d_padding"), _format(data_format),
                            "spatial_2d_padding")


def spatial_3d_padding(x: Any, padding: Any = ((1, 1), (1, 1), (1, 1)),
                       data_format: str | None = None) -> Tensor:
    """Zeros around the three spatial axes of a 5-D tensor."""
    return _spatial_padding(x, _pairs(padding, 3, "spatial_3d_padding"), _format(data_format),
                            "spatial_3d_padding")


def _factors(values: tuple, what: str) -> list:
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) and not (
                hasattr(v, "is_integer") and v.is_integer()) or int(v) < 1:
            raise ValueError(f"{what}: the factors must be positive integers, got {values}")
        out.append(int(v))
    return out


def resize_images(x: Any, height_factor: int, width_factor: int, data_format: str,
                  interpolation: str = "nearest") -> Tensor:
    """Rows and columns scaled by integer factors. "nearest" repeats each entry (as TF's
    nearest resize does for integer factors); "bilinear" interpolates with half-pixel
    centres, which for up-sampling is TF's and jax's bilinear resize. Keras 2's other
    TensorFlow methods (area, bicubic, gaussian, lanczos, mitchellcubic) are refused."""
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Invalid `data_format` argument: {data_format}")
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"resize_images: interpolation={interpolation!r} is not supported by "
                         "minikeras; use 'nearest' or 'bilinear'")
    factors = _factors((height_factor, width_factor), "resize_images")
    x = ops.convert_to_tensor(x)
    _check_rank(x, 4, "resize_images")
    axes = (2, 3) if data_format == "channels_first" else (1, 2)
    if interpolation == "nearest":
        return spatial.repeat_axes(x, dict(zip(axes, factors)))
    return spatial.resize_separable(x, {a: spatial.resize_weights(x.shape[a], x.shape[a] * f,
                                                                  "bilinear")
                                        for a, f in zip(axes, factors)})


def resize_volumes(x: Any, depth_factor: int, height_factor: int, width_factor: int,
                   data_format: str) -> Tensor:
    """The three spatial axes of a 5-D tensor scaled by repeating entries."""
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Invalid data_format: {data_format}")
    factors = _factors((depth_factor, height_factor, width_factor), "resize_volumes")
    x = ops.convert_to_tensor(x)
    _check_rank(x, 5, "resize_volumes")
    axes = (2, 3, 4) if data_format == "channels_first" else (1, 2, 3)
    return spatial.repeat_axes(x, dict(zip(axes, factors)))
