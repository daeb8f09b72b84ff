"""`RNN`: runs a cell over the timesteps of a sequence (Keras 3's `keras.layers.RNN`).

Two ways to run:

- the fused path: SimpleRNN/LSTM/GRU cells of minikeras with activations the fused loop
  knows (tanh, sigmoid, relu, linear, hard_sigmoid) run as one `recurrent` primitive
  (autodiff/rnn_primitives.py): one GEMM for every timestep's inputs, then the loop, and
  backpropagation through time in the same primitive;
- the generic path: any other cell (a user's cell, `StackedRNNCells`, other activations)
  is called once per timestep, each step recorded op by op.

Both follow Keras 3's scan: a masked step keeps the previous states and outputs the previous
output (zeros with `zero_output_for_mask`); `go_backwards` returns the outputs in the order
they were computed (reversed).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import activations
from minikeras.autodiff import primitives as P
from minikeras.autodiff.rnn_primitives import ACTIVATIONS, recurrent
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.layer import Layer
from minikeras.random import generator


def _ser(obj: Any) -> Any:
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(obj)


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


class DropoutRNNCell:
    """Mixin of the built-in cells: one dropout mask per call of the RNN (the same for
    every timestep), as Keras 3 draws them. Masks are inverted-dropout factors (0 or
    1/(1-rate))."""

    def _draw_mask(self, shape: tuple, rate: float, dtype: Any) -> np.ndarray:
        rng = self._rng if getattr(self, "_rng", None) is not None else generator()
        keep = 1.0 - rate
        return (rng.uniform(size=shape) < keep).astype(dtype) / np.dtype(dtype).type(keep)

    def get_dropout_mask(self, step_input: Any) -> np.ndarray | None:
        if not 0.0 < self.dropout < 1.0:
            return None
        if getattr(self, "_dropout_mask", None) is None:
            v = np.asarray(getattr(step_input, "value", step_input))
            self._dropout_mask = self._draw_mask(v.shape, self.dropout, v.dtype)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, step_state: Any) -> np.ndarray | None:
        if not 0.0 < self.recurrent_dropout < 1.0:
            return None
        if getattr(self, "_recurrent_dropout_mask", None) is None:
            v = np.asarray(getattr(step_state, "value", step_state))
            self._recurrent_dropout_mask = self._draw_mask(v.shape, self.recurrent_dropout,
                                                           v.dtype)
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self) -> None:
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        self._recurrent_dropout_mask = None


def _fused_kind(cell: Any) -> str | None:
    """'simple', 'lstm' or 'gru' when `cell` can run as one `recurrent` primitive."""
    from minikeras.layers.rnn.gru import GRUCell
    from minikeras.layers.rnn.lstm import LSTMCell
    from minikeras.layers.rnn.simple_rnn import SimpleRNNCell

    kind = {SimpleRNNCell: "simple", LSTMCell: "lstm", GRUCell: "gru"}.get(type(cell))
    if kind is None:
        return None
    if activations.serialize(cell.activation) not in ACTIVATIONS:
        return None
    if kind != "simple" and activations.serialize(cell.recurrent_activation) not in ACTIVATIONS:
        return None
    return kind


class RNN(Layer):
    """Keras 3's `RNN(cell, return_sequences, return_state, go_backwards, stateful, unroll,
    zero_output_for_mask)`; `cell` may be a list of cells (a `StackedRNNCells`).

    `unroll` is accepted and changes nothing (the numbers are those of the loop).
    `stateful=True` needs a fixed batch size (`batch_input_shape`, `batch_size`, or an
    `Input(batch_shape=...)`); `reset_states()` zeroes the kept states.
    """

    def __init__(self, cell: Any, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, **kwargs: Any) -> None:
        from minikeras.layers.rnn.stacked_rnn_cells import StackedRNNCells

        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError("RNN: the `cell` must have a `call` method and a `state_size` "
                             f"attribute (one integer per state). Received: cell={cell!r}")
        kwargs.pop("time_major", None)  # Keras 2 configs write it (always False)
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        state_size = cell.state_size
        self.state_size = list(state_size) if isinstance(state_size, (list, tuple)) else \
            [state_size]
        self.single_state = not isinstance(state_size, (list, tuple))
        object.__setattr__(self, "states", None)  # kept out of the saved weights (Keras 3)

    # --- shapes -------------------------------------------------------------------------
    def _flat_state_sizes(self) -> list:
        out: list = []
        for s in self.state_size:
            out.extend(_as_list(s))
        return out

    def _output_size(self) -> int:
        size = getattr(self.cell, "output_size", None)
        if size is None:
            size = self._flat_state_sizes()[0] if not isinstance(self.state_size[0], (
                list, tuple)) else self.state_size[0][0]
        return int(size)

    def compute_output_shape(self, input_shape: Any, initial_state_shape: Any = None) -> Any:
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], tuple):
            input_shape = input_shape[0]
        batch, length = input_shape[0], input_shape[1]
        out = (batch, length, self._output_size()) if self.return_sequences else \
            (batch, self._output_size())
        if self.return_state:
            return [out] + [(batch, s) for s in self._flat_state_sizes()]
        return out

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        mask = previous_mask[0] if isinstance(previous_mask, (list, tuple)) else previous_mask
        out = mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None] * len(self._flat_state_sizes())
        return out

    def build(self, input_shape: Any, initial_state_shape: Any = None) -> None:
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], tuple):
            input_shape = input_shape[0]
        self._check_rank(input_shape)
        step_shape = (input_shape[0],) + tuple(input_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._maybe_build(step_shape)
            self.cell.built = True
        if self.stateful:
            batch = input_shape[0]
            if batch is None and self._batch_input_shape is not None:
                batch = self._batch_input_shape[0]
            if batch is None:
                raise ValueError(f"Layer {self.name!r}: when using `stateful=True` in a RNN, "
                                 "the batch size must be static (give `batch_input_shape`, "
                                 "`batch_size`, or `Input(batch_shape=...)`). Found dynamic "
                                 f"batch size: input shape {tuple(input_shape)}")
            self._create_states(int(batch))
        self.built = True

    def _check_rank(self, shape: Any) -> None:
        if len(shape) != 3:
            raise ValueError(f"Input 0 of layer {self.name!r} ({type(self).__name__}) is "
                             "incompatible with the layer: expected ndim=3, i.e. a shape "
                             f"(batch, timesteps, features), but received input with shape "
                             f"{tuple(shape)}")

    # --- states -------------------------------------------------------------------------
    def _zero_states(self, batch: int, dtype: Any) -> list:
        get = getattr(self.cell, "get_initial_state", None)
        if get is not None:
            states = get(batch_size=batch)
            return [s if isinstance(s, Tensor) else Tensor(np.asarray(s, dtype=dtype))
                    for s in _as_list(states)]
        return [Tensor(np.zeros((batch, s), dtype=dtype)) for s in self._flat_state_sizes()]

    def get_initial_state(self, batch_size: int) -> list:
        return self._zero_states(batch_size, self.dtype)

    def _create_states(self, batch: int) -> None:
        from minikeras.autodiff.tensor import Variable

        states = [Variable(np.zeros((batch, s), dtype=self.dtype), name="rnn_state",
                           trainable=False) for s in self._flat_state_sizes()]
        object.__setattr__(self, "states", states)

    def reset_states(self, states: Any = None) -> None:
        """Zero the kept states of a stateful RNN (or set them to `states`)."""
        if not self.stateful:
            raise AttributeError("Layer must be stateful.")
        if self.states is None:
            return
        if states is None:
            for v in self.states:
                v.assign(np.zeros(v.shape, dtype=v.dtype))
            return
        values = _as_list(states)
        if len(values) != len(self.states):
            raise ValueError(f"Layer {self.name!r} expects {len(self.states)} states, "
                             f"received {len(values)}")
        for v, s in zip(self.states, values):
            s = np.asarray(getattr(s, "value", s))
            if s.shape != v.shape:
                raise ValueError(f"Layer {self.name!r}: state of shape {v.shape} expected, "
                                 f"received shape {s.shape}")
        for v, s in zip(self.states, values):
            v.assign(np.asarray(getattr(s, "value", s)))

    reset_state = reset_states

    def _check_initial_state(self, initial_state: list, batch: int) -> None:
        sizes = self._flat_state_sizes()
        if len(initial_state) != len(sizes):
            raise ValueError(f"Layer {self.name!r} ({type(self).__name__}) expects "
                             f"{len(sizes)} initial state(s) of shapes "
                             f"{[(batch, s) for s in sizes]}, but received "
                             f"{len(initial_state)}: shapes "
                             f"{[tuple(np.shape(s)) for s in initial_state]}")
        for i, (s, size) in enumerate(zip(initial_state, sizes)):
            if tuple(np.shape(s)) != (batch, size):
                raise ValueError(f"Layer {self.name!r} ({type(self).__name__}): "
                                 f"initial_state[{i}] should have shape {(batch, size)}, "
                                 f"but received shape {tuple(np.shape(s))}")

    # --- running -------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Keras: `layer(x, initial_state=...)`, and a list [x, s0, s1, ...] means the same
        if args and isinstance(args[0], (list, tuple)) and len(args[0]) > 1 and \
                kwargs.get("initial_state") is None and not isinstance(args[0][0], (int, float)):
            kwargs["initial_state"] = list(args[0][1:])
            args = (args[0][0],) + args[1:]
        return super().__call__(*args, **kwargs)

    def _symbolic_call(self, args: tuple, kwargs: dict) -> Any:
        self._check_rank(args[0].shape)
        return super()._symbolic_call(args, kwargs)

    def call(self, sequences: Tensor, initial_state: Any = None, mask: Any = None,
             training: bool = False) -> Any:
        v = sequences.value
        if v.ndim != 3:
            self._check_rank(v.shape)
        batch = v.shape[0]
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != v.shape[:2]:
                raise ValueError(f"Layer {self.name!r}: the mask has shape {mask.shape}, but "
                                 f"the input {v.shape} needs a mask of shape {v.shape[:2]}")
        if initial_state is not None:
            initial_state = [s if isinstance(s, Tensor) else Tensor(np.asarray(s, v.dtype))
                             for s in _as_list(initial_state)]
            self._check_initial_state(initial_state, batch)
        elif self.stateful:
            if self.states is None:
                self._create_states(batch)
            if self.states[0].shape[0] != batch:
                raise ValueError(f"Layer {self.name!r}: if an RNN is stateful, the batch size "
                                 "of the input sequences must be the same as the batch size "
                                 f"of the states. Expected batch size: "
                                 f"{self.states[0].shape[0]}; received: {batch} (input "
                                 f"shape {v.shape})")
            initial_state = [Tensor(s.value.copy()) for s in self.states]
        else:
            initial_state = self._zero_states(batch, v.dtype)
        kind = _fused_kind(self.cell)
        if kind is not None:
            last, seq, states = self._run_fused(kind, sequences, initial_state, mask, training)
        else:
            last, seq, states = self._run_generic(sequences, initial_state, mask, training)
        if self.stateful:
            for var, s in zip(self.states, states):
                var.assign(s.value)
        output = seq if self.return_sequences else last
        if self.return_state:
            return [output] + list(states)
        return output

    def _run_fused(self, kind: str, x: Tensor, states: list, mask: Any,
                   training: bool) -> tuple:
        cell = self.cell
        B, T, _ = x.value.shape
        U = cell.units
        rec_mask = None
        if training:
            dm = cell.get_dropout_mask(x.value[:, 0, :])
            if dm is not None:
                x = P.multiply(x, dm[:, None, :])
            rec_mask = cell.get_recurrent_dropout_mask(states[0].value)
            cell.reset_dropout_mask()
            cell.reset_recurrent_dropout_mask()
        full = self.return_sequences or ((self.return_state or self.stateful) and kind == "lstm")
        out = recurrent(x, cell.kernel, cell.recurrent_kernel, cell.bias, states, cell=kind,
                        activation=activations.serialize(cell.activation),
                        recurrent_activation=activations.serialize(
                            getattr(cell, "recurrent_activation", activations.tanh)),
                        mask=mask, go_backwards=self.go_backwards, full=full,
                        reset_after=getattr(cell, "reset_after", True),
                        recurrent_mask=rec_mask)
        if not full:
            return out, None, [out]
        if kind == "lstm":
            seq = P.getitem(out, (slice(None), slice(None), slice(0, U)))
            h = P.getitem(out, (slice(None), T - 1, slice(0, U)))
            c = P.getitem(out, (slice(None), T - 1, slice(U, 2 * U)))
            new_states = [h, c]
        else:
            seq = out
            h = P.getitem(out, (slice(None), T - 1))
            new_states = [h]
        if self.zero_output_for_mask and mask is not None:
            m = mask[:, ::-1] if self.go_backwards else mask
            seq = P.multiply(seq, m[:, :, None].astype(x.value.dtype))
        return h, seq, new_states

    def _run_generic(self, x: Tensor, states: list, mask: Any, training: bool) -> tuple:
        cell = self.cell
        T = x.value.shape[1]
        nested = self._nest_states(states)
        kwargs = {"training": training} if getattr(cell, "_call_has_training", False) else {}
        outputs: list = []
        steps = range(T - 1, -1, -1) if self.go_backwards else range(T)
        try:
            for t in steps:
                xt = P.getitem(x, (slice(None), t))
                out, new = cell(xt, nested, **kwargs)
                new = _as_list(new)
                if mask is not None:
                    mt = mask[:, t:t + 1]
                    if self.zero_output_for_mask:
                        out = P.where(mt, out, 0.0)
                    else:
                        prev = _as_list(nested[-1])[0] if isinstance(nested[0], list) \
                            else nested[0]
                        out = P.where(mt, out, prev)
                    new = self._map_pairs(new, nested, lambda n, s, mt=mt: P.where(mt, n, s))
                nested = new
                outputs.append(out)
        finally:
            if isinstance(cell, DropoutRNNCell):
                cell.reset_dropout_mask()
                cell.reset_recurrent_dropout_mask()
            for c in getattr(cell, "cells", ()):
                if isinstance(c, DropoutRNNCell):
                    c.reset_dropout_mask()
                    c.reset_recurrent_dropout_mask()
        seq = P.stack(outputs, axis=1) if self.return_sequences else None
        flat_states: list = []
        for s in nested:
            flat_states.extend(_as_list(s))
        return outputs[-1], seq, flat_states

    def _nest_states(self, flat: list) -> list:
        """Flat states -> the cell's structure (a list per cell for nested state sizes)."""
        out: list = []
        i = 0
        for s in self.state_size:
            if isinstance(s, (list, tuple)):
                out.append(list(flat[i:i + len(s)]))
                i += len(s)
            else:
                out.append(flat[i])
                i += 1
        return out

    def _map_pairs(self, new: list, old: list, fn) -> list:
        return [self._map_pairs(_as_list(n), _as_list(o), fn) if isinstance(o, list)
                else fn(n, o) for n, o in zip(new, old)]

    # --- config -------------------------------------------------------------------------
    def _rnn_config(self) -> dict:
        return {"return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful,
                "unroll": self.unroll, "zero_output_for_mask": self.zero_output_for_mask}

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(self._rnn_config())
        cfg["cell"] = _ser(self.cell)
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "RNN":
        from minikeras.layers import deserialize

        config = dict(config)
        cell = config.pop("cell")
        if isinstance(cell, list):
            cell = [deserialize(c, custom_objects) for c in cell]
        else:
            cell = deserialize(cell, custom_objects)
        return cls(cell, **config)

    def _legacy_config(self, cfg: dict) -> dict:
        """The config written to legacy .h5 files: without the keys tf_keras refuses."""
        return {k: v for k, v in cfg.items() if not (k == "seed" and v is None)}

