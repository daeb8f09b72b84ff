"""Data helpers of `keras.utils`: `timeseries_dataset_from_array`, `split_dataset`,
`pack_x_y_sample_weight`/`unpack_x_y_sample_weight`, `get_source_inputs`, `is_keras_tensor`.

Keras returns `tf.data.Dataset` objects (or Grain datasets) from the first two; minikeras has
no TensorFlow, so `timeseries_dataset_from_array` returns a `TimeseriesDataset` (a list-like
of NumPy batches: `len`, indexing, iteration, `on_epoch_end`, the PyDataset protocol that
`fit` consumes) and `split_dataset` returns the two splits as arrays (or tuples of arrays),
which `fit` takes directly.
"""

from __future__ import annotations

import random as _py_random
from typing import Any

import numpy as np

try:  # `keras.utils.PyDataset`, which fit/evaluate/predict consume (issue 10, branch `gen`)
    from minikeras.trainers.py_dataset import PyDataset as _DatasetBase
except ImportError:  # before it lands: a plain class with the same protocol
    _DatasetBase = object


def unpack_x_y_sample_weight(data: Any) -> tuple:
    """`(x, y, sample_weight)` from `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`, with
    None for what is missing (a list counts as a tuple)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if 1 <= len(data) <= 3:
        return tuple(data) + (None,) * (3 - len(data))
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found a tuple of {len(data)} elements")


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """The tuple `fit` expects: `x` alone (as `(x,)` when `x` is itself a tuple or list),
    `(x, y)` or `(x, y, sample_weight)`."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def is_keras_tensor(x: Any) -> bool:
    """True for the symbolic tensors of functional models (`keras.Input(...)` and layer
    outputs on them)."""
    from minikeras.layers.layer import KerasTensor

    return isinstance(x, KerasTensor)


def get_source_inputs(tensor: Any) -> list:
    """The `keras.Input` tensors that `tensor` was computed from, in order of discovery."""
    if not is_keras_tensor(tensor):
        raise ValueError(f"get_source_inputs expects a KerasTensor, got {type(tensor).__name__}")
    found: list = []
    seen: set = set()

    def visit(t: Any) -> None:  # depth first, in the order of each layer's inputs (Keras')
        if id(t) in seen:
            return
        seen.add(id(t))
        history = getattr(t, "_history", None)
        node = None if history is None else history[0]._inbound_nodes[history[1]]
        if node is None or not node.input_tensors:
            found.append(t)
            return
        for parent in node.input_tensors:
            visit(parent)

    visit(tensor)
    return found


class TimeseriesDataset(_DatasetBase):
    """Batches of sliding windows over an array, as `timeseries_dataset_from_array` yields
    them: `(windows, targets)` tuples, or `windows` alone when there are no targets; single
    samples when `batch_size` is None. `len()` is the number of batches; iterate it, index it,
    or give it to `fit`/`evaluate`/`predict` (it is a `keras.utils.PyDataset`)."""

    def __init__(self, data: np.ndarray, targets: np.ndarray | None, starts: np.ndarray,
                 sequence_length: int, sampling_rate: int, batch_size: int | None) -> None:
        self._data = data
        self._targets = targets
        self._starts = starts
        self._offsets = np.arange(sequence_length) * sampling_rate
        self.batch_size = batch_size

    def __len__(self) -> int:
        if self.batch_size is None:
            return len(self._starts)
        return -(-len(self._starts) // self.batch_size)

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if isinstance(index, (int, np.integer)) and -n <= index < n:
            index = int(index) % n
        else:
            raise IndexError(f"batch index {index} out of range for {n} batches")
        if self.batch_size is None:
            starts = self._starts[index:index + 1]
        else:
            starts = self._starts[index * self.batch_size:(index + 1) * self.batch_size]
        windows = self._data[starts[:, None] + self._offsets[None, :]]
        if self.batch_size is None:
            windows = windows[0]
        if self._targets is None:
            return windows
        targets = self._targets[starts]
        return windows, (targets[0] if self.batch_size is None else targets)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def on_epoch_end(self) -> None:
        """Nothing changes between epochs (Keras draws its shuffle once, too)."""

    def __repr__(self) -> str:
        return (f"<TimeseriesDataset: {len(self._starts)} windows in {len(self)} batches of "
                f"{self.batch_size}>")


def _positive(name: str, value: int, length: int) -> None:
    if value <= 0:
        raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
    if value >= length:
        raise ValueError(f"`{name}` must be lower than the length of the data. Received: "
                         f"{name}={value}, for data of length {length}")


def timeseries_dataset_from_array(data: Any, targets: Any, sequence_length: int,
                                  sequence_stride: int = 1, sampling_rate: int = 1,
                                  batch_size: int | None = 128, shuffle: bool = False,
                                  seed: int | None = None, start_index: int | None = None,
                                  end_index: int | None = None,
                                  format: str = "tf") -> TimeseriesDataset:
    """Windows of `sequence_length` steps (every `sampling_rate`-th step), one starting every
    `sequence_stride` steps within `data[start_index:end_index]`; the target of the window
    starting at (relative) position i is `targets[start_index + i]`. With `shuffle`, the
    window order is drawn once by `np.random.RandomState(seed)`.

    Where we differ: Keras returns a tf.data or Grain dataset (`format`); minikeras returns a
    `TimeseriesDataset` of NumPy batches for either value. With `shuffle=True` Keras' tf.data
    pipeline shuffles again in a buffer; minikeras keeps the single permutation."""
    data = np.asarray(data)
    n = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: "
                             f"start_index={start_index}")
        if start_index >= n:
            raise ValueError(f"`start_index` must be lower than the length of the data. "
                             f"Received: start_index={start_index}, for data of length {n}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"`end_index` must be higher than `start_index`. Received: "
                             f"start_index={start_index}, and end_index={end_index}")
        if end_index >= n:
            raise ValueError(f"`end_index` must be lower than the length of the data. "
                             f"Received: end_index={end_index}, for data of length {n}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: "
                             f"end_index={end_index}")
    _positive("sampling_rate", sampling_rate, n)
    _positive("sequence_stride", sequence_stride, n)
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if batch_size is not None and batch_size <= 0:
        raise ValueError(f"`batch_size` must be a positive integer or None, got {batch_size}")
    start = start_index or 0
    end = end_index if end_index is not None else n
    num_seqs = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = np.asarray(targets)
        num_seqs = min(num_seqs, len(targets))
    starts = np.arange(0, max(num_seqs, 0), sequence_stride)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(starts)
    window_data = data[start:end]
    window_targets = None if targets is None else targets[start:end]
    return TimeseriesDataset(window_data, window_targets, starts, sequence_length,
                             sampling_rate, batch_size)


