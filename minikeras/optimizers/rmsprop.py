"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.optimizers.base import Optimizer


class RMSprop(Optimizer):
    """v = rho*v + (1-rho)*g²; step = lr*g/sqrt(v + eps) (centered: v - mean_g² + eps);
    with momentum the step goes through a velocity. Keras 3 rule, step for step."""

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = float(rho)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.centered = bool(centered)

    def build(self, variables: list) -> None:
        super().build(variables)
        self.velocities = [self.add_variable_from_reference(v, "velocity") for v in variables]
        self.momentums = [self.add_variable_from_reference(v, "momentum")
                          for v in variables] if self.momentum > 0 else []
        self.average_gradients = [self.add_variable_from_reference(v, "average_gradient")
                                  for v in variables] if self.centered else []

    def update_step(self, gradient, variable, learning_rate) -> None:
        i = self._index[id(variable)]
        rho = self.rho
        v = self.velocities[i].value
        v[...] = rho * v + (1 - rho) * np.square(gradient)
        if self.centered:
            a = self.average_gradients[i].value
            a[...] = rho * a + (1 - rho) * gradient
            denominator = v - np.square(a) + self.epsilon
        else:
            denominator = v + self.epsilon
        increment = learning_rate * gradient / np.sqrt(denominator)
        if self.momentum > 0:
            m = self.momentums[i].value
            m[...] = self.momentum * m + increment
            variable.value -= m
        else:
            variable.value -= increment

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                    "centered": self.centered})
        return cfg
