"""Cropping1D/2D/3D: entries cut from both ends of the spatial axes. Cropping everything
(or more) along an axis is a ValueError, as in Keras 3."""

from __future__ import annotations

from typing import Any

from minikeras.autodiff import spatial
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.reshaping._base import (Spatial, standardize_data_format,
                                              standardize_pairs, standardize_tuple)


class _Cropping(Spatial):
    def _pairs(self) -> tuple:
        return self.cropping

    def _crops(self, shape: tuple) -> tuple:
        self._check_rank(shape)
        crops = [(0, 0)] * self._ndim
        for axis, pair in zip(self._spatial_axes(), self._pairs()):
            if shape[axis] is not None and sum(pair) >= shape[axis]:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}): values in `cropping` must be "
                    f"smaller than the corresponding spatial dimension of the input. Received: "
                    f"input_shape={tuple(shape)}, cropping={self.cropping} (axis {axis} has "
                    f"{shape[axis]} entries, {sum(pair)} would be cropped)")
            crops[axis] = pair
        return tuple(crops)

    def call(self, inputs: Tensor) -> Tensor:
        return spatial.crop(inputs, self._crops(inputs.shape))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        crops = self._crops(input_shape)
        return tuple(d if d is None else d - a - b for d, (a, b) in zip(input_shape, crops))

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"cropping": self.cropping, "data_format": self.data_format})
        return cfg


class Cropping1D(_Cropping):
    """Crops axis 1 of (batch, steps, features). `cropping`: int or (start, end). Keras has
    no `data_format` here."""

    _rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = "channels_last"
        self.cropping = standardize_tuple(cropping, 2, "cropping", allow_zero=True)

    def _pairs(self) -> tuple:
        return (self.cropping,)

    def get_config(self) -> dict:
        cfg = super().get_config()
        del cfg["data_format"]
        return cfg


class Cropping2D(_Cropping):
    """`cropping`: int, (sym_height, sym_width) or ((top, bottom), (left, right))."""

    _rank = 2

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.cropping = standardize_pairs(cropping, 2, "cropping")


class Cropping3D(_Cropping):
    """`cropping`: int, 3 ints, or 3 pairs (start, end) for the three spatial axes."""

    _rank = 3

    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)),
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.cropping = standardize_pairs(cropping, 3, "cropping")
