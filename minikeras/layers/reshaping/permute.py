"""Permute: the non-batch axes reordered, e.g. dims=(2, 1) swaps axes 1 and 2."""

from __future__ import annotations

from typing import Any

from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.reshaping._base import RankChecked, _is_int


class Permute(RankChecked):
    """`dims`: a permutation of 1..k (the batch axis 0 stays first), so inputs must have
    rank k + 1. As in Keras 3 it does not support masking (a mask is dropped, with a
    warning)."""

    def __init__(self, dims: Any, **kwargs: Any) -> None:
        try:
            dims_t = tuple(dims)
        except TypeError:
            raise ValueError(f"Invalid permutation argument `dims` for Permute Layer: expected "
                             f"a tuple of ints. Received dims={dims!r}") from None
        if not all(_is_int(d) for d in dims_t) or \
                sorted(int(d) for d in dims_t) != list(range(1, len(dims_t) + 1)):
            raise ValueError("Invalid permutation argument `dims` for Permute Layer. The set "
                             "of indices in `dims` must be consecutive and start from 1. "
                             f"Received dims={dims!r}")
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims_t)
        self._ndim = len(self.dims) + 1

    def _expected_shape(self) -> str:
        return "(batch_size, " + ", ".join(f"d{i}" for i in range(1, self._ndim)) + ")"

    def call(self, inputs: Tensor) -> Tensor:
        self._check_rank(inputs.shape)
        return P.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check_rank(input_shape)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["dims"] = self.dims
        return cfg
