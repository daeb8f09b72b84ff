"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.optimizers.base import Optimizer, check_epsilon, check_number


class RMSprop(Optimizer):
    """Keras 3's rule: `v = rho * v + (1 - rho) * g**2`; `step = lr * g / sqrt(v + eps)`
    (centered: `a = rho * a + (1 - rho) * g`, `sqrt(v - a**2 + eps)`); with momentum
    `m = momentum * m + step`, `w -= m`, else `w -= step`.

    Spelled the Keras 2 way (`lr=`, `decay=`, `keras.optimizers.legacy`) and without
    momentum, epsilon goes outside the square root as in Keras 2: `lr * g / (sqrt(v) + eps)`.
    """

    _numpy_update_step = True

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = check_number("RMSprop", "rho", rho, 0, 1)
        self.momentum = check_number("RMSprop", "momentum", momentum, 0, 1)
        self.epsilon = check_epsilon("RMSprop", epsilon)
        self.centered = bool(centered)

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self.velocities = self.add_optimizer_variables(variables, "velocity")
        self.momentums = self.add_optimizer_variables(variables, "momentum") \
            if self.momentum > 0 else []
        self.average_gradients = self.add_optimizer_variables(variables, "average_gradient") \
            if self.centered else []

    def _step_coefficients(self, t, learning_rate) -> tuple:
        return t(self.rho), t(1 - self.rho), t(self.epsilon), t(self.momentum)

    def update_step(self, gradient, variable, learning_rate) -> None:
        w = variable.value
        i = self._index[id(variable)]
        rho, one_rho, eps, mom = self._coefficients(w.dtype, learning_rate)
        tmp = self._scratch[i]
        if tmp is None:
            tmp = self._scratch_for(i, w)
        v = self.velocities[i].value
        v *= rho
        np.multiply(gradient, gradient, tmp)
        tmp *= one_rho
        v += tmp
        eps_outside = self._keras2 and not self.momentum > 0
        if self.centered:
            a = self.average_gradients[i].value
            a *= rho
            np.multiply(gradient, one_rho, tmp)
            a += tmp
            np.multiply(a, a, tmp)
            np.subtract(v, tmp, tmp)
            if not eps_outside:
                tmp += eps
            np.sqrt(tmp, tmp)
        elif eps_outside:
            np.sqrt(v, tmp)
        else:
            np.add(v, eps, tmp)
            np.sqrt(tmp, tmp)
        if eps_outside:
            tmp += eps
        np.divide(gradient, tmp, tmp)
        tmp *= learning_rate  # lr * g / sqrt(denominator)
        if self.momentum > 0:
            m = self.momentums[i].value
            m *= mom
            m += tmp
            w -= m
        else:
            w -= tmp

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                    "centered": self.centered})
        return cfg
