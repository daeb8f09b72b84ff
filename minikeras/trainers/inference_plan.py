"""Inference (predict, evaluate, validation) for a chain of Dense layers, on plain arrays.

Keras has no counterpart (its backends compile the call). A model whose call applies plain
`Dense` layers one after the other (with linear/relu/tanh/sigmoid/softmax activations,
`Activation` layers of those, and `Dropout`, the identity at inference) is run here without
the layer machinery: no Tensor per op, no call context, and with `out=` buffers reused over
the batches; `predict` writes the last layer straight into the result array. The NumPy
operations are those the layers perform (`P.dense`'s matmul then `+= bias`,
`P.relu`/`P.tanh`/`P.sigmoid`/`P.softmax`), so the outputs are bit-for-bit the same
(tests/test_inference_plan.py). Any other layer, dtype or input means no plan: the model is
called as usual.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import activations
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.core import Activation, Dense, Dropout

_ACTS = {activations.linear: None, activations.relu: "relu", activations.tanh: "tanh",
         activations.sigmoid: "sigmoid", activations.softmax: "softmax"}
_max_reduce = np.maximum.reduce
_add_reduce = np.add.reduce


def _softmax_inplace(z: np.ndarray) -> np.ndarray:
    # P.softmax's operations (max, exp(v - m), sum, e / s), written into z
    m = _max_reduce(z, -1, keepdims=True)
    np.subtract(z, m, out=z)
    np.exp(z, out=z)
    np.divide(z, _add_reduce(z, -1, keepdims=True), out=z)
    return z


class InferencePlan:
    """The layers as (kernel, bias or None, [activation names]) steps, for 2-D inputs of
    `dtype` with `input_dim` features."""

    def __init__(self, steps: list, dtype: np.dtype, input_dim: int) -> None:
        self.steps = steps
        self.dtype = dtype
        self.input_dim = input_dim
        self.units = steps[-1][0].value.shape[1]
        self.max_product = 0  # the largest kernel (for the choice of BLAS threads)
        for kernel, _, _ in steps:
            self.max_product = max(self.max_product, kernel.value.size)

    def fits(self, x: Any) -> bool:
        return (type(x) is np.ndarray and x.ndim == 2 and x.dtype is self.dtype and
                x.shape[1] == self.input_dim)

    def buffers(self, rows: int) -> list:
        """One work array per layer but the last, reused over batches of `rows` rows."""
        return [np.empty((rows, k.value.shape[1]), self.dtype) for k, _, _ in self.steps[:-1]]

    def run(self, x: np.ndarray, out: np.ndarray, buffers: list,
            last_activation: bool = True) -> np.ndarray:
        """The output for `x` (2-D, C-contiguous), written into `out` (x's rows); the
        buffers hold at least as many rows as x. Without `last_activation`, a final
        sigmoid/softmax is left out (the caller applies the primitive, which keeps the
        logits for the cross-entropies)."""
        h = x
        rows = x.shape[0]
        last = len(self.steps) - 1
        for i, (kernel, bias, acts) in enumerate(self.steps):
            z = out if i == last else buffers[i][:rows]
            np.matmul(h, kernel.value, out=z)
            if bias is not None:
                z += bias.value
            for j, act in enumerate(acts):
                if act == "relu":
                    np.maximum(z, 0, out=z)
                elif act == "tanh":
                    np.tanh(z, out=z)
                elif i == last and j == len(acts) - 1 and not last_activation:
                    break
                elif act == "sigmoid":
                    z[...] = P._sigmoid_value(z)
                else:
                    _softmax_inplace(z)
            h = z
        return h

    def loss_function(self, model: Any, y: np.ndarray) -> Any:
        """A function (x batch, y batch) -> the batch's loss value, computed with the
        operations the test step makes (the output, then the fused mean squared error or
        softmax cross-entropy from the softmax' cache), for a model whose loss is one of
        those, with no metrics and no penalties; None otherwise."""
        from minikeras.trainers.step_plan import fused_loss

        plan = getattr(model, "_loss_plan", None)
        if model.compiled_metrics.has_metrics or plan is None or plan[0] or \
                any(layer._losses for layer in plan[1]) or y.dtype is not self.dtype or \
                y.ndim != 2 or y.shape[1] != self.units:
            return None
        found = fused_loss(model, y, self.units)
        if found is None or found[0]._np_dtype is not self.dtype:
            return None
        kind, acts = found[1], self.steps[-1][2]
        if not ((kind == "mse" and not acts) or (kind == "cce" and acts == ["softmax"])):
            return None
        cache: dict = {}

        def value(x: np.ndarray, y: np.ndarray) -> float | None:
            if not (self.fits(x) and x.shape[0] == y.shape[0] > 0 and y.dtype is self.dtype):
                return None
            rows = x.shape[0]
            work = cache.get(rows)
            if work is None:
                work = cache[rows] = (np.empty((rows, self.units), self.dtype),
                                      self.buffers(rows))
            z = self.run(x, work[0], work[1], last_activation=False)
            if kind == "mse":  # P.squared_error_mean(over_batch=True)
                d = z - y
                return float(np.vdot(d, d) / d.size)
            # P.softmax's max and sum, its cached log-sum-exp, then the cross-entropy
            m = _max_reduce(z, -1, keepdims=True)
            s = _add_reduce(np.exp(z - m), -1, keepdims=True)
            logp = z - (m + np.log(s))
            return float(-np.vdot(y, logp) * (z.shape[-1] / z.size))

        return value

    def last_activation(self) -> str | None:
        acts = self.steps[-1][2]
        return acts[-1] if acts and acts[-1] in ("sigmoid", "softmax") else None

    def forward(self, x: np.ndarray) -> Tensor:
        """The model's output as a Tensor (evaluate's forward pass), the last sigmoid or
        softmax applied by its primitive as the layer would, so that the loss finds the
        logits."""
        out = np.empty((x.shape[0], self.units), self.dtype)
        z = self.run(x, out, self.buffers(x.shape[0]), last_activation=False)
        act = self.last_activation()
        if act is None:
            return Tensor(z)
        return P.sigmoid(Tensor(z)) if act == "sigmoid" else P.softmax(Tensor(z))


def plan_inference(model: Any) -> InferencePlan | None:
    """The plan for `model`'s inference call, or None when it needs its own call."""
    chain = getattr(model, "_chain_layers", None)
    layers = chain() if chain is not None else None
    if not layers or not model.built or model.activity_regularizer is not None:
        return None
    steps: list = []
    dtype = None
    input_dim = None
    for layer in layers:
        kind = type(layer)
        if kind is Dropout and type(layer).__call__ is Dropout.__call__:
            continue  # the identity at inference
        if kind not in (Dense, Activation) or not layer._is_plain():
            return None
        act = _ACTS.get(layer.activation, False)
        if act is False:
            return None
        if kind is Activation:
            if not steps:
                return None
            if act is not None:
                steps[-1][2].append(act)
            continue
        kernel = layer.kernel
        dt = layer._np_dtype
        if dt.kind != "f" or kernel.value.dtype is not dt or \
                (layer.bias is not None and layer.bias.value.dtype is not dt) or \
                (dtype is not None and dt is not dtype):
            return None
        if dtype is None:
            dtype, input_dim = dt, kernel.value.shape[0]
        elif kernel.value.shape[0] != steps[-1][0].value.shape[1]:
            return None
        steps.append((kernel, layer.bias, [] if act is None else [act]))
    if not steps:
        return None
    return InferencePlan(steps, dtype, input_dim)
