"""LSTM. Gates in Keras' order i, f, c, o (column blocks of kernel and recurrent kernel):
i, f, o = recurrent_activation(...), g = activation(...), c_t = f·c_{t-1} + i·g,
h_t = o·activation(c_t)."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.autodiff import primitives as P
from minikeras.layers.rnn.cells import BaseCell, BaseRNNLayer


class LSTMCell(BaseCell):
    """Keras 3's LSTMCell; states [h, c]; `unit_forget_bias=True` starts the forget gate's
    bias at 1 (the other blocks from `bias_initializer`)."""

    gates = 4

    def __init__(self, units: int, unit_forget_bias: bool = True, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]

    def _bias_initializer(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, init = self.units, self.bias_initializer

        def forget_bias_one(shape: Any, dtype: Any = None) -> np.ndarray:
            return np.concatenate([np.asarray(init((units,), dtype=dtype)),
                                   np.ones((units,), dtype=dtype),
                                   np.asarray(init((2 * units,), dtype=dtype))])

        return forget_bias_one

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple:
        h_tm1, c_tm1 = states[0], states[1]
        x, hd = self._step_inputs(inputs, h_tm1, training)
        u = self.units
        z = P.add(P.dense(x, self.kernel, self.bias), P.matmul(hd, self.recurrent_kernel))
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u:2 * u])
        c = P.add(P.multiply(f, c_tm1), P.multiply(i, self.activation(z[:, 2 * u:3 * u])))
        o = self.recurrent_activation(z[:, 3 * u:])
        h = P.multiply(o, self.activation(c))
        return h, [h, c]

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["unit_forget_bias"] = self.unit_forget_bias
        return cfg


class LSTM(BaseRNNLayer):
    """Keras 3's LSTM(units, activation='tanh', recurrent_activation='sigmoid', use_bias,
    initialisers (glorot_uniform, orthogonal, zeros), unit_forget_bias=True, regularisers,
    constraints, dropout, recurrent_dropout, seed, return_sequences, return_state,
    go_backwards, stateful, unroll, use_cudnn)."""

    cell_class = LSTMCell
    cell_name = "lstm_cell"
    extra_cell_args = ("unit_forget_bias",)


