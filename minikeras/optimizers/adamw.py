"""AdamW: Adam with decoupled weight decay (on by default)."""

from __future__ import annotations

from typing import Any

from minikeras.optimizers.adam import Adam


class AdamW(Adam):
    """Adam whose `weight_decay` (default 0.004) is required: before each update
    `w -= w * weight_decay * lr`, then Adam's rule."""

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, name: str | None = None, **kwargs: Any) -> None:
        if weight_decay is None:
            raise ValueError("AdamW: `weight_decay` must be a float. Received: "
                             "weight_decay=None")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, name=name,
                         weight_decay=weight_decay, **kwargs)
