"""ReduceLROnPlateau: lower the learning rate when a monitored quantity stops improving."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from minikeras.callbacks.monitor import MonitorCallback
from minikeras.callbacks.simple import learning_rate_value
from minikeras.utils.io_utils import print_msg


class ReduceLROnPlateau(MonitorCallback):
    """Keras 3 semantics. At each epoch end the current learning rate is logged as
    `learning_rate` (the rate used during that epoch). After `patience` epochs without an
    improvement larger than `min_delta`, the rate becomes `max(lr * factor, min_lr)`
    (unless it is already at `min_lr`), then `cooldown` epochs pass before the wait counts
    again. State resets at each `fit`. Keras 2's `epsilon=` means `min_delta=`."""

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0, **kwargs: Any) -> None:
        if "epsilon" in kwargs:  # Keras 2.0 name of min_delta
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            k = next(iter(kwargs))
            raise TypeError(f"ReduceLROnPlateau got an unexpected keyword argument {k!r}")
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError("ReduceLROnPlateau does not support a factor >= 1.0. "
                             f"Received factor={factor}")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _reduce_lr(self, epoch: int) -> bool:
        optimizer = self.model.optimizer
        old_lr = learning_rate_value(optimizer)
        if old_lr > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            optimizer.learning_rate = new_lr
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                      f"{new_lr}.")
            return True
        return False

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if logs is None:
            logs = {}
        logs["learning_rate"] = learning_rate_value(self.model.optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn("Learning rate reduction is conditioned on metric "
                          f"`{self.monitor}` which is not available. Available metrics are: "
                          f"{','.join(logs)}.", stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce_lr(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0
