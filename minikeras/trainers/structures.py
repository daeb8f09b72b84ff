"""Nested inputs and targets as Keras 3 takes them: dicts by the keys a functional model was
built with, lists/tuples that follow the model's nested structure, predictions returned in
the structure of the model's outputs; and `steps_per_execution`.

These run before the data adapter (trainers/data_adapter.py), which takes flat lists (or
dicts by input/output layer names).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.layers.layer import flatten_structure, pack_like
from minikeras.trainers.compile_utils import _at, _leaf_paths, _same_structure


def _by_paths(data: dict, struct: Any, what: str) -> list:
    paths = _leaf_paths(struct)
    missing = []
    out = []
    for p in paths:
        try:
            out.append(_at(data, p))
        except (KeyError, IndexError, TypeError):
            missing.append("/".join(str(k) for k in p))
    if missing:
        raise ValueError(f"`{what}` is missing the key(s) {missing}; the model's structure "
                         f"has the keys {sorted(struct)}, `{what}` has {sorted(data)}")
    return out


def _nested_not_flat(struct: Any) -> bool:
    children = struct.values() if isinstance(struct, dict) else struct
    return any(isinstance(c, (list, tuple, dict)) for c in children)


def flatten_inputs(model: Any, x: Any) -> Any:
    """`x` for a model built on a dict of inputs, fed by that dict's keys (Keras 3), or
    for nested inputs, fed in their structure: the flat list of arrays. Anything else is
    returned as it is (a dict by the Input layers' names included)."""
    struct = getattr(model, "_inputs_struct", None)
    if not isinstance(struct, (list, tuple, dict)):
        return x
    if isinstance(x, dict) and isinstance(struct, dict):
        if set(_top_keys(struct)) <= set(x) or not set(getattr(model, "input_names", [])) \
                <= set(x):
            return _by_paths(x, struct, "x")
        return x
    if isinstance(x, (list, tuple)) and _nested_not_flat(struct) and \
            _same_structure(x, struct):
        return flatten_structure(x)
    return x


def _top_keys(struct: dict) -> list:
    return list(struct)


def flatten_targets(model: Any, y: Any, what: str) -> Any:
    """`y` (or `sample_weight`) in the structure of the model's outputs: a dict by the keys
    of a dict of outputs, or a nested list following nested outputs, becomes the flat list
    in the outputs' order. A dict for list outputs (by the output layers' names) and flat
    lists are left to the data adapter."""
    struct = model._output_structure()
    if struct is None and isinstance(y, dict) and not getattr(model, "output_names", None):
        # a subclassed model before its first step: its dict of outputs will be flattened
        # by sorted keys too (Keras matches the two dicts by key)
        return flatten_structure(y)
    if struct is None or y is None:
        return y
    if what == "y":
        y = _fill_targets_of_outputs_without_loss(model, y, struct)
    if isinstance(y, dict) and isinstance(struct, dict):
        return _by_paths(y, struct, what)
    if isinstance(y, (list, tuple)) and _nested_not_flat(struct):
        if _same_structure(y, struct):
            return flatten_structure(y)
        if isinstance(y, dict) or len(y) != len(_leaf_paths(struct)):
            raise ValueError(f"`{what}` does not follow the structure of the model's outputs "
                             f"{_describe(struct)}: got {_describe(y)}")
    return y


def _fill_targets_of_outputs_without_loss(model: Any, y: Any, struct: Any) -> Any:
    """Keras 3 takes targets for the outputs that have a loss only (a dict without their
    keys, or a list with one target per loss); the other outputs get an empty placeholder
    of shape (samples, 0) here, which nothing reads. Outputs with metrics need targets."""
    compiled_loss = getattr(model, "compiled_loss", None)
    entries = getattr(compiled_loss, "entries", None)
    if entries is None:
        return y
    paths = _leaf_paths(struct)
    with_loss = sorted({e[0] for e in entries})
    metrics = getattr(model, "compiled_metrics", None)
    needed = set(with_loss)
    for specs in (getattr(metrics, "specs", None) or [], getattr(metrics, "weighted_specs",
                                                                     None) or []):
        needed |= {i for i, s in enumerate(specs) if s}
    if isinstance(y, dict) and isinstance(struct, dict):
        given = [i for i, p in enumerate(paths) if _has_path(y, p)]
        if len(given) == len(paths) or not given or not needed <= set(given):
            return y
        n = np.shape(_at(y, paths[given[0]]))[0]
        flat = [_at(y, p) if i in given else np.zeros((n, 0), np.float32)
                for i, p in enumerate(paths)]
        return flat
    if isinstance(y, (list, tuple)) and len(y) == len(with_loss) < len(paths) and \
            needed == set(with_loss) and all(not isinstance(t, (list, tuple, dict)) for t in y):
        n = np.shape(y[0])[0]
        flat = [np.zeros((n, 0), np.float32)] * len(paths)
        for i, t in zip(with_loss, y):
            flat[i] = t
        return flat
    return y


def _has_path(data: Any, path: tuple) -> bool:
    try:
        _at(data, path)
    except (KeyError, IndexError, TypeError):
        return False
    return True


def _describe(struct: Any) -> Any:
    if isinstance(struct, dict):
        return {k: _describe(v) for k, v in struct.items()}
    if isinstance(struct, (list, tuple)):
        return type(struct)(_describe(v) for v in struct)
    return "*"


def pack_predictions(model: Any, flat: list) -> Any:
    """`predict`'s result in the structure of the model's outputs (a dict for dict outputs,
    nested lists/tuples for nested outputs); one array for a single output."""
    struct = model._output_structure()
    if struct is None or (isinstance(struct, list) and len(struct) == 1 and
                          not isinstance(struct[0], (list, tuple, dict))):
        return flat[0] if len(flat) == 1 else flat
    return pack_like(struct, flat)


def check_steps_per_execution(value: Any) -> int:
    """`compile(steps_per_execution=...)`: an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError("`steps_per_execution` must be an integer >= 1, got "
                         f"steps_per_execution={value!r}")
    return int(value)


class ExecutionHooks:
    """Batch callbacks every `steps_per_execution` steps, as Keras 3 calls them: `begin`
    with the execution's first step, `end` with its first step + steps_per_execution - 1
    (also for a shorter last execution), after every step of the execution ran. Steps
    themselves run one at a time; only the hooks are grouped, so the numbers are the same
    as with steps_per_execution=1."""

    def __init__(self, steps_per_execution: int) -> None:
        self.n = steps_per_execution

    def begins(self, step: int) -> bool:
        return step % self.n == 0

    def end_index(self, step: int) -> int:
        """The index `on_*_batch_end` gets for the execution holding `step`."""
        return step - step % self.n + self.n - 1

    def ends(self, step: int) -> bool:
        """Whether `step` is the last of its execution (the last one of a shorter final
        execution is found by the caller, after its loop)."""
        return (step + 1) % self.n == 0
