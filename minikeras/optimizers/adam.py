"""Adam: adaptive moment estimation, with the AMSGrad variant."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minikeras.optimizers.base import Optimizer


class Adam(Optimizer):
    """m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g²;
    w -= lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps), t = step number from 1.
    Keras 3 rule, step for step (epsilon outside the square root, default 1e-7)."""

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.amsgrad = bool(amsgrad)

    def build(self, variables: list) -> None:
        super().build(variables)
        self.momentums = []
        self.velocities = []
        for v in variables:
            self.momentums.append(self.add_variable_from_reference(v, "momentum"))
            self.velocities.append(self.add_variable_from_reference(v, "velocity"))
        self.velocity_hats = [self.add_variable_from_reference(v, "velocity_hat")
                              for v in variables] if self.amsgrad else []

    def update_step(self, gradient, variable, learning_rate) -> None:
        i = self._index[id(variable)]
        t = int(self.iterations.value) + 1
        dtype = variable.dtype.type
        b1, b2 = dtype(self.beta_1), dtype(self.beta_2)
        alpha = learning_rate * dtype(math.sqrt(1 - float(b2) ** t) / (1 - float(b1) ** t))
        m = self.momentums[i].value
        v = self.velocities[i].value
        m += (gradient - m) * (1 - b1)
        v += (np.square(gradient) - v) * (1 - b2)
        if self.amsgrad:
            vh = self.velocity_hats[i].value
            np.maximum(vh, v, out=vh)
            v = vh
        variable.value -= alpha * m / (np.sqrt(v) + dtype(self.epsilon))

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                    "amsgrad": self.amsgrad})
        return cfg
