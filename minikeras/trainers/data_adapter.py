"""From what the user passes to fit/evaluate/predict to checked, cast arrays and batches.

Everything here runs once per call, before any weight changes, so that bad input fails
early with an error that names the argument and the shapes.
"""

from __future__ import annotations

import itertools
import math
import types
import warnings
from collections import abc
from collections.abc import Iterator
from typing import Any

import numpy as np

from minikeras import config
from minikeras.autodiff.tensor import Tensor


def _as_array(value: Any, what: str, strings: bool = False) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value.value
    try:
        arr = np.asarray(value)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"`{what}` could not be converted to an array: {e}") from None
    if strings and (arr.dtype.kind in "US" or arr.dtype == object and arr.size and all(
            isinstance(v, (str, bytes)) for v in arr.flat)):
        # strings, for a model whose input is `Input(dtype="string")` (text layers; branch
        # textprep): passed through as an object array, never cast
        return arr.astype(object)
    if arr.dtype == object:
        raise TypeError(f"`{what}` must be numeric, but it holds objects of type "
                        f"{type(arr.flat[0]).__name__ if arr.size else 'object'}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"`{what}` must be numeric, got an array of dtype {arr.dtype}")
    return arr


def to_flat_arrays(data: Any, what: str, names: list[str] | None, count: int | None,
                   strings: bool = False) -> list:
    """Split `data` into one array per model input (or output).

    A list or tuple of arrays means several inputs only when the model has several; a plain
    nested Python list such as `[[41, 42, 42, 43]]` is one input. Dicts are matched by name.
    """
    if data is None:
        return []
    if isinstance(data, dict):
        if not names:
            raise ValueError(f"`{what}` is a dict, but the model's inputs/outputs have no names")
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f"`{what}` is missing the key(s) {missing}; expected keys {names}, "
                             f"got {sorted(data)}")
        return [_as_array(data[n], f"{what}[{n!r}]", strings) for n in names]
    if count is None and isinstance(data, (list, tuple)) and len(data) > 1 and \
            all(isinstance(d, (np.ndarray, Tensor)) for d in data):
        # a subclassed model: a list of arrays is a list of inputs (or outputs)
        return [_as_array(d, f"{what}[{i}]", strings) for i, d in enumerate(data)]
    if count == 1 and isinstance(data, (list, tuple)) and len(data) > 1 and \
            all(isinstance(d, (np.ndarray, Tensor)) for d in data):
        kind = "input" if what == "x" else "output"
        raise ValueError(f"The model expects 1 {kind}, but `{what}` is a list of {len(data)} "
                         f"arrays (shapes {[tuple(np.shape(d)) for d in data]}); pass one array")
    if count is not None and count > 1 and isinstance(data, (list, tuple)):
        if len(data) != count:
            raise ValueError(f"The model has {count} {'inputs' if what == 'x' else 'outputs'}, "
                             f"but `{what}` is a list of {len(data)} arrays")
        return [_as_array(d, f"{what}[{i}]", strings) for i, d in enumerate(data)]
    if count in (1, None) and isinstance(data, (list, tuple)) and len(data) == 1 and \
            isinstance(data[0], (np.ndarray, Tensor)) and np.ndim(data[0]) >= 1 and \
            not isinstance(data, np.ndarray):
        return [_as_array(data[0], what, strings)]
    return [_as_array(data, what, strings)]


def cast_inputs(arrays: list) -> list:
    """Inputs become floatx (Keras casts them to the layers' compute dtype)."""
    floatx = np.dtype(config.floatx())
    out = []
    for a in arrays:
        if a.dtype != floatx and a.dtype != object:  # (object: strings, left as they are)
            a = a.astype(floatx)
        out.append(np.ascontiguousarray(a))
    return out


def cast_targets(arrays: list) -> list:
    """Float targets become floatx; integer targets (sparse labels) stay integers."""
    floatx = np.dtype(config.floatx())
    out = []
    for a in arrays:
        if a.dtype.kind == "f" and a.dtype != floatx:
            a = a.astype(floatx)
        elif a.dtype.kind == "b":
            a = a.astype(floatx)
        out.append(np.ascontiguousarray(a))
    return out


