"""Adafactor: Adam-like steps with a factored second moment (row and column means) for
matrices, so its memory grows with rows + columns instead of rows * columns."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.autodiff.tensor import Variable
from minikeras.optimizers.base import Optimizer, check_number


class Adafactor(Optimizer):
    """Keras 3's rule, all in the variable's dtype, with t the step number from 1:

    - `lr = min(lr, 1/sqrt(t))` when `relative_step` and the rate is not a schedule;
      `rho = min(lr, 1/sqrt(t))`; `alpha = max(epsilon_2, rms(w)) * rho`;
    - `g2 = g**2 + epsilon_1`; `beta = 1 - t**beta_2_decay`;
    - rank >= 2: `r = beta*r + (1-beta)*mean(g2, -1)`, `c = beta*c + (1-beta)*mean(g2, -2)`,
      `v = (r / mean(r, -1))[..., None] * c[..., None, :]`; otherwise
      `v = beta*v + (1-beta)*g2`;
    - `u = g / sqrt(v)`; `w -= alpha * u / max(1, rms(u) / clip_threshold)`.

    Slots in Keras' order: r, c and v per variable (for a vector or scalar, r and c are
    int32 zeros the rule never reads, as in Keras)."""

    _numpy_update_step = True

    def __init__(self, learning_rate: Any = 0.001, beta_2_decay: float = -0.8,
                 epsilon_1: float = 1e-30, epsilon_2: float = 1e-3,
                 clip_threshold: float = 1.0, relative_step: bool = True,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        owner = type(self).__name__
        self.beta_2_decay = check_number(owner, "beta_2_decay", beta_2_decay)
        self.epsilon_1 = check_number(owner, "epsilon_1", epsilon_1, 0)
        self.epsilon_2 = check_number(owner, "epsilon_2", epsilon_2, 0)
        self.clip_threshold = check_number(owner, "clip_threshold", clip_threshold, 0,
                                           low_open=True)
        if not isinstance(relative_step, (bool, np.bool_)):
            raise ValueError(f"{owner}: `relative_step` must be True or False. Received: "
                             f"relative_step={relative_step!r}")
        self.relative_step = bool(relative_step)

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self._r: list = []
        self._c: list = []
        self._v: list = []
        for var in variables:
            shape = tuple(var.shape)
            # Keras names r and c after the variable's own name (not its path)
            name = str(var.name).split("/")[-1].split(":")[0]
            if len(shape) >= 2:
                self._r.append(self.add_variable(shape[:-1], dtype=var.dtype, name=name))
                self._c.append(self.add_variable(shape[:-2] + shape[-1:], dtype=var.dtype,
                                                 name=name))
            else:
                # Keras creates (and tracks, so saves) two int32 zeros here that the rule
                # never reads; they keep the optimizer's variable list in Keras' order
                self._r.append(self.add_variable((), dtype="int32", name=name))
                self._c.append(self.add_variable((), dtype="int32", name=name))
            self._v.append(self.add_variable_from_reference(var, "velocity"))

    def update_step(self, gradient, variable, learning_rate) -> None:
        w = variable.value
        t = w.dtype.type
        i = self._index[id(variable)]
        lr = t(learning_rate)
        step = t(int(self.iterations.value) + 1)
        inv_sqrt_step = t(1) / np.sqrt(step)
        if type(self._learning_rate) is Variable and self.relative_step:
            lr = min(lr, inv_sqrt_step)
        rho = min(lr, inv_sqrt_step)
        alpha = max(t(self.epsilon_2), np.sqrt(np.mean(np.square(w)))) * rho
        g2 = np.square(gradient) + t(self.epsilon_1)
        beta = t(1) - np.power(step, t(self.beta_2_decay))
        one_beta = t(1) - beta
        v = self._v[i].value
        if w.ndim >= 2:
            r, c = self._r[i].value, self._c[i].value
            r[...] = beta * r + one_beta * np.mean(g2, axis=-1)
            c[...] = beta * c + one_beta * np.mean(g2, axis=-2)
            v[...] = (r / np.mean(r, axis=-1, keepdims=True))[..., None] * c[..., None, :]
        else:
            v[...] = beta * v + one_beta * g2
        u = gradient / np.sqrt(v)
        u /= max(t(1), np.sqrt(np.mean(np.square(u))) / t(self.clip_threshold))
        w -= alpha * u

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                    "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                    "relative_step": self.relative_step})
        return cfg
