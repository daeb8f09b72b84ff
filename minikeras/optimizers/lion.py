"""Lion: the sign of an interpolation of momentum and gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.optimizers.base import Optimizer, check_number


class Lion(Optimizer):
    """Keras 3's rule: `w -= lr * sign(beta_1 * m + (1 - beta_1) * g)`;
    `m = beta_2 * m + (1 - beta_2) * g`."""

    _numpy_update_step = True

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.99,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = check_number("Lion", "beta_1", beta_1, 0, 1, low_open=True)
        self.beta_2 = check_number("Lion", "beta_2", beta_2, 0, 1)

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums = self.add_optimizer_variables(variables, "momentum")

    def _step_coefficients(self, t, learning_rate) -> tuple:
        b1, b2 = t(self.beta_1), t(self.beta_2)
        return b1, t(1) - b1, b2, t(1) - b2

    def update_step(self, gradient, variable, learning_rate) -> None:
        w = variable.value
        i = self._index[id(variable)]
        b1, one_b1, b2, one_b2 = self._coefficients(w.dtype, learning_rate)
        tmp = self._scratch_for(i, w)
        tmp2 = self._scratch2_for(i, w)
        m = self.momentums[i].value
        np.multiply(m, b1, tmp)
        np.multiply(gradient, one_b1, tmp2)
        tmp += tmp2
        np.sign(tmp, tmp)
        tmp *= learning_rate
        w -= tmp
        m *= b2
        np.multiply(gradient, one_b2, tmp2)
        m += tmp2

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return cfg
