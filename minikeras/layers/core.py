"""Core layers: InputLayer/Input, Dense, Activation, Dropout, Flatten, Reshape, Identity,
Lambda."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import activations, constraints, initializers, regularizers
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.layer import INPUT_DTYPES, KerasTensor, Layer, Node
from minikeras.random import generator


def _ser(obj: Any) -> Any:
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(obj)


class InputLayer(Layer):
    """The entry of a model: holds the input shape, computes nothing.

    Accepts Keras 3's `shape`/`batch_shape` and Keras 2's `input_shape`/`batch_input_shape`.
    """

    _allowed_dtypes = INPUT_DTYPES  # integer indices and boolean masks come in too

    def __init__(self, shape: Any = None, batch_size: int | None = None, dtype: Any = None,
                 batch_shape: Any = None, name: str | None = None, sparse: Any = None,
                 input_tensor: Any = None, optional: bool = False, ragged: Any = None,
                 input_shape: Any = None, batch_input_shape: Any = None, **kwargs: Any) -> None:
        shape = shape if shape is not None else input_shape
        batch_shape = batch_shape if batch_shape is not None else batch_input_shape
        if shape is not None and batch_shape is not None:
            raise ValueError("InputLayer: give either `shape` or `batch_shape`, not both")
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer needs `shape` (or `batch_shape`), e.g. shape=(4,)")
            shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
            batch_shape = (batch_size,) + shape
        batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        for d in batch_shape[1:]:
            if d is not None and d < 0:
                raise ValueError(f"InputLayer: invalid shape {batch_shape}")
        if name is None:
            from minikeras.utils.naming import auto_name

            name = auto_name("input_layer")
        # `dtype="string"`: text for TextVectorization/StringLookup (branch textprep); the
        # layer computes nothing, so only its tensor and config carry the string dtype
        string = isinstance(dtype, str) and dtype in ("string", "str") or dtype is str
        super().__init__(name=name, dtype=None if string else dtype, **kwargs)
        self._string_input = string
        self.batch_shape = batch_shape
        self.optional = bool(optional)  # the model may be called with None for it (Keras 3)
        self.built = True
        tensor = KerasTensor(batch_shape, "string" if string else self.dtype, (self, 0, 0),
                             name=self.name)
        self._inbound_nodes.append(Node(self, (), {}, tensor))
        self._output_tensor = tensor

    def get_config(self) -> dict:
        # Keras 2 spelling: both Keras 2 and Keras 3 read `batch_input_shape`.
        config = {"batch_input_shape": list(self.batch_shape),
                  "dtype": "string" if self._string_input else self.dtype,
                  "sparse": False, "ragged": False, "name": self.name}
        if self.optional:  # (only then: Keras 2 does not know the key)
            config["optional"] = True
        return config

    @classmethod
    def from_config(cls, config: dict) -> "InputLayer":
        config = dict(config)
        for dropped in ("sparse", "ragged", "trainable"):
            config.pop(dropped, None)
        return cls(**config)


def Input(shape: Any = None, batch_size: int | None = None, dtype: Any = None,
          sparse: Any = None, batch_shape: Any = None, name: str | None = None,
          tensor: Any = None, optional: bool = False) -> KerasTensor:
    """A symbolic input for the functional API: `keras.Input(shape=(4,))`."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape,
                       name=name, optional=optional)
    return layer._output_tensor


class Dense(Layer):
    """`activation(inputs @ kernel + bias)`; kernel of shape (input_dim, units)."""

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, lora_rank: Any = None, **kwargs: Any) -> None:
        if isinstance(units, float) and units.is_integer():
            units = int(units)
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError("Received an invalid value for `units`, expected a positive "
                             f"integer. Received: units={units}")
        if lora_rank:
            raise ValueError("Dense: LoRA (lora_rank) is not supported by minikeras")
        kwargs.pop("quantization_config", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.supports_masking = True  # passes masks through, as Keras 3
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.bias = None

    def build(self, input_shape: tuple) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Dense {self.name!r}: the last axis of the input must be known, "
                             f"got input shape {input_shape}")
        self.kernel = self.add_weight(name="kernel", shape=(input_dim, self.units),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self._input_dim = input_dim
        self.built = True

    def _check_input(self, inputs: Tensor) -> None:
        if inputs.value.shape[-1] != self._input_dim:
            raise ValueError(f"Input 0 of layer {self.name!r} is incompatible with the layer: "
                             f"expected axis -1 of input shape to have value {self._input_dim}, "
                             f"but received input with shape {inputs.shape}")

    def call(self, inputs: Tensor) -> Tensor:
        self._check_input(inputs)
        out = P.dense(inputs, self.kernel, self.bias)
        return out if self.activation is activations.linear else self.activation(out)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _ser(self.kernel_initializer),
            "bias_initializer": _ser(self.bias_initializer),
            "kernel_regularizer": _ser(self.kernel_regularizer),
            "bias_regularizer": _ser(self.bias_regularizer),
            "activity_regularizer": _ser(self.activity_regularizer),
            "kernel_constraint": _ser(self.kernel_constraint),
            "bias_constraint": _ser(self.bias_constraint),
        })
        return cfg


