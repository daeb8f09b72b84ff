"""GRU. Gates in Keras' order z, r, h (column blocks). With `reset_after=True` (Keras 3's
and tf.keras' default) the reset gate multiplies h_{t-1}·R_h + b_h, and the bias has two
rows (input, recurrent); with `reset_after=False` (Keras 2.2/2.3's default) it multiplies
h_{t-1} before R_h, and the bias is one row."""

from __future__ import annotations

from typing import Any

from minikeras.autodiff import primitives as P
from minikeras.layers.rnn.cells import BaseCell, BaseRNNLayer


class GRUCell(BaseCell):
    """Keras 3's GRUCell; h_t = z·h_{t-1} + (1 - z)·hh."""

    gates = 3

    def __init__(self, units: int, reset_after: bool = True, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self) -> tuple:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple:
        nested = isinstance(states, (list, tuple))
        h_tm1 = states[0] if nested else states
        x, hd = self._step_inputs(inputs, h_tm1, training)
        u = self.units
        if self.bias is not None and self.reset_after:
            b_in, b_rec = self.bias[0], self.bias[1]
        else:
            b_in, b_rec = self.bias, None
        mx = P.dense(x, self.kernel, b_in)
        if self.reset_after:
            inner = P.matmul(hd, self.recurrent_kernel)
            if b_rec is not None:
                inner = P.add(inner, b_rec)
        else:
            inner = P.matmul(hd, self.recurrent_kernel[:, :2 * u])
        z = self.recurrent_activation(P.add(mx[:, :u], inner[:, :u]))
        r = self.recurrent_activation(P.add(mx[:, u:2 * u], inner[:, u:2 * u]))
        if self.reset_after:
            rh = P.multiply(r, inner[:, 2 * u:])
        else:
            rh = P.matmul(P.multiply(r, hd), self.recurrent_kernel[:, 2 * u:])
        hh = self.activation(P.add(mx[:, 2 * u:], rh))
        h = P.add(P.multiply(z, h_tm1), P.multiply(P.subtract(1.0, z), hh))
        return h, ([h] if nested else h)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["reset_after"] = self.reset_after
        return cfg


class GRU(BaseRNNLayer):
    """Keras 3's GRU(units, ..., reset_after=True); see GRUCell."""

    cell_class = GRUCell
    cell_name = "gru_cell"
    extra_cell_args = ("reset_after",)
