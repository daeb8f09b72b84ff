"""Lamb: Adam's step rescaled per variable by the trust ratio ||w|| / ||step||."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.optimizers.base import Optimizer, check_number


class Lamb(Optimizer):
    """Keras 3's rule, with t the step number from 1:
    `m += (g - m) * (1 - beta_1)`; `v += (g**2 - v) * (1 - beta_2)`;
    `step = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon)`;
    `ratio = ||w|| / ||step||` (1 when either norm is 0); `w -= ratio * lr * step`."""

    _numpy_update_step = True

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        owner = type(self).__name__
        self.beta_1 = check_number(owner, "beta_1", beta_1, 0, 1)
        self.beta_2 = check_number(owner, "beta_2", beta_2, 0, 1)
        self.epsilon = check_number(owner, "epsilon", epsilon, 0)

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums, self.velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"])

    def update_step(self, gradient, variable, learning_rate) -> None:
        w = variable.value
        t = w.dtype.type
        i = self._index[id(variable)]
        step = t(int(self.iterations.value) + 1)
        b1p = np.power(t(self.beta_1), step)
        b2p = np.power(t(self.beta_2), step)
        m = self.momentums[i].value
        v = self.velocities[i].value
        m += (gradient - m) * t(1 - self.beta_1)
        v += (np.square(gradient) - v) * t(1 - self.beta_2)
        update = (m / (t(1) - b1p)) / (np.sqrt(v / (t(1) - b2p)) + t(self.epsilon))
        w_norm = np.sqrt(np.sum(np.square(w)))
        g_norm = np.sqrt(np.sum(np.square(update)))
        ratio = w_norm / g_norm if w_norm > 0 and g_norm > 0 else t(1)
        w -= ratio * t(learning_rate) * update

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return cfg
