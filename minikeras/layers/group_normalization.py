"""`GroupNormalization`, as Keras 3's `keras.layers.GroupNormalization(groups=32, axis=-1,
epsilon=1e-3, center=True, scale=True, ...)`.

The channels (`axis`) are split into `groups` groups; each sample is normalised over the
channels of a group and every other non-batch axis: y = (x - mean) / sqrt(var + epsilon),
then scaled by `gamma` and shifted by `beta` (one per channel). `groups=-1` makes one group
per channel (instance normalisation). Computed as Keras does, x * inv + (beta - mean * inv)
with inv = gamma / sqrt(var + epsilon), in float32 at least.
"""

from __future__ import annotations

from typing import Any

from minikeras import constraints, initializers, regularizers
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.layer import Layer


def _ser(obj: Any) -> Any:
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(obj)


class GroupNormalization(Layer):
    """Keras 3's GroupNormalization (see the module docstring). Weights: gamma, beta."""

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any) -> None:
        if not isinstance(groups, int) or isinstance(groups, bool) or \
                (groups <= 0 and groups != -1):
            raise ValueError("Received an invalid value for argument `groups`, expected a "
                             "positive integer (or `-1` for instance normalization). "
                             f"Received: groups={groups}")
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"GroupNormalization: `axis` must be an int, got axis={axis!r}")
        super().__init__(**kwargs)
        self.supports_masking = True
        self.groups = groups
        self.axis = axis
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma = None
        self.beta = None

    def build(self, input_shape: tuple) -> None:
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(f"GroupNormalization '{self.name}': axis {self.axis} is out of "
                             f"bounds for input shape {tuple(input_shape)}")
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined "
                             f"dimension but the layer received an input with shape "
                             f"{tuple(input_shape)}.")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(f"GroupNormalization '{self.name}': number of groups "
                             f"({self.groups}) cannot be more than the number of channels "
                             f"({dim}); input shape {tuple(input_shape)}.")
        if dim % self.groups != 0:
            raise ValueError(f"GroupNormalization '{self.name}': number of groups "
                             f"({self.groups}) must divide the number of channels ({dim}); "
                             f"input shape {tuple(input_shape)}.")
        if self.scale:
            self.gamma = self.add_weight(shape=(dim,), name="gamma",
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(shape=(dim,), name="beta",
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self._rank = rank
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        shape = tuple(inputs.shape)
        if len(shape) != self._rank:
            raise ValueError(f"GroupNormalization '{self.name}': expected an input of rank "
                             f"{self._rank}, received shape {shape}")
        axis = self.axis % len(shape)
        dim = shape[axis]
        x = inputs if inputs.dtype.kind == "f" else P.cast(inputs, self.dtype)
        # (batch, ..., groups, dim // groups, ...): reduce over all but batch and groups
        gshape = shape[:axis] + (self.groups, dim // self.groups) + shape[axis + 1:]
        xg = P.reshape(x, gshape)
        axes = tuple(i for i in range(1, len(gshape)) if i != axis)
        mean = P.mean(xg, axis=axes, keepdims=True)
        var = P.mean(P.square(P.subtract(xg, mean)), axis=axes, keepdims=True)
        inv = P.divide(1.0, P.sqrt(P.add(var, self.epsilon)))
        bshape = [1] * len(gshape)
        bshape[axis], bshape[axis + 1] = self.groups, dim // self.groups
        if self.gamma is not None:
            inv = P.multiply(inv, P.reshape(self.gamma, tuple(bshape)))
        shift = P.negative(P.multiply(mean, inv))
        if self.beta is not None:
            shift = P.add(shift, P.reshape(self.beta, tuple(bshape)))
        return P.reshape(P.add(P.multiply(xg, inv), shift), shape)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if not -len(input_shape) <= self.axis < len(input_shape):
            raise ValueError(f"Axis {self.axis} is out of bounds for input shape "
                             f"{tuple(input_shape)}. Received: axis={self.axis}")
        return tuple(input_shape)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": _ser(self.beta_initializer),
            "gamma_initializer": _ser(self.gamma_initializer),
            "beta_regularizer": _ser(self.beta_regularizer),
            "gamma_regularizer": _ser(self.gamma_regularizer),
            "beta_constraint": _ser(self.beta_constraint),
            "gamma_constraint": _ser(self.gamma_constraint),
        })
        return cfg
