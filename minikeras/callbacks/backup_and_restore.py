"""BackupAndRestore: resume an interrupted `fit` where its last backup left it."""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from typing import Any
from collections.abc import Iterator

import numpy as np

from minikeras.callbacks.callback import Callback

_FORMAT = "minikeras.BackupAndRestore"
_VERSION = 1


@contextlib.contextmanager
def _atomic(path: str) -> Iterator[str]:
    """A temporary path beside `path`, renamed over it only once fully written."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".backup-", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


def _all_layers(model: Any) -> list:
    """Every layer under `model` (itself included), depth first, each once."""
    out: list = []
    seen: set = set()
    stack = [model]
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        out.append(layer)
        stack.extend(reversed(getattr(layer, "_layers", [])))
    return out


def _generators(model: Any) -> list:
    """The random generators a training step draws from: the global one, then each seeded
    layer's own (Dropout(seed=...), GaussianNoise(seed=...), ...), in layer order."""
    from minikeras.random import generator

    gens = [generator()]
    for layer in _all_layers(model):
        rng = getattr(layer, "_rng", None)
        if isinstance(rng, np.random.RandomState):
            gens.append(rng)
    return gens


def _write_rng(group: Any, index: int, state: tuple) -> None:
    name, keys, pos, has_gauss, cached = state
    g = group.create_group(f"{index:04d}")
    g.attrs["name"] = str(name)
    g.create_dataset("keys", data=np.asarray(keys, dtype=np.uint32))
    g.attrs["pos"] = int(pos)
    g.attrs["has_gauss"] = int(has_gauss)
    g.attrs["cached_gaussian"] = float(cached)


def _read_rng(group: Any, index: int) -> tuple:
    g = group[f"{index:04d}"]
    keys = np.asarray(g["keys"][()], dtype=np.uint32)
    if keys.shape != (624,):
        raise ValueError(f"random state {index} has keys of shape {keys.shape}")
    name = g.attrs["name"]
    name = name.decode("utf8") if isinstance(name, bytes) else str(name)
    return (name, keys, int(g.attrs["pos"]), int(g.attrs["has_gauss"]),
            float(g.attrs["cached_gaussian"]))