def _count_nonfinite(a: np.ndarray, chunk: int = 1 << 16) -> int:
    """The number of NaN/inf values of `a`, counted over chunks of rows so that no
    temporary as large as `a` is made (the inputs of `fit` can be most of the memory)."""
    if a.ndim == 0:
        return int(not np.isfinite(a))
    rows = max(1, chunk // max(1, a[:1].size))
    return sum(int(a[s:s + rows].size - np.count_nonzero(np.isfinite(a[s:s + rows])))
               for s in range(0, a.shape[0], rows))


def check_finite(arrays: list, what: str) -> None:
    # A finite sum proves every value finite (a NaN or an inf would make it NaN or inf),
    # without a temporary; only a non-finite sum (bad data, or an overflow of huge
    # values) needs the exact count. (One errstate for all: entering one costs more than
    # a small array's sum.)
    with np.errstate(over="ignore", invalid="ignore"):
        totals = [np.add.reduce(a, axis=None) if a.dtype.kind == "f" and a.size else 0.0
                  for a in arrays]
    for i, (a, total) in enumerate(zip(arrays, totals)):
        if np.isfinite(total):
            continue
        bad = _count_nonfinite(a)
        if bad:
            label = what if len(arrays) == 1 else f"{what}[{i}]"
            raise ValueError(f"`{label}` contains {bad} NaN or infinite value(s) "
                             f"(shape {a.shape})")


def check_lengths(groups: dict) -> int:
    """All arrays must have the same number of samples; returns that number."""
    sizes = {}
    for what, arrays in groups.items():
        for i, a in enumerate(arrays):
            if a.ndim == 0:
                raise ValueError(f"`{what}` must have a batch axis, got a scalar")
            label = what if len(arrays) == 1 else f"{what}[{i}]"
            sizes[label] = (a.shape[0], a.shape)
    counts = {n for n, _ in sizes.values()}
    if len(counts) > 1:
        detail = ", ".join(f"{k}: {n} samples (shape {s})" for k, (n, s) in sizes.items())
        raise ValueError(f"Data cardinality is ambiguous: make sure all arrays contain the same "
                         f"number of samples. Got {detail}")
    return counts.pop() if counts else 0


def check_batch_size(batch_size: Any, name: str = "batch_size") -> int | None:
    if batch_size is None:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"`{name}` must be a positive integer, got {name}={batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"`{name}` must be a positive integer, got {name}={batch_size}")
    return int(batch_size)


def split_validation(groups: list[list], validation_split: float) -> tuple[list, list]:
    """The last `validation_split` fraction of every array, split before any shuffling at
    floor(n * (1 - validation_split)), as Keras does."""
    n = next(a.shape[0] for g in groups for a in g)
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"validation_split={validation_split} leaves an empty "
                         f"{'training' if split_at == 0 else 'validation'} set: "
                         f"{n} samples split at index {split_at}. Use more data or another "
                         "validation_split.")
    train = [[a[:split_at] for a in g] for g in groups]
    val = [[a[split_at:] for a in g] for g in groups]
    return train, val