def _split_sizes(left_size: Any, right_size: Any, total: int) -> tuple:
    """Keras' rules: a float is a fraction (rounded), an int a count; a missing side is the
    complement; both sides must be non-empty and fit in `total`."""
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is not None and type(size) not in (int, float):
            raise TypeError(f"Invalid `{name}` type. Expected: int or float or None, "
                            f"Received: type({name})={type(size)}")
    if left_size is None and right_size is None:
        raise ValueError("At least one of `left_size` or `right_size` must be specified")
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if (type(size) is int and not 0 < size < total) or \
                (type(size) is float and not 0 < size < 1):
            raise ValueError(f"`{name}` should be either a positive integer smaller than "
                             f"{total}, or a float within the range `[0, 1]`. Received: "
                             f"{name}={size}")
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It must "
                         "be less than or equal to 1.")
    left = round(left_size * total) if type(left_size) is float else left_size
    right = round(right_size * total) if type(right_size) is float else right_size
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(f"The sum of `left_size` and `right_size` should be at most the "
                         f"dataset's length {total}. Received: {left} + {right}")
    for size, side in ((left, "left"), (right, "right")):
        if size == 0:
            raise ValueError(f"With a dataset of length {total}, left_size={left_size} and "
                             f"right_size={right_size}, the {side} split would be empty")
    return int(left), int(right)


def split_dataset(dataset: Any, left_size: Any = None, right_size: Any = None,
                  shuffle: bool = False, seed: int | None = None,
                  preferred_backend: str | None = None) -> tuple:
    """Split an array, or a tuple/list of arrays of equal length, into a left and a right
    part: `left_size`/`right_size` are fractions (float) or counts (int). With `shuffle`,
    samples are permuted first as Keras does (`random.seed(seed); random.shuffle`).
    The right part is the last `right_size` samples (so with both sizes given, samples in
    between belong to neither).

    Where we differ: Keras returns tf.data/torch datasets; minikeras returns NumPy arrays
    (tuples of arrays for a tuple/list input). Only array-like inputs are accepted."""
    if preferred_backend not in (None, "numpy", "tensorflow", "jax", "torch"):
        raise ValueError(f"Unknown preferred_backend {preferred_backend!r}")
    if isinstance(dataset, (tuple, list)):
        parts = [np.asarray(a) for a in dataset]
        lengths = {len(a) for a in parts}
        if len(lengths) != 1:
            raise ValueError("split_dataset: the arrays of `dataset` must have the same "
                             f"length, got lengths {[len(a) for a in parts]}")
    elif isinstance(dataset, dict):
        raise TypeError("split_dataset accepts an array or a tuple/list of arrays; a dict is "
                        "not supported by minikeras")
    else:
        parts = [np.asarray(dataset)]
        if parts[0].ndim == 0:
            raise TypeError(f"split_dataset: `dataset` must be an array or a tuple of arrays, "
                            f"got {type(dataset).__name__}")
    total = len(parts[0])
    order = list(range(total))
    if shuffle:
        if seed is None:
            seed = _py_random.randint(0, int(1e6))
        # Keras seeds Python's global generator and shuffles the list of samples; a private
        # generator with the same seed draws the same permutation without touching the global.
        _py_random.Random(seed).shuffle(order)
    left, right = _split_sizes(left_size, right_size, total)
    left_idx, right_idx = np.array(order[:left]), np.array(order[-right:])
    lefts = [a[left_idx] for a in parts]
    rights = [a[right_idx] for a in parts]
    if isinstance(dataset, (tuple, list)):
        return tuple(lefts), tuple(rights)
    return lefts[0], rights[0]
