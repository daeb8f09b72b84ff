"""Adagrad: per-coordinate rates that shrink with the sum of past squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.optimizers.base import Optimizer, check_epsilon, check_number


class Adagrad(Optimizer):
    """Keras 3's rule: `acc += g**2`; `w -= lr * g / sqrt(acc + epsilon)`, the accumulator
    starting at `initial_accumulator_value`. Spelled the Keras 2 way (`lr=`, `decay=`,
    `keras.optimizers.legacy`): `w -= lr * g / (sqrt(acc) + epsilon)`, as Keras 2."""

    _numpy_update_step = True

    def __init__(self, learning_rate: Any = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = check_number(
            "Adagrad", "initial_accumulator_value", initial_accumulator_value, 0)
        self.epsilon = check_epsilon("Adagrad", epsilon)

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self.accumulators = self.add_optimizer_variables(
            variables, "accumulator", initializer=self.initial_accumulator_value)

    def _step_coefficients(self, t, learning_rate) -> tuple:
        return (t(self.epsilon),)

    def update_step(self, gradient, variable, learning_rate) -> None:
        w = variable.value
        i = self._index[id(variable)]
        (eps,) = self._coefficients(w.dtype, learning_rate)
        tmp = self._scratch[i]
        if tmp is None:
            tmp = self._scratch_for(i, w)
        acc = self.accumulators[i].value
        np.multiply(gradient, gradient, tmp)
        acc += tmp
        if self._keras2:
            np.sqrt(acc, tmp)
            tmp += eps
        else:
            np.add(acc, eps, tmp)
            np.sqrt(tmp, tmp)
        np.divide(gradient, tmp, tmp)
        tmp *= learning_rate
        w -= tmp

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"initial_accumulator_value": self.initial_accumulator_value,
                    "epsilon": self.epsilon})
        return cfg
