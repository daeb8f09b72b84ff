"""Merge layers: combine a list of tensors into one (`Concatenate`, `Add`, `Subtract`,
`Multiply`, `Average`, `Maximum`, `Minimum`) and their functional forms (`add`, ...).

Element-wise merges follow Keras 3's shape rules: the shapes without the batch axis are
aligned from the right and may broadcast (a size of 1 stretches); inputs of lower rank
are expanded at axis 1 until all ranks agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.layer import Layer


def _is_shape(x: Any) -> bool:
    return isinstance(x, (tuple, list)) and all(d is None or isinstance(d, int) for d in x)


class Merge(Layer):
    """Base class of the element-wise merge layers; subclasses implement
    `_merge_function(list_of_tensors)`."""

    _min_inputs = 1

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """Keras 3: the logical OR of the inputs' masks, None unless every input has one."""
        if previous_mask is None:
            return None
        masks = list(previous_mask) if isinstance(previous_mask, (list, tuple)) else \
            [previous_mask]
        if any(m is None for m in masks):
            return None
        out = np.asarray(masks[0], dtype=bool)
        for m in masks[1:]:
            out = np.logical_or(out, m)
        return out

    # A merge layer's input is always a list, even of one tensor: keep it a list.
    def _maybe_build(self, input_shape: Any) -> None:
        if self.built:
            return
        self.build(input_shape)
        self.built = True

    def _check_list(self, input_shape: Any) -> list:
        if not isinstance(input_shape, (list, tuple)) or not input_shape or \
                not all(_is_shape(s) for s in input_shape) or _is_shape(input_shape):
            raise ValueError(f"A merge layer ({type(self).__name__} {self.name!r}) should be "
                             "called on a list of at least "
                             f"{self._min_inputs} input{'s' if self._min_inputs > 1 else ''}. "
                             f"Received: input_shape={input_shape}")
        if len(input_shape) < self._min_inputs:
            raise ValueError(f"A `{type(self).__name__}` layer should be called on at least "
                             f"{self._min_inputs} inputs. Received: input_shape={input_shape}")
        return [tuple(s) for s in input_shape]

    def _elementwise_shape(self, shape1: tuple, shape2: tuple) -> tuple:
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        if not shape2:
            return tuple(shape1)
        out = list(shape1[: len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
            if i is None or j is None:
                out.append(None)
            elif i == 1:
                out.append(j)
            elif j == 1:
                out.append(i)
            elif i != j:
                raise ValueError(f"Inputs of layer {self.name!r} ({type(self).__name__}) have "
                                 f"incompatible shapes. Received shapes {shape1} and {shape2}")
            else:
                out.append(i)
        return tuple(out)

    def _output_shape(self, shapes: list) -> tuple:
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(f"Cannot merge tensors with different batch sizes in layer "
                             f"{self.name!r}. Received tensors with shapes {shapes}")
        out = tuple(shapes[0][1:])
        for s in shapes[1:]:
            out = self._elementwise_shape(out, tuple(s[1:]))
        return ((batch_sizes.pop() if batch_sizes else None),) + out

    def build(self, input_shape: Any) -> None:
        shapes = self._check_list(input_shape)
        self._output_shape(shapes)
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return self._output_shape(self._check_list(input_shape))

    def call(self, inputs: Any) -> Tensor:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A merge layer ({type(self).__name__} {self.name!r}) should be "
                             f"called on a list of inputs. Received: inputs of type "
                             f"{type(inputs).__name__}")
        shapes = self._check_list([tuple(x.shape) for x in inputs])
        self._output_shape(shapes)  # the same shape checks as on symbolic inputs
        ranks = {len(s) for s in shapes}
        if len(ranks) > 1:
            top = max(ranks)
            inputs = [x if x.ndim == top else
                      P.reshape(x, (x.shape[0],) + (1,) * (top - x.ndim) + tuple(x.shape[1:]))
                      for x in inputs]
        return self._merge_function(list(inputs))

    def _merge_function(self, inputs: list) -> Tensor:
        raise NotImplementedError


class Add(Merge):
    def _merge_function(self, inputs: list) -> Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = P.add(out, x)
        return out


class Subtract(Merge):
    """inputs[0] - inputs[1]; exactly two inputs."""

    _min_inputs = 2

    def _check_list(self, input_shape: Any) -> list:
        shapes = super()._check_list(input_shape)
        if len(shapes) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. "
                             f"Received: input_shape={input_shape}")
        return shapes

    def _merge_function(self, inputs: list) -> Tensor:
        return P.subtract(inputs[0], inputs[1])


