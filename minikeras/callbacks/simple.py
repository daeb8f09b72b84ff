"""Small callbacks: LearningRateScheduler, TerminateOnNaN, LambdaCallback."""

from __future__ import annotations

import math
from typing import Any
from collections.abc import Callable

import numpy as np

from minikeras.callbacks.callback import Callback


class LearningRateScheduler(Callback):
    """At the start of each epoch sets the learning rate to `schedule(epoch, lr)` (or
    `schedule(epoch)`), and logs it as `learning_rate`."""

    def __init__(self, schedule: Callable, verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        opt = self.model.optimizer
        if not hasattr(opt, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        lr = float(np.asarray(opt.learning_rate))
        try:
            new_lr = self.schedule(epoch, lr)
        except TypeError:  # a schedule that takes only the epoch (Keras 1/2 style)
            new_lr = self.schedule(epoch)
        new_lr = float(np.asarray(getattr(new_lr, "value", new_lr)))
        if not isinstance(new_lr, float) or math.isnan(new_lr):
            raise ValueError(f"The output of the schedule should be a float, got {new_lr!r}")
        opt.learning_rate = new_lr
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{new_lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(np.asarray(self.model.optimizer.learning_rate))


class TerminateOnNaN(Callback):
    """Stops training as soon as a batch loss is NaN or infinite."""

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            if self.raise_error:
                raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}")
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from plain functions: `on_epoch_end=lambda epoch, logs: ...`, etc."""

    def __init__(self, on_epoch_begin: Any = None, on_epoch_end: Any = None,
                 on_train_begin: Any = None, on_train_end: Any = None,
                 on_train_batch_begin: Any = None, on_train_batch_end: Any = None,
                 **kwargs: Any) -> None:
        super().__init__()
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end,
                 "on_train_batch_begin": on_train_batch_begin,
                 "on_train_batch_end": on_train_batch_end}
        if "on_batch_begin" in kwargs:
            hooks["on_train_batch_begin"] = kwargs.pop("on_batch_begin")
        if "on_batch_end" in kwargs:
            hooks["on_train_batch_end"] = kwargs.pop("on_batch_end")
        for k, v in kwargs.items():
            if not k.startswith("on_"):
                raise TypeError(f"LambdaCallback: unexpected argument {k!r}")
            hooks[k] = v
        # a LambdaCallback overrides exactly the hooks it was given
        self.__class__ = type("LambdaCallback", (LambdaCallback,),
                              {k: staticmethod(v) for k, v in hooks.items() if v is not None})
