"""Adam: adaptive moment estimation, with the AMSGrad variant."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.optimizers.base import Optimizer, check_epsilon, check_number


class Adam(Optimizer):
    """Keras 3's rule, with t the step number from 1:
    `m += (g - m) * (1 - beta_1)`; `v += (g**2 - v) * (1 - beta_2)` (AMSGrad: `v_hat =
    max(v_hat, v)` is used in place of v); `w -= m * lr * sqrt(1 - beta_2**t) /
    (1 - beta_1**t) / (sqrt(v) + epsilon)`. Epsilon sits outside the square root and
    defaults to 1e-7."""

    _numpy_update_step = True

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        owner = type(self).__name__
        self.beta_1 = check_number(owner, "beta_1", beta_1, 0, 1)
        self.beta_2 = check_number(owner, "beta_2", beta_2, 0, 1)
        self.epsilon = check_epsilon(owner, epsilon)
        self.amsgrad = bool(amsgrad)

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums, self.velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"])
        self.velocity_hats = self.add_optimizer_variables(variables, "velocity_hat") \
            if self.amsgrad else []

    def _step_coefficients(self, t, learning_rate) -> tuple:
        # alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t), in the variable's dtype
        step = t(int(self.iterations.value) + 1)
        b1p = t(self.beta_1) ** step
        b2p = t(self.beta_2) ** step
        alpha = t(learning_rate) * np.sqrt(t(1) - b2p) / (t(1) - b1p)
        return alpha, t(1 - self.beta_1), t(1 - self.beta_2), t(self.epsilon)

    def update_step(self, gradient, variable, learning_rate) -> None:
        w = variable.value
        i = self._index[id(variable)]
        tmp = self._scratch[i]
        if tmp is None:
            tmp = self._scratch_for(i, w)
        self.apply_rule(w, gradient, self.momentums[i].value, self.velocities[i].value, tmp,
                        learning_rate, self.velocity_hats[i].value if self.amsgrad else None)

    def apply_rule(self, w: np.ndarray, gradient: np.ndarray, m: np.ndarray, v: np.ndarray,
                   tmp: np.ndarray, learning_rate: np.ndarray,
                   v_hat: np.ndarray | None = None) -> None:
        """The rule on arrays, in place (`tmp`: work space; `v_hat`: AMSGrad's maximum).
        The replayed training step applies it to all weights at once."""
        alpha, one_b1, one_b2, eps = self._coefficients(w.dtype, learning_rate)
        np.subtract(gradient, m, tmp)
        tmp *= one_b1
        m += tmp
        np.multiply(gradient, gradient, tmp)
        tmp -= v
        tmp *= one_b2
        v += tmp
        if v_hat is not None:
            np.maximum(v_hat, v, out=v_hat)
            v = v_hat
        np.sqrt(v, tmp)
        tmp += eps
        np.divide(m, tmp, tmp)
        tmp *= alpha
        w -= tmp

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                    "amsgrad": self.amsgrad})
        return cfg
