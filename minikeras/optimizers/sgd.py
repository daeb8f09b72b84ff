"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

from typing import Any

from minikeras.optimizers.base import Optimizer


class SGD(Optimizer):
    """w -= lr * g; with momentum m: v = m*v - lr*g, then w += v (or, Nesterov,
    w += m*v - lr*g). Keras 3 rule, step for step."""

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"SGD: `momentum` must be a float in [0, 1], got {momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def build(self, variables: list) -> None:
        super().build(variables)
        self.momentums = [self.add_variable_from_reference(v, "momentum")
                          for v in variables] if self.momentum else []

    def update_step(self, gradient, variable, learning_rate) -> None:
        if not self.momentum:
            variable.value -= learning_rate * gradient
            return
        m = self.momentums[self._index[id(variable)]].value
        m *= self.momentum
        m -= learning_rate * gradient
        if self.nesterov:
            variable.value += self.momentum * m - learning_rate * gradient
        else:
            variable.value += m

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return cfg