class BackupAndRestore(Callback):
    """Backs up the training state in `backup_dir` at the end of every epoch (or every
    `save_freq` training batches); a later `fit` with this callback on the same model
    (e.g. after a crash, in a new process) restores it and continues at the epoch after
    the last backup. The backup is deleted when `fit` finishes (`delete_checkpoint=True`).

    The state is one file, written atomically: the epoch to resume at, the model's
    weights (trainable and not), the optimizer's variables (iterations, learning rate,
    moments, ...) and the state of the random generators (the global one and seeded
    layers'), so that, with `shuffle=False` or a seeded run, the resumed `fit` ends with
    exactly the weights of an uninterrupted one. With an integer `save_freq`, a backup
    taken mid-epoch resumes at the start of that epoch with the mid-epoch weights (as in
    Keras). `double_checkpoint=True` keeps the previous backup too and falls back to it
    when the latest cannot be read. `save_freq=False` never backs up (restore only).

    The directory belongs to this callback: do not share it with other callbacks or runs."""

    STATE_FILE = "training_state.h5"

    def __init__(self, backup_dir: Any, save_freq: Any = "epoch",
                 double_checkpoint: bool = False, delete_checkpoint: bool = True) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and save_freq is not False and (
                not isinstance(save_freq, (int, np.integer)) or isinstance(save_freq, bool)
                or save_freq < 1):
            raise ValueError("Invalid value for argument `save_freq`. Received: "
                             f"save_freq={save_freq!r}. Expected either 'epoch', a positive "
                             "integer (a number of batches) or False.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._state_path = os.path.join(self.backup_dir, self.STATE_FILE)
        self._prev_state_path = self._state_path + ".bkp"
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        self._epoch_rng_states: list | None = None
        if self._batch_level():
            # a batch hook only when backing up by batches (see ModelCheckpoint)
            self.on_train_batch_end = self._on_train_batch_end

    # --- hooks ------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        if not getattr(self.model, "built", True):
            raise ValueError("To use the BackupAndRestore callback, your model must be built "
                             f"before you call `fit()`. Model {self.model.name!r} is unbuilt. "
                             "You can build it beforehand by calling it on a batch of data.")
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        path = self._state_path
        if self.double_checkpoint and not os.path.exists(path):
            path = self._prev_state_path
        if not os.path.exists(path):
            return
        try:
            self._load(path)
        except OSError:
            if not (self.double_checkpoint and path != self._prev_state_path and
                    os.path.exists(self._prev_state_path)):
                raise
            self._load(self._prev_state_path)

    def on_epoch_begin(self, epoch, logs=None):
        # the training loop has read `_initial_epoch` by now: never let it outlive this fit
        if getattr(self.model, "_initial_epoch", None) is not None:
            self.model._initial_epoch = None
        self._current_epoch = epoch
        if self._batch_level():
            self._epoch_rng_states = [g.get_state() for g in _generators(self.model)]

    def _on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save(epoch=self._current_epoch, batch=batch,
                       rng_states=self._epoch_rng_states)

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save(epoch=epoch + 1, batch=0, rng_states=None)

    def on_train_end(self, logs=None):
        if getattr(self.model, "_initial_epoch", None) is not None:
            self.model._initial_epoch = None
        if self.delete_checkpoint:
            for path in (self._state_path, self._prev_state_path):
                if os.path.exists(path):
                    os.remove(path)
            with contextlib.suppress(OSError):  # kept when it holds other files
                os.rmdir(self.backup_dir)

    # --- logic ------------------------------------------------------------------------
    def _batch_level(self) -> bool:
        return self.save_freq != "epoch" and self.save_freq is not False

    def _should_save_on_batch(self, batch: int) -> bool:
        if not self._batch_level():
            return False
        if batch <= self._last_batch_seen:  # a new epoch
            add_batches = batch + 1
        else:
            add_batches = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add_batches
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save(self, epoch: int, batch: int, rng_states: list | None) -> None:
        import h5py

        model = self.model
        os.makedirs(self.backup_dir, exist_ok=True)
        if rng_states is None:
            rng_states = [g.get_state() for g in _generators(model)]
        if self.double_checkpoint and os.path.exists(self._state_path):
            os.replace(self._state_path, self._prev_state_path)
        with _atomic(self._state_path) as tmp, h5py.File(tmp, "w") as f:
            f.attrs["format"] = _FORMAT
            f.attrs["version"] = _VERSION
            f.attrs["epoch"] = int(epoch)
            f.attrs["batch"] = int(batch)
            g = f.create_group("model_weights")
            for i, w in enumerate(model.weights):
                g.create_dataset(f"{i:04d}", data=np.asarray(w.value))
            g.attrs["count"] = len(model.weights)
            opt = getattr(model, "optimizer", None)
            if opt is not None and getattr(opt, "built", False):
                og = f.create_group("optimizer_variables")
                values = opt.variables
                for i, v in enumerate(values):
                    og.create_dataset(f"{i:04d}", data=np.asarray(v.value))
                og.attrs["count"] = len(values)
                og.attrs["class_name"] = type(opt).__name__
            rg = f.create_group("random_states")
            for i, state in enumerate(rng_states):
                _write_rng(rg, i, state)
            rg.attrs["count"] = len(rng_states)

    def _load(self, path: str) -> None:
        import h5py

        model = self.model
        try:
            f = h5py.File(path, "r")
        except Exception as e:  # noqa: BLE001 - h5py raises many kinds on a damaged file
            raise OSError(f"The backup {path} cannot be read: {e}") from None
        with f:
            if f.attrs.get("format") != _FORMAT:
                raise OSError(f"{path} is not a minikeras BackupAndRestore backup")
            where = f"The backup in {self.backup_dir!r}"
            weights = [f["model_weights"][f"{i:04d}"][()]
                       for i in range(int(f["model_weights"].attrs["count"]))]
            own = model.weights
            if len(weights) != len(own) or any(w.shape != v.shape
                                               for w, v in zip(weights, own)):
                raise ValueError(f"{where} was made by a different model: it holds "
                                 f"{[w.shape for w in weights]}, the model has "
                                 f"{[v.shape for v in own]}. Use a fresh backup_dir.")
            opt_values = None
            if "optimizer_variables" in f:
                og = f["optimizer_variables"]
                opt_values = [og[f"{i:04d}"][()] for i in range(int(og.attrs["count"]))]
            rg = f["random_states"]
            rng_states = [_read_rng(rg, i) for i in range(int(rg.attrs["count"]))]
            epoch = int(f.attrs["epoch"])
        opt = getattr(model, "optimizer", None)
        if opt_values is not None and opt is not None:
            if not opt.built:
                opt.build(model.trainable_weights)
            if len(opt_values) != len(opt.variables):
                raise ValueError(f"{where} holds {len(opt_values)} optimizer variables, but "
                                 f"the model's {type(opt).__name__} has "
                                 f"{len(opt.variables)}. Compile with the optimizer of the "
                                 "interrupted run, or use a fresh backup_dir.")
            opt.set_weights(opt_values)
        model.set_weights(weights)
        gens = _generators(model)
        if len(gens) != len(rng_states):
            warnings.warn(f"{where} holds {len(rng_states)} random generator states but the "
                          f"model draws from {len(gens)}; only the global one is restored, so "
                          "the resumed run will not repeat the interrupted one exactly.",
                          stacklevel=3)
            gens, rng_states = gens[:1], rng_states[:1]
        for g, state in zip(gens, rng_states):
            g.set_state(state)
        model._initial_epoch = epoch
        self._current_epoch = epoch
