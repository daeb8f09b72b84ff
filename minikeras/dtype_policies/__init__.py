"""Keras 3's dtype policies (`keras.DTypePolicy`, `keras.dtype_policies`).

A policy names the dtype a layer computes in and the dtype of its variables: a float dtype
name means both (`"float32"`), `"mixed_float16"` computes in float16 and keeps float32
variables. `"mixed_bfloat16"` (and bfloat16) is refused: NumPy has no bfloat16; the
package that provides one (ml_dtypes) is not a dependency of minikeras.

Where we differ: the quantized policies (int8, int4, float8, GPTQ, AWQ) and
`DTypePolicyMap` do not exist (quantization is out of scope). While no global policy was
set, `keras.config.dtype_policy()` follows `keras.config.floatx()` (Keras 3 freezes it at
its first use), so `set_floatx("float64")` keeps working as it always has.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import config

# the float dtypes NumPy computes in; bfloat16 is refused with its own message
_FLOATS = ("float16", "float32", "float64")
_PARSED: dict = {}  # policy name -> (compute dtype, variable dtype), names that parsed
_BFLOAT16 = ("NumPy has no bfloat16 (it needs the ml_dtypes package, which minikeras does "
             "not depend on); use 'mixed_float16', 'float16', 'float32' or 'float64'")


class DTypePolicy:
    """`DTypePolicy(name=None)`: `name` is a float dtype (`"float32"`) or
    `"mixed_float16"`; None takes the global policy's name. `compute_dtype` is the dtype
    of the layer's computations and outputs, `variable_dtype` that of its weights."""

    def __init__(self, name: str | None = None) -> None:
        if name is None:
            name = dtype_policy().name
        self._name = name
        self._compute_dtype, self._variable_dtype = self._parse_name(name)
        self._quantization_mode = None

    @staticmethod
    def _parse_name(name: Any) -> tuple:
        parsed = _PARSED.get(name) if type(name) is str else None
        if parsed is not None:  # (np.dtype and str of it cost most of a layer's __init__)
            return parsed
        parsed = DTypePolicy._parse_new_name(name)
        _PARSED[name] = parsed
        return parsed

    @staticmethod
    def _parse_new_name(name: Any) -> tuple:
        if not isinstance(name, str):
            raise TypeError("'name' must be a string, such as 'mixed_float16'. "
                            f"Received: name={name} (of type {type(name)})")
        if name == "mixed_float16":
            return "float16", "float32"
        if "bfloat16" in name:
            raise ValueError(f"Cannot use the dtype policy '{name}': {_BFLOAT16}.")
        try:
            dtype = str(np.dtype(name))
        except TypeError:
            dtype = None
        # integer and boolean dtypes are accepted as Keras 3 does (input layers of
        # indices and masks); layers that compute refuse them (`check_layer_dtype`)
        if dtype not in _FLOATS and not (dtype and np.dtype(dtype).kind in "iub"):
            raise ValueError(f"Cannot convert '{name}' to a mixed precision DTypePolicy. "
                             "Valid policies include 'mixed_float16', 'mixed_bfloat16', and "
                             "the name of any float dtype such as 'float32'. (minikeras "
                             "refuses bfloat16: " + _BFLOAT16 + ".)")
        return dtype, dtype

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        """The dtype of the layer's computations and outputs."""
        return self._compute_dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype of the layer's variables (the layer casts them to `compute_dtype`
        when it is called)."""
        return self._variable_dtype

    @property
    def quantization_mode(self) -> None:
        return self._quantization_mode

    def convert_input(self, x: Any, autocast: bool, dtype: Any) -> Any:
        """Cast a floating `x` of another dtype to `dtype` when `autocast` (integer and
        boolean inputs are kept), as Keras 3."""
        from minikeras import ops
        from minikeras.autodiff.tensor import Tensor

        dtype = str(np.dtype(dtype))
        if not isinstance(x, Tensor):
            if not hasattr(x, "__array__") and not isinstance(x, (list, tuple, float, int)):
                return x
            x = ops.convert_to_tensor(x)
        if autocast and x.value.dtype.kind == "f" and str(x.value.dtype) != dtype:
            return ops.cast(x, dtype)
        return x

    def get_config(self) -> dict:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> "DTypePolicy":
        return cls(**config)

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self._name}">'

    def __eq__(self, other: Any) -> bool:
        return type(other) in (DTypePolicy, FloatDTypePolicy) and self._name == other._name

    def __hash__(self) -> int:
        return hash(self._name)


class FloatDTypePolicy(DTypePolicy):
    """Keras 3's alias of `DTypePolicy`."""


_ALL = {"DTypePolicy": DTypePolicy, "FloatDTypePolicy": FloatDTypePolicy,
        "Policy": DTypePolicy}  # "Policy": the class name Keras 2 (tf.keras) writes
_global_policy: DTypePolicy | None = None


def set_dtype_policy(policy: Any) -> None:
    """`keras.config.set_dtype_policy`: the policy of layers created without `dtype=`
    (a name or a `DTypePolicy`). Does not change `floatx()`, as Keras 3."""
    global _global_policy
    if not isinstance(policy, DTypePolicy):
        if not isinstance(policy, str):
            raise ValueError("Invalid `policy` argument. Expected the string name of a policy "
                             "(such as 'mixed_float16') or a `DTypePolicy` instance. "
                             f"Received: policy={policy} (of type {type(policy)})")
        policy = DTypePolicy(policy)
    _global_policy = policy


def dtype_policy() -> DTypePolicy:
    """`keras.config.dtype_policy`: the global policy; while none was set, that of
    `floatx()`."""
    if _global_policy is None:
        return DTypePolicy(config.floatx())
    return _global_policy


def serialize(policy: DTypePolicy) -> dict:
    """The dict Keras 3 writes into a layer config's `dtype` entry."""
    if not isinstance(policy, DTypePolicy):
        raise TypeError(f"serialize: expected a DTypePolicy, got {policy!r}")
    return {"module": "keras", "class_name": "DTypePolicy", "config": policy.get_config(),
            "registered_name": None}


def deserialize(config: Any, custom_objects: dict | None = None) -> DTypePolicy:
    """A policy from `serialize`'s dict, Keras 2's `Policy` dict, or a name."""
    if isinstance(config, DTypePolicy):
        return config
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise ValueError(f"deserialize: expected a dtype policy config dict, got {config!r}")
    name = config.get("class_name")
    cls = (custom_objects or {}).get(name) or _ALL.get(name)
    if cls is None:
        from minikeras.utils.naming import closest

        guess = closest(str(name), list(_ALL))
        raise ValueError(f"Unknown dtype policy class: {name!r}" +
                         (f" (did you mean {guess!r}?)" if guess else ""))
    inner = config["config"]
    if "name" not in inner:
        raise ValueError(f"deserialize: a dtype policy config needs a 'name', got {config!r}")
    return cls.from_config({"name": inner["name"]})


def get(identifier: Any) -> DTypePolicy:
    """`keras.dtype_policies.get`: None is the global policy; a name, a config dict, a
    NumPy dtype or a `DTypePolicy`."""
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    try:
        name = str(np.dtype(identifier))
    except TypeError:
        name = getattr(identifier, "name", None)
        if not isinstance(name, str):
            raise ValueError("Cannot interpret `dtype` argument. Expected a string or an "
                             f"instance of DTypePolicy. Received: dtype={identifier}") from None
    return DTypePolicy(name)


__all__ = ["DTypePolicy", "FloatDTypePolicy", "get", "serialize", "deserialize",
           "set_dtype_policy", "dtype_policy"]
