"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.optimizers.base import Optimizer, check_number


class SGD(Optimizer):
    """Keras 3's rule: without momentum `w -= lr * g`; with momentum `m = momentum * m -
    lr * g`, then `w += m` (or, Nesterov, `w += momentum * m - lr * g`)."""

    _numpy_update_step = True

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum = check_number("SGD", "momentum", momentum, 0, 1)
        self.nesterov = bool(nesterov)
        self._plain_work: tuple | None = None  # (variable list, its work arrays)

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums = self.add_optimizer_variables(variables, "momentum") \
            if self.momentum != 0 else []

    def _step_coefficients(self, t, learning_rate) -> tuple:
        return (t(self.momentum),)

    def update_step(self, gradient, variable, learning_rate) -> None:
        w = variable.value
        i = self._index[id(variable)]
        tmp = self._scratch[i]
        if tmp is None:
            tmp = self._scratch_for(i, w)
        self.apply_rule(w, gradient, self.momentums[i].value if self.momentum else None, tmp,
                        learning_rate)

    def apply_rule(self, w: np.ndarray, gradient: np.ndarray, m: np.ndarray | None,
                   tmp: np.ndarray, learning_rate: np.ndarray) -> None:
        """The rule on arrays, in place (`m`: the momentum, None without; `tmp`: work
        space). The replayed training step applies it to all weights at once."""
        np.multiply(gradient, learning_rate, tmp)  # lr * g
        if m is None:
            w -= tmp
            return
        (mom,) = self._coefficients(w.dtype, learning_rate)
        m *= mom
        m -= tmp
        if self.nesterov:
            w -= tmp
            np.multiply(m, mom, tmp)
            w += tmp
        else:
            w += m

    def _update_plain(self, grads: list, variables: list, learning_rate: np.ndarray) -> None:
        if self.momentum:
            return super()._update_plain(grads, variables, learning_rate)
        # update_step without momentum, with the work arrays found once per variable list
        work = self._plain_work
        if work is None or work[0] is not variables:
            work = self._plain_work = (variables, [
                self._scratch_for(self._index[id(v)], v.value) for v in variables])
        for g, v, tmp in zip(grads, variables, work[1]):
            w = v.value
            np.multiply(g, learning_rate, tmp)  # lr * g
            w -= tmp

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return cfg
