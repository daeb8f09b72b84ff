"""UpSampling1D/2D/3D: each entry of the spatial axes repeated `size` times (nearest
neighbour); UpSampling2D also resizes with jax.image.resize's kernels ("bilinear",
"bicubic", "lanczos3", "lanczos5"), as Keras 3 does through `ops.image.resize`."""

from __future__ import annotations

from typing import Any

from minikeras.autodiff import spatial
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.reshaping._base import (Spatial, _is_int, standardize_data_format,
                                              standardize_tuple)
from minikeras.utils.naming import unknown_name_error

INTERPOLATIONS = ("nearest",) + tuple(spatial.RESIZE_KERNELS)


class _UpSampling(Spatial):
    interpolation = "nearest"

    def _sizes(self) -> tuple:
        return self.size

    def call(self, inputs: Tensor) -> Tensor:
        self._check_rank(inputs.shape)
        axes, sizes = self._spatial_axes(), self._sizes()
        if self.interpolation == "nearest":
            return spatial.repeat_axes(inputs, dict(zip(axes, sizes)))
        mats = {a: spatial.resize_weights(inputs.shape[a], inputs.shape[a] * s,
                                          self.interpolation)
                for a, s in zip(axes, sizes)}
        return spatial.resize_separable(inputs, mats)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check_rank(input_shape)
        out = list(input_shape)
        for axis, s in zip(self._spatial_axes(), self._sizes()):
            out[axis] = None if out[axis] is None else out[axis] * s
        return tuple(out)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"size": self.size, "data_format": self.data_format})
        return cfg


class UpSampling1D(_UpSampling):
    """(batch, steps, features) -> (batch, steps * size, features). `size` is one int."""

    _rank = 1

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        if not _is_int(size):
            raise TypeError(f"UpSampling1D: expected an integer value for `size`, got "
                            f"{type(size)} (size={size!r}).")
        if size <= 0:
            raise ValueError(f"Argument `size` should be a positive integer. Received: "
                             f"size={size}")
        super().__init__(**kwargs)
        self.size = int(size)
        self.data_format = "channels_last"

    def _sizes(self) -> tuple:
        return (self.size,)

    def get_config(self) -> dict:
        cfg = super().get_config()
        del cfg["data_format"]
        return cfg


class UpSampling2D(_UpSampling):
    """`size`: int or (rows, cols). `interpolation`: "nearest" (repeat), "bilinear",
    "bicubic", "lanczos3" or "lanczos5" (jax.image.resize without antialiasing)."""

    _rank = 2

    def __init__(self, size: Any = (2, 2), data_format: str | None = None,
                 interpolation: str = "nearest", **kwargs: Any) -> None:
        interp = str(interpolation).lower()
        if interp not in INTERPOLATIONS:
            raise unknown_name_error("interpolation", interpolation, INTERPOLATIONS)
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.size = standardize_tuple(size, 2, "size")
        self.interpolation = interp

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["interpolation"] = self.interpolation
        return cfg


class UpSampling3D(_UpSampling):
    """`size`: int or (dim1, dim2, dim3); nearest neighbour only, as in Keras."""

    _rank = 3

    def __init__(self, size: Any = (2, 2, 2), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.size = standardize_tuple(size, 3, "size")