class Multiply(Merge):
    def _merge_function(self, inputs: list) -> Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = P.multiply(out, x)
        return out


class Average(Merge):
    def _merge_function(self, inputs: list) -> Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = P.add(out, x)
        return P.divide(out, len(inputs))


class Maximum(Merge):
    def _merge_function(self, inputs: list) -> Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = P.maximum(out, x)
        return out


class Minimum(Merge):
    def _merge_function(self, inputs: list) -> Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = P.minimum(out, x)
        return out


class Concatenate(Merge):
    """Joins the inputs along `axis`; every other axis must agree (None matches any size)."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"Concatenate: `axis` must be an int, got axis={axis!r}")
        self.axis = axis

    def _concat_shapes(self, input_shape: Any) -> list:
        shapes = self._check_list(input_shape)
        ranks = {len(s) for s in shapes}
        err = (f"A `Concatenate` layer ({self.name!r}) requires inputs with matching shapes "
               f"except for the concatenation axis. Received: input_shape={input_shape}")
        if len(ranks) != 1:
            raise ValueError(err)
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise ValueError(f"Concatenate {self.name!r}: axis {self.axis} is out of range for "
                             f"inputs of rank {rank}. Received: input_shape={input_shape}")
        axis = self.axis % rank
        for d in range(rank):
            if d == axis:
                continue
            sizes = {s[d] for s in shapes} - {None}
            if len(sizes) > 1:
                raise ValueError(err)
        return shapes

    def build(self, input_shape: Any) -> None:
        self._concat_shapes(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._concat_shapes(input_shape)
        axis = self.axis % len(shapes[0])
        out = list(shapes[0])
        for d in range(len(out)):
            if d != axis and out[d] is None:
                out[d] = next((s[d] for s in shapes if s[d] is not None), None)
        sizes = [s[axis] for s in shapes]
        out[axis] = None if any(n is None for n in sizes) else sum(sizes)
        return tuple(out)

    def call(self, inputs: Any) -> Tensor:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A `Concatenate` layer ({self.name!r}) should be called on a list "
                             f"of inputs. Received: inputs of type {type(inputs).__name__}")
        self._concat_shapes([tuple(x.shape) for x in inputs])
        return P.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """Keras 3: each input's mask (all True where it has none) widened to its input's
        rank, concatenated along `axis`, then any() over the last axis."""
        if previous_mask is None or all(m is None for m in previous_mask):
            return None
        parts = []
        for x, m in zip(inputs, previous_mask):
            shape = tuple(x.shape)
            if m is None:
                parts.append(np.ones(shape, dtype=bool))
            elif np.ndim(m) < len(shape):
                parts.append(np.broadcast_to(np.expand_dims(m, -1), shape))
            else:
                parts.append(np.asarray(m, dtype=bool))
        return np.any(np.concatenate(parts, axis=self.axis), axis=-1)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


# --- functional forms (keras.layers.add(...), ...) --------------------------------------

def concatenate(inputs: list, axis: int = -1, **kwargs: Any) -> Any:
    return Concatenate(axis=axis, **kwargs)(inputs)


def add(inputs: list, **kwargs: Any) -> Any:
    return Add(**kwargs)(inputs)


def subtract(inputs: list, **kwargs: Any) -> Any:
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list, **kwargs: Any) -> Any:
    return Multiply(**kwargs)(inputs)


def average(inputs: list, **kwargs: Any) -> Any:
    return Average(**kwargs)(inputs)


def maximum(inputs: list, **kwargs: Any) -> Any:
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list, **kwargs: Any) -> Any:
    return Minimum(**kwargs)(inputs)
