"""`Layer`, the base of every layer and model, and the symbolic `KerasTensor`.

A layer owns weights (created in `build` with `add_weight`) and computes `call(inputs)`.
Calling a layer on a `KerasTensor` (from `keras.Input`) records a node of a functional
graph instead of computing anything.
"""

from __future__ import annotations

import copy
import functools
import inspect
import threading
from typing import Any

import numpy as np

from minikeras import config, initializers, ops, regularizers, constraints
from minikeras.autodiff import primitives as P
from minikeras.autodiff.masks import get_keras_mask, set_keras_mask
from minikeras.autodiff.tensor import Tensor, Variable, no_grad, wrap
from minikeras.utils.naming import auto_name, closest, to_snake_case

_LAYER_KWARGS = ("trainable", "name", "dtype", "input_shape", "input_dim", "batch_input_shape",
                 "batch_size", "activity_regularizer", "autocast", "weights", "input_length")


def flatten_structure(x: Any) -> list:
    """The leaves of nested lists, tuples and dicts (dicts in key order)."""
    if isinstance(x, (list, tuple)):
        out: list = []
        for item in x:
            out.extend(flatten_structure(item))
        return out
    if isinstance(x, dict):
        out = []
        for k in sorted(x):
            out.extend(flatten_structure(x[k]))
        return out
    return [x]


def pack_like(structure: Any, flat: list) -> Any:
    """Inverse of `flatten_structure`."""
    it = iter(flat)

    def build(s):
        if isinstance(s, (list, tuple)):
            return type(s)(build(i) for i in s) if isinstance(s, tuple) else [build(i) for i in s]
        if isinstance(s, dict):
            return {k: build(s[k]) for k in sorted(s)}
        return next(it)

    return build(structure)


def standardize_dtype(dtype: Any) -> str:
    """Accept Keras 3 DTypePolicy dicts, Keras 2 Policy dicts and plain names."""
    if dtype is None:
        return config.floatx()
    if isinstance(dtype, dict):
        dtype = (dtype.get("config") or {}).get("name", config.floatx())
    if hasattr(dtype, "name") and not isinstance(dtype, (str, np.dtype)):
        dtype = dtype.name
    name = str(np.dtype(dtype)) if not isinstance(dtype, str) else dtype
    if name.startswith("mixed_"):
        return "float32"  # variables of mixed-precision policies are float32
    try:
        np.dtype(name)
    except TypeError:
        raise ValueError(f"Unknown dtype: {dtype!r}") from None
    return name


# The dtypes a layer may compute in. Keras 3 accepts any floating dtype (its policies refuse
# "str" and "object"; "complex128" or "int32" fail only when the weights are made);
# bfloat16 would need the ml_dtypes package, which minikeras does not depend on, so it is
# refused with a message that says so (docs/decisions.md).
FLOAT_DTYPES = ("float16", "float32", "float64")
# InputLayer also takes the integer and boolean dtypes of index and mask inputs.
INPUT_DTYPES = FLOAT_DTYPES + ("int8", "int16", "int32", "int64", "uint8", "uint16",
                               "uint32", "uint64", "bool")

# attribute values `Layer.__setattr__` never tracks (no layer or variable inside)
_UNTRACKED = frozenset((type(None), bool, int, float, str, np.ndarray, dict))


def check_layer_dtype(layer: "Layer", dtype: Any, allowed: tuple) -> str:
    """`dtype` (a name, NumPy dtype, Keras 3 DTypePolicy dict or Keras 2 Policy dict) as a
    name from `allowed`, or a ValueError naming the layer, the dtype and what is allowed."""
    what = f"{type(layer).__name__} {getattr(layer, 'name', '?')!r}"
    raw = dtype.get("config", {}).get("name") if isinstance(dtype, dict) and \
        isinstance(dtype.get("config"), dict) else dtype
    if isinstance(raw, str) and "bfloat16" in raw and not raw.startswith("mixed_"):
        raise ValueError(f"{what}: dtype={raw!r} is not supported: NumPy has no bfloat16 "
                         "(it needs the ml_dtypes package, which minikeras does not depend on). "
                         f"Use one of {', '.join(allowed)}.")
    try:
        name = standardize_dtype(dtype)
    except (TypeError, ValueError):
        name = None
    if name not in allowed:
        raise ValueError(f"{what}: dtype={raw!r} is not supported; a layer's dtype must be one "
                         f"of {', '.join(allowed)} (or a Keras dtype policy of them)")
    return name


_PLAIN_TYPES = (str, int, float, bool, type(None))


