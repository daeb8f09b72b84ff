"""Global numeric settings: floatx, epsilon, image data format (as `keras.config` / `K`)."""

from __future__ import annotations

import os as _os
from typing import Any

import numpy as np

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_VALID_FLOATX = ("float16", "float32", "float64")


def floatx() -> str:
    """The default float type, `'float32'` unless changed with `set_floatx`."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type. Keras accepts float16, bfloat16, float32 and float64."""
    global _FLOATX
    value = str(np.dtype(value)) if not isinstance(value, str) else value
    if value not in _VALID_FLOATX:
        raise ValueError(f"Unknown floatx type: {value!r}. Expected one of {_VALID_FLOATX}")
    _FLOATX = value


def epsilon() -> float:
    """The fuzz factor used to avoid division by zero and log(0): 1e-7 by default."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"Unknown data_format: {data_format!r}. "
                         "Expected 'channels_last' or 'channels_first'")
    _IMAGE_DATA_FORMAT = data_format


def backend() -> str:
    """Keras names its backend here; minikeras has only one."""
    return "numpy"


# --- surface of keras.config (issue 11, item 10) -------------------------------------------
_INTERACTIVE_LOGGING = True
_UNSAFE_DESERIALIZATION = False


def _env_int(name: str) -> int | None:
    value = _os.environ.get(name)
    return int(value) if value else None


# Keras reads these two from the environment too (`KERAS_MAX_EPOCHS`, ...).
_MAX_EPOCHS = _env_int("KERAS_MAX_EPOCHS")
_MAX_STEPS_PER_EPOCH = _env_int("KERAS_MAX_STEPS_PER_EPOCH")


def enable_interactive_logging() -> None:
    """Progress bars and messages go to stdout (the default)."""
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = True


def disable_interactive_logging() -> None:
    """Progress bars and messages go to Python's `logging` (logger "minikeras", level INFO)
    instead of stdout; Keras sends them to absl logging."""
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = False


def is_interactive_logging_enabled() -> bool:
    return _INTERACTIVE_LOGGING


def enable_unsafe_deserialization() -> None:
    """Keras: lets `__lambda__` configs run their bytecode. minikeras never runs code from a
    config; this switch only lets `safe_mode=False` reach a clear refusal that says so (see
    docs/decisions.md)."""
    global _UNSAFE_DESERIALIZATION
    _UNSAFE_DESERIALIZATION = True


def is_unsafe_deserialization_enabled() -> bool:
    return _UNSAFE_DESERIALIZATION


def _check_limit(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer or None, got {name}={value!r}")
    return int(value)


def set_max_epochs(max_epochs: int | None) -> None:
    """Cap the epochs of every `fit` (for quick debugging runs); None removes the cap."""
    global _MAX_EPOCHS
    _MAX_EPOCHS = _check_limit("max_epochs", max_epochs)


def max_epochs() -> int | None:
    return _MAX_EPOCHS


def set_max_steps_per_epoch(max_steps_per_epoch: int | None) -> None:
    """Cap the steps of every epoch of `fit`, and of `evaluate` and `predict`."""
    global _MAX_STEPS_PER_EPOCH
    _MAX_STEPS_PER_EPOCH = _check_limit("max_steps_per_epoch", max_steps_per_epoch)


def max_steps_per_epoch() -> int | None:
    return _MAX_STEPS_PER_EPOCH


# dtype policies (branch `policy`): the global policy lives in minikeras.dtype_policies
def set_dtype_policy(policy: Any) -> None:
    """Keras 3's `keras.config.set_dtype_policy` (a name such as "mixed_float16", or a
    `DTypePolicy`): the policy of layers created without `dtype=`."""
    from minikeras import dtype_policies

    dtype_policies.set_dtype_policy(policy)


def dtype_policy() -> Any:
    """Keras 3's `keras.config.dtype_policy`: the global `DTypePolicy`."""
    from minikeras import dtype_policies

    return dtype_policies.dtype_policy()
