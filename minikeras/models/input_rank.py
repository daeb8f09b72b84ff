"""Keras' tolerance of one missing or extra trailing size-1 axis on model inputs.

Keras 3's Functional (`_adjust_input_rank`) and Keras 2's Functional both accept an input whose
rank differs from the Input's by one when the difference is a trailing axis of size 1: (N, 28, 28)
data for `Input((28, 28, 1))` gets the axis added, (N, 4, 1) data for `Input((4,))` has it
squeezed. Any other mismatch is left alone (the caller raises its shape error).
"""
from __future__ import annotations
from typing import Any
import numpy as np
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor


def adjust_input_rank(value: Any, shape: tuple | None) -> Any:
    """`value` with a trailing size-1 axis added or removed to match `shape` (the Input's
    shape with its batch axis), or `value` unchanged when no such adjustment applies."""
    if shape is None or not isinstance(value, (np.ndarray, Tensor)):
        return value
    want, got = len(shape), len(value.shape)
    if got == want + 1 and value.shape[-1] == 1:
        return P.squeeze(value, -1) if isinstance(value, Tensor) else value[..., 0]
    if got == want - 1 and shape[-1] == 1:
        return P.expand_dims(value, -1) if isinstance(value, Tensor) else value[..., None]
    return value
