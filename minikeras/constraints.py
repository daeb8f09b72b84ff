"""Weight constraints (`keras.constraints`), applied to a variable after each update.

A constraint is called with the variable (a tensor) and returns the projected tensor; it is
written with backend ops, like a user's own `Constraint` subclass would be.
"""

from __future__ import annotations

from typing import Any

from minikeras import config, ops
from minikeras.autodiff import primitives as P


class Constraint:
    """Base class: `__call__(w)` takes the variable and returns the constrained value."""

    def __call__(self, w):
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Constraint":
        return cls(**config)


def _norms(w, axis):
    return P.sqrt(P.sum(P.square(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    def __init__(self, max_value: float = 2, axis: int = 0) -> None:
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = P.clip(norms, 0, self.max_value)
        return P.multiply(w, P.divide(desired, P.add(norms, config.epsilon())))

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    def __call__(self, w):
        w = ops.convert_to_tensor(w)
        return P.multiply(w, P.cast(P.greater_equal(w, 0.0), w.dtype))


class UnitNorm(Constraint):
    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def __call__(self, w):
        return P.divide(w, P.add(_norms(w, self.axis), config.epsilon()))

    def get_config(self) -> dict:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis: int = 0) -> None:
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = P.add(P.multiply(P.clip(norms, self.min_value, self.max_value), self.rate),
                        P.multiply(norms, 1 - self.rate))
        return P.multiply(w, P.divide(desired, P.add(norms, config.epsilon())))

    def get_config(self) -> dict:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
_TABLE = {"MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm, "MinMaxNorm": MinMaxNorm,
          "max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
          "min_max_norm": MinMaxNorm}


def serialize(constraint: Constraint) -> dict:
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(constraint)


def deserialize(config: Any, custom_objects: dict | None = None) -> Constraint:
    from minikeras.saving.serialization import deserialize_from_table

    obj = deserialize_from_table(config, _TABLE, "constraint", custom_objects)
    return obj() if isinstance(obj, type) else obj


def get(identifier: Any) -> Any:
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret constraint identifier: {identifier!r}")
