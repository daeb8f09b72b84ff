"""RepeatVector: (batch, features) -> (batch, n, features)."""

from __future__ import annotations

from typing import Any

from minikeras.autodiff import primitives as P
from minikeras.autodiff import spatial
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.reshaping._base import RankChecked, _is_int


class RepeatVector(RankChecked):
    """The input vector repeated `n` times along a new axis 1. As in Keras 3 it does not
    support masking: a mask it receives is dropped, with Keras' warning."""

    _ndim = 2

    def __init__(self, n: int, **kwargs: Any) -> None:
        if not _is_int(n):
            raise TypeError(f"RepeatVector: expected an integer value for `n`, got {type(n)} "
                            f"(n={n!r}).")
        if n <= 0:
            raise ValueError(f"Argument `n` should be a positive integer. Received: n={n}")
        super().__init__(**kwargs)
        self.n = int(n)

    def _expected_shape(self) -> str:
        return "(batch_size, features)"

    def call(self, inputs: Tensor) -> Tensor:
        self._check_rank(inputs.shape)
        return spatial.repeat_axes(P.expand_dims(inputs, 1), {1: self.n})

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check_rank(input_shape)
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["n"] = self.n
        return cfg