@functools.lru_cache(maxsize=1024)
def _signature(fn: Any) -> inspect.Signature:
    """inspect.signature, once per function (layer constructors ask for it every time)."""
    return inspect.signature(fn)


def _auto_config(cls: type, args: tuple, kwargs: dict) -> dict | None:
    """Keras 3's automatic config: the constructor's arguments by name, defaults included,
    **kwargs spread out, without `name`; None when they cannot be given back by name or
    are not all plain values."""
    try:
        signature = _signature(cls.__init__)
        bound = signature.bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        return None
    params = list(signature.parameters.values())[1:]
    if any(p.kind == inspect.Parameter.POSITIONAL_ONLY for p in params):
        return None
    bound.apply_defaults()
    values = dict(list(bound.arguments.items())[1:])
    for p in params:
        if p.kind == inspect.Parameter.VAR_KEYWORD:
            values.update(values.pop(p.name, {}))
        elif p.kind == inspect.Parameter.VAR_POSITIONAL and values.pop(p.name, ()):
            return None
    values.pop("name", None)

    def plain(v: Any) -> bool:
        if isinstance(v, (list, tuple)):
            return all(plain(x) for x in v)
        if isinstance(v, dict):
            return all(isinstance(k, str) and plain(x) for k, x in v.items())
        return isinstance(v, _PLAIN_TYPES)

    return values if plain(values) else None


class _CallContext(threading.local):
    def __init__(self) -> None:
        self.training = None  # the training flag of the outermost call; None outside calls
        self.casting = False  # inside the `call` of a layer that casts its variables
        # the outermost call got no training flag: Keras 3 then lets each layer use its
        # call's default (the image augmentation layers default to True; branch imgaug)
        self.training_unset = False


_context = _CallContext()


