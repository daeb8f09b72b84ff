"""Keras rule (issue 11 item 10, `keras.backend` dtype helpers): `standardize_dtype` gives
Keras' dtype names (None -> floatx, Python types by Keras' table, unknown names ->
ValueError "Invalid dtype"), `is_float_dtype`/`is_int_dtype` classify them, and
`result_type` promotes by Keras 3's lattice with weak Python `int`/`float`.

Reference: `fixtures/configs_k3.json` (`dtypes`), recorded from real Keras 3 (JAX).
`standardize_dtype` is JAX's (Python int -> int32). In `result_type` minikeras follows the
widths of Keras' TensorFlow backend (64-bit types stay 64-bit), recorded as
`result_type_x64`; the JAX backend's narrower answers (`result_type`) are checked to differ
only there (docs/decisions.md).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import minikeras as keras

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPES = json.load(open(os.path.join(HERE, "fixtures", "configs_k3.json")))["dtypes"]
PY = {"int": int, "float": float, "bool": bool}


def _operand(label):
    return PY.get(label, label)


def test_standardize_dtype_as_keras():
    cases = {"None": None, "np.float64": np.float64, "np.dtype(int16)": np.dtype("int16")}
    for label, theirs in DTYPES["standardize_dtype"].items():
        value = cases.get(label, _operand(label))
        if theirs.startswith(("ValueError", "TypeError")):
            with pytest.raises(ValueError, match="Invalid dtype"):
                keras.backend.standardize_dtype(value)
        else:
            assert keras.backend.standardize_dtype(value) == theirs, label


def test_is_float_and_is_int_as_keras():
    for name, (is_float, is_int) in DTYPES["is_float_is_int"].items():
        assert keras.backend.is_float_dtype(name) == is_float, name
        assert keras.backend.is_int_dtype(name) == is_int, name


def test_result_type_follows_keras_lattice():
    table = DTYPES["result_type_x64"]
    checked = 0
    for key, theirs in table.items():
        args = [] if key == "()" else [_operand(p) for p in key.split(",")]
        if theirs == "ValueError":
            with pytest.raises(ValueError):
                keras.backend.result_type(*args)
        else:
            assert keras.backend.result_type(*args) == theirs, key
        checked += 1
    assert checked > 190


def test_result_type_differs_from_jax_only_in_64_bit_widths():
    """Where the JAX backend answers otherwise, it is because it narrows 64-bit types."""
    narrowed = {"int64": "int32", "float64": "float32", "uint64": "uint32"}
    for key, jax in DTYPES["result_type"].items():
        ours = DTYPES["result_type_x64"][key]
        assert jax == ours or narrowed.get(ours) == jax, key


def test_result_type_uses_floatx_for_weak_types():
    keras.config.set_floatx("float64")
    try:
        assert keras.backend.result_type(float) == "float64"
        assert keras.backend.result_type(int, float) == "float64"
    finally:
        keras.config.set_floatx("float32")
    assert keras.backend.result_type(float) == "float32"
