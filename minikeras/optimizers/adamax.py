"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.optimizers.base import Optimizer, check_epsilon, check_number


class Adamax(Optimizer):
    """Keras 3's rule, t the step number from 1: `m += (g - m) * (1 - beta_1)`;
    `u = max(beta_2 * u, |g|)`; `w -= lr * m / ((1 - beta_1**t) * (u + epsilon))`."""

    _numpy_update_step = True

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = check_number("Adamax", "beta_1", beta_1, 0, 1)
        self.beta_2 = check_number("Adamax", "beta_2", beta_2, 0, 1)
        self.epsilon = check_epsilon("Adamax", epsilon)

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums, self.norms = self.add_optimizer_variables(
            variables, ["momentum", "norm"])

    def _step_coefficients(self, t, learning_rate) -> tuple:
        # 1 - beta_1**t in the variable's dtype, as Keras
        corr = t(1) - t(self.beta_1) ** t(int(self.iterations.value) + 1)
        return corr, t(1 - self.beta_1), t(self.beta_2), t(self.epsilon)

    def update_step(self, gradient, variable, learning_rate) -> None:
        w = variable.value
        i = self._index[id(variable)]
        corr, one_b1, b2, eps = self._coefficients(w.dtype, learning_rate)
        tmp = self._scratch_for(i, w)
        m = self.momentums[i].value
        u = self.norms[i].value
        np.subtract(gradient, m, tmp)
        tmp *= one_b1
        m += tmp
        u *= b2
        np.abs(gradient, tmp)
        np.maximum(u, tmp, out=u)
        np.add(u, eps, tmp)
        tmp *= corr
        np.divide(m, tmp, tmp)
        tmp *= learning_rate
        w -= tmp

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return cfg
