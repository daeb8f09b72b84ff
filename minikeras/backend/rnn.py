"""`K.rnn`: Keras 2's backend loop over timesteps, for Keras 2-era custom recurrent code."""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import numpy as np

from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor


def rnn(step_function: Callable, inputs: Any, initial_states: list, go_backwards: bool = False,
        mask: Any = None, constants: list | None = None, unroll: bool = False,
        input_length: int | None = None, time_major: bool = False,
        zero_output_for_mask: bool = False, return_all_outputs: bool = True) -> tuple:
    """Keras 2's `K.rnn`: calls `step_function(inputs_t, states + constants)` (which returns
    `(output_t, new_states)`) for each timestep of `inputs` (batch, time, ...) (or (time,
    batch, ...) with `time_major`). Returns `(last_output, outputs, new_states)`; `outputs`
    is (batch, time, ...) in the order the steps ran (reversed with `go_backwards`), or only
    the last step when `return_all_outputs=False`. Where `mask` (batch, time) is False the
    step keeps the previous states and outputs the previous output (zeros with
    `zero_output_for_mask`). `unroll` and `input_length` are accepted and change nothing."""
    x = inputs if isinstance(inputs, Tensor) else Tensor(np.asarray(inputs))
    if x.ndim < 3:
        raise ValueError(f"K.rnn: inputs should be at least 3-D (batch, time, features); "
                         f"received shape {x.shape}")
    if time_major:
        x = P.transpose(x, (1, 0) + tuple(range(2, x.ndim)))
        if mask is not None:
            mask = np.swapaxes(np.asarray(getattr(mask, "value", mask)), 0, 1)
    T = x.shape[1]
    states = list(initial_states)
    constants = list(constants or [])
    if mask is not None:
        mask = np.asarray(getattr(mask, "value", mask), dtype=bool)
        if mask.ndim > 2:
            mask = mask.reshape(mask.shape[:2])
    outputs: list = []
    prev = None
    for t in (range(T - 1, -1, -1) if go_backwards else range(T)):
        out, new_states = step_function(P.getitem(x, (slice(None), t)), states + constants)
        new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
        if mask is not None:
            m = mask[:, t].reshape((-1,) + (1,) * (out.ndim - 1))
            if zero_output_for_mask or prev is None:
                out = P.where(m, out, 0.0)
            else:
                out = P.where(m, out, prev)
            new_states = [P.where(mask[:, t].reshape((-1,) + (1,) * (ns.ndim - 1)), ns, s)
                          for ns, s in zip(new_states, states)]
        prev = out
        states = new_states
        outputs.append(out)
    seq = P.stack(outputs if return_all_outputs else outputs[-1:], axis=1)
    if time_major:
        seq = P.transpose(seq, (1, 0) + tuple(range(2, seq.ndim)))
    return outputs[-1], seq, states
