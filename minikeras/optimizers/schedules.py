"""Learning-rate schedules (`keras.optimizers.schedules`): functions of the step number.

An optimizer created with a schedule calls `schedule(iterations)` before every update
(iterations = updates done so far, from 0). Each built-in schedule computes as Keras 3 does,
in the float type of its initial learning rate (floatx), and returns a 0-d NumPy array.
A user's subclass of `LearningRateSchedule` overrides `__call__(step)` (and `get_config`
to be saved); `step` is a tensor holding an integer, and the result may be a number, an
array or a tensor.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minikeras import config


class LearningRateSchedule:
    """Base class: `__call__(step)` returns the learning rate of that optimizer step."""

    def __call__(self, step: Any) -> Any:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `__call__(self, step)`.")

    def get_config(self) -> dict:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `get_config()` in order to be serializable.")

    @classmethod
    def from_config(cls, config: dict) -> "LearningRateSchedule":
        return cls(**config)


def _dtype() -> np.dtype:
    return np.dtype(config.floatx())


def _step(step: Any, dtype: np.dtype) -> Any:
    """The step as a scalar of `dtype` (steps arrive as ints, arrays or tensors)."""
    value = getattr(step, "value", step)
    return dtype.type(np.asarray(value).item() if np.ndim(value) == 0 else value)


def _positive_steps(owner: str, name: str, value: Any) -> Any:
    v = getattr(value, "value", value)
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or \
            not v > 0:
        raise ValueError(f"{owner}: argument `{name}` must be > 0. Received: {name}={value!r}")
    return value


def _number(owner: str, name: str, value: Any) -> Any:
    v = getattr(value, "value", value)
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or \
            v != v:
        raise ValueError(f"{owner}: argument `{name}` must be a number. "
                         f"Received: {name}={value!r}")
    return value


class ExponentialDecay(LearningRateSchedule):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`; with `staircase` the
    exponent is floored."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "ExponentialDecay") -> None:
        owner = type(self).__name__
        self.initial_learning_rate = _number(owner, "initial_learning_rate",
                                             initial_learning_rate)
        self.decay_steps = _positive_steps(owner, "decay_steps", decay_steps)
        self.decay_rate = _number(owner, "decay_rate", decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step: Any) -> np.ndarray:
        d = _dtype()
        t = d.type
        p = _step(step, d) / t(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return np.asarray(t(self.initial_learning_rate) * t(self.decay_rate) ** p, dtype=d)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`; with `staircase`
    the ratio step / decay_steps is floored."""

    def __init__(self, initial_learning_rate: float, decay_steps: float, decay_rate: float,
                 staircase: bool = False, name: str = "InverseTimeDecay") -> None:
        owner = type(self).__name__
        self.initial_learning_rate = _number(owner, "initial_learning_rate",
                                             initial_learning_rate)
        self.decay_steps = _positive_steps(owner, "decay_steps", decay_steps)
        self.decay_rate = _number(owner, "decay_rate", decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step: Any) -> np.ndarray:
        d = _dtype()
        t = d.type
        p = _step(step, d) / t(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return np.asarray(t(self.initial_learning_rate) / (t(1) + t(self.decay_rate) * p),
                          dtype=d)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[0]` while step <= boundaries[0], `values[i]` while boundaries[i-1] < step <=
    boundaries[i], `values[-1]` after the last boundary."""

    def __init__(self, boundaries: list, values: list, name: str = "PiecewiseConstant") -> None:
        owner = type(self).__name__
        try:
            nb, nv = len(boundaries), len(values)
        except TypeError:
            raise ValueError(f"{owner}: `boundaries` and `values` must be lists. Received: "
                             f"boundaries={boundaries!r}, values={values!r}") from None
        if nb != nv - 1:
            raise ValueError(f"{owner}: the length of `boundaries` should be 1 less than the "
                             f"length of `values`. Received: boundaries={boundaries} of length "
                             f"{nb}, and values={values} of length {nv}.")
        for i, b in enumerate(boundaries):
            _number(owner, f"boundaries[{i}]", b)
        for i, v in enumerate(values):
            _number(owner, f"values[{i}]", v)
        if any(b1 > b2 for b1, b2 in zip(boundaries, boundaries[1:])):
            raise ValueError(f"{owner}: `boundaries` must be in increasing order. "
                             f"Received: boundaries={boundaries}")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step: Any) -> np.ndarray:
        raw = np.asarray(getattr(step, "value", step))
        s = raw.item() if raw.ndim == 0 else raw
        # Keras compares in the step's type: the boundaries are cast to int for int steps.
        integer = isinstance(s, (int, np.integer))
        bounds = [int(b) if integer else b for b in self.boundaries]
        i = 0
        while i < len(bounds) and s > bounds[i]:
            i += 1
        return np.asarray(self.values[i], dtype=_dtype())

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """`(initial - end) * (1 - step / decay_steps) ** power + end`, the step capped at
    `decay_steps`; with `cycle` the horizon becomes the first multiple of `decay_steps`
    at or after the step."""

    def __init__(self, initial_learning_rate: float, decay_steps: int,
                 end_learning_rate: float = 0.0001, power: float = 1.0, cycle: bool = False,
                 name: str = "PolynomialDecay") -> None:
        owner = type(self).__name__
        self.initial_learning_rate = _number(owner, "initial_learning_rate",
                                             initial_learning_rate)
        self.decay_steps = _positive_steps(owner, "decay_steps", decay_steps)
        self.end_learning_rate = _number(owner, "end_learning_rate", end_learning_rate)
        self.power = _number(owner, "power", power)
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step: Any) -> np.ndarray:
        d = _dtype()
        t = d.type
        s = _step(step, d)
        horizon = t(self.decay_steps)
        if self.cycle:
            multiplier = t(1) if s == 0 else np.ceil(s / t(self.decay_steps))
            horizon = horizon * multiplier
        else:
            s = min(s, horizon)
        p = s / horizon
        init, end = t(self.initial_learning_rate), t(self.end_learning_rate)
        return np.asarray((init - end) * (t(1) - p) ** t(self.power) + end, dtype=d)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay from `initial_learning_rate` (or, with a warmup, from `warmup_target`
    after a linear warmup of `warmup_steps` steps) down to `alpha` times that rate over
    `decay_steps` steps, then constant."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 name: str = "CosineDecay", warmup_target: float | None = None,
                 warmup_steps: int = 0) -> None:
        owner = type(self).__name__
        self.initial_learning_rate = _number(owner, "initial_learning_rate",
                                             initial_learning_rate)
        self.decay_steps = _positive_steps(owner, "decay_steps", decay_steps)
        self.alpha = _number(owner, "alpha", alpha)
        self.name = name
        if warmup_target is not None:
            _number(owner, "warmup_target", warmup_target)
        _number(owner, "warmup_steps", warmup_steps)
        if warmup_steps < 0:
            raise ValueError(f"{owner}: argument `warmup_steps` must be >= 0. "
                             f"Received: warmup_steps={warmup_steps!r}")
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, s: Any, decay_steps: Any, decay_from: Any, t: type) -> Any:
        fraction = s / decay_steps
        cosine = t(0.5) * (t(1) + np.cos(t(math.pi) * fraction))
        decayed = t(1 - self.alpha) * cosine + t(self.alpha)
        return decay_from * decayed

    def __call__(self, step: Any) -> np.ndarray:
        d = _dtype()
        t = d.type
        init = t(self.initial_learning_rate)
        decay_steps = t(self.decay_steps)
        s = _step(step, d)
        if self.warmup_target is None:
            return np.asarray(self._decay(min(s, decay_steps), decay_steps, init, t), dtype=d)
        target = t(self.warmup_target)
        warmup_steps = t(self.warmup_steps)
        s = min(s, decay_steps + warmup_steps)
        if s < warmup_steps:
            value = (target - init) * (s / warmup_steps) + init
        else:
            value = self._decay(s - warmup_steps, decay_steps, target, t)
        return np.asarray(value, dtype=d)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): periods of `first_decay_steps`, each
    `t_mul` times longer than the last, restarting from `m_mul` times the previous
    initial rate, decaying to `alpha` times it."""

    def __init__(self, initial_learning_rate: float, first_decay_steps: int,
                 t_mul: float = 2.0, m_mul: float = 1.0, alpha: float = 0.0,
                 name: str = "SGDRDecay") -> None:
        owner = type(self).__name__
        self.initial_learning_rate = _number(owner, "initial_learning_rate",
                                             initial_learning_rate)
        self.first_decay_steps = _positive_steps(owner, "first_decay_steps",
                                                 first_decay_steps)
        _positive_steps(owner, "t_mul", t_mul)
        self._t_mul = t_mul
        self._m_mul = _number(owner, "m_mul", m_mul)
        self.alpha = _number(owner, "alpha", alpha)
        self.name = name

    @property
    def t_mul(self) -> float:
        return self._t_mul

    @property
    def m_mul(self) -> float:
        return self._m_mul

    def __call__(self, step: Any) -> np.ndarray:
        d = _dtype()
        t = d.type
        fraction = _step(step, d) / t(self.first_decay_steps)
        t_mul, m_mul, alpha = t(self._t_mul), t(self._m_mul), t(self.alpha)
        if t_mul == 1:
            i_restart = np.floor(fraction)
            fraction = fraction - i_restart
        else:
            i_restart = np.floor(np.log(t(1) - fraction * (t(1) - t_mul)) / np.log(t_mul))
            sum_r = (t(1) - t_mul ** i_restart) / (t(1) - t_mul)
            fraction = (fraction - sum_r) / t_mul ** i_restart
        m_fac = m_mul ** i_restart
        cosine = t(0.5) * m_fac * (t(1) + np.cos(t(math.pi) * fraction))
        decayed = (t(1) - alpha) * cosine + alpha
        return np.asarray(t(self.initial_learning_rate) * decayed, dtype=d)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


_TABLE: dict = {c.__name__: c for c in (
    LearningRateSchedule, ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay,
    PolynomialDecay, CosineDecay, CosineDecayRestarts)}


def register(cls: type) -> type:
    """Make a schedule class known to `deserialize` by its class name."""
    _TABLE[cls.__name__] = cls
    return cls


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict:
    """Keras 3's `{"module", "class_name", "config", "registered_name"}` form."""
    if not isinstance(learning_rate_schedule, LearningRateSchedule):
        raise TypeError("serialize() needs a LearningRateSchedule, got "
                        f"{type(learning_rate_schedule).__name__}")
    cls = type(learning_rate_schedule)
    if _TABLE.get(cls.__name__) is cls and cls.__module__ == __name__:
        return {"module": "keras.optimizers.schedules", "class_name": cls.__name__,
                "config": learning_rate_schedule.get_config(), "registered_name": None}
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(learning_rate_schedule)


def deserialize(config: Any, custom_objects: dict | None = None) -> LearningRateSchedule:
    """A schedule from its `serialize` form (or Keras 2's `{"class_name", "config"}`)."""
    from minikeras.saving.serialization import deserialize_from_table

    return deserialize_from_table(config, _TABLE, "learning rate schedule", custom_objects)
