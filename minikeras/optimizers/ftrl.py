"""FTRL-proximal (Follow The Regularized Leader), with L1, L2 and L2-shrinkage terms."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.optimizers.base import Optimizer, check_number


class Ftrl(Optimizer):
    """Keras 3's rule, p = -learning_rate_power:
    `n_new = n + g**2`; `z += g + 2 * l2_shrinkage * w - (n_new**p - n**p) / lr * w`;
    `w = (clip(z, -l1, l1) - z) / (n_new**p / lr + 2 * (l2 + beta / (2 * lr)))`;
    `n = n_new`, n starting at `initial_accumulator_value`."""

    _numpy_update_step = True

    def __init__(self, learning_rate: Any = 0.001, learning_rate_power: float = -0.5,
                 initial_accumulator_value: float = 0.1,
                 l1_regularization_strength: float = 0.0,
                 l2_regularization_strength: float = 0.0,
                 l2_shrinkage_regularization_strength: float = 0.0, beta: float = 0.0,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.learning_rate_power = check_number("Ftrl", "learning_rate_power",
                                                learning_rate_power, high=0)
        self.initial_accumulator_value = check_number(
            "Ftrl", "initial_accumulator_value", initial_accumulator_value, 0)
        self.l1_regularization_strength = check_number(
            "Ftrl", "l1_regularization_strength", l1_regularization_strength, 0)
        self.l2_regularization_strength = check_number(
            "Ftrl", "l2_regularization_strength", l2_regularization_strength, 0)
        self.l2_shrinkage_regularization_strength = check_number(
            "Ftrl", "l2_shrinkage_regularization_strength",
            l2_shrinkage_regularization_strength, 0)
        self.beta = check_number("Ftrl", "beta", beta, 0)

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self.accumulators, self.linears = self.add_optimizer_variables(
            variables, ["accumulator", "linear"],
            initializer=[self.initial_accumulator_value, "zeros"])

    def _power(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        p = -self.learning_rate_power
        if p == 0.5:
            return np.sqrt(x, out=out)
        return np.power(x, p, out=out)

    def _step_coefficients(self, t, learning_rate) -> tuple:
        lr = t(learning_rate)
        l2_reg = t(self.l2_regularization_strength) + t(self.beta) / (t(2.0) * lr)
        l1 = self.l1_regularization_strength
        return (lr, t(l1), t(-l1), t(2) * l2_reg,
                t(2 * self.l2_shrinkage_regularization_strength))

    def update_step(self, gradient, variable, learning_rate) -> None:
        w = variable.value
        i = self._index[id(variable)]
        lr, l1, neg_l1, two_l2_reg, two_shrink = self._coefficients(w.dtype, learning_rate)
        a = self._scratch_for(i, w)
        b = self._scratch2_for(i, w)
        accum = self.accumulators[i].value
        linear = self.linears[i].value
        self._power(accum, b)                    # n ** p
        np.multiply(gradient, gradient, out=a)
        accum += a                               # n_new (Keras stores it at the end)
        self._power(accum, a)                    # n_new ** p
        np.subtract(a, b, out=b)
        b /= lr
        b *= w                                   # sigma * w
        linear += gradient
        linear -= b
        if self.l2_shrinkage_regularization_strength:
            np.multiply(w, two_shrink, b)        # (w is still the old value here)
            linear += b
        a /= lr
        a += two_l2_reg                          # quadratic
        np.clip(linear, neg_l1, l1, out=b)
        b -= linear
        np.divide(b, a, out=w)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        })
        return cfg
