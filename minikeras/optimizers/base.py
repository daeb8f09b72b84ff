"""The optimizer base class: everything that Keras 3 optimizers share.

One step of `apply(grads, variables)` follows Keras 3's order:
clip the gradients (clipnorm per variable, else global_clipnorm, else clipvalue) ->
decoupled weight decay (w -= w * weight_decay * lr) -> the optimizer's own
`update_step` -> constraints -> iterations += 1, with the exponential moving average of
the weights (`use_ema`) kept after the update.

Keras 2's `lr=` is accepted as `learning_rate=`, and Keras 2's `decay=d` scales the
learning rate by 1 / (1 + d * t), t being the number of updates done so far.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minikeras import config
from minikeras.autodiff.tensor import Tensor, Variable
from minikeras.optimizers import schedules as schedules_module
from minikeras.utils.naming import auto_name, closest, to_snake_case

_COMMON = ("learning_rate", "weight_decay", "clipnorm", "clipvalue", "global_clipnorm",
           "use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
           "gradient_accumulation_steps", "name", "lr", "decay")


class Optimizer:
    def __init__(self, learning_rate: Any = 0.001, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        if "lr" in kwargs:  # Keras 2 spelling
            learning_rate = kwargs.pop("lr")
        self.decay = float(kwargs.pop("decay", 0.0) or 0.0)
        for dropped in ("jit_compile", "is_legacy_optimizer", "mesh"):
            kwargs.pop(dropped, None)
        if kwargs:
            k = next(iter(kwargs))
            guess = closest(k, self._accepted())
            hint = f" Did you mean {guess!r}?" if guess else ""
            raise TypeError(f"{type(self).__name__} got an unexpected keyword argument "
                            f"{k!r}.{hint}")
        if self.decay < 0:
            raise ValueError(f"decay must be >= 0, got decay={self.decay}")
        given = [n for n, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                                ("global_clipnorm", global_clipnorm)) if v is not None]
        if len(given) > 1:
            raise ValueError(f"Only one of clipnorm, clipvalue and global_clipnorm can be set; "
                             f"got {', '.join(given)}")
        for n, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                     ("global_clipnorm", global_clipnorm), ("weight_decay", weight_decay)):
            if v is not None and (not isinstance(v, (int, float)) or v < 0):
                raise ValueError(f"{n} must be a non-negative number, got {n}={v!r}")
        if not 0 <= ema_momentum <= 1:
            raise ValueError(f"ema_momentum must be in [0, 1], got {ema_momentum}")
        if gradient_accumulation_steps:
            raise ValueError("gradient_accumulation_steps is not supported by minikeras")
        self.name = name or auto_name(to_snake_case(type(self).__name__))
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = bool(use_ema)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.iterations = Variable(np.array(0, dtype=np.int64), dtype=np.int64,
                                   name="iteration", trainable=False)
        self._set_learning_rate(learning_rate)
        self.built = False
        self._variables: list = []
        self._slots: dict = {}
        self._index: dict = {}
        self._ema: list = []
        self._exclude_ids: set = set()
        self._exclude_names: tuple = ()

    def _accepted(self) -> list:
        import inspect

        names = set(_COMMON)
        names |= set(inspect.signature(type(self).__init__).parameters) - {"self", "kwargs"}
        return sorted(names)

    # --- learning rate ----------------------------------------------------------------
    def _set_learning_rate(self, value: Any) -> None:
        if isinstance(value, schedules_module.LearningRateSchedule):
            self._learning_rate = value
        elif callable(value) and not isinstance(value, (Tensor, np.ndarray)):
            self._learning_rate = value
        else:
            value = float(value.value if isinstance(value, Tensor) else value)
            if value < 0 or value != value:
                raise ValueError(f"learning_rate must be a non-negative number, "
                                 f"got learning_rate={value}")
            current = getattr(self, "_learning_rate", None)
            if isinstance(current, Variable):
                current.assign(np.asarray(value, dtype=current.dtype))
            else:
                self._learning_rate = Variable(np.asarray(value, dtype=config.floatx()),
                                               name="learning_rate", trainable=False)

    @property
    def learning_rate(self) -> Any:
        """A variable holding the rate (settable), or the current value of a schedule."""
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        return Tensor(np.asarray(self._current_learning_rate(), dtype=config.floatx()))

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if isinstance(self._learning_rate, schedules_module.LearningRateSchedule) and \
                not isinstance(value, schedules_module.LearningRateSchedule):
            raise TypeError("This optimizer was created with a LearningRateSchedule, so its "
                            "learning rate cannot be set to a number.")
        self._set_learning_rate(value)

    lr = learning_rate  # Keras 2 name

    def _current_learning_rate(self) -> np.ndarray:
        lr = self._learning_rate
        if not self.decay and type(lr) is Variable:
            return lr.value
        t = int(self.iterations.value)
        if isinstance(lr, Variable):
            value = lr.value
        elif isinstance(lr, schedules_module.LearningRateSchedule):
            value = np.asarray(lr(t).value if isinstance(lr(t), Tensor) else lr(t),
                               dtype=config.floatx())
        else:
            value = lr()
            value = np.asarray(value.value if isinstance(value, Tensor) else value,
                               dtype=config.floatx())
        if self.decay:
            value = np.asarray(value * (1.0 / (1.0 + self.decay * t)), dtype=value.dtype)
        return np.asarray(value)

    # --- state ------------------------------------------------------------------------
    def build(self, variables: list) -> None:
        """Create the slots (moments, velocities, ...) of every variable."""
        self._trainable_variables = list(variables)
        self._index = {id(v): i for i, v in enumerate(variables)}
        self._variables = [self.iterations]
        if isinstance(self._learning_rate, Variable):
            self._variables.append(self._learning_rate)
        if self.use_ema:
            self._ema = [self.add_variable_from_reference(v, "average") for v in variables]
        self.built = True

    def add_variable_from_reference(self, reference: Variable, name: str,
                                    initializer: str = "zeros") -> Variable:
        value = np.zeros(reference.shape, dtype=reference.dtype) if initializer == "zeros" \
            else np.ones(reference.shape, dtype=reference.dtype)
        path = getattr(reference, "path", reference.name).replace("/", "_")
        var = Variable(value, dtype=reference.dtype, name=f"{path}_{name}", trainable=False)
        var.path = f"{self.name}/{var.name}"
        self._variables.append(var)
        return var

    def add_variable(self, shape: Any, initializer: str = "zeros", dtype: Any = None,
                     name: str | None = None) -> Variable:
        value = np.zeros(shape, dtype=dtype or config.floatx())
        if initializer == "ones":
            value += 1
        var = Variable(value, dtype=value.dtype, name=name or "variable", trainable=False)
        self._variables.append(var)
        return var

    @property
    def variables(self) -> list:
        return list(self._variables) if self.built else [self.iterations] + (
            [self._learning_rate] if isinstance(self._learning_rate, Variable) else [])

    def get_weights(self) -> list:
        return [np.array(v.value) for v in self.variables]

    def set_weights(self, weights: list) -> None:
        own = self.variables
        if len(weights) != len(own):
            raise ValueError(f"Optimizer {self.name!r} has {len(own)} variables, but "
                             f"set_weights received {len(weights)} arrays")
        for v, w in zip(own, weights):
            w = np.asarray(w)
            if w.shape != v.shape:
                raise ValueError(f"Optimizer variable {v.name!r} has shape {v.shape}, "
                                 f"got an array of shape {w.shape}")
        for v, w in zip(own, weights):
            v.assign(np.asarray(w).astype(v.dtype))

    def exclude_from_weight_decay(self, var_list: Any = None, var_names: Any = None) -> None:
        if self.built:
            raise ValueError("exclude_from_weight_decay() must be called before the optimizer "
                             "is built")
        self._exclude_ids = {id(v) for v in (var_list or [])}
        self._exclude_names = tuple(var_names or ())

    def _use_weight_decay(self, var: Variable) -> bool:
        if id(var) in self._exclude_ids:
            return False
        return not any(n in var.name for n in self._exclude_names)

    # --- the step ---------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars: Any) -> None:
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def apply(self, grads: list, variables: list | None = None) -> None:
        if variables is None:
            if not self.built:
                raise ValueError("apply(grads) without variables needs a built optimizer: "
                                 "call optimizer.build(variables) first")
            variables = self._trainable_variables
        variables = list(variables)
        if len(grads) != len(variables):
            raise ValueError(f"apply: got {len(grads)} gradients for {len(variables)} variables")
        if not self.built:
            self.build(variables)
        else:
            for v in variables:
                if id(v) not in self._index:
                    raise ValueError(f"Unknown variable {getattr(v, 'path', v)!r}: this "
                                     "optimizer was built for other variables")
        pairs = [(g if type(g) is np.ndarray and g.dtype == v.dtype else
                  np.asarray(g.value if isinstance(g, Tensor) else g, dtype=v.dtype), v)
                 for g, v in zip(grads, variables) if g is not None]
        if pairs:
            if self.loss_scale_factor:
                pairs = [(g / self.loss_scale_factor, v) for g, v in pairs]
            if self.clipnorm or self.global_clipnorm or self.clipvalue:
                pairs = list(zip(self._clip([g for g, _ in pairs]), [v for _, v in pairs]))
            lr = self._current_learning_rate()
            if self.weight_decay:
                for _, v in pairs:
                    if self._use_weight_decay(v):
                        v.value -= v.value * (self.weight_decay * lr).astype(v.dtype)
            for g, v in pairs:
                self.update_step(g, v, lr if lr.dtype == v.dtype else lr.astype(v.dtype))
                if v.constraint is not None:
                    v.value[...] = np.asarray(v.constraint(v.value))
            if self.use_ema:
                self._update_ema()
        self.iterations.value += 1

    def _clip(self, grads: list) -> list:
        if self.clipnorm:
            out = []
            for g in grads:
                norm = math.sqrt(float(np.sum(np.square(g, dtype=np.float64))))
                out.append(g * (self.clipnorm / norm) if norm > self.clipnorm else g)
            return out
        if self.global_clipnorm:
            total = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads))
            if total > self.global_clipnorm:
                scale = self.global_clipnorm / total
                return [g * g.dtype.type(scale) for g in grads]
            return grads
        if self.clipvalue:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def _update_ema(self) -> None:
        first = int(self.iterations.value) == 0
        m = 0.0 if first else self.ema_momentum
        for var, avg in zip(self._trainable_variables, self._ema):
            avg.value[...] = m * avg.value + (1 - m) * var.value
        freq = self.ema_overwrite_frequency
        if freq and (int(self.iterations.value) + 1) % freq == 0:
            for var, avg in zip(self._trainable_variables, self._ema):
                var.value[...] = avg.value

    def finalize_variable_values(self, variables: list) -> None:
        """At the end of `fit`: with EMA, the model keeps the averaged weights (Keras 3)."""
        if self.use_ema and self.built:
            for var, avg in zip(self._trainable_variables, self._ema):
                var.value[...] = avg.value

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: Any) -> None:
        raise NotImplementedError

    # --- config -----------------------------------------------------------------------
    def get_config(self) -> dict:
        lr = self._learning_rate
        if isinstance(lr, schedules_module.LearningRateSchedule):
            from minikeras.saving.serialization import serialize_keras_object

            lr_cfg: Any = serialize_keras_object(lr)
        elif isinstance(lr, Variable):
            lr_cfg = float(lr.value)
        else:
            lr_cfg = float(self._current_learning_rate())
        cfg = {"name": self.name, "learning_rate": lr_cfg, "weight_decay": self.weight_decay,
               "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
               "clipvalue": self.clipvalue, "use_ema": self.use_ema,
               "ema_momentum": self.ema_momentum,
               "ema_overwrite_frequency": self.ema_overwrite_frequency,
               "loss_scale_factor": self.loss_scale_factor,
               "gradient_accumulation_steps": self.gradient_accumulation_steps}
        if self.decay:
            cfg["decay"] = self.decay
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Optimizer":
        config = dict(config)
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            config["learning_rate"] = schedules_module.deserialize(lr, custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"
