"""`keras.ops` and arithmetic on KerasTensors: nodes of a functional graph.

Keras 3 builds `x * 2 + ops.mean(y)` on symbolic tensors into the graph: each call becomes
an Operation (`Multiply`, `Mean`, ...) whose config holds its constructor arguments (`axis`,
`keepdims`, ...) and whose node holds the call's arguments (tensors and constants). Saved
configs list them among the layers with `module` "keras.src.ops.numpy" (or `.nn`, `.math`,
`.core`) and `registered_name` equal to the class name.

minikeras does the same with `SymbolicOp`, a weightless Layer that runs one `keras.ops`
function. Reading a config resolves such an entry only through `OP_CLASSES` (a table of
Keras' class names for the functions minikeras has): no module is imported and no code
from the file runs. Constants in node arguments are data: numbers, strings, lists,
`__tensor__`/`__numpy__` arrays, `__slice__`, `__ellipsis__`.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import numpy as np

from minikeras.ops.op_classes import OP_CLASSES
from minikeras.ops.extra_op_classes import EXTRA_OP_CLASSES, VARIADIC

OP_CLASSES = {**OP_CLASSES, **EXTRA_OP_CLASSES}  # (variadic ops: branch `attention`)

_ORIGINAL: dict = {}  # ops function name -> the function itself (before wrapping)
_BY_CLASS = {(mod, cls): name for name, (mod, cls, *_rest) in OP_CLASSES.items()}
_KT: Any = None


def _keras_tensor_class() -> type:
    global _KT
    if _KT is None:
        from minikeras.layers.layer import KerasTensor

        _KT = KerasTensor
    return _KT


def _has_symbolic(args: tuple, kwargs: dict) -> bool:
    kt = _KT or _keras_tensor_class()
    for a in args:
        if type(a) is kt:
            return True
        if type(a) in (list, tuple) and any(type(v) is kt for v in a):
            return True
    return any(type(v) is kt for v in kwargs.values())


def install(namespace: dict) -> None:
    """Wrap every function of `keras.ops` that has a Keras Operation class so that called
    on a KerasTensor it records a graph node instead of computing."""
    aliases = {"abs": "absolute"}
    for name in list(OP_CLASSES) + list(aliases):
        fn = namespace.get(name)
        if fn is None or not callable(fn) or name in _ORIGINAL:
            continue
        key = aliases.get(name, name)
        _ORIGINAL.setdefault(key, namespace.get(key, fn))
        namespace[name] = _wrap(key, fn)


def _wrap(name: str, fn: Any) -> Any:
    @functools.wraps(fn)
    def op(*args: Any, **kwargs: Any) -> Any:
        if _has_symbolic(args, kwargs):
            return symbolic_call(name, args, kwargs)
        return fn(*args, **kwargs)

    return op


def _get_item(x: Any, key: Any) -> Any:
    from minikeras.autodiff.tensor import Tensor

    if isinstance(key, list):  # a tuple key, as a config stores it
        key = tuple(key)
    return (x if isinstance(x, Tensor) else Tensor(np.asarray(x)))[key]


def _function(name: str) -> Any:
    return _get_item if name == "get_item" else _ORIGINAL[name]


@functools.cache
def _name_map(name: str) -> dict:
    """Keras' parameter name -> minikeras' (same name, else the one at the same position
    when that name is not one of Keras'); None when minikeras' function has no such
    parameter."""
    keras_params = OP_CLASSES[name][2]
    ours = list(inspect.signature(_function(name)).parameters)
    out = {}
    for i, kp in enumerate(keras_params):
        if kp in ours:
            out[kp] = kp
        elif i < len(ours) and ours[i] not in keras_params:
            out[kp] = ours[i]
        else:
            out[kp] = None
    return out


def run_op(name: str, call_args: list, op_config: dict) -> Any:
    """Run the minikeras function of op `name` from Keras-named values."""
    _, cls, keras_params, call, init, defaults = OP_CLASSES[name]
    if name in VARIADIC:  # f(*constructor arguments, *operands)
        return _function(name)(*[op_config[k] for k in init], *call_args)
    values = dict(zip(call, call_args))
    for key, param in init.items():
        if key in op_config:
            values[param] = op_config[key]
    names = _name_map(name)
    kwargs = {}
    for kp, v in values.items():
        ours = names.get(kp)
        if ours is None:
            if kp in defaults and _same(v, defaults[kp]):
                continue
            raise ValueError(f"minikeras' keras.ops.{name} has no argument `{kp}` (Keras' "
                             f"{cls} was given {kp}={v!r}); only its default "
                             f"{defaults.get(kp)!r} is supported")
        kwargs[ours] = v
    return _function(name)(**kwargs)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b or (a is None and b is None)


def symbolic_call(name: str, args: tuple, kwargs: dict) -> Any:
    """`ops.<name>(*args, **kwargs)` with a KerasTensor among the arguments: a new
    SymbolicOp node."""
    _, _, keras_params, call, init, defaults = OP_CLASSES[name]
    if name in VARIADIC:  # the constructor arguments first, then the operands
        if kwargs:
            raise TypeError(f"keras.ops.{name}: unexpected arguments {sorted(kwargs)}")
        return SymbolicOp(name, {k: _plain(a) for k, a in zip(init, args)})(*args[len(init):])
    fn = _function(name)
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"keras.ops.{name}: {e}") from None
    bound.apply_defaults()
    ours = dict(bound.arguments)
    names = _name_map(name)
    keras_values = {}
    for kp in keras_params:
        mine = names.get(kp)
        if mine is not None and mine in ours:
            keras_values[kp] = ours[mine]
        elif kp in defaults:
            keras_values[kp] = defaults[kp]
    op_config = {key: _plain(keras_values.get(param)) for key, param in init.items()}
    call_args = [keras_values.get(p) for p in call]
    return SymbolicOp(name, op_config)(*call_args)


def _plain(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


# --- the graph node -----------------------------------------------------------------------

def _make_class() -> type:
    from minikeras.autodiff.tensor import Tensor, no_grad
    from minikeras.layers.layer import KerasTensor, Layer, Node, flatten_structure
    from minikeras.utils.naming import auto_name, to_snake_case

    class SymbolicOp(Layer):
        """One `keras.ops` call (or operator) on KerasTensors: Keras 3's Operation node.
        Weightless; not listed in `model.layers` (as Keras 3), but in the model's config."""

        _is_symbolic_op = True

        def __init__(self, op_name: str, op_config: dict | None = None,
                     name: str | None = None) -> None:
            if op_name not in OP_CLASSES:
                raise ValueError(f"Unknown keras.ops operation {op_name!r}")
            cls_name = OP_CLASSES[op_name][1]
            super().__init__(name=name or auto_name(to_snake_case(cls_name)))
            self.op_name = op_name
            self.op_config = dict(op_config or {})
            self.built = True

        def call(self, *args: Any) -> Any:
            return run_op(self.op_name, list(args), self.op_config)

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            kwargs.pop("training", None)
            kwargs.pop("mask", None)
            if kwargs:
                raise TypeError(f"{self.name}: unexpected arguments {sorted(kwargs)}")
            if any(isinstance(t, KerasTensor) for t in flatten_structure(list(args))):
                return self._op_symbolic_call(args)
            return run_op(self.op_name, list(args), self.op_config)

        def _op_symbolic_call(self, args: tuple) -> Any:
            # the output's shape and dtype: run the op on zeros (a batch of 2, so that a
            # batch axis is told apart from a size-1 axis)
            def fake(x: Any) -> Any:
                if isinstance(x, KerasTensor):
                    shape = tuple(2 if d is None else d for d in x.shape)
                    return Tensor(np.zeros(shape, dtype=x.dtype))
                if isinstance(x, list):
                    return [fake(v) for v in x]
                return x

            with no_grad(), np.errstate(all="ignore"):  # zeros may divide by zero
                out = run_op(self.op_name, [fake(a) for a in args], self.op_config)
            batch = any(t.shape[:1] == (None,) for t in flatten_structure(list(args))
                        if isinstance(t, KerasTensor))
            node_index = len(self._inbound_nodes)

            def make(value: Any, i: int) -> KerasTensor:
                shape = tuple(np.shape(getattr(value, "value", value)))
                if batch and shape and shape[0] == 2:
                    shape = (None,) + shape[1:]
                dtype = str(np.asarray(getattr(value, "value", value)).dtype)
                return KerasTensor(shape, dtype, (self, node_index, i),
                                   name=f"{self.name}_{node_index}_{i}" if i else self.name)

            if isinstance(out, (list, tuple)):
                outputs: Any = type(out)(make(v, i) for i, v in enumerate(out))
            else:
                outputs = make(out, 0)
            self._inbound_nodes.append(Node(self, tuple(args), {}, outputs))
            return outputs

        def compute_output_shape(self, input_shape: Any) -> Any:
            raise NotImplementedError("a SymbolicOp's shape comes from its inputs")

        def get_config(self) -> dict:
            return {"name": self.name, **self.op_config}

        def keras_entry(self) -> dict:
            """The layer entry Keras 3 writes for this Operation (without nodes)."""
            module, cls = OP_CLASSES[self.op_name][:2]
            return {"module": f"keras.src.ops.{module}", "class_name": cls,
                    "config": self.get_config(), "registered_name": cls, "name": self.name}

        @classmethod
        def from_config(cls, config: dict) -> Any:
            raise TypeError("SymbolicOp configs are read with op_from_entry")

    return SymbolicOp


_CLASS: Any = None


def symbolic_op_class() -> type:
    global _CLASS
    if _CLASS is None:
        _CLASS = _make_class()
    return _CLASS


def SymbolicOp(op_name: str, op_config: dict | None = None, name: str | None = None) -> Any:
    return symbolic_op_class()(op_name, op_config, name=name)


_BY_CLASS_NAME = {cls: name for (_, cls), name in sorted(_BY_CLASS.items(), reverse=True)}


def is_op_entry(entry: Any) -> bool:
    """A config entry Keras 3 wrote for an Operation: module keras.src.ops.* (`.keras`,
    `get_config`), or, in Keras 3's legacy `.h5` (which drops `module`), an Operation class
    name whose config has no `trainable` (every layer config has one) and whose nodes are
    in Keras 3's `{"args", "kwargs"}` form."""
    if not isinstance(entry, dict):
        return False
    if "module" in entry:
        return str(entry.get("module") or "").startswith("keras.src.ops.")
    nodes = entry.get("inbound_nodes") or []
    return (entry.get("class_name") in _BY_CLASS_NAME
            and "trainable" not in (entry.get("config") or {})
            and bool(nodes) and all(isinstance(n, dict) for n in nodes))


def op_from_entry(entry: dict) -> Any:
    """The SymbolicOp of a config entry, found by (module, class name) in OP_CLASSES only."""
    module = str(entry.get("module"))[len("keras.src.ops."):]
    cls = entry.get("class_name")
    name = _BY_CLASS.get((module, cls)) if "module" in entry else _BY_CLASS_NAME.get(cls)
    if name is None:
        known = sorted(c for _, c in _BY_CLASS)
        from minikeras.utils.naming import unknown_name_error

        raise unknown_name_error(f"keras.ops operation (module keras.src.ops.{module})",
                                 str(cls), known)
    config = dict(entry.get("config") or {})
    layer_name = config.pop("name", None) or entry.get("name")
    init = OP_CLASSES[name][4]
    unknown = [k for k in config if k not in init]
    if unknown:
        raise ValueError(f"Unknown argument(s) {unknown} in the config of operation {cls!r}")
    return SymbolicOp(name, config, name=layer_name)


# --- constants in node arguments --------------------------------------------------------

def encode_constant(x: Any) -> Any:
    """A non-tensor node argument as Keras 3 writes it."""
    from minikeras.autodiff.tensor import Tensor

    if isinstance(x, (bool, int, float, str)) or x is None:
        return x
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, (Tensor, np.ndarray)):
        arr = np.asarray(getattr(x, "value", x))
        return {"class_name": "__tensor__",
                "config": {"value": arr.tolist(), "dtype": str(arr.dtype)}}
    if isinstance(x, slice):
        return {"class_name": "__slice__",
                "config": {"start": encode_constant(x.start), "stop": encode_constant(x.stop),
                           "step": encode_constant(x.step)}}
    if x is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(x, (list, tuple)):
        return [encode_constant(v) for v in x]
    raise TypeError(f"Cannot write the node argument {x!r} ({type(x).__name__}) in a config")


