"""SimpleRNN: h_t = activation(x_t · kernel + h_{t-1} · recurrent_kernel + bias)."""

from __future__ import annotations

from typing import Any

from minikeras.autodiff import primitives as P
from minikeras.layers.rnn.cells import BaseCell, BaseRNNLayer


class SimpleRNNCell(BaseCell):
    """Keras 3's SimpleRNNCell (one step); weights kernel, recurrent_kernel, bias."""

    gates = 1
    has_recurrent_activation = False

    def __init__(self, units: int, activation: Any = "tanh", **kwargs: Any) -> None:
        kwargs.pop("recurrent_activation", None)
        super().__init__(units, activation=activation, **kwargs)

    def call(self, sequence: Any, states: Any, training: bool = False) -> tuple:
        nested = isinstance(states, (list, tuple))
        prev = states[0] if nested else states
        x, prev = self._step_inputs(sequence, prev, training)
        h = P.dense(x, self.kernel, self.bias)
        out = self.activation(P.add(h, P.matmul(prev, self.recurrent_kernel)))
        return out, ([out] if nested else out)


class SimpleRNN(BaseRNNLayer):
    """Keras 3's SimpleRNN(units, activation='tanh', use_bias, initialisers
    (glorot_uniform, orthogonal, zeros), regularisers, constraints, dropout,
    recurrent_dropout, seed, return_sequences, return_state, go_backwards, stateful,
    unroll)."""

    cell_class = SimpleRNNCell
    cell_name = "simple_rnn_cell"

    def __init__(self, units: int, activation: Any = "tanh", **kwargs: Any) -> None:
        super().__init__(units, activation=activation, **kwargs)
