"""Nadam: Adam with Nesterov momentum (Dozat's momentum schedule)."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import config
from minikeras.optimizers.base import Optimizer, check_epsilon, check_number


class Nadam(Optimizer):
    """Keras 3's rule, t the step number from 1:
    `u_t = beta_1 * (1 - 0.5 * 0.96**t)`; the product of all u so far (`u_product`, an
    optimizer variable, updated once per step before the variables);
    `m += (g - m) * (1 - beta_1)`; `v += (g**2 - v) * (1 - beta_2)`;
    `m_hat = u_{t+1} * m / (1 - u_product * u_{t+1}) + (1 - u_t) * g / (1 - u_product)`;
    `w -= lr * m_hat / (sqrt(v / (1 - beta_2**t)) + epsilon)`.

    Spelled the Keras 2 way (`lr=`, `decay=`, `schedule_decay=`, `keras.optimizers.legacy`)
    the momentum schedule is Keras 2's: `u_t = beta_1 * (1 - 0.5 * 0.96**(schedule_decay *
    t))`, `schedule_decay` defaulting to 0.004. (Keras 2's `decay=` here means, as for every
    optimizer, lr / (1 + decay * t); tf.keras's legacy Nadam instead silently replaces it
    by `schedule_decay`.)"""

    _numpy_update_step = True

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, name: str | None = None, **kwargs: Any) -> None:
        schedule_decay = kwargs.pop("schedule_decay", None)
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if schedule_decay is not None:
            self._keras2 = True
        self.schedule_decay = 0.004 if schedule_decay is None else \
            check_number("Nadam", "schedule_decay", schedule_decay, 0)
        self.beta_1 = check_number("Nadam", "beta_1", beta_1, 0, 1)
        self.beta_2 = check_number("Nadam", "beta_2", beta_2, 0, 1)
        self.epsilon = check_epsilon("Nadam", epsilon)

    def build(self, variables: list) -> None:
        if self.built:
            return
        variables = list(variables)
        dtype = variables[0].dtype if variables else np.dtype(config.floatx())
        super().build(variables)
        self.momentums, self.velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"])
        self.u_product = self.add_variable((), "ones", dtype=dtype, name="variable")

    def _prepare_step(self, learning_rate) -> None:
        u = self.u_product.value
        t = u.dtype.type
        u[...] = u * t(self.beta_1) * (t(1) - t(0.5) * t(0.96) **
                                       self._schedule_step(t, int(self.iterations.value) + 1))

    def _schedule_step(self, t: type, step: int) -> Any:
        """The exponent of 0.96: t (Keras 3) or schedule_decay * t (Keras 2)."""
        if self._keras2:
            return t(self.schedule_decay) * t(step)
        return t(step)

    def _step_coefficients(self, t, learning_rate) -> tuple:
        it = int(self.iterations.value)
        b1, b2, decay = t(self.beta_1), t(self.beta_2), t(0.96)
        u_t = b1 * (t(1) - t(0.5) * decay ** self._schedule_step(t, it + 1))
        u_t_1 = b1 * (t(1) - t(0.5) * decay ** self._schedule_step(t, it + 2))
        u_prod = t(self.u_product.value)
        u_prod_1 = u_prod * u_t_1
        return (u_t_1 / (t(1) - u_prod_1), (t(1) - u_t) / (t(1) - u_prod),
                t(1) - b2 ** t(it + 1), t(1) - b1, t(1) - b2, t(self.epsilon))

    def update_step(self, gradient, variable, learning_rate) -> None:
        w = variable.value
        i = self._index[id(variable)]
        c_m, c_g, b2_corr, one_b1, one_b2, eps = self._coefficients(w.dtype, learning_rate)
        tmp = self._scratch_for(i, w)
        tmp2 = self._scratch2_for(i, w)
        m = self.momentums[i].value
        v = self.velocities[i].value
        np.subtract(gradient, m, tmp)
        tmp *= one_b1
        m += tmp
        np.multiply(gradient, gradient, tmp)
        tmp -= v
        tmp *= one_b2
        v += tmp
        # m_hat
        np.multiply(m, c_m, tmp)
        np.multiply(gradient, c_g, tmp2)
        tmp += tmp2
        # sqrt(v_hat) + epsilon
        np.divide(v, b2_corr, tmp2)
        np.sqrt(tmp2, tmp2)
        tmp2 += eps
        tmp *= learning_rate
        np.divide(tmp, tmp2, tmp)
        w -= tmp

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        if self._keras2:
            cfg["schedule_decay"] = self.schedule_decay
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Nadam":
        config = dict(config)
        if "decay" in config and "schedule_decay" not in config:
            # tf.keras's legacy Nadam stores its momentum schedule_decay as `decay`.
            config["schedule_decay"] = config.pop("decay")
        return super().from_config(config, custom_objects)
