"""What the reshaping layers share: Keras 3's argument standardisation (with its error
messages) and the input-rank check that Keras does through `InputSpec(ndim=...)`."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import config
from minikeras.layers.layer import Layer

_ORDINALS = ("1st", "2nd", "3rd")


def standardize_data_format(data_format: Any) -> str:
    """None means `keras.config.image_data_format()`; otherwise one of the two names."""
    if data_format is None:
        return config.image_data_format()
    data_format = str(data_format).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format}")
    return data_format


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def standardize_tuple(value: Any, n: int, name: str, allow_zero: bool = False) -> tuple:
    """An int, or n ints, as a tuple of n ints (Keras' argument_validation rules)."""
    msg = f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}"
    if _is_int(value):
        values = (int(value),) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(msg) from None
        if len(values) != n or not all(_is_int(v) for v in values):
            raise ValueError(msg)
        values = tuple(int(v) for v in values)
    bad = {v for v in values if (v < 0 if allow_zero else v <= 0)}
    if bad:
        raise ValueError(f"{msg}, including values {bad} that do not satisfy "
                         f"`value {'>= 0' if allow_zero else '> 0'}`")
    return values


def standardize_pairs(value: Any, rank: int, name: str) -> tuple:
    """Padding/cropping of a 2D/3D layer: an int (same on every side), `rank` ints
    (symmetric per axis) or `rank` pairs (before, after), as ((b, a), ...)."""
    if _is_int(value):
        if value < 0:
            raise ValueError(f"`{name}` cannot be negative. Received: {name}={value}.")
        return ((int(value), int(value)),) * rank
    if not hasattr(value, "__len__") or isinstance(value, str):
        raise ValueError(f"`{name}` should be either an int, a tuple of {rank} ints or a tuple "
                         f"of {rank} tuples of 2 ints. Received: {name}={value}.")
    if len(value) != rank:
        raise ValueError(f"`{name}` should have {rank} elements. Received: {name}={value}.")
    return tuple(standardize_tuple(v, 2, f"{_ORDINALS[i]} entry of {name}", allow_zero=True)
                 for i, v in enumerate(value))


class RankChecked(Layer):
    """A weightless layer that needs inputs of one rank. Subclasses set `_ndim` and
    `_axes_names` (the expected shape, for the error message)."""

    _ndim = 0

    def _expected_shape(self) -> str:
        return "(batch_size, ...)"

    def _check_rank(self, shape: tuple) -> None:
        if len(shape) != self._ndim:
            raise ValueError(
                f"Input 0 of layer '{self.name}' ({type(self).__name__}) is incompatible with "
                f"the layer: expected ndim={self._ndim}, i.e. inputs of shape "
                f"{self._expected_shape()}, found ndim={len(shape)}. Full shape received: "
                f"{tuple(shape)}")

    def build(self, input_shape: Any) -> None:
        self._check_rank(tuple(input_shape))
        self.built = True


class Spatial(RankChecked):
    """A layer acting on the `rank` spatial axes of (batch, *spatial, channels) or, with
    channels_first, (batch, channels, *spatial)."""

    _rank = 1
    _AXIS_NAMES = {1: ("steps",), 2: ("height", "width"),
                   3: ("spatial_dim1", "spatial_dim2", "spatial_dim3")}

    @property
    def _ndim(self) -> int:  # type: ignore[override]
        return self._rank + 2

    def _channels_first(self) -> bool:
        return getattr(self, "data_format", "channels_last") == "channels_first"

    def _spatial_axes(self) -> tuple:
        start = 2 if self._channels_first() else 1
        return tuple(range(start, start + self._rank))

    def _expected_shape(self) -> str:
        names = self._AXIS_NAMES[self._rank]
        dims = ("channels",) + names if self._channels_first() else names + ("channels",)
        return "(batch_size, " + ", ".join(dims) + ")"
