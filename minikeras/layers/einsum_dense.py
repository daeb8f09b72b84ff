"""`EinsumDense`: a Dense layer whose product is an einsum equation, as Keras 3's
`keras.layers.EinsumDense(equation, output_shape, activation, bias_axes, ...)`.

y = activation(einsum(equation, x, kernel) + bias). The kernel's shape comes from the
equation: each kernel letter takes its size from the output (given by `output_shape`,
the batch axis excluded) or, failing that, from the input. `bias_axes` names output
letters; the bias covers the output from the first of them on (size 1 elsewhere).
Equations are `ab,bc->ac`, `...b,bc->...c` or `ab...,bc->ac...`, as Keras accepts.
Not supported: LoRA and quantization (clear errors).
"""

from __future__ import annotations

import re
from typing import Any

from minikeras import activations, constraints, initializers, regularizers
from minikeras.autodiff import math_primitives as M
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.layer import Layer


def _ser(obj: Any) -> Any:
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(obj)


def analyze_einsum_string(equation: str, bias_axes: str | None, input_shape: tuple,
                          output_shape: Any) -> tuple:
    """(kernel_shape, bias_shape or None, full_output_shape, input_axes, output_axes) of
    an EinsumDense equation, with Keras 3's rules and error messages."""
    s = re.sub(r"\.\.\.", "0", equation)
    for pattern, left in (("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", False),
                          ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", True),
                          ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", False)):
        match = re.match(pattern, s)
        if match:
            return _analyze_split(match.groups(), bias_axes, tuple(input_shape),
                                  output_shape, left)
    raise ValueError(f"Invalid einsum equation '{equation}'. Equations must be in the form "
                     "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


def _analyze_split(specs: tuple, bias_axes: str | None, input_shape: tuple,
                   output_shape: Any, left_elided: bool) -> tuple:
    input_spec, weight_spec, output_spec = specs
    elided = len(input_shape) - len(input_spec)
    out = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    out.insert(0, input_shape[0])
    if elided > 0 and left_elided:
        for i in range(1, elided):
            out.insert(1, input_shape[i])
    elif elided > 0:
        out.extend(input_shape[len(input_shape) - elided:])
    if left_elided:
        in_map = {d: i + elided - len(input_shape) for i, d in enumerate(input_spec)}
        out_map = {d: i + elided for i, d in enumerate(output_spec)}
    else:
        in_map = {d: i for i, d in enumerate(input_spec)}
        out_map = {d: i for i, d in enumerate(output_spec)}
    for d in input_spec:
        if d in out_map:
            o, i = out[out_map[d]], input_shape[in_map[d]]
            if o is not None and o != i:
                raise ValueError(f"Input shape and output shape do not match at shared "
                                 f"dimension '{d}'. Input shape is {i}, and output shape "
                                 f"is {o}.")
    for d in output_spec:
        if d not in input_spec and d not in weight_spec:
            raise ValueError(f"Dimension '{d}' was specified in the output '{output_spec}' "
                             f"but has no corresponding dim in the input spec "
                             f"'{input_spec}' or weight spec '{weight_spec}'")
    kernel, in_axes, out_axes = [], [], []
    for i, d in enumerate(weight_spec):
        if d in out_map:
            kernel.append(out[out_map[d]])
            out_axes.append(i)
        elif d in in_map:
            kernel.append(input_shape[in_map[d]])
            in_axes.append(i)
        else:
            raise ValueError(f"Weight dimension '{d}' did not have a match in either the "
                             f"input spec '{input_spec}' or the output spec '{output_spec}'. "
                             "For this layer, the weight must be fully specified.")
    bias = None
    if bias_axes is not None:
        shift = elided if left_elided else 0
        sizes = {c: out[i + shift] for i, c in enumerate(output_spec)}
        for c in bias_axes:
            if c not in output_spec:
                raise ValueError(f"Bias dimension '{c}' was requested, but is not part of "
                                 f"the output spec '{output_spec}'")
        first = min(output_spec.find(c) for c in bias_axes)
        bias = [sizes[c] if c in bias_axes else 1 for c in output_spec[first:]]
        if not left_elided:
            bias.extend([1] * max(elided, 0))
    return kernel, bias, out, in_axes, out_axes


class EinsumDense(Layer):
    """Keras 3's EinsumDense (see the module docstring). Weights `kernel`, then `bias`
    when `bias_axes` is given. The default glorot_uniform counts its fans over the
    kernel's input and output axes (Keras 3.15's `input_axes`/`output_axes`)."""

    def __init__(self, equation: str, output_shape: Any, activation: Any = None,
                 bias_axes: str | None = None, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, lora_rank: Any = None, lora_alpha: Any = None,
                 **kwargs: Any) -> None:
        if lora_rank:
            raise ValueError("EinsumDense: LoRA (lora_rank) is not supported by minikeras")
        kwargs.pop("quantization_config", None)
        kwargs.pop("gptq_unpacked_column_size", None)
        super().__init__(**kwargs)
        if not isinstance(equation, str):
            raise TypeError(f"EinsumDense: `equation` must be a string, got {equation!r}")
        self.equation = equation
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) \
            else tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.bias = None

    def build(self, input_shape: tuple) -> None:
        kshape, bshape, _, in_axes, out_axes = analyze_einsum_string(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        init = self.kernel_initializer
        if hasattr(init, "input_axes") and (init.input_axes is None or
                                            init.output_axes is None):
            cfg = dict(init.get_config(), input_axes=in_axes, output_axes=out_axes)
            init = type(init).from_config(cfg)
        self.kernel = self.add_weight(name="kernel", shape=tuple(kshape), initializer=init,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if bshape is not None:
            self.bias = self.add_weight(name="bias", shape=tuple(bshape),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self._input_rank = len(input_shape)
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.ndim != self._input_rank:
            raise ValueError(f"Input 0 of layer '{self.name}' is incompatible with the layer: "
                             f"expected ndim={self._input_rank}, found ndim={inputs.ndim}. "
                             f"Full shape received: {tuple(inputs.shape)}")
        x = M.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            x = P.add(x, self.bias)
        return x if self.activation is activations.linear else self.activation(x)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(analyze_einsum_string(self.equation, self.bias_axes, input_shape,
                                           self.partial_output_shape)[2])

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": _ser(self.kernel_initializer),
            "bias_initializer": _ser(self.bias_initializer),
            "kernel_regularizer": _ser(self.kernel_regularizer),
            "bias_regularizer": _ser(self.bias_regularizer),
            "activity_regularizer": _ser(self.activity_regularizer),
            "kernel_constraint": _ser(self.kernel_constraint),
            "bias_constraint": _ser(self.bias_constraint),
            "quantization_config": None,
        })
        return cfg
