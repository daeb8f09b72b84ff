"""The shared machinery of the convolution layers (Keras' BaseConv and friends).

Every layer computes channels_last internally (`autodiff/conv_primitives.py`); with
data_format='channels_first' the input is transposed in and the output back out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import activations, constraints, initializers, regularizers
from minikeras.autodiff import conv_primitives as CP
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.layer import Layer
from minikeras.ops.conv_ops import (
    from_channels_last,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    to_channels_last,
)


def _fused(activation: Any) -> str | None:
    """The activations the conv primitive applies inside its node (same numbers, one node
    less); not sigmoid/softmax, whose outputs must keep their logits for the
    cross-entropies."""
    if activation is activations.relu:
        return "relu"
    if activation is activations.tanh:
        return "tanh"
    return None


def _ser(obj: Any) -> Any:
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(obj)


def positive_int(value: Any, name: str, owner: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{owner}: `{name}` must be a positive integer, got {name}={value!r}")
    return int(value)


class SpatialLayer(Layer):
    """What convolution and pooling layers share: the rank, data_format, input checks."""

    rank = 2

    def _init_spatial(self, data_format: Any) -> None:
        self.data_format = normalize_data_format(data_format)
        self._channel_axis = -1 if self.data_format == "channels_last" else 1

    def _spatial(self, shape: tuple) -> tuple:
        return tuple(shape[1:-1]) if self.data_format == "channels_last" else tuple(shape[2:])

    def _check_rank(self, shape: tuple) -> None:
        if len(shape) != self.rank + 2:
            layout = ("(batch, " + ", ".join(["dim"] * self.rank) + ", channels)"
                      if self.data_format == "channels_last" else
                      "(batch, channels, " + ", ".join(["dim"] * self.rank) + ")")
            raise ValueError(f"Input 0 of layer {self.name!r} ({type(self).__name__}) is "
                             f"incompatible with the layer: expected ndim={self.rank + 2}, "
                             f"i.e. shape {layout}, but received input with shape "
                             f"{tuple(shape)}")

    def _with_channels(self, batch: Any, spatial: tuple, channels: Any) -> tuple:
        if self.data_format == "channels_last":
            return (batch,) + tuple(spatial) + (channels,)
        return (batch, channels) + tuple(spatial)


class BaseConv(SpatialLayer):
    """Conv1D/2D/3D: `activation(conv(inputs, kernel) + bias)`, kernel of shape
    (*kernel_size, input_channels // groups, filters)."""

    _paddings: tuple = ("valid", "same")
    # Keras refuses strides > 1 with dilation_rate > 1 for Conv and ConvTranspose layers only
    # (DepthwiseConv and SeparableConv accept them, and so does the computation here)
    _strided_dilation_ok = False

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, groups: int = 1,
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        owner = type(self).__name__
        filters = positive_int(filters, "filters", owner) if filters is not None else None
        self._init_args(kernel_size, strides, padding, data_format, dilation_rate)
        groups = positive_int(groups, "groups", owner)
        if filters is not None and filters % groups:
            raise ValueError(f"{owner}: the number of filters must be divisible by groups; got "
                             f"filters={filters}, groups={groups}")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._init_spatial(data_format)
        self.filters = filters
        self.groups = groups
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.bias = None

    def _init_args(self, kernel_size, strides, padding, data_format, dilation_rate) -> None:
        owner = type(self).__name__
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = normalize_tuple(strides, self.rank, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate")
        if padding == "causal" and "causal" not in self._paddings:
            raise ValueError(f"{owner}: padding='causal' is only for 1-D convolutions (Conv1D, "
                             f"DepthwiseConv1D, SeparableConv1D); received padding={padding!r}")
        self.padding = normalize_padding(padding, self._paddings)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1 and \
                not self._strided_dilation_ok:
            raise ValueError(f"{owner}: strides > 1 together with dilation_rate > 1 is not "
                             f"supported (as in Keras); received strides={self.strides}, "
                             f"dilation_rate={self.dilation_rate}")

    # --- shapes -------------------------------------------------------------------------
    def _input_channels(self, input_shape: tuple) -> int:
        self._check_rank(input_shape)
        c = input_shape[self._channel_axis]
        if c is None:
            raise ValueError(f"Layer {self.name!r}: the channel axis of the input must be known, "
                             f"got input shape {tuple(input_shape)}")
        return int(c)

    def _out_spatial(self, input_shape: tuple) -> tuple:
        spatial = self._spatial(input_shape)
        out = tuple(CP.output_length(n, k, s, d, self.padding) for n, k, s, d in
                    zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(
                f"Layer {self.name!r} ({type(self).__name__}): the kernel "
                f"{self.kernel_size} (dilation_rate {self.dilation_rate}) is larger than the "
                f"input's spatial shape {spatial} with padding={self.padding!r}; the output "
                f"would have spatial shape {out}. Received input shape {tuple(input_shape)}")
        return out

    def _out_channels(self, input_shape: tuple) -> int:
        return self.filters

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check_rank(tuple(input_shape))
        return self._with_channels(input_shape[0], self._out_spatial(tuple(input_shape)),
                                   self._out_channels(tuple(input_shape)))

    # --- weights ------------------------------------------------------------------------
    def _kernel_shape(self, channels: int) -> tuple:
        if channels % self.groups:
            raise ValueError(f"Layer {self.name!r}: the number of input channels ({channels}) "
                             f"must be divisible by groups={self.groups}")
        return self.kernel_size + (channels // self.groups, self.filters)

    def build(self, input_shape: tuple) -> None:
        channels = self._input_channels(tuple(input_shape))
        self._out_spatial(tuple(input_shape))
        self.kernel = self.add_weight(name="kernel", shape=self._kernel_shape(channels),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self._out_channels(input_shape),),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self._channels = channels
        self.built = True

    def _check_input(self, inputs: Tensor) -> None:
        shape = tuple(inputs.shape)
        self._check_rank(shape)
        if shape[self._channel_axis] != self._channels:
            raise ValueError(f"Input 0 of layer {self.name!r} is incompatible with the layer: "
                             f"expected axis {self._channel_axis} of input shape to have value "
                             f"{self._channels}, but received input with shape {shape}")
        self._out_spatial(shape)

    # --- compute ------------------------------------------------------------------------
    def _convolve(self, x: Tensor, activation: str | None = None) -> Tensor:
        """channels_last in, channels_last out, bias included (and `activation`, when the
        subclass's primitive can apply it)."""
        return CP.conv(x, self.kernel, self.bias, self.strides, self.padding,
                       self.dilation_rate, self.groups, activation)

    def call(self, inputs: Tensor) -> Tensor:
        self._check_input(inputs)
        x = to_channels_last(inputs, self.data_format)
        fused = _fused(self.activation) if type(self)._convolve is BaseConv._convolve else None
        y = self._convolve(x, fused) if fused else self._convolve(x)
        out = from_channels_last(y, self.data_format)
        if fused or self.activation is activations.linear:
            return out
        return self.activation(out)

    # --- config -------------------------------------------------------------------------
    def _geometry_config(self) -> dict:
        return {"kernel_size": list(self.kernel_size), "strides": list(self.strides),
                "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": list(self.dilation_rate)}

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"filters": self.filters, **self._geometry_config(), "groups": self.groups})
        cfg.update(self._tail_config())
        return cfg

    def _tail_config(self) -> dict:
        return {
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _ser(self.kernel_initializer),
            "bias_initializer": _ser(self.bias_initializer),
            "kernel_regularizer": _ser(self.kernel_regularizer),
            "bias_regularizer": _ser(self.bias_regularizer),
            "activity_regularizer": _ser(self.activity_regularizer),
            "kernel_constraint": _ser(self.kernel_constraint),
            "bias_constraint": _ser(self.bias_constraint),
        }
