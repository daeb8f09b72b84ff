"""Global numeric settings: floatx, epsilon, image data format (as `keras.config` / `K`)."""

from __future__ import annotations

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
