"""Max/Average pooling 1D/2D/3D and the global poolings (and Keras' MaxPool2D-style aliases).

Pooling windows default their strides to pool_size. padding='same' pads as XLA does (the
odd element at the end); AveragePooling then averages over the real elements only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.autodiff import conv_primitives as CP
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.convolutional.base_conv import SpatialLayer
from minikeras.ops.conv_ops import (
    from_channels_last,
    normalize_padding,
    normalize_tuple,
    to_channels_last,
)


class BasePooling(SpatialLayer):
    mode = "max"

    def __init__(self, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        pool_size = normalize_tuple(pool_size, self.rank, "pool_size")
        strides = pool_size if strides is None else normalize_tuple(strides, self.rank,
                                                                    "strides")
        padding = normalize_padding(padding)
        super().__init__(name=name, **kwargs)
        self._init_spatial(data_format)
        self.pool_size, self.strides, self.padding = pool_size, strides, padding
        self.built = True

    def _out_spatial(self, input_shape: tuple) -> tuple:
        spatial = self._spatial(input_shape)
        out = tuple(CP.output_length(n, k, s, 1, self.padding)
                    for n, k, s in zip(spatial, self.pool_size, self.strides))
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(f"Layer {self.name!r} ({type(self).__name__}): the pool window "
                             f"{self.pool_size} is larger than the input's spatial shape "
                             f"{spatial} with padding='valid'. Received input shape "
                             f"{tuple(input_shape)}")
        return out

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        self._check_rank(input_shape)
        return self._with_channels(input_shape[0], self._out_spatial(input_shape),
                                   input_shape[self._channel_axis])

    def call(self, inputs: Tensor) -> Tensor:
        shape = tuple(inputs.shape)
        self._check_rank(shape)
        self._out_spatial(shape)
        x = to_channels_last(inputs, self.data_format)
        y = CP.pool(x, self.pool_size, self.strides, self.padding, self.mode)
        return from_channels_last(y, self.data_format)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"pool_size": list(self.pool_size), "padding": self.padding,
                    "strides": list(self.strides), "data_format": self.data_format})
        return cfg


def _pool_class(name: str, rank: int, mode: str, default_size: Any) -> type:
    def __init__(self, pool_size: Any = default_size, strides: Any = None,
                 padding: str = "valid", data_format: str | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        BasePooling.__init__(self, pool_size, strides=strides, padding=padding,
                             data_format=data_format, name=name, **kwargs)

    doc = (f"{'Max' if mode == 'max' else 'Average'} pooling over {rank} spatial "
           f"ax{'is' if rank == 1 else 'es'}.")
    return type(name, (BasePooling,), {"rank": rank, "mode": mode, "__init__": __init__,
                                       "__doc__": doc, "__module__": __name__})


MaxPooling1D = _pool_class("MaxPooling1D", 1, "max", 2)
MaxPooling2D = _pool_class("MaxPooling2D", 2, "max", (2, 2))
MaxPooling3D = _pool_class("MaxPooling3D", 3, "max", (2, 2, 2))
# Keras 3 makes pool_size required for average pooling; Keras 2 defaulted it like max.
AveragePooling1D = _pool_class("AveragePooling1D", 1, "avg", 2)
AveragePooling2D = _pool_class("AveragePooling2D", 2, "avg", (2, 2))
AveragePooling3D = _pool_class("AveragePooling3D", 3, "avg", (2, 2, 2))


class BaseGlobalPooling(SpatialLayer):
    mode = "max"

    def __init__(self, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._init_spatial(data_format)
        self.keepdims = bool(keepdims)
        self.built = True

    def _axes(self) -> tuple:
        return tuple(range(1, 1 + self.rank)) if self.data_format == "channels_last" \
            else tuple(range(2, 2 + self.rank))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        self._check_rank(input_shape)
        if self.keepdims:
            return self._with_channels(input_shape[0], (1,) * self.rank,
                                       input_shape[self._channel_axis])
        return (input_shape[0], input_shape[self._channel_axis])

    def call(self, inputs: Tensor) -> Tensor:
        self._check_rank(tuple(inputs.shape))
        reduce = P.max if self.mode == "max" else P.mean
        return reduce(inputs, axis=self._axes(), keepdims=self.keepdims)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return cfg


def _global_class(name: str, rank: int, mode: str) -> type:
    doc = (f"Global {'max' if mode == 'max' else 'average'} over the {rank} spatial "
           f"ax{'is' if rank == 1 else 'es'}; keepdims keeps them with size 1.")
    return type(name, (BaseGlobalPooling,), {"rank": rank, "mode": mode, "__doc__": doc,
                                             "__module__": __name__})


GlobalMaxPooling1D = _global_class("GlobalMaxPooling1D", 1, "max")
GlobalMaxPooling2D = _global_class("GlobalMaxPooling2D", 2, "max")
GlobalMaxPooling3D = _global_class("GlobalMaxPooling3D", 3, "max")


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Global average over the steps; keepdims keeps the axis with size 1. With a mask (from
    Embedding(mask_zero=True) or Masking), the average is over the unmasked steps only, and
    the output carries no mask, as in Keras."""

    rank = 1
    mode = "avg"

    def call(self, inputs: Tensor, mask: Any = None) -> Tensor:
        if mask is None:
            return super().call(inputs)
        self._check_rank(tuple(inputs.shape))
        steps = 1 if self.data_format == "channels_last" else 2
        m = np.expand_dims(np.asarray(getattr(mask, "value", mask), dtype=bool),
                           2 if self.data_format == "channels_last" else 1)
        weights = m.astype(inputs.dtype)
        total = P.sum(P.multiply(inputs, weights), axis=steps, keepdims=self.keepdims)
        return P.divide(total, np.sum(weights, axis=steps, keepdims=self.keepdims))

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return None


GlobalAveragePooling2D = _global_class("GlobalAveragePooling2D", 2, "avg")
GlobalAveragePooling3D = _global_class("GlobalAveragePooling3D", 3, "avg")

MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (GlobalMaxPooling1D, GlobalMaxPooling2D,
                                                     GlobalMaxPooling3D)
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (GlobalAveragePooling1D,
                                                     GlobalAveragePooling2D,
                                                     GlobalAveragePooling3D)