def class_weight_to_sample_weight(y: np.ndarray, class_weight: dict) -> np.ndarray:
    """One weight per sample, by the sample's class (argmax for one-hot targets)."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight must be a dict {{class_index: weight}}, "
                        f"got {type(class_weight).__name__}")
    if y.ndim > 1 and y.shape[-1] > 1:
        classes = np.argmax(y, axis=-1)
    else:
        classes = np.round(y.reshape(y.shape[0], -1)[:, 0]).astype(np.int64)
    n_classes = max(int(max(class_weight)) + 1, int(classes.max()) + 1 if classes.size else 0)
    table = np.ones(n_classes, dtype=config.floatx())
    for k, w in class_weight.items():
        if int(k) < 0:
            raise ValueError(f"class_weight keys must be class indices >= 0, got {k!r}")
        if not np.isfinite(w):
            raise ValueError(f"class_weight[{k!r}] is {w}: class weights must be finite")
        table[int(k)] = w
    return table[classes].reshape(classes.shape)


def batch_slices(n: int, batch_size: int, shuffle: Any, rng: Any) -> Iterator:
    """Index objects for each batch: slices in order, or a permutation's pieces."""
    if n == 0:
        return iter(())
    if shuffle == "batch":
        starts = np.arange(0, n, batch_size)
        rng.shuffle(starts)
        return (slice(int(s), int(min(s + batch_size, n))) for s in starts)
    if shuffle:
        perm = rng.permutation(n)
        return (perm[s:s + batch_size] for s in range(0, n, batch_size))
    return (slice(s, min(s + batch_size, n)) for s in range(0, n, batch_size))


def num_batches(n: int, batch_size: int) -> int:
    return int(math.ceil(n / batch_size)) if n else 0


# --- streams: Python generators and iterators, PyDataset / Sequence ------------------------

RAN_OUT_WARNING = ("Your input ran out of data; interrupting training. Make sure that your "
                   "dataset or generator can generate at least `steps_per_epoch * epochs` "
                   "batches. You may need to use the `.repeat()` function when building your "
                   "dataset.")


def is_stream(data: Any) -> bool:
    """A PyDataset (or Sequence), or any Python iterator (generators included). Keras 3
    accepts generators only; a plain iterator such as `iter(list_of_batches)` is accepted
    here too."""
    from minikeras.trainers.py_dataset import PyDataset

    return isinstance(data, (PyDataset, types.GeneratorType, abc.Iterator))


def check_steps(steps: Any, name: str) -> int | None:
    """`steps_per_epoch`, `steps`, `validation_steps`: None or an integer >= 1."""
    if steps is None:
        return None
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"`{name}` must be None or an integer >= 1, got {name}={steps!r}")
    return int(steps)


def refuse_with_stream(kind: str, **given: Any) -> None:
    """`y` and `sample_weight` belong inside the batches of a generator or dataset."""
    for name, value in given.items():
        if value is not None:
            what = "the targets" if name == "y" else "the sample weights"
            raise ValueError(f"When providing `x` as a {kind}, `{name}` should not be passed. "
                             f"Instead, {what} should be included as part of the {kind}.")


def unpack_batch(batch: Any, kind: str) -> tuple:
    """One batch of a stream as (x, y, sample_weight). Keras 3: a generator must yield a
    tuple `(x,)`, `(x, y)` or `(x, y, sample_weight)`; a PyDataset may also return a bare
    array (x) or a list (taken as a tuple)."""
    if kind != "generator":
        if isinstance(batch, np.ndarray):
            batch = (batch,)
        elif isinstance(batch, list):
            batch = tuple(batch)
    if not isinstance(batch, tuple) or len(batch) not in (1, 2, 3):
        shown = repr(batch)
        shown = shown[:100] + ("..." if len(shown) > 100 else "")
        raise ValueError(f"When passing a {kind} to a Keras model, each batch must be a tuple, "
                         "either (input,) or (inputs, targets) or (inputs, targets, "
                         f"sample_weights). Received: {shown} of type {type(batch).__name__}")
    return tuple(batch) + (None,) * (3 - len(batch))


def keras2_x_batches(data: Any) -> Any:
    """For Keras 2's `predict_generator`: tf_keras takes a generator's batch that is not a
    tuple (a bare array or dict) as the inputs alone, where Keras 3 requires `(x,)`. A
    generator (or iterator) is wrapped so that such batches become `(x,)`; anything else
    is returned as is."""
    from minikeras.trainers.py_dataset import PyDataset

    if isinstance(data, PyDataset) or not isinstance(data, (types.GeneratorType, abc.Iterator)):
        return data
    return ((b,) if isinstance(b, (np.ndarray, dict)) else b for b in data)


