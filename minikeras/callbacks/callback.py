"""`Callback`, `CallbackList`, and the callbacks that every `fit` has: History and the
progress bar.

Keras 3's conventions, which user callbacks rely on:

- every hook receives a `logs` dict (never None); `CallbackList` passes each hook a fresh
  dict whose keys are sorted and whose values are Python floats where they convert, so
  `history.history` lists its keys in sorted order (`accuracy`, `loss`, `val_accuracy`, ...);
- a callback that adds a key to the epoch logs (`learning_rate`) is seen by the callbacks
  after it in the same call: `History` and the progress bar come last;
- `Callback.on_train_batch_begin/end` call the Keras 2 names `on_batch_begin/end`, so a
  Keras 2 callback that overrides only `on_batch_end` still runs, and one that overrides
  `on_train_batch_end` is not also called through `on_batch_end`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from minikeras.utils.io_utils import print_msg


class Callback:
    """Base class: override any `on_*` hook. `self.model` is set by `fit`/`evaluate`/
    `predict`; `self.params` holds `epochs`, `steps` and `verbose`."""

    def __init__(self) -> None:
        self.params: dict = {}
        self._model = None

    def set_params(self, params: dict) -> None:
        self.params = params

    def set_model(self, model: Any) -> None:
        self._model = model

    @property
    def model(self) -> Any:
        return self._model

    @model.setter
    def model(self, value: Any) -> None:
        self._model = value

    # Keras 2 names of the training-batch hooks; the Keras 3 hooks call them by default
    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...
    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...


def _overrides(cb: Any, hook: str) -> bool:
    """Whether `cb` does something in `hook`: a method overridden in its class, or a
    function set on the instance (as `LambdaCallback` does)."""
    if hook in getattr(cb, "__dict__", {}):
        return callable(cb.__dict__[hook])
    method = getattr(type(cb), hook, None)
    return method is not None and method is not getattr(Callback, hook)


# For each batch hook, the hooks whose override means the callback must be called.
_BATCH_HOOKS = {
    "on_train_batch_begin": ("on_train_batch_begin", "on_batch_begin"),
    "on_train_batch_end": ("on_train_batch_end", "on_batch_end"),
    "on_test_batch_begin": ("on_test_batch_begin",),
    "on_test_batch_end": ("on_test_batch_end",),
    "on_predict_batch_begin": ("on_predict_batch_begin",),
    "on_predict_batch_end": ("on_predict_batch_end",),
}


def _to_python(value: Any) -> Any:
    if hasattr(value, "value") and not isinstance(value, np.ndarray):  # a Tensor
        value = value.value
    if isinstance(value, (float, int, np.floating, np.integer, np.bool_)):
        return float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return float(value)
    return value


def pythonify_logs(logs: Any) -> dict:
    """A new dict: keys sorted, nested dicts flattened, numbers as Python floats
    (Keras 3's `pythonify_logs`)."""
    result: dict = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            result.update(pythonify_logs(value))
        else:
            result[key] = _to_python(value)
    return result


def _flatten(callbacks: Any) -> list:
    if callbacks is None:
        return []
    if isinstance(callbacks, (list, tuple)):
        out: list = []
        for c in callbacks:
            out.extend(_flatten(c))
        return out
    return [callbacks]


class CallbackList(Callback):
    """Calls every hook of its callbacks, in list order, as Keras 3's `CallbackList`:
    the user's callbacks, then `History`, then `ProgbarLogger` (each added only when
    asked for and not already present). Batch hooks are skipped for callbacks that do not
    override them, which keeps the training step cheap."""

    def __init__(self, callbacks: Any = None, add_history: bool = False,
                 add_progbar: bool = False, model: Any = None, **params: Any) -> None:
        super().__init__()
        self.callbacks = _flatten(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be keras.callbacks.Callback instances, got "
                                f"{cb!r} of type {type(cb).__name__}")
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)),
                             None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self.set_model(model)
        self.set_params(params)
        self._refresh()

    @property
    def history(self) -> Any:
        return self._history

    def _refresh(self) -> None:
        self._batch = {hook: [cb for cb in self.callbacks
                              if any(_overrides(cb, h) for h in names)]
                       for hook, names in _BATCH_HOOKS.items()}

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)
        self._refresh()

    def set_params(self, params: dict) -> None:
        self.params = params
        if params:
            for cb in self.callbacks:
                cb.set_params(params)

    def set_model(self, model: Any) -> None:
        if model is None:
            return
        self._model = model
        if self._history is not None:
            model.history = self._history
        for cb in self.callbacks:
            cb.set_model(model)

    def has_batch_hooks(self, mode: str) -> bool:
        """Whether any callback acts on `on_{mode}_batch_begin/end`; when not, the loop
        may skip computing the batch logs."""
        self._refresh()
        return bool(self._batch[f"on_{mode}_batch_begin"] or self._batch[f"on_{mode}_batch_end"])

    # --- begin / end ------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._refresh()
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            cb.on_train_begin(logs)

    def on_train_end(self, logs=None):
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            cb.on_train_end(logs)

    def on_test_begin(self, logs=None):
        self._refresh()
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            cb.on_test_begin(logs)

    def on_test_end(self, logs=None):
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            cb.on_test_end(logs)

    def on_predict_begin(self, logs=None):
        self._refresh()
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            cb.on_predict_begin(logs)

    def on_predict_end(self, logs=None):
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            cb.on_predict_end(logs)

    def on_epoch_begin(self, epoch, logs=None):
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)

    # --- batches ----------------------------------------------------------------------
    def on_batch_begin(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            cb.on_batch_begin(batch, logs=logs)

    def on_batch_end(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            cb.on_batch_end(batch, logs=logs)

    def on_train_batch_begin(self, batch, logs=None):
        targets = self._batch["on_train_batch_begin"]
        if targets:
            logs = pythonify_logs(logs)
            for cb in targets:
                cb.on_train_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        targets = self._batch["on_train_batch_end"]
        if targets:
            logs = pythonify_logs(logs)
            for cb in targets:
                cb.on_train_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        targets = self._batch["on_test_batch_begin"]
        if targets:
            logs = pythonify_logs(logs)
            for cb in targets:
                cb.on_test_batch_begin(batch, logs=logs)

    def on_test_batch_end(self, batch, logs=None):
        targets = self._batch["on_test_batch_end"]
        if targets:
            logs = pythonify_logs(logs)
            for cb in targets:
                cb.on_test_batch_end(batch, logs=logs)

    def on_predict_batch_begin(self, batch, logs=None):
        targets = self._batch["on_predict_batch_begin"]
        if targets:
            logs = pythonify_logs(logs)
            for cb in targets:
                cb.on_predict_batch_begin(batch, logs=logs)

    def on_predict_batch_end(self, batch, logs=None):
        targets = self._batch["on_predict_batch_end"]
        if targets:
            logs = pythonify_logs(logs)
            for cb in targets:
                cb.on_predict_batch_end(batch, logs=logs)


class History(Callback):
    """Records the epoch logs: `history.history['loss']` is one value per epoch;
    `history.epoch` the epoch indices of the last `fit`. `fit` returns it."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict = {}
        self.epoch: list = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints Keras-style progress: a bar per epoch (verbose=1) or one line per epoch
    (verbose=2); `Epoch i/N` above it when there is more than one epoch. During `fit`,
    validation draws no bar of its own; its results appear on the epoch's line."""

    def __init__(self, count_mode: str | None = None) -> None:
        super().__init__()
        if count_mode not in (None, "steps"):
            raise ValueError(f"ProgbarLogger: count_mode={count_mode!r} is not supported; "
                             "minikeras counts steps, as Keras 3 does (count_mode='steps')")
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else int(verbose or 0)
        self.epochs = params.get("epochs") or 1
        self.target = params.get("steps")

    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _reset_progbar(self) -> None:
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self) -> None:
        from minikeras.utils.progbar import Progbar

        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step")

    def _update_progbar(self, batch, logs=None) -> None:
        self._maybe_init_progbar()
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, dict(logs or {}), finalize=False)

    def _finalize_progbar(self, logs) -> None:
        self._maybe_init_progbar()
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, dict(logs or {}), finalize=True)


def scalar(value: Any) -> float:
    return float(np.asarray(value.value if hasattr(value, "value") else value))