class Activation(Layer):
    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True  # passes masks through, as Keras 3
        self.activation = activations.get(activation)
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        return self.activation(inputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["activation"] = activations.serialize(self.activation)
        return cfg


class Dropout(Layer):
    """Inverted dropout: in training, zero a fraction `rate` of the inputs and scale the rest
    by 1/(1-rate); at inference, the identity."""

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)) or \
                not 0 <= rate <= 1:
            raise ValueError("Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate}")
        if noise_shape is not None:  # Keras' checks and wording
            bad = "Invalid value received for argument `noise_shape`. "
            if isinstance(noise_shape, str):
                raise ValueError(f"{bad}Expected a tuple or list of integers. Received: "
                                 f"noise_shape={noise_shape}")
            if not hasattr(noise_shape, "__iter__"):
                raise ValueError(f"{bad}Expected an iterable of integers (e.g., a tuple or "
                                 f"list). Received: noise_shape={noise_shape}")
            for i, d in enumerate(noise_shape):
                if d is None:
                    continue
                if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
                    raise ValueError(f"{bad}Expected all elements to be integers or None. "
                                     f"Received element at index {i}: {d} (type: "
                                     f"{type(d).__name__})")
                if d <= 0:
                    raise ValueError(f"{bad}Expected all dimensions to be positive integers "
                                     f"or None. Received negative or zero value at index "
                                     f"{i}: {d}")
        super().__init__(**kwargs)
        self.supports_masking = True  # passes masks through, as Keras 3
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._rng = generator(seed) if seed is not None else None
        self.built = True

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return P.multiply(inputs, 0.0)
        rng = self._rng if self._rng is not None else generator()
        if self.noise_shape is None:
            return P.dropout(inputs, self.rate, rng)
        shape = tuple(inputs.shape[i] if d is None else d for i, d in enumerate(self.noise_shape))
        keep = 1.0 - self.rate
        mask = (rng.uniform(size=shape) < keep).astype(inputs.dtype) / inputs.dtype.type(keep)
        return P.multiply(inputs, mask)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return cfg


class Flatten(Layer):
    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = data_format
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.ndim == 1:
            return P.expand_dims(inputs, 1)
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = P.transpose(inputs, (0,) + tuple(range(2, inputs.ndim)) + (1,))
        return P.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        rest = input_shape[1:]
        n = None if any(d is None for d in rest) else int(np.prod(rest)) if rest else 1
        return (input_shape[0], n)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["data_format"] = self.data_format or "channels_last"
        return cfg


class Reshape(Layer):
    def __init__(self, target_shape: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)
        if sum(1 for d in self.target_shape if d == -1) > 1:
            raise ValueError(f"Reshape: at most one -1 allowed, got {self.target_shape}")
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        return P.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        rest = input_shape[1:]
        if -1 in self.target_shape and None not in rest:
            known = int(np.prod([d for d in self.target_shape if d != -1]))
            total = int(np.prod(rest))
            if total % known:
                raise ValueError(f"Reshape: cannot reshape {input_shape} to "
                                 f"{self.target_shape}")
            return (input_shape[0],) + tuple(total // known if d == -1 else d
                                             for d in self.target_shape)
        if None not in rest and -1 not in self.target_shape and \
                int(np.prod(rest)) != int(np.prod(self.target_shape)):
            raise ValueError(f"Reshape: total size of the input {input_shape} does not match "
                             f"target_shape {self.target_shape}")
        return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["target_shape"] = list(self.target_shape)
        return cfg


