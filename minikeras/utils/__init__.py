"""Utilities (`keras.utils`)."""

from __future__ import annotations

import random as _py_random
from typing import Any

import numpy as np

from minikeras import config
from minikeras.saving.object_registry import (  # noqa: F401
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from minikeras.utils.plotting import plot_history  # noqa: F401
from minikeras.utils.progbar import Progbar  # noqa: F401

# data from Python code (generators / datasets area)
from minikeras.trainers.py_dataset import PyDataset, Sequence  # noqa: F401, E402

# image files (branch `prep`; Pillow is the optional extra `image`)
from minikeras.utils.image_utils import (  # noqa: F401, E402
    array_to_img,
    img_to_array,
    load_img,
    save_img,
)


def set_random_seed(seed: int) -> None:
    """Seed Python's `random` and NumPy's global generator (which minikeras uses for
    initialisers, shuffling, dropout and noise)."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"set_random_seed expects an integer seed, got {seed!r}")
    _py_random.seed(int(seed))
    np.random.seed(int(seed) % (2 ** 32))


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray:
    """One-hot encode integer class labels: shape (n,) -> (n, num_classes)."""
    x = np.asarray(x)
    if x.dtype.kind == "f":
        if not np.all(np.equal(np.mod(x, 1), 0)):
            raise ValueError("to_categorical expects integer class labels")
    x = x.astype("int64")
    shape = x.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    x = x.reshape(-1)
    if x.size and x.min() < 0:
        raise ValueError(f"to_categorical: class labels must be >= 0, got {x.min()}")
    if num_classes is None:
        num_classes = int(x.max()) + 1 if x.size else 0
    elif x.size and x.max() >= num_classes:
        raise ValueError(f"to_categorical: label {x.max()} is out of range for "
                         f"num_classes={num_classes}")
    out = np.zeros((x.size, num_classes), dtype=config.floatx())
    out[np.arange(x.size), x] = 1
    return out.reshape(shape + (num_classes,))


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray:
    """Scale `x` to unit `order`-norm along `axis` (zero vectors stay zero)."""
    x = np.asarray(x, dtype=np.float64) if np.asarray(x).dtype.kind != "f" else np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


# --- data utilities (datasets/get_file/pad_sequences/...; issue 10, branch `data`) ---
from minikeras.backend import clear_session  # noqa: E402,F401
from minikeras.utils.dtype_utils import standardize_dtype  # noqa: E402,F401
from minikeras.utils.dataset_utils import (  # noqa: E402,F401
    get_source_inputs,
    is_keras_tensor,
    pack_x_y_sample_weight,
    split_dataset,
    timeseries_dataset_from_array,
    unpack_x_y_sample_weight,
)
from minikeras.utils.file_utils import get_file  # noqa: E402,F401
from minikeras.utils.sequence_utils import pad_sequences  # noqa: E402,F401
from minikeras.utils.model_visualization import model_to_dot, plot_model  # noqa: E402,F401

# --- keras.utils names of issue 11's serialization/config area (Keras 3 exports them here
# too) ---
from minikeras.config import (  # noqa: E402,F401
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)
from minikeras.saving.serialization import (  # noqa: E402,F401
    deserialize_keras_object,
    serialize_keras_object,
)