class KerasTensor:
    """A symbolic tensor of a functional graph: a shape (batch axis None) and a dtype."""

    _keras_mask = None  # a boolean KerasTensor when the layer that made it attaches a mask

    def __init__(self, shape: tuple, dtype: str = "float32", history: tuple | None = None,
                 name: str | None = None) -> None:
        self.shape = tuple(shape)
        self.dtype = dtype
        self._history = history  # (layer, node_index, tensor_index)
        self.name = name

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    # Operators build graph nodes through keras.ops, as in Keras 3 (ops/symbolic.py).
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.subtract(self, other)

    def __rsub__(self, other):
        return ops.subtract(other, self)

    def __mul__(self, other):
        return ops.multiply(self, other)

    def __rmul__(self, other):
        return ops.multiply(other, self)

    def __truediv__(self, other):
        return ops.true_divide(self, other)

    def __rtruediv__(self, other):
        return ops.true_divide(other, self)

    def __floordiv__(self, other):
        return ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return ops.floor_divide(other, self)

    def __mod__(self, other):
        return ops.mod(self, other)

    def __rmod__(self, other):
        return ops.mod(other, self)

    def __pow__(self, other):
        return ops.power(self, other)

    def __rpow__(self, other):
        return ops.power(other, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return ops.negative(self)

    def __abs__(self):
        return ops.absolute(self)

    def __lt__(self, other):
        return ops.less(self, other)

    def __le__(self, other):
        return ops.less_equal(self, other)

    def __gt__(self, other):
        return ops.greater(self, other)

    def __ge__(self, other):
        return ops.greater_equal(self, other)

    def __getitem__(self, key):
        from minikeras.ops.symbolic import symbolic_call

        return symbolic_call("get_item", (self, key), {})

    def __iter__(self):  # (without this, Python would iterate through __getitem__)
        raise TypeError("A KerasTensor is symbolic: it cannot be iterated over")

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor cannot be used as a boolean.")


class Node:
    """One call of a layer inside a functional graph."""

    def __init__(self, layer: "Layer", args: tuple, kwargs: dict, outputs: Any) -> None:
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs
        self.input_tensors = [t for t in flatten_structure((args, kwargs))
                              if isinstance(t, KerasTensor)]
        self.output_tensors = flatten_structure(outputs)


class Layer:
    """Base class of all layers. Subclasses implement `build(input_shape)` and `call(inputs)`.

    Accepted like Keras: `trainable`, `name`, `dtype`, and (to declare the input of the
    first layer of a Sequential) `input_shape`, `input_dim`, `batch_input_shape`,
    `batch_size`. An unknown keyword raises a TypeError naming the closest known one.
    """

    input_spec: Any = None  # Keras' attribute; minikeras layers check shapes in build

    # the dtypes this class can compute in (InputLayer widens it)
    _allowed_dtypes: tuple = FLOAT_DTYPES
    # False: inputs are never cast when the layer is called (models: each of their layers
    # casts for itself, as in Keras 3); a layer whose inputs are indices (Embedding) may set
    # this, or `autocast=False`, to keep floating indices as they are
    _convert_input_args = True

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        object.__setattr__(obj, "_layers", [])
        object.__setattr__(obj, "_trainable_weights", [])
        object.__setattr__(obj, "_non_trainable_weights", [])
        if cls.get_config is Layer.get_config and not cls.__module__.startswith("minikeras."):
            # a user's layer without get_config: remember its arguments, as Keras 3 does
            object.__setattr__(obj, "_auto_config", _auto_config(cls, args, kwargs))
        return obj

    def __init__(self, trainable: bool = True, name: str | None = None, dtype: Any = None,
                 **kwargs: Any) -> None:
        unknown = [k for k in kwargs if k not in _LAYER_KWARGS]
        if unknown:
            hints = []
            for k in unknown:
                guess = closest(k, self._accepted_kwargs())
                hints.append(f"{k!r}" + (f" (did you mean {guess!r}?)" if guess else ""))
            # Keras 3's ValueError and wording, then the closest known names
            given = {k: kwargs[k] for k in unknown}
            raise ValueError(f"Unrecognized keyword arguments passed to "
                             f"{type(self).__name__}: {given} ({', '.join(hints)})")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string, got {name!r}")
        self.name = name or auto_name(to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype_policy = dtype  # validated; see the `dtype_policy` setter
        # Keras' `autocast`: floating inputs of another dtype are cast to the layer's dtype
        # when it is called (see `_autocast`)
        self.autocast = bool(kwargs.get("autocast", True))
        self.built = False
        self._losses: list = []
        self._inbound_nodes: list[Node] = []
        self.activity_regularizer = regularizers.get(kwargs.get("activity_regularizer"))
        self._initial_weights = kwargs.get("weights")
        self._batch_input_shape = self._declared_input_shape(kwargs)
        # As Keras 3: a layer supports masking when it defines its own `compute_mask`
        # (layers that pass masks through unchanged set it to True themselves).
        self.supports_masking = type(self).compute_mask is not Layer.compute_mask
        call_params = _signature(type(self).call).parameters if "call" not in vars(self) \
            else inspect.signature(self.call).parameters
        self._call_has_training = "training" in call_params
        self._call_has_mask = "mask" in call_params

    def _accepted_kwargs(self) -> list:
        names = set(_LAYER_KWARGS)
        for klass in type(self).__mro__:
            if "__init__" in vars(klass):
                names |= set(inspect.signature(klass.__init__).parameters) - {"self", "kwargs"}
        return sorted(names)

    @staticmethod
    def _declared_input_shape(kwargs: dict) -> tuple | None:
        """Keras 2's ways to give the input shape: batch_input_shape, input_shape, input_dim."""
        if kwargs.get("batch_input_shape") is not None:
            return tuple(kwargs["batch_input_shape"])
        batch = kwargs.get("batch_size")
        if kwargs.get("input_shape") is not None:
            shape = kwargs["input_shape"]
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            return (batch,) + shape
        if kwargs.get("input_dim") is not None:
            dim = kwargs["input_dim"]
            if not isinstance(dim, (int, np.integer)) or dim < 1:
                raise ValueError(f"input_dim must be a positive integer, got input_dim={dim!r}")
            if kwargs.get("input_length") is not None:
                return (batch, kwargs["input_length"], int(dim))
            return (batch, int(dim))
        return None

    @property
    def dtype_policy(self) -> Any:
        """The layer's `DTypePolicy` (Keras 3): `compute_dtype` for its computations and
        outputs, `variable_dtype` for its weights."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value: Any) -> None:
        from minikeras import dtype_policies

        if value is None and self._allowed_dtypes is not INPUT_DTYPES:
            policy = dtype_policies.dtype_policy()  # the global policy (Keras 3)
            value = policy.name
        check_layer_dtype(self, value, self._allowed_dtypes)  # clear errors first
        policy = dtype_policies.get(value) if value is not None else \
            dtype_policies.DTypePolicy(config.floatx())
        object.__setattr__(self, "_dtype_policy", policy)
        object.__setattr__(self, "_dtype", policy.compute_dtype)
        object.__setattr__(self, "_np_dtype", np.dtype(policy.compute_dtype))
        # variables are cast to the compute dtype inside `call` (mixed policies only)
        object.__setattr__(self, "_casts_variables",
                           policy.compute_dtype != policy.variable_dtype)

    @property
    def dtype(self) -> str:
        """The dtype of the layer's weights (`variable_dtype`), as Keras 3's `layer.dtype`;
        equal to `compute_dtype` unless the policy is mixed."""
        return self._dtype_policy.variable_dtype

    @dtype.setter
    def dtype(self, value: Any) -> None:
        self.dtype_policy = value

    @property
    def compute_dtype(self) -> str:
        """The dtype of the layer's computations and outputs."""
        return self._dtype

    @property
    def variable_dtype(self) -> str:
        return self._dtype_policy.variable_dtype

    def _autocast(self, x: Any) -> Any:
        """Keras 3's input casting: a floating tensor whose dtype is not the layer's is cast
        to it (integer and boolean inputs stay as they are), unless `autocast` is False or
        the class sets `_convert_input_args = False`."""
        if not (self.autocast and self._convert_input_args):
            return x
        if isinstance(x, Tensor):
            dt = x.value.dtype
            if dt is not self._np_dtype and dt.kind == "f" and dt != self._np_dtype:
                return P.cast(x, self._np_dtype)
            return x
        if isinstance(x, (list, tuple)):
            return type(x)(self._autocast(i) for i in x)
        if isinstance(x, dict):
            return {k: self._autocast(v) for k, v in x.items()}
        return x

    # --- attribute tracking -----------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if type(value) in _UNTRACKED:  # most attributes: nothing to track
            object.__setattr__(self, name, value)
            return
        if isinstance(value, Layer) and name != "_outer" and value is not self:
            if all(value is not x for x in self._layers):
                self._layers.append(value)
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer)
                                                                 for v in value):
            known = {id(x) for x in self._layers}  # (a scan per element was quadratic)
            for v in value:
                if id(v) not in known:
                    known.add(id(v))
                    self._layers.append(v)
        elif isinstance(value, Variable):
            pool = self._trainable_weights if value.trainable else self._non_trainable_weights
            if all(value is not w for w in self._trainable_weights + self._non_trainable_weights):
                pool.append(value)
        object.__setattr__(self, name, value)

    # --- weights ----------------------------------------------------------------------
    def add_variable(self, shape: Any, initializer: Any, dtype: Any = None,
                     trainable: bool = True, autocast: bool = True, regularizer: Any = None,
                     constraint: Any = None, name: str | None = None) -> Variable:
        """Keras 3's `add_variable` (on layers and models): `add_weight` with Keras 3's
        argument order."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, regularizer=regularizer,
                               constraint=constraint, name=name)

    def add_weight(self, *args: Any, **kwargs: Any) -> Variable:
        """Keras 3 `add_weight(shape, initializer, dtype, trainable, regularizer, constraint,
        name)`; the Keras 2 positional form `add_weight(name, shape, ...)` also works."""
        if args and isinstance(args[0], str):
            names = ("name", "shape", "dtype", "initializer", "regularizer", "trainable",
                     "constraint")
        else:
            names = ("shape", "initializer", "dtype", "trainable", "autocast", "regularizer",
                     "constraint", "aggregation", "name")
        if len(args) > len(names):
            raise TypeError(f"add_weight takes at most {len(names)} positional arguments")
        for n, a in zip(names, args):
            if n in kwargs:
                raise TypeError(f"add_weight got multiple values for argument {n!r}")
            kwargs[n] = a
        shape = kwargs.pop("shape", None)
        shape = () if shape is None else ((shape,) if isinstance(shape, int) else tuple(shape))
        if any(d is None or (isinstance(d, (int, np.integer)) and d < 0) for d in shape):
            raise ValueError(f"add_weight: shape must be fully defined, got shape={shape}")
        dtype = standardize_dtype(kwargs.pop("dtype", None) or self.dtype)
        if np.dtype(dtype).kind not in "fiub":  # numbers and flags only
            raise ValueError(f"add_weight: a variable of layer {self.name!r} cannot have "
                             f"dtype={dtype!r}; use a float, integer or boolean dtype")
        init = kwargs.pop("initializer", None)
        if init is None:
            init = "glorot_uniform" if np.dtype(dtype).kind == "f" else "zeros"
        init = initializers.get(init)
        trainable = kwargs.pop("trainable", None)
        trainable = True if trainable is None else bool(trainable)
        name = kwargs.pop("name", None) or "variable"
        regularizer = regularizers.get(kwargs.pop("regularizer", None))
        constraint = constraints.get(kwargs.pop("constraint", None))
        if kwargs.pop("autocast", True) is False:  # kept in its dtype inside `call`
            object.__setattr__(self, "_no_autocast", getattr(self, "_no_autocast", set()))
            no_autocast = self._no_autocast
        else:
            no_autocast = None
        for ignored in ("aggregation", "synchronization", "use_resource",
                        "overwrite_with_gradient", "partitioner", "caching_device",
                        "experimental_autocast"):
            kwargs.pop(ignored, None)
        if kwargs:
            raise TypeError(f"add_weight got unexpected keyword arguments: {sorted(kwargs)}")
        value = init(shape, dtype=dtype) if not isinstance(init, (int, float)) else \
            np.full(shape, init, dtype=dtype)
        var = Variable(np.asarray(value, dtype=dtype), dtype=dtype, name=name, trainable=trainable)
        var.path = f"{self.name}/{name}"
        var.regularizer = regularizer
        var.constraint = constraint
        (self._trainable_weights if trainable else self._non_trainable_weights).append(var)
        if no_autocast is not None:
            no_autocast.add(id(var))
        if not getattr(self, "_trainable", True):
            var.trainable = False  # built inside a frozen layer (Keras 3 does the same)
        return var

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        # As Keras 3: freezing a layer also flags its own trainable variables, so that an
        # outer model's `trainable_weights` (which filters on the flags) leaves them out.
        self._trainable = bool(value)
        for w in self._trainable_weights:
            w.trainable = bool(value)
        for layer in self._layers:
            layer.trainable = value

    @property
    def weights(self) -> list:
        out: list = []
        seen: set = set()
        for w in self._trainable_weights + self._non_trainable_weights:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        for layer in self._layers:
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    variables = weights

    @property
    def trainable_weights(self) -> list:
        if not self.trainable:
            return []
        return [w for w in self.weights if w.trainable]

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self) -> list:
        if not self.trainable:
            return self.weights
        return [w for w in self.weights if not w.trainable]

    non_trainable_variables = non_trainable_weights

    def get_weights(self) -> list:
        return [np.array(w.value) for w in self.weights]

    def set_weights(self, weights: list) -> None:
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(f"Layer {self.name!r} expects {len(own)} weight arrays, but "
                             f"set_weights received {len(weights)}. Expected shapes: "
                             f"{[w.shape for w in own]}")
        arrays = []
        for w, v in zip(own, weights):
            v = np.asarray(v)
            if v.shape != w.shape:
                raise ValueError(f"Layer {self.name!r} weight {w.name!r} has shape {w.shape}, "
                                 f"but the provided array has shape {v.shape}")
            arrays.append(v)
        for w, v in zip(own, arrays):
            w.assign(v.astype(w.dtype))

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f"You tried to call count_params on layer {self.name!r}, but the "
                             "layer isn't built. Build it first (call it on data or give an "
                             "input shape).")
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    # --- losses -----------------------------------------------------------------------
    def add_loss(self, loss: Any) -> None:
        self._losses.append(loss)

    @property
    def losses(self) -> list:
        """Penalties of this layer and its sublayers: weight regularisers (recomputed now,
        so they take part in differentiation) plus losses added during the last call."""
        out = list(self._losses)
        for w in self._trainable_weights + self._non_trainable_weights:
            if w.regularizer is not None:
                out.append(w.regularizer(w))
        for layer in self._layers:
            out.extend(layer.losses)
        return out

    def _clear_losses(self) -> None:
        self._losses = []
        for layer in self._layers:
            layer._clear_losses()

    # --- building and calling ---------------------------------------------------------
    def build(self, input_shape: Any) -> None:
        self.built = True

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        return inputs

    def _maybe_build(self, input_shape: Any) -> None:
        if self.built:
            return
        shape_arg = input_shape
        if isinstance(input_shape, list) and len(input_shape) == 1 and \
                isinstance(input_shape[0], tuple):
            shape_arg = input_shape[0]
        self.build(shape_arg)
        self.built = True
        self._build_input_shape = shape_arg
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args:
            if "inputs" not in kwargs:
                raise TypeError(f"{type(self).__name__}.__call__ needs the inputs as first "
                                "argument")
            args = (kwargs.pop("inputs"),)
        inputs = args[0]
        if type(inputs) is not Tensor:  # the common case skips the structure checks
            if type(inputs) is not np.ndarray and any(
                    isinstance(t, KerasTensor) for t in flatten_structure(inputs)):
                return self._symbolic_call(args, kwargs)
            inputs = self._autocast(self._convert_inputs(inputs))
            args = (inputs,) + args[1:]
        elif inputs.value.dtype is not self._np_dtype:
            inputs = self._autocast(inputs)
            args = (inputs,) + args[1:]
        if not self.built:
            self._maybe_build(_shapes(inputs))
        outer = _context.training
        if outer is None and kwargs.get("training") is None and not _context.training_unset:
            _context.training_unset = True  # (see _CallContext; branch imgaug)
            try:
                return self.__call__(*args, **kwargs)
            finally:
                _context.training_unset = False
        training = kwargs.pop("training", None)
        if training is None:
            training = outer
        if self._call_has_training:
            kwargs["training"] = bool(training)
        if self._losses:
            self._losses = []
        previous_mask = kwargs.get("mask")
        if previous_mask is None:
            previous_mask = _input_mask(inputs)
            if previous_mask is not None and self._call_has_mask:
                kwargs["mask"] = previous_mask  # as Keras: `call(..., mask)` gets it
        if self._casts_variables and (self.autocast or not _context.casting):
            # (as Keras 3: `autocast=False` only leaves an enclosing autocast scope alone)
            outputs = self._call_casting_variables(training, args, kwargs)
        elif training is outer and not self._layers:  # nothing inside needs the context
            outputs = self.call(*args, **kwargs)
        else:
            _context.training = training  # sublayers called without `training` inherit it
            try:
                outputs = self.call(*args, **kwargs)
            finally:
                _context.training = outer
        if previous_mask is not None or type(self).compute_mask is not Layer.compute_mask:
            self._set_mask_metadata(inputs, outputs, previous_mask)
        if self.activity_regularizer is not None:
            for out in flatten_structure(outputs):
                if isinstance(out, Tensor):
                    batch = out.shape[0] if out.ndim else 1
                    self._losses.append(P.divide(self.activity_regularizer(out), batch))
        return outputs

    def _call_casting_variables(self, training: Any, args: tuple, kwargs: dict) -> Any:
        """`call` under a mixed policy: Keras 3 reads the layer's floating variables in
        the compute dtype inside `call` (its autocast scope). Here each floating variable
        held in an attribute of the layer is replaced, for the call, by its cast (a
        recorded op, so the gradient flows back to the float32 variable in float32).
        Variables created with `add_weight(autocast=False)` are left as they are, and so
        are variables kept in lists or dicts (a difference: Keras casts those too)."""
        compute = self._np_dtype
        skip = getattr(self, "_no_autocast", ())
        own = {id(w) for w in self._trainable_weights + self._non_trainable_weights}
        swapped = {k: v for k, v in self.__dict__.items()
                   if isinstance(v, Variable) and id(v) in own and id(v) not in skip and
                   v.value.dtype.kind == "f" and v.value.dtype != compute}
        outer, casting = _context.training, _context.casting
        try:
            for k, v in swapped.items():
                object.__setattr__(self, k, P.cast(v, compute))
            _context.training, _context.casting = training, True
            return self.call(*args, **kwargs)
        finally:
            _context.training, _context.casting = outer, casting
            for k, v in swapped.items():
                object.__setattr__(self, k, v)

    # --- masks (see autodiff/masks.py and docs/architecture.md) ---------------------
    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The mask of the outputs: by default the input's mask, unchanged (Keras 3)."""
        return previous_mask

    def _set_mask_metadata(self, inputs: Any, outputs: Any, previous_mask: Any) -> None:
        """Attach `compute_mask`'s result to the outputs (Keras 3's `_set_mask_metadata`):
        only for layers that support masking, and not over a mask `call` attached itself.
        A layer that does not support masking drops a mask it received, with Keras' warning.
        """
        flat = flatten_structure(outputs)
        if not self.supports_masking:
            if any(m is not None for m in flatten_structure(previous_mask)):
                import warnings

                warnings.warn(f"Layer '{self.name}' (of type {type(self).__name__}) was passed "
                              "an input with a mask attached to it. However, this layer does "
                              "not support masking and will therefore destroy the mask "
                              "information. Downstream layers will not see the mask.",
                              stacklevel=3)
            return
        if flat and all(get_keras_mask(t) is not None for t in flat):
            return
        masks = self.compute_mask(inputs, previous_mask)
        if masks is None:
            return
        flat_masks = flatten_structure(masks) if isinstance(masks, (list, tuple)) else [masks]
        for t, m in zip(flat, flat_masks):
            if m is not None and isinstance(t, Tensor) and get_keras_mask(t) is None:
                set_keras_mask(t, m)

    def _is_plain(self) -> bool:
        """True when calling this layer on a Tensor needs nothing but `call`: it is built,
        takes no `training` flag, has no sublayers, no activity regulariser, no pending
        losses and the standard `__call__`."""
        return (self.built and not self._call_has_training and not self._layers and
                self.activity_regularizer is None and not self._losses and
                type(self).__call__ is Layer.__call__ and not self._casts_variables and
                type(self).compute_mask is Layer.compute_mask)

    def _convert_inputs(self, inputs: Any) -> Any:
        if isinstance(inputs, Tensor):
            return inputs
        if type(inputs) is np.ndarray and inputs.dtype == self._np_dtype:  # (dtype.name is slow)
            return wrap(inputs)  # a batch already cast by the training loop
        if isinstance(inputs, (list, tuple)) and inputs and all(
                isinstance(i, (Tensor, np.ndarray)) or i is None for i in inputs) and \
                not all(i is None or np.ndim(i) == 0 for i in inputs):
            # (None: an optional input left out, Keras 3's `Input(optional=True)`)
            return [None if i is None else self._convert_inputs(i) for i in inputs]
        if isinstance(inputs, dict):
            return {k: None if v is None else self._convert_inputs(v)
                    for k, v in inputs.items()}
        arr = np.asarray(inputs)
        if arr.dtype.kind in "USO" and (getattr(self, "_string_input", False) or callable(
                getattr(self, "_takes_strings", None)) and self._takes_strings()):
            # strings into a model with `Input(dtype="string")` (text layers; branch textprep)
            return Tensor(arr.astype(object))
        if arr.dtype.kind in "fiub" and arr.dtype != self._np_dtype and \
                arr.dtype.kind != "b":
            arr = arr.astype(self._np_dtype)
        return ops.convert_to_tensor(arr)

    def _symbolic_call(self, args: tuple, kwargs: dict) -> Any:
        inputs = args[0]
        self._maybe_build(_shapes(inputs))
        if len(args) > 1 and type(self).compute_output_shape is Layer.compute_output_shape and \
                any(isinstance(t, KerasTensor) for t in flatten_structure(args[1:])):
            # `call(self, targets, logits)`: Keras 3 passes every positional tensor to the
            # call that infers the output shape; so does this dummy call
            output_shape = self._dummy_call_shape(args)
        else:
            output_shape = self.compute_output_shape(_shapes(inputs))
        node_index = len(self._inbound_nodes)

        def make(shape, i):
            return KerasTensor(shape, self.compute_dtype, (self, node_index, i),
                               name=f"{self.name}_{node_index}_{i}" if i else self.name)

        if isinstance(output_shape, list):
            outputs: Any = [make(s, i) for i, s in enumerate(output_shape)]
        else:
            outputs = make(output_shape, 0)
        self._inbound_nodes.append(Node(self, args, dict(kwargs), outputs))
        self._symbolic_masks(inputs, outputs, kwargs.get("mask"))
        return outputs

    def _symbolic_masks(self, inputs: Any, outputs: Any, mask: Any) -> None:
        """Give the symbolic outputs the masks a call on data would give them: a boolean
        KerasTensor in `_keras_mask`, its shape found by `compute_mask` on zeros."""
        in_masks = mask if mask is not None else _map_leaves(
            inputs, lambda t: getattr(t, "_keras_mask", None))
        has_mask = any(m is not None for m in flatten_structure(in_masks))
        if not self.supports_masking or not (
                has_mask or type(self).compute_mask is not Layer.compute_mask):
            return

        def fake(t, dtype):
            if t is None:
                return None
            return Tensor(np.zeros(tuple(1 if d is None else d for d in t.shape), dtype=dtype))

        dummy = _map_leaves(inputs, lambda t: fake(t, self.compute_dtype))
        dummy_mask = _map_leaves(in_masks, lambda t: None if t is None else np.ones(
            tuple(1 if d is None else d for d in t.shape), dtype=bool)) if has_mask else None
        with no_grad():
            masks = self.compute_mask(dummy, dummy_mask)
        if masks is None:
            return
        flat_masks = flatten_structure(masks) if isinstance(masks, (list, tuple)) else [masks]
        for t, m in zip(flatten_structure(outputs), flat_masks):
            if m is not None:
                t._keras_mask = KerasTensor((None,) + tuple(np.shape(m))[1:], "bool")

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Found by running `call` on zeros with a batch of 1 (layers may override it)."""
        if isinstance(input_shape, list):
            dummy: Any = [self._zeros_like_shape(s) for s in input_shape]
        else:
            dummy = self._zeros_like_shape(input_shape)
        return self._dummy_call_shape((dummy,))

    def _zeros_like_shape(self, shape: tuple) -> Tensor:
        return Tensor(np.zeros(tuple(1 if d is None else d for d in shape), dtype=self._np_dtype))

    def _dummy_call_shape(self, args: tuple) -> Any:
        """The output shape(s) of `call(*args)`, KerasTensors in `args` replaced by zeros."""
        args = _map_leaves(args, lambda t: self._zeros_like_shape(t.shape)
                           if isinstance(t, KerasTensor) else t)
        with no_grad():
            kwargs = {"training": False} if self._call_has_training else {}
            out = self.call(*args, **kwargs)
        self._losses = []
        if isinstance(out, (list, tuple)):
            return [(None,) + tuple(o.shape[1:]) for o in out]
        return (None,) + tuple(out.shape[1:])

    def compute_output_spec(self, inputs: Any) -> Any:
        return self.compute_output_shape(_shapes(inputs))

    # --- config -----------------------------------------------------------------------
    def get_config(self) -> dict:
        """The base config. A user's subclass that does not define `get_config` gets, as in
        Keras 3, the arguments its constructor was called with (defaults included), when
        they are plain values (str, int, float, bool, None, and lists/dicts of them);
        otherwise NotImplementedError, which asks for a `get_config`."""
        cfg: dict = {"name": self.name}
        if "_auto_config" in self.__dict__ and type(self).get_config is Layer.get_config:
            auto = self.__dict__["_auto_config"]
            if auto is None:
                raise NotImplementedError(
                    f"Layer {type(self).__name__} was created with arguments that are not "
                    "plain values (str, int, float, bool, None, lists and dicts of them), so "
                    "its config cannot be generated automatically. Define get_config() "
                    "returning super().get_config() updated with your __init__ arguments "
                    "(and from_config() if they need converting back).")
            cfg.update(copy.deepcopy(auto))
            params = inspect.signature(type(self).__init__).parameters
            if "name" not in params and not any(
                    p.kind == inspect.Parameter.VAR_KEYWORD for p in params.values()):
                cfg.pop("name")  # the constructor could not take it back
        from minikeras import dtype_policies

        # Keras 3 writes the policy as a dict (legacy .h5 files write its name instead)
        cfg.update({"trainable": self.trainable,
                    "dtype": dtype_policies.serialize(self.dtype_policy)})
        if self._batch_input_shape is not None:
            cfg["batch_input_shape"] = list(self._batch_input_shape)
        return cfg

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        return cls(**config)

    def get_build_config(self) -> dict | None:
        """The input shape the layer was built with, as Keras 3 records it in `.keras` files."""
        shape = getattr(self, "_build_input_shape", None)
        if shape is None:
            return None

        def plain(s):
            return [None] + list(s[1:]) if isinstance(s, tuple) else [plain(x) for x in s]

        return {"input_shape": plain(shape)}

    @property
    def input(self) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} has never been called and thus has no "
                                 "defined input.")
        args = self._inbound_nodes[0].args
        return args[0]

    @property
    def output(self) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} has never been called and thus has no "
                                 "defined output.")
        return self._inbound_nodes[0].outputs

    @property
    def input_shape(self) -> Any:
        inp = self.input
        return [t.shape for t in inp] if isinstance(inp, list) else inp.shape

    @property
    def output_shape(self) -> Any:
        out = self.output
        return [t.shape for t in out] if isinstance(out, list) else out.shape

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _input_mask(inputs: Any) -> Any:
    """The mask(s) attached to the first positional input (a list for a list of inputs,
    None when nothing carries one)."""
    if isinstance(inputs, (list, tuple)):
        masks = [get_keras_mask(t) for t in inputs]
        return masks if any(m is not None for m in masks) else None
    return get_keras_mask(inputs)


def _map_leaves(x: Any, fn) -> Any:
    if isinstance(x, (list, tuple)):
        return [_map_leaves(i, fn) for i in x]
    if isinstance(x, dict):
        return {k: _map_leaves(v, fn) for k, v in x.items()}
    return fn(x)


def _shapes(x: Any) -> Any:
    if isinstance(x, (Tensor, KerasTensor, np.ndarray)):
        return tuple(x.shape)
    if isinstance(x, (list, tuple)):
        return [_shapes(i) for i in x]
    if isinstance(x, dict):
        return {k: _shapes(v) for k, v in x.items()}
    return tuple(np.shape(x))
