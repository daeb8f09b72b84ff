"""`keras.utils.standardize_dtype`: a dtype name Keras knows, from a name, a Python type or a
NumPy dtype."""

from __future__ import annotations

from typing import Any

from minikeras import config

ALLOWED_DTYPES = (
    "float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
    "int32", "int64", "bfloat16", "bool", "string", "float8_e4m3fn", "float8_e5m2",
    "complex64", "complex128",
)
# Python types as Keras 3 maps them on its JAX backend (the reference one): int -> int32.
PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", str: "string", "int": "int32",
                 complex: "complex64"}


def standardize_dtype(dtype: Any) -> str:
    """None -> floatx(); `int`/`float`/`bool`/`str` -> Keras' names; NumPy dtypes and types
    -> their names. Anything else raises ValueError, as Keras 3."""
    if dtype is None:
        return config.floatx()
    try:
        dtype = PYTHON_DTYPES.get(dtype, dtype)
    except TypeError:  # unhashable
        pass
    if hasattr(dtype, "name") and not isinstance(dtype, str):
        dtype = dtype.name
    elif hasattr(dtype, "__name__"):
        dtype = dtype.__name__
    if dtype == "str_":
        dtype = "string"
    if dtype not in ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype}. Expected one of {', '.join(ALLOWED_DTYPES)}")
    return dtype