class Identity(Layer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True  # passes masks through, as Keras 3
        self.built = True

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


class Lambda(Layer):
    """Wraps a Python function as a layer.

    Saving writes Keras 3's config: a named function by its registered name (`{"module",
    "class_name": "function", "config": name, "registered_name"}`), a Python lambda as its
    marshalled bytecode (`__lambda__`, which Keras 2 and 3 write too, so Keras 3 can load the
    file with `safe_mode=False`). Loading differs from Keras: a named function resolves
    through `custom_objects` / the registry only, and a lambda's bytecode is never read back
    or executed, whatever `safe_mode` says (the error says how to load such a model)."""

    def __init__(self, function: Any, output_shape: Any = None, mask: Any = None,
                 arguments: dict | None = None, **kwargs: Any) -> None:
        if not callable(function):
            raise ValueError("Lambda: `function` must be callable. minikeras never rebuilds a "
                             "Lambda from a file, because that would execute code stored in "
                             "the file.")
        super().__init__(**kwargs)
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = output_shape
        self.built = True

    def call(self, inputs: Any) -> Any:
        return self.function(inputs, **self.arguments)

    def get_config(self) -> dict:
        from minikeras.saving.serialization import serialize_keras_object

        cfg = super().get_config()
        cfg["function"] = _function_config(self.function)
        if self._output_shape is not None:
            cfg["output_shape"] = (_function_config(self._output_shape)
                                   if callable(self._output_shape) else self._output_shape)
        cfg["arguments"] = serialize_keras_object(self.arguments)
        return cfg

    @classmethod
    def from_config(cls, config: dict) -> "Lambda":
        from minikeras.saving.serialization import deserialize_keras_object

        config = dict(config)
        name = config.get("name", "lambda")
        fn = config.pop("function", None)
        if _is_bytecode(fn, config.get("function_type")):
            raise ValueError(
                f"Refusing to load the Lambda layer {name!r}: its function is stored as Python "
                "bytecode, and minikeras never executes code from a file (whatever safe_mode "
                "says). To load such a model: in the code that saves it, use a named function "
                "(`def f(x): ...; layers.Lambda(f)`) instead of a lambda, and load with "
                "custom_objects={'f': f}; or rebuild the model in code and call "
                "model.load_weights(path).")
        if isinstance(fn, str):  # Keras 2: the function's name ("function_type": "function")
            function = deserialize_keras_object(
                {"module": "builtins", "class_name": "function", "config": fn,
                 "registered_name": "function"})
        elif isinstance(fn, dict):
            function = deserialize_keras_object(fn)
        else:
            raise ValueError(f"Lambda layer {name!r}: unreadable `function` in its config: "
                             f"{fn!r}")
        shape = config.pop("output_shape", None)
        if _is_bytecode(shape, config.get("output_shape_type")):
            raise ValueError(f"Refusing to load the Lambda layer {name!r}: its output_shape "
                             "is a lambda stored as Python bytecode, which minikeras never "
                             "executes; use a named function or a shape")
        if isinstance(shape, dict):
            shape = deserialize_keras_object(shape)
        arguments = config.pop("arguments", None)
        if isinstance(arguments, dict) and arguments:
            arguments = deserialize_keras_object(arguments)
        for key in ("function_type", "module", "output_shape_type", "output_shape_module",
                    "mask", "mask_type", "mask_module"):  # Keras 2's bookkeeping
            config.pop(key, None)
        return cls(function, output_shape=tuple(shape) if isinstance(shape, list) else shape,
                   arguments=arguments or None, **config)


def _function_config(fn: Any) -> Any:
    """Keras 3's config of a Lambda's function (see `Lambda`)."""
    import base64
    import marshal  # dumps only: writes bytecode for Keras; minikeras never loads any
    import types

    from minikeras.saving.serialization import serialize_keras_object

    if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>":
        closure = None if fn.__closure__ is None else \
            [serialize_keras_object(c.cell_contents) for c in fn.__closure__]
        defaults = None if fn.__defaults__ is None else \
            [serialize_keras_object(d) for d in fn.__defaults__]
        return {"class_name": "__lambda__", "config": {
            "code": base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii"),
            "defaults": defaults, "closure": closure}}
    return serialize_keras_object(fn)


def _is_bytecode(value: Any, kind: Any) -> bool:
    """A function written as bytecode: Keras 3's `__lambda__` dict or Keras 2's
    `[code, defaults, closure]` with `*_type: "lambda"`."""
    return (isinstance(value, dict) and value.get("class_name") == "__lambda__") or \
        kind == "lambda"
