"""ModelCheckpoint: save the model or its weights during training."""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

from minikeras.callbacks.monitor import MonitorCallback
from minikeras.utils.io_utils import print_msg

_MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
_WEIGHTS_SUFFIXES = (".weights.h5", ".h5", ".hdf5")


class ModelCheckpoint(MonitorCallback):
    """Keras 3 semantics: saves with `model.save(filepath)` (or `model.save_weights` with
    `save_weights_only=True`) at the end of every epoch (`save_freq='epoch'`) or every
    `save_freq` training batches, counted across epochs.

    `filepath` may hold `str.format` fields filled from `epoch` (1-based), `batch`
    (1-based, batch-level saving only) and the logs: `'ckpt-{epoch:02d}-{val_loss:.2f}.h5'`.
    With `save_best_only`, a file is written only when `monitor` improves on the best value
    seen so far (starting from `initial_value_threshold`); the best value is kept across
    `fit` calls.

    Keras 2 spellings accepted: weights files ending in `.h5`/`.hdf5` (Keras 2 layout) and
    `period=N` (save every N epochs)."""

    def __init__(self, filepath: Any, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", save_freq: Any = "epoch",
                 initial_value_threshold: float | None = None, **kwargs: Any) -> None:
        period = kwargs.pop("period", None)
        if kwargs:
            k = next(iter(kwargs))
            raise TypeError(f"ModelCheckpoint got an unexpected keyword argument {k!r}")
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        if save_freq != "epoch":
            # a batch hook only when saving by batches, so that the default
            # (save_freq='epoch') does not make the loop compute logs every batch
            self.on_train_batch_end = self._on_train_batch_end
        if save_freq != "epoch" and (not isinstance(save_freq, (int, np.integer)) or
                                     isinstance(save_freq, bool) or save_freq < 1):
            raise ValueError(f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are "
                             "'epoch' or a positive integer (a number of batches)")
        if period is not None:
            if save_freq != "epoch":
                raise ValueError("ModelCheckpoint: pass either `period` (Keras 2) or an integer "
                                 "`save_freq`, not both")
            if not isinstance(period, (int, np.integer)) or period < 1:
                raise ValueError(f"ModelCheckpoint: period must be a positive integer, got "
                                 f"period={period!r}")
        self.period = int(period) if period is not None else 1
        self.epochs_since_last_save = 0
        if save_weights_only:
            if not self.filepath.endswith(_WEIGHTS_SUFFIXES):
                raise ValueError("When using `save_weights_only=True` in `ModelCheckpoint`, the "
                                 "filepath provided must end in `.weights.h5` (Keras weights "
                                 "format) or `.h5` (Keras 2 layout). Received: "
                                 f"filepath={self.filepath}")
        elif not self.filepath.endswith(_MODEL_SUFFIXES):
            raise ValueError("The filepath provided must end in `.keras` (Keras model format) "
                             "or `.h5` (legacy HDF5). Received: "
                             f"filepath={self.filepath}")

    # --- hooks ------------------------------------------------------------------------
    def _on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self.epochs_since_last_save += 1
            if self.epochs_since_last_save >= self.period:
                self.epochs_since_last_save = 0
                self._save_model(epoch=epoch, batch=None, logs=logs)

    # --- logic ------------------------------------------------------------------------
    def _should_save_on_batch(self, batch: int) -> bool:
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            add_batches = batch + 1  # a new epoch: batches are 0-based
        else:
            add_batches = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add_batches
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch: int, batch: Any, logs: dict, filepath: str) -> bool:
        logs = logs or {}
        if not self.save_best_only:
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.",
                          stacklevel=3)
            return True
        if isinstance(current, np.ndarray) and current.ndim > 0:
            warnings.warn("Can save best model only when `monitor` is a scalar value. "
                          f"Received: {current}. Falling back to `save_best_only=False`.",
                          stacklevel=3)
            return True
        if self.monitor_op is None:  # batch-level saving before the first epoch end
            self._set_monitor_op()
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_str}")
        return False

    def _save_model(self, epoch: int, batch: Any, logs: Any) -> None:
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, batch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise OSError("Please specify a non-directory filepath for ModelCheckpoint. "
                          f"Filepath used is an existing directory: {filepath}")
        dirname = os.path.dirname(filepath)
        if dirname and not os.path.exists(dirname):
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch: int, batch: Any, logs: dict) -> str:
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {e}. Available keys: epoch"
                           f"{', batch' if batch is not None else ''}"
                           f"{''.join(', ' + k for k in logs)}") from None