def decode_constant(x: dict) -> Any:
    """The value of a `__tensor__`/`__numpy__`/`__slice__`/`__ellipsis__` dict (data only);
    None when `x` is none of these."""
    kind = x.get("class_name")
    cfg = x.get("config") or {}
    if kind in ("__tensor__", "__numpy__"):
        from minikeras.backend.dtypes import standardize_dtype

        return np.asarray(cfg.get("value"), dtype=standardize_dtype(cfg.get("dtype")))
    if kind == "__slice__":
        parts = [cfg.get(k) for k in ("start", "stop", "step")]
        if not all(p is None or isinstance(p, int) for p in parts):
            raise ValueError(f"Malformed slice {cfg!r} in a config")
        return slice(*parts)
    if kind == "__ellipsis__":
        return Ellipsis
    return None


# --- Keras 2 (tf.keras) files: TFOpLambda / SlicingOpLambda entries -----------------------

# tf.keras records `x * 2`, `tf.reduce_mean(x, axis)` ... as TFOpLambda layers naming a
# TensorFlow function. These resolve through this table only (TensorFlow function -> the
# keras.ops function, and its keyword arguments -> Keras' parameter names).
_TF_BINARY = {"y": "x2"}
_TF_REDUCE = {"axis": "axis", "keepdims": "keepdims"}
TF_OPS = {
    "__operators__.add": ("add", _TF_BINARY), "math.add": ("add", _TF_BINARY),
    "math.subtract": ("subtract", _TF_BINARY), "math.multiply": ("multiply", _TF_BINARY),
    "math.truediv": ("true_divide", _TF_BINARY), "math.divide": ("true_divide", _TF_BINARY),
    "math.pow": ("power", _TF_BINARY), "math.maximum": ("maximum", _TF_BINARY),
    "math.minimum": ("minimum", _TF_BINARY), "math.negative": ("negative", {}),
    "math.abs": ("absolute", {}), "math.square": ("square", {}), "math.sqrt": ("sqrt", {}),
    "math.exp": ("exp", {}), "math.log": ("log", {}), "math.tanh": ("tanh", {}),
    "math.sigmoid": ("sigmoid", {}), "nn.relu": ("relu", {}),
    "nn.softmax": ("softmax", {"axis": "axis"}),
    "math.reduce_mean": ("mean", _TF_REDUCE), "math.reduce_sum": ("sum", _TF_REDUCE),
    "math.reduce_max": ("max", _TF_REDUCE), "math.reduce_min": ("min", _TF_REDUCE),
    "reshape": ("reshape", {"shape": "newshape"}),
    "compat.v1.transpose": ("transpose", {"perm": "axes"}),
    "transpose": ("transpose", {"perm": "axes"}),
    "linalg.matmul": ("matmul", {"b": "x2"}), "expand_dims": ("expand_dims", {"axis": "axis"}),
    "__operators__.getitem": ("get_item", {"slice_spec": "key"}),
}


