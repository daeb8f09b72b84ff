"""Activation functions (`keras.activations`), each usable by name in `activation=`."""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

from minikeras import ops
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor
from minikeras.utils.naming import unknown_name_error


def linear(x) -> Tensor:
    return ops.convert_to_tensor(x)


def relu(x, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> Tensor:
    """max(x, 0), with Keras' optional leak below `threshold` and cap at `max_value`."""
    x = ops.convert_to_tensor(x)
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return P.relu(x)
    if negative_slope and max_value is None and threshold == 0:
        return ops.leaky_relu(x, negative_slope)
    # the same composition as Keras 3, so that values and kink gradients agree
    negative = P.relu(P.add(P.negative(x), threshold)) if negative_slope else None
    if threshold != 0:
        y = P.where(P.greater(x, threshold), x, 0.0)
    elif max_value == 6:
        y, max_value = ops.relu6(x), None
    else:
        y = P.relu(x)
    if max_value is not None:
        y = P.clip(y, 0.0, max_value)
    if negative is not None:
        y = P.subtract(y, P.multiply(negative, negative_slope))
    return y


def leaky_relu(x, negative_slope: float = 0.2) -> Tensor:
    return ops.leaky_relu(x, negative_slope)


def relu6(x) -> Tensor:
    return ops.relu6(x)


def elu(x, alpha: float = 1.0) -> Tensor:
    return ops.elu(x, alpha)


def selu(x) -> Tensor:
    return ops.selu(x)


def softplus(x) -> Tensor:
    return P.softplus(x)


def softsign(x) -> Tensor:
    return ops.softsign(x)


def sigmoid(x) -> Tensor:
    return P.sigmoid(x)


def tanh(x) -> Tensor:
    return P.tanh(x)


def softmax(x, axis: int = -1) -> Tensor:
    return P.softmax(x, axis)


def log_softmax(x, axis: int = -1) -> Tensor:
    return P.log_softmax(x, axis)


def exponential(x) -> Tensor:
    return P.exp(x)


def hard_sigmoid(x) -> Tensor:
    """Keras 3: relu6(x + 3) / 6. (Keras 2 used clip(0.2x + 0.5, 0, 1); see `K.hard_sigmoid`.)"""
    return ops.hard_sigmoid(x)


def hard_silu(x) -> Tensor:
    return ops.hard_silu(x)


hard_swish = hard_silu


def silu(x) -> Tensor:
    return ops.silu(x)


swish = silu


def gelu(x, approximate: bool = False) -> Tensor:
    """Keras 3's `activations.gelu` is exact (erf) by default."""
    return ops.gelu(x, approximate)


def mish(x) -> Tensor:
    return ops.mish(x)


def celu(x, alpha: float = 1.0) -> Tensor:
    return ops.celu(x, alpha)


def hard_tanh(x) -> Tensor:
    return ops.hard_tanh(x)


def hard_shrink(x, threshold: float = 0.5) -> Tensor:
    return ops.hard_shrink(x, threshold)


def soft_shrink(x, threshold: float = 0.5) -> Tensor:
    return ops.soft_shrink(x, threshold)


def sparse_plus(x) -> Tensor:
    return ops.sparse_plus(x)


def sparse_sigmoid(x) -> Tensor:
    return ops.sparse_sigmoid(x)


def squareplus(x, b: float = 4) -> Tensor:
    return ops.squareplus(x, b)


def tanh_shrink(x) -> Tensor:
    return ops.tanh_shrink(x)


def threshold(x, threshold: float, default_value: float) -> Tensor:
    return ops.threshold(x, threshold, default_value)


def glu(x, axis: int = -1) -> Tensor:
    return ops.glu(x, axis)


def sparsemax(x, axis: int = -1) -> Tensor:
    return ops.sparsemax(x, axis)


def log_sigmoid(x) -> Tensor:
    return ops.log_sigmoid(x)


_ACTIVATIONS: dict[str, Callable] = {
    f.__name__: f for f in (linear, relu, leaky_relu, relu6, elu, selu, softplus, softsign,
                            sigmoid, tanh, softmax, log_softmax, exponential, hard_sigmoid,
                            hard_silu, silu, gelu, mish, celu, hard_tanh, hard_shrink,
                            soft_shrink, sparse_plus, sparse_sigmoid, squareplus, tanh_shrink,
                            threshold, glu, sparsemax, log_sigmoid)
}
_ACTIVATIONS.update({"swish": silu, "hard_swish": hard_silu})


def serialize(activation: Callable) -> Any:
    for name, fn in _ACTIVATIONS.items():
        if fn is activation:
            return "silu" if name == "swish" else name
    if hasattr(activation, "get_config"):
        from minikeras.saving.serialization import serialize_keras_object

        return serialize_keras_object(activation)
    return getattr(activation, "__name__", str(activation))


def deserialize(config: Any, custom_objects: dict | None = None) -> Callable:
    from minikeras.saving.serialization import deserialize_from_table

    if isinstance(config, dict) and config.get("class_name") in _ACTIVATIONS:
        return _ACTIVATIONS[config["class_name"]]
    return deserialize_from_table(config, _ACTIVATIONS, "activation", custom_objects)


def get(identifier: Any) -> Callable:
    """`None` and `'linear'` give `linear`; a name gives the function; a callable is kept."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _ACTIVATIONS.get(identifier)
        if fn is None:
            from minikeras.saving.object_registry import get_registered_object

            fn = get_registered_object(identifier)
        if fn is None:
            raise unknown_name_error("activation", identifier, _ACTIVATIONS)
        return fn
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation identifier: {identifier!r}")
