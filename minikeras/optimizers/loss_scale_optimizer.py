"""LossScaleOptimizer: dynamic loss scaling around another optimizer (Keras 3's rule).

Training multiplies the loss by `dynamic_scale` before backpropagation (`scale_loss`), and
`apply` divides the gradients by it again. When every gradient is finite the inner optimizer
steps, and after `dynamic_growth_steps` such steps in a row the scale doubles; a step with
an inf/NaN gradient is skipped and halves the scale. minikeras computes in float32 or
float64, where this changes no value (loss * 2**k and gradient / 2**k are exact); it is
there so that Keras code using it runs unchanged and saves the same state."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor
from minikeras.optimizers.base import Optimizer, check_number

_BASE_DEFAULTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                  "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                  "ema_overwrite_frequency": None, "loss_scale_factor": None,
                  "gradient_accumulation_steps": None}


class LossScaleOptimizer(Optimizer):
    """`LossScaleOptimizer(inner_optimizer, initial_scale=2**15, dynamic_growth_steps=2000)`.

    `variables` are Keras': its own iteration and learning rate (unused), `step_counter`,
    `dynamic_scale`, then the inner optimizer's; `iterations` and `learning_rate` are the
    inner optimizer's."""

    def __init__(self, inner_optimizer: Optimizer, initial_scale: float = 2.0 ** 15,
                 dynamic_growth_steps: int = 2000, name: str | None = None,
                 **kwargs: Any) -> None:
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer no longer supports `dynamic=False`. Instead, "
                             "simply set `loss_scale_factor` directly on the "
                             "`inner_optimizer`.")
        for arg, default in _BASE_DEFAULTS.items():
            if arg in kwargs and kwargs.pop(arg) != default:
                raise ValueError(f"LossScaleOptimizer does not support `{arg}`. Instead, set "
                                 f"`{arg}` on the `inner_optimizer`.")
        if kwargs:
            raise ValueError("LossScaleOptimizer does not support arguments: "
                             f"`{'`, `'.join(kwargs)}`.")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError("LossScaleOptimizer: `inner_optimizer` must be an optimizer "
                            f"instance, got {inner_optimizer!r}")
        check_number("LossScaleOptimizer", "initial_scale", initial_scale, 0, low_open=True)
        if not isinstance(dynamic_growth_steps, (int, np.integer)) or \
                isinstance(dynamic_growth_steps, bool) or dynamic_growth_steps < 1:
            raise ValueError("LossScaleOptimizer: `dynamic_growth_steps` must be an integer "
                             f">= 1. Received: dynamic_growth_steps={dynamic_growth_steps!r}")
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        inner_optimizer.loss_scale_factor = None

    # `iterations` and `learning_rate` are the inner optimizer's (the base class's own
    # iteration variable is kept for the variable list, as in Keras, and never counts)
    @property
    def iterations(self) -> Any:  # type: ignore[override]
        inner = self.__dict__.get("inner_optimizer")
        return inner.iterations if inner is not None else self._iterations

    @property
    def _iteration_variable(self) -> Any:  # type: ignore[override]
        return self.inner_optimizer._iteration_variable

    @property
    def learning_rate(self) -> Any:  # type: ignore[override]
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self.inner_optimizer.learning_rate = value

    @property
    def _scales_loss(self) -> bool:
        return True

    def build(self, variables: list) -> None:
        if self.built:
            return
        self.step_counter = self.add_variable((), dtype="int32", name="step_counter")
        self.dynamic_scale = self.add_variable((), initializer=self.initial_scale,
                                               dtype="float32", name="dynamic_scale")
        self.inner_optimizer.build(variables)
        super().build(variables)

    @property
    def variables(self) -> list:
        own = [self._iterations, self._learning_rate]
        return own + list(self._slot_variables) + list(self.inner_optimizer.variables)

    def scale_loss(self, loss: Any) -> Any:
        scale = float(self.dynamic_scale.value) if self.built else self.initial_scale
        return P.multiply(loss, scale) if isinstance(loss, Tensor) else loss * scale

    def apply(self, grads: Any, trainable_variables: Any = None) -> None:
        grads = list(grads)
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer "
                                 "must already be built on a list of variables. Call "
                                 "`optimizer.build(trainable_variables)` first.")
            trainable_variables = self._trainable_variables
        if not self.built:
            self.build(list(trainable_variables))
        arrays = [None if g is None else
                  np.asarray(g.value if isinstance(g, Tensor) else g) for g in grads]
        finite = all(bool(np.isfinite(g).all()) for g in arrays if g is not None)
        counter, scale = self.step_counter.value, self.dynamic_scale.value
        if not finite:  # skip the step, halve the scale
            counter[()] = 0
            scale[()] = scale * np.float32(0.5)
            return
        unscaled = [None if g is None else g / g.dtype.type(scale) if g.dtype.kind == "f"
                    else g for g in arrays]
        self.inner_optimizer.apply(unscaled, trainable_variables)
        if int(counter) == self.dynamic_growth_steps - 1:
            counter[()] = 0
            scale[()] = scale * np.float32(2.0)
        else:
            counter[()] = int(counter) + 1

    def finalize_variable_values(self, var_list: list) -> None:
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self) -> dict:
        from minikeras.optimizers import serialize

        return {"name": self.name, "inner_optimizer": serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Optimizer":
        from minikeras.optimizers import deserialize

        config = dict(config)
        inner = deserialize(config.pop("inner_optimizer"), custom_objects=custom_objects)
        return cls(inner, **config)
