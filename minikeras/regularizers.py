"""Weight regularisers (`keras.regularizers`): penalties added to the loss.

L1: l1 * sum(|w|). L2: l2 * sum(w**2) (no factor 1/2, as in Keras).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.autodiff import primitives as P
from minikeras.utils.naming import closest


class Regularizer:
    """Base class. A subclass implements `__call__(x)` with backend ops and returns a scalar."""

    def __call__(self, x):
        return 0.0

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Regularizer":
        return cls(**config)


def validate_float_arg(value: Any, name: str) -> float:
    """Keras 3's rule for a penalty factor: a finite, non-negative int or float (NumPy
    scalars included); strings, None, lists, NaN and infinities are refused."""
    import math

    v = value.item() if isinstance(value, np.generic) else value
    if not isinstance(v, (int, float)) or math.isinf(v) or math.isnan(v) or v < 0:
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float. "
                         f"Received: {name}={value!r}")
    return float(v)


class L1L2(Regularizer):
    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = validate_float_arg(0.0 if l1 is None else l1, "l1")
        self.l2 = validate_float_arg(0.0 if l2 is None else l2, "l2")

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
        self.l1 = validate_float_arg(0.01 if l1 is None else l1, "l1")

    def __call__(self, x):
        return P.multiply(P.sum(P.abs(x)), self.l1)

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(Regularizer):
    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = validate_float_arg(0.01 if l2 is None else l2, "l2")

    def __call__(self, x):
        return P.multiply(P.sum(P.square(x)), self.l2)

    def get_config(self) -> dict:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Keras 3's penalty on a 2-D kernel whose rows (`mode="rows"`) or columns should be
    orthogonal: factor * mean over pairs of |cosine| of the normalised rows/columns,
    i.e. factor * 0.5 * sum(|off-diagonal of X Xt|) / (n (n - 1) / 2). For n = 1 (no pair)
    it is 0, where Keras divides 0 by 0."""

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = validate_float_arg(factor, "factor")
        if mode not in ("rows", "columns"):
            guess = closest(mode, ("rows", "columns"))
            hint = f" Did you mean {guess!r}?" if guess else ""
            raise ValueError('Invalid value for argument `mode`. Expected one of {"rows", '
                             f'"columns"}}. Received: mode={mode}{hint}')
        self.mode = mode

    def __call__(self, x):
        from minikeras import ops

        if len(x.shape) != 2:
            raise ValueError("Inputs to OrthogonalRegularizer must have rank 2. Received: "
                             f"inputs.shape={tuple(x.shape)}")
        if self.mode == "columns":
            x = P.transpose(x)
        with np.errstate(divide="ignore"):  # a zero row: rsqrt(0) = inf, capped at 1/eps
            x = ops.normalize(x, axis=1)  # Keras' x * min(rsqrt(sum x**2), 1/epsilon)
        prod = P.matmul(x, P.transpose(x))
        n = x.shape[0]
        off = P.multiply(prod, 1.0 - np.eye(n, dtype=x.dtype))
        return P.multiply(P.divide(P.sum(P.abs(off)), n * (n - 1) if n > 1 else 1), self.factor)

    def get_config(self) -> dict:
        return {"factor": self.factor, "mode": self.mode}


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """Keras 2's shortcut; note its defaults are 0.01 each (the class's are 0)."""
    return L1L2(l1=l1, l2=l2)


l1 = L1
l2 = L2
_TABLE = {"L1L2": L1L2, "L1": L1, "L2": L2, "l1": L1, "l2": L2, "l1_l2": l1_l2, "l1l2": L1L2,
          "Regularizer": Regularizer, "regularizer": Regularizer,
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
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")
