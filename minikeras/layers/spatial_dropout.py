"""SpatialDropout1D/2D/3D: dropout of whole channels (Keras' layers/regularization/
spatial_dropout.py; here next to `regularization.py`, which is a module, not a package).

In training, each (sample, channel) is kept with probability 1 - rate and scaled by
1/(1 - rate) over all its steps/pixels; at inference the layer is the identity."""

from __future__ import annotations

from typing import Any

from minikeras.autodiff.tensor import Tensor
from minikeras.layers.core import Dropout
from minikeras.layers.reshaping._base import Spatial, standardize_data_format


class _SpatialDropout(Spatial, Dropout):
    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None,
                 noise_shape: Any = None, **kwargs: Any) -> None:
        # Keras 2 (tf_keras) writes `noise_shape: None` and ignores any value; Keras 3 has no
        # such argument. Only None is accepted, so a value never goes silently unused.
        if noise_shape is not None:
            raise ValueError(f"{type(self).__name__}: `noise_shape` is fixed by the layer (one "
                             f"draw per sample and channel); got noise_shape={noise_shape!r}")
        Dropout.__init__(self, rate, seed=seed, **kwargs)
        self.data_format = standardize_data_format(data_format)
        self.supports_masking = True  # passes masks through, as Keras 3's Dropout
        shape: list = [None] * self._ndim
        for axis in self._spatial_axes():
            shape[axis] = 1
        self.noise_shape = tuple(shape)  # None: the input's size along that axis

    def build(self, input_shape: Any) -> None:
        Spatial.build(self, input_shape)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        self._check_rank(inputs.shape)
        return Dropout.call(self, inputs, training=training)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check_rank(input_shape)
        return tuple(input_shape)

    def get_config(self) -> dict:
        # Keras 3's keys: rate, seed, name, dtype (no `trainable`), data_format for 2D/3D
        cfg = Dropout.get_config(self)
        cfg.pop("trainable", None)
        cfg.pop("noise_shape", None)
        cfg["data_format"] = self.data_format
        return cfg


class SpatialDropout1D(_SpatialDropout):
    """Inputs (batch, steps, channels); one keep/drop draw per sample and channel."""

    _rank = 1

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)

    def get_config(self) -> dict:
        cfg = super().get_config()
        del cfg["data_format"]
        return cfg


class SpatialDropout2D(_SpatialDropout):
    """Inputs (batch, rows, cols, channels), or (batch, channels, rows, cols)."""

    _rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Inputs (batch, dim1, dim2, dim3, channels), or channels first."""

    _rank = 3
