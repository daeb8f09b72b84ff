"""dtype names and promotion as Keras 3 defines them (`keras.backend.standardize_dtype`,
`result_type`, `is_float_dtype`, `is_int_dtype`).

Keras 3 promotes along a lattice with two "weak" types (a Python `int` or `float` adapts to
the other operand, as in JAX): bool < int (weak) < uint8/int8 < ... < int64 < float (weak)
< bfloat16/float16 < float32 < float64, uint64 sits below the weak float, complex64 above
float32 and the weak int. A weak result becomes floatx's width.

`standardize_dtype` maps Python types as Keras' JAX backend does (`int` -> int32). In
`result_type`, where Keras' backends differ, minikeras follows Keras' TensorFlow backend:
64-bit results stay 64-bit (NumPy keeps 64-bit arrays; the JAX backend narrows them to 32
bits because JAX runs without x64). `compat_tests/test_surface_dtypes.py` checks every pair
against Keras' own results under that rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import config

BOOL_TYPES = ("bool",)
INT_TYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
COMPLEX_TYPES = ("complex64", "complex128")
FLOAT8_TYPES = ("float8_e4m3fn", "float8_e5m2")
ALLOWED_DTYPES = (FLOAT_TYPES[1:] + INT_TYPES + ("bfloat16", "bool", "string")
                  + FLOAT8_TYPES + COMPLEX_TYPES)
_WEAK_INT, _WEAK_FLOAT = "int", "float"
# Python types as Keras 3 maps them on its JAX backend (the reference one)
_PYTHON_TYPES = {bool: "bool", int: "int32", float: "float32", str: "string",
                 complex: "complex64", "int": "int32"}

# each type's immediate successors on Keras' promotion lattice
_LATTICE = {
    "bool": [_WEAK_INT],
    _WEAK_INT: ["uint8", "int8", "complex64"],
    "uint8": ["int16", "uint16"], "uint16": ["int32", "uint32"],
    "uint32": ["int64", "uint64"], "uint64": [_WEAK_FLOAT],
    "int8": ["int16"], "int16": ["int32"], "int32": ["int64"], "int64": [_WEAK_FLOAT],
    _WEAK_FLOAT: ["bfloat16", "float16"],
    "bfloat16": ["float32"], "float16": ["float32"],
    "float32": ["float64", "complex64"], "float64": ["complex128"],
    "complex64": ["complex128"], "complex128": [],
}


def _upper_bounds() -> dict:
    """Every type's set of types at or above it (the transitive closure of the lattice)."""
    out = {}
    for node in _LATTICE:
        seen, todo = {node}, [node]
        while todo:
            for nxt in _LATTICE[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        out[node] = seen
    return out


_UPPER = _upper_bounds()


def standardize_dtype(dtype: Any) -> str:
    """The Keras name of a dtype: None means floatx; Python types map to bool, int32,
    float32, string, complex64 (Keras on JAX); NumPy dtypes and dtype-like objects by their
    name. A name Keras does not know raises `ValueError("Invalid dtype: ...")`, as Keras."""
    if dtype is None:
        return config.floatx()
    if isinstance(dtype, (type, str)) and dtype in _PYTHON_TYPES:
        dtype = _PYTHON_TYPES[dtype]
    if isinstance(dtype, np.dtype) or (isinstance(dtype, type) and
                                       issubclass(dtype, np.generic)):
        dtype = np.dtype(dtype).name
    elif hasattr(dtype, "name") and not isinstance(dtype, str):
        dtype = dtype.name
    elif hasattr(dtype, "__name__") and not isinstance(dtype, str):
        dtype = dtype.__name__
    if dtype in ("str", "str_"):
        dtype = "string"
    if dtype not in ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype}")
    return dtype


def is_float_dtype(dtype: Any) -> bool:
    name = standardize_dtype(dtype)
    return name.startswith("float") or name.startswith("bfloat")


def is_int_dtype(dtype: Any) -> bool:
    name = standardize_dtype(dtype)
    return name.startswith("int") or name.startswith("uint")


def _least_upper_bound(nodes: set) -> str:
    for n in nodes:
        if n not in _UPPER:
            raise ValueError(f"dtype={n!r} is not a valid dtype for Keras type promotion.")
    common = set.intersection(*(_UPPER[n] for n in nodes))
    least = (common & nodes) or {c for c in common if common <= _UPPER[c]}
    if len(least) != 1:
        raise ValueError(f"Input dtypes {tuple(sorted(nodes))} have no available implicit "
                         "dtype promotion path. Try explicitly casting inputs to the "
                         "desired output type.")
    return least.pop()


def _weak(name: str) -> str:
    if name == "bool":
        return name
    if "float" in name:
        return _WEAK_FLOAT
    if "int" in name:
        return _WEAK_INT
    raise ValueError(f"Invalid value for argument `dtype`. Received: dtype={name}")


def _resolve_weak(name: str) -> str:
    """A weak result takes floatx's width (bool stays bool)."""
    bits = config.floatx()[-2:]
    kind = "f" if name == "bfloat16" else name[:1]
    if kind == "b":
        return "bool"
    if kind == "i":
        return f"int{bits}"
    if kind == "u":
        return f"uint{bits}"
    return f"float{bits}"


def result_type(*dtypes: Any) -> str:
    """The dtype of an operation on operands of these dtypes, by Keras 3's lattice; the
    Python types `int` and `float` are weak (they take the other operand's type). No
    arguments: floatx. None counts as floatx."""
    if not dtypes:
        return config.floatx()
    for d in dtypes:
        if isinstance(d, str) and d in FLOAT8_TYPES:
            raise ValueError("There is no implicit conversions from float8 dtypes to others. "
                             f"You must cast it internally. Received: {dtypes}")
    args = [config.floatx() if d is None else d for d in dtypes]
    names = [standardize_dtype(a) for a in args]
    weak = [a is int or a is float for a in args]
    if len(names) == 1:
        out, out_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        out, out_weak = names[0], False
    elif all(weak):
        out, out_weak = _least_upper_bound(set(names)), True
    else:
        out = _least_upper_bound({_weak(n) if w else n for n, w in zip(names, weak)})
        out_weak = out in (_WEAK_INT, _WEAK_FLOAT)
    if out != "bool" and out_weak:
        out = _resolve_weak(out)
    return out
