"""Learning-rate schedules (`keras.optimizers.schedules`): functions of the step number."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minikeras import config


class LearningRateSchedule:
    """Base class: `__call__(step)` returns the learning rate for that optimizer step."""

    def __call__(self, step: Any) -> Any:
        raise NotImplementedError

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must implement get_config()")

    @classmethod
    def from_config(cls, config: dict) -> "LearningRateSchedule":
        return cls(**config)


def _f(x: Any) -> float:
    return float(np.asarray(x.value if hasattr(x, "value") else x))


def _out(value: float) -> np.ndarray:
    return np.asarray(value, dtype=config.floatx())


class ExponentialDecay(LearningRateSchedule):
    """lr * decay_rate ** (step / decay_steps), the exponent floored when `staircase`."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "ExponentialDecay") -> None:
        if decay_steps <= 0:
            raise ValueError(f"decay_steps must be > 0, got decay_steps={decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Any) -> np.ndarray:
        p = _f(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return _out(self.initial_learning_rate * self.decay_rate ** p)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """lr / (1 + decay_rate * step / decay_steps), the ratio floored when `staircase`."""

    def __init__(self, initial_learning_rate: float, decay_steps: float, decay_rate: float,
                 staircase: bool = False, name: str = "InverseTimeDecay") -> None:
        if decay_steps <= 0:
            raise ValueError(f"decay_steps must be > 0, got decay_steps={decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Any) -> np.ndarray:
        p = _f(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return _out(self.initial_learning_rate / (1 + self.decay_rate * p))

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


_TABLE: dict = {"ExponentialDecay": ExponentialDecay, "InverseTimeDecay": InverseTimeDecay}


def register(cls: type) -> type:
    _TABLE[cls.__name__] = cls
    return cls


def serialize(schedule: LearningRateSchedule) -> dict:
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(schedule)


def deserialize(config: Any, custom_objects: dict | None = None) -> LearningRateSchedule:
    from minikeras.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, _TABLE, "learning rate schedule", custom_objects)
