"""Weight regularisers (`keras.regularizers`): penalties added to the loss.

L1: l1 * sum(|w|). L2: l2 * sum(w**2) (no factor 1/2, as in Keras).
"""

from __future__ import annotations

from typing import Any

from minikeras.autodiff import primitives as P
from minikeras.utils.naming import unknown_name_error


class Regularizer:
    """Base class. A subclass implements `__call__(x)` with backend ops and returns a scalar."""

    def __call__(self, x):
        return 0.0

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Regularizer":
        return cls(**config)


def _check(name: str, value: Any) -> float:
    if value is None:
        return 0.0
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if value < 0 or value != value:
        raise ValueError(f"{name} must be a non-negative number, got {name}={value}")
    return value


class L1L2(Regularizer):
    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _check("l1", l1)
        self.l2 = _check("l2", l2)

    def __call__(self, x):
        total = 0.0
        if self.l1:
            total = P.multiply(P.sum(P.abs(x)), self.l1)
        if self.l2:
            total = P.add(total, P.multiply(P.sum(P.square(x)), self.l2))
        return total

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _check("l1", l1)

    def __call__(self, x):
        return P.multiply(P.sum(P.abs(x)), self.l1)

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(Regularizer):
    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _check("l2", l2)

    def __call__(self, x):
        return P.multiply(P.sum(P.square(x)), self.l2)

    def get_config(self) -> dict:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        if mode not in ("rows", "columns"):
            raise unknown_name_error("mode", mode, ("rows", "columns"))
        self.factor, self.mode = _check("factor", factor), mode

    def __call__(self, x):
        if self.mode == "columns":
            x = P.transpose(x)
        norm = P.sqrt(P.maximum(P.sum(P.square(x), axis=1, keepdims=True), 1e-12))
        x = P.divide(x, norm)
        prod = P.matmul(x, P.transpose(x))
        n = x.shape[0]
        import numpy as np

        off = P.multiply(prod, 1.0 - np.eye(n, dtype=x.dtype))
        return P.multiply(P.divide(P.sum(P.abs(off)), n * (n - 1) if n > 1 else 1), self.factor)

    def get_config(self) -> dict:
        return {"factor": self.factor, "mode": self.mode}


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """Keras 2's shortcut; note its defaults are 0.01 each (the class's are 0)."""
    return L1L2(l1=l1, l2=l2)


l1 = L1
l2 = L2
_TABLE = {"L1L2": L1L2, "L1": L1, "L2": L2, "l1": L1, "l2": L2, "l1_l2": l1_l2,
          "OrthogonalRegularizer": OrthogonalRegularizer,
          "orthogonal_regularizer": OrthogonalRegularizer}


def serialize(regularizer: Regularizer) -> dict:
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(regularizer)


def deserialize(config: Any, custom_objects: dict | None = None) -> Regularizer:
    from minikeras.saving.serialization import deserialize_from_table

    obj = deserialize_from_table(config, _TABLE, "regularizer", custom_objects)
    return obj() if isinstance(obj, type) or obj is l1_l2 else obj


def get(identifier: Any) -> Any:
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret regularizer identifier: {identifier!r}")