class ArrayBatches:
    """Batches of arrays already checked and cast once for the whole call (the fast path)."""

    prepared = True
    exhausted = False

    def __init__(self, xs: list, ys: list | None, sws: list | None, batch_size: int,
                 shuffle: Any = False, steps: int | None = None, carry: bool = False) -> None:
        self.xs, self.ys, self.sws = xs, ys, sws
        self.n = xs[0].shape[0]
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.num_batches = num_batches(self.n, batch_size)
        if steps is not None:
            self.num_batches = min(self.num_batches, steps)
        # fit's `steps_per_epoch` (carry=True): as Keras 3's EpochIterator, the pass over the
        # data goes on across epochs; an epoch that reaches its end stops early (with Keras'
        # "ran out of data" warning) and the next epoch starts a new pass
        self._carry_steps = steps if carry else None
        self._pass: Iterator | None = None
        self._pass_seen = 0

    def _slices(self, rng: Any) -> Iterator:
        total = num_batches(self.n, self.batch_size)
        if self._carry_steps is None:
            slices = batch_slices(self.n, self.batch_size, self.shuffle, rng)
            if self.num_batches < total:
                slices = itertools.islice(slices, self.num_batches)
            yield from slices
            return
        if self._pass is None:
            self._pass = iter(batch_slices(self.n, self.batch_size, self.shuffle, rng))
            self._pass_seen = 0
        for _ in range(self._carry_steps):
            if self._pass_seen >= total:
                warnings.warn(RAN_OUT_WARNING, stacklevel=2)
                break
            self._pass_seen += 1
            yield next(self._pass)
        if self._pass_seen >= total:
            self._pass = None

    def first_inputs(self) -> list:
        return self.xs

    def has_more(self) -> bool:
        return True

    def epoch(self, rng: Any = None) -> Iterator:
        xs, ys, sws = self.xs, self.ys, self.sws
        slices = self._slices(rng)
        if ys is None:
            for index in slices:
                yield [a[index] for a in xs], None, None
        elif sws is None:
            for index in slices:
                yield [a[index] for a in xs], [a[index] for a in ys], None
        else:
            for index in slices:
                yield [a[index] for a in xs], [a[index] for a in ys], [a[index] for a in sws]

    def single_pairs(self, rng: Any = None) -> Iterator | None:
        """The batches of one epoch as bare (x, y) arrays, when there is one input, one
        target and no sample weights (the training loop's fast path); else None."""
        if len(self.xs) != 1 or self.ys is None or len(self.ys) != 1 or \
                self.sws is not None:
            return None
        x, y = self.xs[0], self.ys[0]
        if self._carry_steps is None and self.shuffle is False and \
                self.num_batches == num_batches(self.n, self.batch_size):
            # every batch in order: the same views as `_slices`' (a slice past the end
            # stops at it), without its two generators and a `slice` per batch
            b = self.batch_size
            return ((x[s:s + b], y[s:s + b]) for s in range(0, self.n, b))
        slices = self._slices(rng)
        return ((x[index], y[index]) for index in slices)


