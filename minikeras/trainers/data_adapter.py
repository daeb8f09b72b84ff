"""From what the user passes to fit/evaluate/predict to checked, cast arrays and batches.

Everything here runs once per call, before any weight changes, so that bad input fails
early with an error that names the argument and the shapes.
"""

from __future__ import annotations

import math
from typing import Any
from collections.abc import Iterator

import numpy as np

from minikeras import config
from minikeras.autodiff.tensor import Tensor


def _as_array(value: Any, what: str) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value.value
    try:
        arr = np.asarray(value)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"`{what}` could not be converted to an array: {e}") from None
    if arr.dtype == object:
        raise TypeError(f"`{what}` must be numeric, but it holds objects of type "
                        f"{type(arr.flat[0]).__name__ if arr.size else 'object'}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"`{what}` must be numeric, got an array of dtype {arr.dtype}")
    return arr


def to_flat_arrays(data: Any, what: str, names: list[str] | None, count: int | None) -> list:
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
        return [_as_array(data[n], f"{what}[{n!r}]") for n in names]
    if count is None and isinstance(data, (list, tuple)) and len(data) > 1 and \
            all(isinstance(d, (np.ndarray, Tensor)) for d in data):
        # a subclassed model: a list of arrays is a list of inputs (or outputs)
        return [_as_array(d, f"{what}[{i}]") for i, d in enumerate(data)]
    if count is not None and count > 1 and isinstance(data, (list, tuple)):
        if len(data) != count:
            raise ValueError(f"The model has {count} {'inputs' if what == 'x' else 'outputs'}, "
                             f"but `{what}` is a list of {len(data)} arrays")
        return [_as_array(d, f"{what}[{i}]") for i, d in enumerate(data)]
    if count in (1, None) and isinstance(data, (list, tuple)) and len(data) == 1 and \
            isinstance(data[0], (np.ndarray, Tensor)) and np.ndim(data[0]) >= 1 and \
            not isinstance(data, np.ndarray):
        return [_as_array(data[0], what)]
    return [_as_array(data, what)]


def cast_inputs(arrays: list) -> list:
    """Inputs become floatx (Keras casts them to the layers' compute dtype)."""
    floatx = np.dtype(config.floatx())
    out = []
    for a in arrays:
        if a.dtype != floatx:
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


def check_finite(arrays: list, what: str) -> None:
    for i, a in enumerate(arrays):
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            bad = int(np.size(a) - np.isfinite(a).sum())
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
