"""Conv1D, Conv2D, Conv3D (and Keras' Convolution1D/2D/3D aliases)."""

from __future__ import annotations

from typing import Any

from minikeras.layers.convolutional.base_conv import BaseConv


class Conv1D(BaseConv):
    """1-D convolution over (batch, steps, channels). padding may also be 'causal': the
    input is padded on the left only, so output t sees inputs up to t."""

    rank = 1
    _paddings = ("valid", "same", "causal")

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, groups: int = 1,
                 **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         **kwargs)


class Conv2D(BaseConv):
    """2-D convolution over images (batch, rows, cols, channels)."""

    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = (1, 1), groups: int = 1, **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         **kwargs)


class Conv3D(BaseConv):
    """3-D convolution over volumes (batch, dim1, dim2, dim3, channels)."""

    rank = 3

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1, 1),
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = (1, 1, 1), groups: int = 1, **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         **kwargs)


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
