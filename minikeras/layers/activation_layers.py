"""Activation layers with arguments or weights: `LeakyReLU`, `PReLU`, `ELU`, `ReLU`,
`Softmax` (Keras 3 semantics, Keras 2 spellings such as `LeakyReLU(alpha=...)` accepted)."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import activations, constraints, initializers, regularizers
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.layer import Layer


def _ser(obj: Any) -> Any:
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(obj)


def _number(layer: str, name: str, value: Any, minimum: float | None = 0.0) -> float:
    if value is None or isinstance(value, bool):
        raise ValueError(f"{layer}: `{name}` must be a number, got {name}={value!r}")
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{layer}: `{name}` must be a number, got {name}={value!r}") from None
    if value != value or (minimum is not None and value < minimum):
        raise ValueError(f"{layer}: `{name}` cannot be negative or NaN, got {name}={value!r}")
    return value


class _Elementwise(Layer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


class LeakyReLU(_Elementwise):
    """x for x >= 0, negative_slope * x otherwise. Keras 3 default slope 0.3 (as Keras 2's
    `alpha=0.3`, also accepted)."""

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:  # Keras 2 spelling
            negative_slope = kwargs.pop("alpha")
        negative_slope = _number("LeakyReLU", "negative_slope", negative_slope)
        super().__init__(**kwargs)
        self.negative_slope = negative_slope

    def call(self, inputs: Tensor) -> Tensor:
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["negative_slope"] = self.negative_slope
        return cfg


class ELU(_Elementwise):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        alpha = _number("ELU", "alpha", alpha, minimum=None)
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs: Tensor) -> Tensor:
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self) -> dict:
        # Keras 3's ELU leaves `alpha` out of its config (so it is lost on reload); we
        # write it, and Keras reads it back.
        cfg = super().get_config()
        cfg["alpha"] = self.alpha
        return cfg


class ReLU(_Elementwise):
    """Keras' ReLU with `max_value`, `negative_slope` and `threshold`:
    f(x) = min(x, max_value) for x > threshold, negative_slope * (x - threshold) otherwise
    (exactly 0 at x == threshold)."""

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0,
                 threshold: float = 0.0, **kwargs: Any) -> None:
        if max_value is not None:
            max_value = _number("ReLU", "max_value", max_value)
        negative_slope = _number("ReLU", "negative_slope", negative_slope)
        threshold = _number("ReLU", "threshold", threshold)
        super().__init__(**kwargs)
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def call(self, inputs: Tensor) -> Tensor:
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                    "threshold": self.threshold})
        return cfg


class Softmax(_Elementwise):
    """Softmax over `axis` (an int, or a tuple of axes normalised together). An optional
    `mask` (True/1 = keep) pushes masked logits to -1e9 and zeroes masked outputs."""

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if not axis or not all(isinstance(a, (int, np.integer)) for a in axis):
                raise ValueError(f"Softmax: `axis` must be an int or a list of ints, got "
                                 f"axis={axis!r}")
            axis = [int(a) for a in axis]
        elif not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise ValueError(f"Softmax: `axis` must be an int or a list of ints, got "
                             f"axis={axis!r}")
        else:
            axis = int(axis)
        self.axis = axis

    def call(self, inputs: Tensor, mask: Any = None) -> Tensor:
        x = inputs
        keep = None
        if mask is not None:
            keep = np.asarray(mask.value if isinstance(mask, Tensor) else mask)
            if keep.ndim > x.ndim:
                raise ValueError(f"Softmax {self.name!r}: the mask must be broadcastable to "
                                 f"the inputs; got inputs.shape={x.shape}, "
                                 f"mask.shape={keep.shape}")
            keep = keep if keep.dtype == bool else keep > 0.5
            try:
                np.broadcast_shapes(keep.shape, x.shape)
            except ValueError:
                raise ValueError(f"Softmax {self.name!r}: the mask must be broadcastable to "
                                 f"the inputs; got inputs.shape={x.shape}, "
                                 f"mask.shape={keep.shape}") from None
            x = P.where(keep, x, -1e9)
        axis = self.axis
        if isinstance(axis, list) and len(axis) == 1:
            axis = axis[0]
        if isinstance(axis, list):
            out = P.exp(P.subtract(x, P.logsumexp(x, axis=tuple(axis), keepdims=True)))
        else:
            out = activations.softmax(x, axis=axis)
        if keep is not None:
            out = P.where(keep, out, 0.0)
        return out

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


class PReLU(Layer):
    """Parametric ReLU: relu(x) - alpha * relu(-x), with one learnt `alpha` per input
    element (shared along `shared_axes`)."""

    def __init__(self, alpha_initializer: Any = "Zeros", alpha_regularizer: Any = None,
                 alpha_constraint: Any = None, shared_axes: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [int(a) for a in shared_axes]
        else:
            self.shared_axes = [int(shared_axes)]

    def build(self, input_shape: tuple) -> None:
        param_shape = list(input_shape[1:])
        for i in self.shared_axes or ():
            if not 1 <= i < len(input_shape):
                raise ValueError(f"PReLU {self.name!r}: shared axis {i} is out of range for "
                                 f"inputs of shape {tuple(input_shape)} (axis 0 is the batch)")
            param_shape[i - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(f"PReLU {self.name!r}: every non-shared axis must have a known "
                             f"size, got input shape {tuple(input_shape)}; pass shared_axes "
                             "for the unknown ones")
        self.alpha = self.add_weight(shape=tuple(param_shape), name="alpha",
                                     initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        self._param_shape = tuple(param_shape)
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        got = tuple(inputs.shape[1:])
        if len(got) != len(self._param_shape) or any(
                p != 1 and p != g for p, g in zip(self._param_shape, got)):
            raise ValueError(f"Input 0 of layer {self.name!r} is incompatible with the layer: "
                             f"alpha has shape {self._param_shape}, but the input has shape "
                             f"{inputs.shape}")
        pos = P.relu(inputs)
        neg = P.multiply(P.negative(self.alpha), P.relu(P.negative(inputs)))
        return P.add(pos, neg)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"alpha_initializer": _ser(self.alpha_initializer),
                    "alpha_regularizer": _ser(self.alpha_regularizer),
                    "alpha_constraint": _ser(self.alpha_constraint),
                    "shared_axes": self.shared_axes})
        return cfg
