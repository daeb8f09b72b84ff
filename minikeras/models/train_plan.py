"""The forward pass of the training step for a stack of layers, planned once per `fit`.

Keras has no counterpart: its backends compile the step (tf.function, jax.jit). Here the
plan only removes per-layer bookkeeping. Each run of plain Dense layers (built-in `Dense`,
no activity regulariser) becomes one `dense_chain` node with its relu/tanh/sigmoid inside;
other activations (softmax, and a sigmoid on the last layer, so that cross-entropy finds the
logits) and every other layer run as the model's own call runs them. The NumPy operations
are those of the layers called one by one, so the results are bit-for-bit the same
(tests/test_train_plan.py).
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

from minikeras import activations
from minikeras.autodiff import primitives as P
from minikeras.autodiff.masks import get_keras_mask, set_keras_mask
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.core import Dense
from minikeras.layers.layer import Layer, _context

# Activations a run of Dense layers applies inside its `dense_chain` node.
_CHAINED = {activations.relu: "relu", activations.tanh: "tanh", activations.sigmoid: "sigmoid"}


def plan_layer_stack(model: Any, layers: list) -> Callable | None:
    """A function (input array -> output tensor) for the training forward pass of `model`,
    whose call applies `layers` one after the other; None when the model itself needs its
    full `__call__` (not built, or an activity regulariser of its own)."""
    if not model.built or not layers or model.activity_regularizer is not None or \
            not all(layer.built for layer in layers):
        return None
    steps: list = []
    run: list = []  # consecutive plain Dense layers
    for i, layer in enumerate(layers):
        if type(layer) is Dense and layer._is_plain():
            if run and layer.dtype != run[0].dtype:  # a run computes in one dtype
                steps.append(_DenseRun(run))
                run = []
            run.append(layer)
            act = layer.activation
            name = _CHAINED.get(act)
            if act is activations.linear or (name is not None and not (
                    name == "sigmoid" and i == len(layers) - 1)):
                continue
            steps.append(_DenseRun(run, last_activation=False))
            steps.append(act)
            run = []
            continue
        if run:
            steps.append(_DenseRun(run))
            run = []
        steps.append(_LayerStep(layer))
    if run:
        steps.append(_DenseRun(run))

    def forward(x: Any) -> Any:
        x = model._convert_inputs(x)
        if type(x) is not Tensor:
            return model(x, training=True)
        if model._losses:
            model._losses = []
        outer = _context.training
        _context.training = True  # as the model's own call would set it for its layers
        try:
            for step in steps:
                x = step(x)
        finally:
            _context.training = outer
        return x

    forward.steps = steps  # for tests and the curious
    return forward


class _DenseRun:
    """Consecutive plain Dense layers, run as one `dense_chain` node (2-D inputs) or op by
    op (inputs of higher rank, which Dense applies to the last axis)."""

    def __init__(self, layers: list, last_activation: bool = True) -> None:
        self.first = layers[0]
        # (kernel, bias or None, activation name or None) per layer; the last layer's
        # activation is left to the next step when `last_activation` is False
        self.spec = tuple((layer.kernel, layer.bias, _CHAINED.get(layer.activation) if (
            last_activation or i < len(layers) - 1) else None)
            for i, layer in enumerate(layers))

    def __call__(self, x: Tensor) -> Tensor:
        if x.value.dtype is not self.first._np_dtype:
            x = self.first._autocast(x)  # what calling the layer does
        if x.value.shape[-1] != self.first._input_dim:
            self.first._check_input(x)  # raises, naming the layer
        if x.value.ndim == 2:
            return P.dense_chain(x, self.spec)
        mask = get_keras_mask(x)  # Dense passes a mask (of a sequence) through
        for kernel, bias, act in self.spec:
            x = P.dense(x, kernel, bias)
            if act is not None:
                x = getattr(P, act)(x)
        if mask is not None:
            set_keras_mask(x, mask)
        return x


class _LayerStep:
    """Any other layer, called as `Sequential.call` calls it in training."""

    def __init__(self, layer: Layer) -> None:
        self.layer = layer

    def __call__(self, x: Any) -> Any:
        layer = self.layer
        if (type(x) is Tensor and x.value.dtype is layer._np_dtype and layer._is_plain()
                and get_keras_mask(x) is None):
            return layer.call(x)
        return layer(x, training=True)