# TensorFlow arguments that change nothing at these values (tf.transpose' `conjugate`)
_TF_NO_OP_ARGS = {"conjugate": False}


def is_tf_op_entry(entry: Any) -> bool:
    return isinstance(entry, dict) and entry.get("class_name") in ("TFOpLambda",
                                                                   "SlicingOpLambda")


class TFOpCall:
    """A tf.keras TFOpLambda entry of a config: called on the node's tensor and keyword
    arguments, it adds the matching SymbolicOp to the graph (no TensorFlow, no code)."""

    def __init__(self, entry: dict) -> None:
        function = (entry.get("config") or {}).get("function")
        if function not in TF_OPS:
            from minikeras.utils.naming import unknown_name_error

            raise unknown_name_error(f"TensorFlow operation (in {entry.get('class_name')} "
                                     f"{entry.get('name')!r})", str(function), sorted(TF_OPS))
        self.function = function
        self.name = entry.get("name") or (entry.get("config") or {}).get("name")

    def __call__(self, x: Any, **kwargs: Any) -> Any:
        op, mapping = TF_OPS[self.function]
        _, cls, params, call, init, defaults = OP_CLASSES[op]
        values = {params[0]: x}
        for key, value in kwargs.items():
            if key in ("name", "training", "mask") or _TF_NO_OP_ARGS.get(key, ...) is value:
                continue
            if key not in mapping:
                raise ValueError(f"{self.name!r}: argument {key!r} of tf.{self.function} is "
                                 f"not supported (known: {sorted(mapping)})")
            values[mapping[key]] = value
        if op == "get_item":
            values["key"] = _slice_spec(values.get("key"))
        call_args = [values.get(p, defaults.get(p)) for p in call]
        op_config = {k: _plain(values.get(p, defaults.get(p))) for k, p in init.items()}
        return SymbolicOp(op, op_config)(*call_args)


def _slice_spec(spec: Any) -> Any:
    """tf.keras' `slice_spec` (dicts of start/stop/step, ints, None) as an index."""
    def one(s: Any) -> Any:
        if isinstance(s, dict) and set(s) <= {"start", "stop", "step"}:
            parts = [s.get(k) for k in ("start", "stop", "step")]
            if not all(p is None or isinstance(p, int) for p in parts):
                raise ValueError(f"Malformed slice {s!r} in a config")
            return slice(*parts)
        if s is None or (isinstance(s, int) and not isinstance(s, bool)):
            return s
        if isinstance(s, dict) and s.get("class_name") == "__ellipsis__":
            return Ellipsis
        raise ValueError(f"Unsupported index {s!r} in a SlicingOpLambda config")

    if isinstance(spec, list):
        return tuple(one(s) for s in spec)
    return one(spec)
