"""`ActivityRegularization`: the identity, adding an L1/L2 penalty on its input to the
loss (divided by the batch size, as Keras 3 does for every activity regularizer)."""

from __future__ import annotations

from typing import Any

from minikeras import regularizers
from minikeras.layers.layer import Layer


class ActivityRegularization(Layer):
    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        kwargs.pop("activity_regularizer", None)  # derived from l1 and l2
        reg = regularizers.L1L2(l1=l1, l2=l2)
        super().__init__(activity_regularizer=reg, **kwargs)
        self.supports_masking = True
        self.l1 = reg.l1
        self.l2 = reg.l2
        self.built = True

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.pop("activity_regularizer", None)
        cfg.update({"l1": self.l1, "l2": self.l2})
        return cfg
