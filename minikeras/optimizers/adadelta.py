"""Adadelta: steps scaled by the ratio of running RMS of past updates and of gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.optimizers.base import Optimizer, check_epsilon, check_number


class Adadelta(Optimizer):
    """Keras 3's rule: `acc_g = rho * acc_g + (1 - rho) * g**2`;
    `delta = -sqrt(acc_d + eps) * g / sqrt(acc_g + eps)`;
    `acc_d = rho * acc_d + (1 - rho) * delta**2`; `w += lr * delta`."""

    _numpy_update_step = True

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.95, epsilon: float = 1e-7,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = check_number("Adadelta", "rho", rho, 0, 1)
        self.epsilon = check_epsilon("Adadelta", epsilon)

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self.accumulated_grads, self.accumulated_delta_vars = self.add_optimizer_variables(
            variables, ["accumulated_grad", "accumulated_delta_var"])

    def _step_coefficients(self, t, learning_rate) -> tuple:
        return t(self.rho), t(1 - self.rho), t(self.epsilon)

    def update_step(self, gradient, variable, learning_rate) -> None:
        w = variable.value
        i = self._index[id(variable)]
        rho, one_rho, eps = self._coefficients(w.dtype, learning_rate)
        tmp = self._scratch_for(i, w)
        acc_g = self.accumulated_grads[i].value
        acc_d = self.accumulated_delta_vars[i].value
        acc_g *= rho
        np.multiply(gradient, gradient, tmp)
        tmp *= one_rho
        acc_g += tmp
        # delta = -sqrt(acc_d + eps) * g / sqrt(acc_g + eps); tmp holds -delta
        np.add(acc_g, eps, tmp)
        np.sqrt(tmp, tmp)
        np.divide(gradient, tmp, tmp)
        acc_d_rms = self._scratch2_for(i, w)
        np.add(acc_d, eps, acc_d_rms)
        np.sqrt(acc_d_rms, acc_d_rms)
        tmp *= acc_d_rms
        acc_d *= rho
        np.multiply(tmp, tmp, acc_d_rms)
        acc_d_rms *= one_rho
        acc_d += acc_d_rms
        tmp *= learning_rate
        w -= tmp

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"rho": self.rho, "epsilon": self.epsilon})
        return cfg
