"""Small callbacks: LearningRateScheduler, TerminateOnNaN, LambdaCallback."""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import numpy as np

from minikeras.callbacks.callback import Callback
from minikeras.utils.io_utils import print_msg


def learning_rate_value(optimizer: Any) -> float:
    """The optimizer's current learning rate as a Python float (a float32 rate reads as
    Keras reports it, e.g. 0.009999999776482582)."""
    lr = optimizer.learning_rate
    return float(np.asarray(getattr(lr, "value", lr)))


class LearningRateScheduler(Callback):
    """At the start of each epoch sets the learning rate to `schedule(epoch, lr)` (or
    `schedule(epoch)`, Keras 1/2 style), and at its end logs it as `learning_rate`.

    The schedule must return a float: a Python or NumPy float, or (as Keras 2 allowed) a
    scalar tensor such as `lr * keras.ops.exp(-0.1)`; an int is an error, as in Keras."""

    def __init__(self, schedule: Callable, verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: `schedule` must be a function, got "
                            f"{schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        opt = self.model.optimizer
        if not hasattr(opt, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:  # new API
            lr = learning_rate_value(opt)
            new_lr = self.schedule(epoch, lr)
        except TypeError:  # a schedule that takes only the epoch (Keras 1/2 style)
            new_lr = self.schedule(epoch)
        value = getattr(new_lr, "value", new_lr)  # a minikeras tensor
        if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind == "f":
            value = value[()]
        if not isinstance(value, (float, np.floating)):
            raise ValueError("The output of the `schedule` function should be a float. "
                             f"Got: {new_lr!r}")
        opt.learning_rate = float(value)
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{value}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = learning_rate_value(self.model.optimizer)


class TerminateOnNaN(Callback):
    """Stops training as soon as a batch loss is NaN or infinite: sets
    `model.stop_training` (the epoch ends, `on_epoch_end` and `on_train_end` run), or with
    `raise_error=True` raises a RuntimeError at once."""

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and (np.isnan(loss) or np.isinf(loss)):
            if self.raise_error:
                raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: "
                                   f"{loss}. Terminating training immediately.")
            print_msg(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from plain functions, e.g. `on_epoch_end=lambda epoch, logs: ...`.

    `on_epoch_begin/end(epoch, logs)`, `on_train_begin/end(logs)`,
    `on_train_batch_begin/end(batch, logs)`; any other hook by its name as a keyword
    (`on_test_end=...`, Keras 2's `on_batch_end=...`)."""

    def __init__(self, on_epoch_begin: Any = None, on_epoch_end: Any = None,
                 on_train_begin: Any = None, on_train_end: Any = None,
                 on_train_batch_begin: Any = None, on_train_batch_end: Any = None,
                 **kwargs: Any) -> None:
        super().__init__()
        known = {h for h in dir(Callback) if h.startswith("on_")}
        for k, v in kwargs.items():
            if k not in known:
                from minikeras.utils.naming import closest

                guess = closest(k, sorted(known))
                raise TypeError(f"LambdaCallback got an unexpected keyword argument {k!r}" +
                                (f". Did you mean {guess!r}?" if guess else ""))
            if v is not None and not callable(v):
                raise TypeError(f"LambdaCallback: {k} must be a function, got {v!r}")
        self.__dict__.update({k: v for k, v in kwargs.items() if v is not None})
        for name, fn in (("on_epoch_begin", on_epoch_begin), ("on_epoch_end", on_epoch_end),
                         ("on_train_begin", on_train_begin), ("on_train_end", on_train_end),
                         ("on_train_batch_begin", on_train_batch_begin),
                         ("on_train_batch_end", on_train_batch_end)):
            if fn is not None:
                if not callable(fn):
                    raise TypeError(f"LambdaCallback: {name} must be a function, got {fn!r}")
                setattr(self, name, fn)
