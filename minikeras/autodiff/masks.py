"""Keras masks: a boolean array attached to a tensor, saying which entries are real.

Keras attaches a mask to a tensor (`x._keras_mask`): `Embedding(mask_zero=True)` and
`Masking` make one (shape `(batch, timesteps)`), layers that support masking pass it on
(`Layer.compute_mask`), recurrent layers skip the masked timesteps, and losses and metrics
treat it as sample weights (see `losses.apply_mask`).

minikeras keeps the masks in one table keyed by the tensor's identity; an entry goes away
when its tensor is collected (a weak reference watches it). A mask is always a NumPy
boolean array (never differentiated). `Tensor._keras_mask` reads and writes this table;
`KerasTensor._keras_mask` is a plain attribute holding a symbolic boolean tensor.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

_MASKS: dict[int, tuple] = {}


def _drop_mask(ref: weakref.ref, key: int) -> None:
    entry = _MASKS.get(key)
    if entry is not None and entry[0] is ref:
        del _MASKS[key]


def set_keras_mask(x: Any, mask: Any) -> None:
    """Attach `mask` (anything array-like, made boolean) to the tensor `x`; None removes it."""
    key = id(x)
    if mask is None:
        _MASKS.pop(key, None)
        return
    ref = weakref.ref(x, lambda r, k=key: _drop_mask(r, k))
    value = getattr(mask, "value", mask)
    _MASKS[key] = (ref, np.asarray(value, dtype=bool))


def get_keras_mask(x: Any) -> np.ndarray | None:
    """The mask attached to `x`, or None (the common case costs one truth test)."""
    if not _MASKS:
        return None
    entry = _MASKS.get(id(x))
    if entry is None or entry[0]() is not x:
        return None
    return entry[1]
