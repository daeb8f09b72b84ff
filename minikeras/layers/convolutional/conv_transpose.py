"""Conv1DTranspose, Conv2DTranspose, Conv3DTranspose (and the Convolution*Transpose aliases).

The kernel has shape (*kernel_size, filters, input_channels), as in Keras. Output sizes
follow Keras: with padding='valid' (n - 1) * stride + max(kernel, stride) (+ output_padding
instead of the max when given), with 'same' n * stride.
"""

from __future__ import annotations

from typing import Any

from minikeras.autodiff import conv_primitives as CP
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.convolutional.base_conv import BaseConv
from minikeras.ops.conv_ops import normalize_tuple


class BaseConvTranspose(BaseConv):
    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, data_format: str | None = None,
                 dilation_rate: Any = 1, activation: Any = None, use_bias: bool = True,
                 **kwargs: Any) -> None:
        if kwargs.get("groups", 1) != 1:
            raise ValueError(f"{type(self).__name__} does not take `groups` (received "
                             f"groups={kwargs['groups']!r})")
        kwargs.pop("groups", None)  # tf_keras writes groups=1 in its configs
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=1,
                         activation=activation, use_bias=use_bias, **kwargs)
        if output_padding is not None:
            output_padding = normalize_tuple(output_padding, self.rank, "output_padding",
                                             allow_zero=True)
            if any(op >= st for op, st in zip(output_padding, self.strides)):
                raise ValueError(f"{type(self).__name__}: `output_padding` must be strictly "
                                 f"less than `strides` on every axis; received output_padding="
                                 f"{output_padding}, strides={self.strides}")
        self.output_padding = output_padding

    def _out_spatial(self, input_shape: tuple) -> tuple:
        ops_ = self.output_padding or (None,) * self.rank
        return tuple(CP.transpose_output_length(n, k, s, d, self.padding, op) for n, k, s, d, op
                     in zip(self._spatial(input_shape), self.kernel_size, self.strides,
                            self.dilation_rate, ops_))

    def _kernel_shape(self, channels: int) -> tuple:
        return self.kernel_size + (self.filters, channels)

    def _convolve(self, x: Tensor) -> Tensor:
        return CP.conv_transpose(x, self.kernel, self.bias, self.strides, self.padding,
                                 self.output_padding, self.dilation_rate)

    def get_config(self) -> dict:
        cfg = super().get_config()
        del cfg["groups"]
        cfg["output_padding"] = None if self.output_padding is None else \
            list(self.output_padding)
        return cfg


class Conv1DTranspose(BaseConvTranspose):
    rank = 1


class Conv2DTranspose(BaseConvTranspose):
    rank = 2


class Conv3DTranspose(BaseConvTranspose):
    rank = 3


Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
