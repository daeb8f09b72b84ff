"""`keras.utils.PyDataset` (alias `Sequence`): a dataset written in Python as a list of batches.

Keras 3 lives in keras/src/trainers/data_adapters/py_dataset_adapter.py. As there, a subclass
implements `__len__` (the number of batches) and `__getitem__(index)` (one whole batch:
`x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`), and may implement `on_epoch_begin` and
`on_epoch_end`. Where we differ: `workers`, `use_multiprocessing` and `max_queue_size` are
accepted and kept, but batches are always fetched in the training thread, in order (Keras
starts a thread or process pool when `workers > 1`); a subclass that does not call
`super().__init__()` works without Keras' warning (Keras 2's `Sequence` had no `__init__`).
"""

from __future__ import annotations

import itertools
from typing import Any


class PyDataset:
    """Base class for Python datasets; see the module docstring."""

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10) -> None:
        for name, value in (("workers", workers), ("max_queue_size", max_queue_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"PyDataset: `{name}` must be an integer >= 0, got "
                                 f"{name}={value!r}")
        if not isinstance(use_multiprocessing, bool):
            raise ValueError("PyDataset: `use_multiprocessing` must be True or False, got "
                             f"use_multiprocessing={use_multiprocessing!r}")
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    # Keras 2 subclasses never call super().__init__(): fall back to the defaults.
    @property
    def workers(self) -> int:
        return getattr(self, "_workers", 1)

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = value

    @property
    def use_multiprocessing(self) -> bool:
        return getattr(self, "_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        self._use_multiprocessing = value

    @property
    def max_queue_size(self) -> int:
        return getattr(self, "_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        self._max_queue_size = value

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index), "
                                  "returning one batch")

    @property
    def num_batches(self) -> int | None:
        """The number of batches (`len(self)`), or None for an infinite dataset."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(f"{type(self).__name__} must implement __len__ (or the "
                                  "`num_batches` property; None means infinite)")

    def __iter__(self):
        n = self.num_batches
        for index in (range(n) if n is not None else itertools.count()):
            yield self[index]

    def on_epoch_begin(self) -> None:
        """Called at the beginning of every epoch."""

    def on_epoch_end(self) -> None:
        """Called at the end of every epoch."""


Sequence = PyDataset  # Keras 3: `keras.utils.Sequence is keras.utils.PyDataset`
