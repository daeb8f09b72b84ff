"""`Callback`, `CallbackList`, and the callbacks that every `fit` has: History and the
progress bar."""

from __future__ import annotations

from typing import Any

import numpy as np


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

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_train_batch_begin(self, batch, logs=None): ...
    def on_train_batch_end(self, batch, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...

    # Keras 2 names of the training-batch hooks
    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...


_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
          "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
          "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
          "on_predict_batch_begin", "on_predict_batch_end")


def _overrides(cb: Callback, hook: str) -> bool:
    method = getattr(type(cb), hook, None)
    return method is not None and method is not getattr(Callback, hook)


class CallbackList(Callback):
    """Calls every hook of its callbacks, in order. Batch hooks are skipped entirely when no
    callback overrides them, which keeps the training step cheap."""

    def __init__(self, callbacks: Any = None, add_history: bool = False,
                 add_progbar: bool = False, model: Any = None, **params: Any) -> None:
        super().__init__()
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be Callback instances, got {cb!r}")
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.insert(0, ProgbarLogger())
        self.history = None
        if add_history:
            existing = [c for c in self.callbacks if isinstance(c, History)]
            if existing:
                self.history = existing[0]
            else:
                self.history = History()
                self.callbacks.append(self.history)
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)
        self._refresh()

    def _refresh(self) -> None:
        self._active = {h: [cb for cb in self.callbacks if _overrides(cb, h)] for h in _HOOKS}
        legacy_begin = [cb for cb in self.callbacks if _overrides(cb, "on_batch_begin")]
        legacy_end = [cb for cb in self.callbacks if _overrides(cb, "on_batch_end")]
        self._legacy = (legacy_begin, legacy_end)

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)
        self._refresh()

    def set_params(self, params: dict) -> None:
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)

    def set_model(self, model: Any) -> None:
        self._model = model
        for cb in self.callbacks:
            cb.set_model(model)

    def has_batch_hooks(self, mode: str) -> bool:
        hooks = (f"on_{mode}_batch_begin", f"on_{mode}_batch_end")
        return any(self._active[h] for h in hooks) or (
            mode == "train" and any(self._legacy))

    def _call(self, hook: str, *args: Any) -> None:
        for cb in self._active[hook]:
            getattr(cb, hook)(*args)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs)
    def on_test_begin(self, logs=None): self._call("on_test_begin", logs)
    def on_test_end(self, logs=None): self._call("on_test_end", logs)
    def on_predict_begin(self, logs=None): self._call("on_predict_begin", logs)
    def on_predict_end(self, logs=None): self._call("on_predict_end", logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs)
        for cb in self._legacy[0]:
            cb.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs)
        for cb in self._legacy[1]:
            cb.on_batch_end(batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call("on_predict_batch_end", batch, logs)


class History(Callback):
    """Records the epoch logs: `history.history['loss']` is one value per epoch."""

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
    """Prints Keras-style progress: a bar per epoch (verbose=1) or one line (verbose=2)."""

    def __init__(self, count_mode: str | None = None) -> None:
        super().__init__()
        self._bar = None
        self._test_bar = None
        self._pred_bar = None
        self._in_fit = False
        self.epochs = 1

    def _verbose(self) -> int:
        return int(self.params.get("verbose", 1) or 0)

    def on_train_begin(self, logs=None):
        self.epochs = self.params.get("epochs", 1)
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        from minikeras.utils.progbar import Progbar

        if self._verbose():
            if self.epochs > 1 or self._verbose() == 1:
                print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)
            self._bar = Progbar(self.params.get("steps"), verbose=self._verbose())

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is not None and self._verbose() == 1:
            self._bar.update(batch + 1, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.update(self.params.get("steps") or 0, logs, finalize=True)
            self._bar = None

    def on_test_begin(self, logs=None):
        from minikeras.utils.progbar import Progbar

        if self._verbose() and not self._in_fit:
            self._test_bar = Progbar(self.params.get("steps"), verbose=self._verbose())
        else:
            self._test_bar = None

    def on_test_batch_end(self, batch, logs=None):
        if self._test_bar is not None and self._verbose() == 1:
            self._test_bar.update(batch + 1, logs)

    def on_test_end(self, logs=None):
        if self._test_bar is not None:
            self._test_bar.update(self.params.get("steps") or 0, logs, finalize=True)
            self._test_bar = None

    def on_predict_begin(self, logs=None):
        from minikeras.utils.progbar import Progbar

        self._pred_bar = Progbar(self.params.get("steps"), verbose=self._verbose()) \
            if self._verbose() else None

    def on_predict_batch_end(self, batch, logs=None):
        if self._pred_bar is not None and self._verbose() == 1:
            self._pred_bar.update(batch + 1)

    def on_predict_end(self, logs=None):
        if self._pred_bar is not None:
            self._pred_bar.update(self.params.get("steps") or 0, None, finalize=True)


def scalar(value: Any) -> float:
    return float(np.asarray(value.value if hasattr(value, "value") else value))
