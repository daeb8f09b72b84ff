"""DepthwiseConv1D/2D and SeparableConv1D/2D (and the SeparableConvolution aliases).

A depthwise convolution convolves each input channel with its own `depth_multiplier`
filters: it is the grouped convolution with groups = input channels, which is how it is
computed here (the kernel reshaped). A separable convolution is a depthwise one followed by
a 1x1 (pointwise) convolution.
"""

from __future__ import annotations

from typing import Any

from minikeras import constraints, initializers, regularizers
from minikeras.autodiff import conv_primitives as CP
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.convolutional.base_conv import BaseConv, _ser, positive_int
from minikeras.ops.conv_ops import depthwise_kernel_as_grouped


def _init_depthwise(layer: BaseConv, filters: int | None, depth_multiplier: int,
                    depthwise_initializer: Any, depthwise_regularizer: Any,
                    depthwise_constraint: Any, conv_kwargs: dict) -> None:
    """The part of the constructor Depthwise and Separable share: no `groups`, a positive
    `depth_multiplier`, and the depthwise kernel's initializer/regularizer/constraint in the
    roles of the convolution's kernel ones."""
    if conv_kwargs.get("groups", 1) != 1:
        raise ValueError(f"{type(layer).__name__} does not take `groups` (received "
                         f"groups={conv_kwargs['groups']!r})")
    conv_kwargs.pop("groups", None)  # tf_keras writes groups=1 in its configs
    multiplier = positive_int(depth_multiplier, "depth_multiplier", type(layer).__name__)
    BaseConv.__init__(layer, filters, kernel_initializer=depthwise_initializer,
                      kernel_regularizer=depthwise_regularizer,
                      kernel_constraint=depthwise_constraint, **conv_kwargs)
    layer.depth_multiplier = multiplier


class BaseDepthwiseConv(BaseConv):
    _strided_dilation_ok = True
    def __init__(self, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 depth_multiplier: int = 1, data_format: str | None = None,
                 dilation_rate: Any = 1, activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        _init_depthwise(self, None, depth_multiplier, depthwise_initializer,
                        depthwise_regularizer, depthwise_constraint, dict(
                            kernel_size=kernel_size, strides=strides, padding=padding,
                            data_format=data_format, dilation_rate=dilation_rate,
                            activation=activation, use_bias=use_bias,
                            bias_initializer=bias_initializer,
                            bias_regularizer=bias_regularizer,
                            activity_regularizer=activity_regularizer,
                            bias_constraint=bias_constraint, **kwargs))

    def _kernel_shape(self, channels: int) -> tuple:
        return self.kernel_size + (channels, self.depth_multiplier)

    def _out_channels(self, input_shape: tuple) -> int:
        return self._input_channels(input_shape) * self.depth_multiplier

    def _convolve(self, x: Tensor) -> Tensor:
        return CP.conv(x, depthwise_kernel_as_grouped(self.kernel), self.bias, self.strides,
                       self.padding, self.dilation_rate, self._channels)

    def get_config(self) -> dict:
        cfg = super().get_config()
        for key in ("filters", "groups", "kernel_initializer", "kernel_regularizer",
                    "kernel_constraint"):
            del cfg[key]
        tail = {k: cfg.pop(k) for k in ("activation", "use_bias", "bias_initializer",
                                         "bias_regularizer", "activity_regularizer",
                                         "bias_constraint")}
        geometry = {k: cfg.pop(k) for k in ("kernel_size", "strides", "padding", "data_format",
                                             "dilation_rate")}
        cfg["depth_multiplier"] = self.depth_multiplier
        cfg.update(geometry)
        cfg.update({"activation": tail["activation"], "use_bias": tail["use_bias"],
                    "depthwise_initializer": _ser(self.kernel_initializer),
                    "bias_initializer": tail["bias_initializer"],
                    "depthwise_regularizer": _ser(self.kernel_regularizer),
                    "bias_regularizer": tail["bias_regularizer"],
                    "activity_regularizer": tail["activity_regularizer"],
                    "depthwise_constraint": _ser(self.kernel_constraint),
                    "bias_constraint": tail["bias_constraint"]})
        return cfg


class DepthwiseConv1D(BaseDepthwiseConv):
    rank = 1


class DepthwiseConv2D(BaseDepthwiseConv):
    rank = 2


class BaseSeparableConv(BaseConv):
    _strided_dilation_ok = True
    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1,
                 depth_multiplier: int = 1, activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        # tf_keras' SeparableConv configs also carry kernel_* entries inherited from its Conv
        # base; that layer has no `kernel`, so tf_keras ignores them too
        for unused in ("kernel_initializer", "kernel_regularizer", "kernel_constraint"):
            kwargs.pop(unused, None)
        _init_depthwise(self, filters, depth_multiplier, depthwise_initializer,
                        depthwise_regularizer, depthwise_constraint, dict(
                            kernel_size=kernel_size, strides=strides, padding=padding,
                            data_format=data_format, dilation_rate=dilation_rate,
                            activation=activation, use_bias=use_bias,
                            bias_initializer=bias_initializer,
                            bias_regularizer=bias_regularizer,
                            activity_regularizer=activity_regularizer,
                            bias_constraint=bias_constraint, **kwargs))
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape: tuple) -> None:
        channels = self._input_channels(tuple(input_shape))
        self._out_spatial(tuple(input_shape))
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self._channels = channels
        self.built = True

    def _convolve(self, x: Tensor) -> Tensor:
        ones = (1,) * self.rank
        h = CP.conv(x, depthwise_kernel_as_grouped(self.depthwise_kernel), None, self.strides,
                    self.padding, self.dilation_rate, self._channels)
        return CP.conv(h, self.pointwise_kernel, self.bias, ones, "valid", ones, 1)

    def get_config(self) -> dict:
        cfg = super().get_config()
        for key in ("groups", "kernel_initializer", "kernel_regularizer", "kernel_constraint"):
            del cfg[key]
        tail = {k: cfg.pop(k) for k in ("activation", "use_bias", "bias_initializer",
                                         "bias_regularizer", "activity_regularizer",
                                         "bias_constraint")}
        geometry = {k: cfg.pop(k) for k in ("filters", "kernel_size", "strides", "padding",
                                             "data_format", "dilation_rate")}
        cfg["depth_multiplier"] = self.depth_multiplier
        cfg.update(geometry)
        cfg.update({"activation": tail["activation"], "use_bias": tail["use_bias"],
                    "depthwise_initializer": _ser(self.kernel_initializer),
                    "pointwise_initializer": _ser(self.pointwise_initializer),
                    "bias_initializer": tail["bias_initializer"],
                    "depthwise_regularizer": _ser(self.kernel_regularizer),
                    "pointwise_regularizer": _ser(self.pointwise_regularizer),
                    "bias_regularizer": tail["bias_regularizer"],
                    "activity_regularizer": tail["activity_regularizer"],
                    "depthwise_constraint": _ser(self.kernel_constraint),
                    "pointwise_constraint": _ser(self.pointwise_constraint),
                    "bias_constraint": tail["bias_constraint"]})
        return cfg


class SeparableConv1D(BaseSeparableConv):
    rank = 1


class SeparableConv2D(BaseSeparableConv):
    rank = 2


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
