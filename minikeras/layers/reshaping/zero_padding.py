"""ZeroPadding1D/2D/3D: rows of zeros added at both ends of the spatial axes (Keras 3's
arguments and configs; ZeroPadding1D also takes Keras 3's `data_format`)."""

from __future__ import annotations

from typing import Any

from minikeras.autodiff import spatial
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.reshaping._base import (Spatial, standardize_data_format,
                                              standardize_pairs, standardize_tuple)


class _ZeroPadding(Spatial):
    def _pad_width(self) -> tuple:
        pads = [(0, 0)] * self._ndim
        for axis, pair in zip(self._spatial_axes(), self._pairs()):
            pads[axis] = pair
        return tuple(pads)

    def _pairs(self) -> tuple:
        return self.padding

    def call(self, inputs: Tensor) -> Tensor:
        self._check_rank(inputs.shape)
        return spatial.pad(inputs, self._pad_width())

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check_rank(input_shape)
        return tuple(d if d is None else d + a + b
                     for d, (a, b) in zip(input_shape, self._pad_width()))

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"padding": self.padding, "data_format": self.data_format})
        return cfg


class ZeroPadding1D(_ZeroPadding):
    """Pads axis 1 (steps), or axis 2 with channels_first. `padding`: int or (left, right)."""

    _rank = 1

    def __init__(self, padding: Any = 1, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.padding = standardize_tuple(padding, 2, "padding", allow_zero=True)

    def _pairs(self) -> tuple:
        return (self.padding,)


class ZeroPadding2D(_ZeroPadding):
    """`padding`: int, (sym_height, sym_width) or ((top, bottom), (left, right))."""

    _rank = 2

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.padding = standardize_pairs(padding, 2, "padding")


class ZeroPadding3D(_ZeroPadding):
    """`padding`: int, 3 ints, or 3 pairs (before, after) for the three spatial axes."""

    _rank = 3

    def __init__(self, padding: Any = ((1, 1), (1, 1), (1, 1)),
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.padding = standardize_pairs(padding, 3, "padding")