class StreamBatches:
    """Raw batches from a Python generator/iterator or a PyDataset, counted per epoch as
    Keras 3's EpochIterator counts them. The trainer checks each batch (shapes, NaN,
    lengths) before it is used.

    - With `steps`, an epoch takes `steps` batches and the next epoch continues from there;
      a PyDataset that reaches its end mid-epoch ends that epoch early with Keras' warning
      and starts again from batch 0 at the next epoch.
    - Without `steps`, an epoch is one pass: all of a PyDataset (reshuffled per epoch when
      `shuffle`), or a generator until it stops.
    - A generator cannot restart: once it has stopped, `has_more()` is False, and `fit`
      warns (Keras' message) and stops. Keras 3 instead replays the first two batches it
      peeked at, every later epoch. With `cache=True` (a validation generator) the batches
      of the first pass are kept and replayed each time (as Keras 3 replays its two).
    """

    prepared = False

    def __init__(self, data: Any, steps: int | None = None, shuffle: Any = False,
                 cache: bool = False) -> None:
        from minikeras.trainers.py_dataset import PyDataset

        self.dataset = data if isinstance(data, PyDataset) else None
        self.kind = "PyDataset" if self.dataset is not None else "generator"
        self.steps = steps
        self.length = None
        if self.dataset is not None:
            self.length = self.dataset.num_batches
            if self.length is not None and self.length < 1:
                raise ValueError(f"The PyDataset {type(data).__name__} has length "
                                 f"{self.length}: it must hold at least one batch")
            if self.length is None and steps is None:
                raise ValueError("An infinite PyDataset (num_batches None) needs `steps` / "
                                 "`steps_per_epoch`")
        self.shuffle = bool(shuffle) and self.dataset is not None and self.length is not None
        self._iterator: Any = None if self.dataset is not None else iter(data)
        self._pending: list = []
        self._seen = 0
        self.exhausted = False  # a generator that stopped
        self.warned = False  # Keras' "ran out of data" warning already given
        self._cache: list | None = [] if cache and self.dataset is None else None
        self._cached = False

    @property
    def num_batches(self) -> int | None:
        """Batches per epoch when known (for the progress bar), else None."""
        return self.steps or self.length

    def peek(self) -> Any:
        """The first batch, without consuming it (Keras peeks to build the model)."""
        if self.dataset is not None:
            return self.dataset[0]
        if not self._pending:
            try:
                self._pending.append(next(self._iterator))
            except StopIteration:
                self.exhausted = True
                raise ValueError("When passing a Python generator to a Keras model, the "
                                 "generator must yield at least one batch. Received an "
                                 "empty generator.") from None
        return self._pending[0]

    def has_more(self) -> bool:
        """False once a generator has stopped (it cannot start again)."""
        if self.dataset is not None or self._cached:
            return True
        if not self._pending and not self.exhausted:
            try:
                self._pending.append(next(self._iterator))
            except StopIteration:
                self.exhausted = True
        return not self.exhausted or bool(self._pending)

    def _next(self) -> Any:
        if self._pending:
            return self._pending.pop(0)
        return next(self._iterator)

    def _dataset_iterator(self, rng: Any) -> Iterator:
        order = np.arange(self.length) if self.length is not None else None
        if self.shuffle:
            order = (rng if rng is not None else np.random).permutation(self.length)
        index = 0
        while order is None or index < len(order):
            yield self.dataset[int(order[index]) if order is not None else index]
            index += 1

    def epoch(self, rng: Any = None) -> Iterator:
        """The raw batches of one epoch."""
        if self._cached:
            yield from self._cache
            return
        ds = self.dataset
        if ds is not None:
            ds.on_epoch_begin()
            if self._iterator is None or self.steps is None:
                self._iterator = self._dataset_iterator(rng)
                self._seen = 0
        step = 0
        while self.steps is None or step < self.steps:
            if self.length is not None and self._seen >= self.length:
                if self.steps is not None:
                    self.warn_ran_out()
                break
            try:
                batch = self._next()
            except StopIteration:
                self.exhausted = True
                if self.steps is not None:
                    self.warn_ran_out()
                break
            self._seen += 1
            step += 1
            if self._cache is not None:
                self._cache.append(batch)
            yield batch
        if self._cache is not None:
            self._cached = True
        if ds is not None:
            if self.length is not None and self._seen >= self.length:
                self._iterator = None
            ds.on_epoch_end()

    def warn_ran_out(self) -> None:
        self.warned = True
        warnings.warn(RAN_OUT_WARNING, stacklevel=4)

    def reset(self) -> None:
        """Keras 3 resets a PyDataset's iterator at the start of fit/evaluate, which calls
        its `on_epoch_end` once more."""
        if self.dataset is not None:
            self._iterator = None
            self._seen = 0
            self.dataset.on_epoch_end()
