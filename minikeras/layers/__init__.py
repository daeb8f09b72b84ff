"""Layers (`keras.layers`)."""

from __future__ import annotations

from typing import Any

from minikeras.layers.core import (  # noqa: F401
    Activation,
    Dense,
    Dropout,
    Flatten,
    Identity,
    Input,
    InputLayer,
    Lambda,
    Reshape,
)
from minikeras.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax  # noqa: F401
from minikeras.layers.layer import KerasTensor, Layer  # noqa: F401
from minikeras.layers.merging import (  # noqa: F401
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    maximum,
    minimum,
    multiply,
    subtract,
)
from minikeras.layers.noise import AlphaDropout, GaussianDropout, GaussianNoise  # noqa: F401
from minikeras.layers.normalization import (  # noqa: F401
    BatchNormalization,
    LayerNormalization,
    RMSNormalization,
    UnitNormalization,
)
from minikeras.layers.preprocessing import Normalization, Rescaling  # noqa: F401
from minikeras.layers.regularization import ActivityRegularization  # noqa: F401
# --- reshaping layers (branch `reshape`) ---
from minikeras.layers.reshaping import (  # noqa: F401
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Permute,
    RepeatVector,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from minikeras.layers.spatial_dropout import (  # noqa: F401
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
# --- sequences: embeddings, masking, recurrent layers (branch rnn) ---
from minikeras.layers.embedding import Embedding, Masking  # noqa: F401
from minikeras.layers.rnn import (  # noqa: F401
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
    TimeDistributed,
)
# --- convolution and pooling (issue 9) ---
from minikeras.layers.convolutional import *  # noqa: F401,F403,E402
from minikeras.layers.pooling import *  # noqa: F401,F403,E402
from minikeras.layers import convolutional as _convolutional, pooling as _pooling  # noqa: E402

_TABLE: dict[str, type] = {}

# Keys that some Keras versions write and that change nothing here (see
# shared/reference/keras-h5-format.md section 11): dropped when reading a config.
_IGNORED_KEYS = ("quantization_config", "optional", "ragged", "sparse", "lora_rank",
                 "lora_alpha", "input_axes", "output_axes", "synchronized")


def register(cls: type) -> type:
    """Make a layer class known to `deserialize` (built-ins register themselves here)."""
    _TABLE[cls.__name__] = cls
    return cls


for _cls in (Activation, Dense, Dropout, Flatten, Identity, InputLayer, Lambda, Reshape,
             AlphaDropout, GaussianDropout, GaussianNoise, Normalization, Rescaling):
    register(_cls)
for _cls in (BatchNormalization, LeakyReLU, PReLU, ELU, ReLU, Softmax, Concatenate, Add,
             Subtract, Multiply, Average, Maximum, Minimum, ActivityRegularization):
    register(_cls)
for _cls in (LayerNormalization, UnitNormalization, RMSNormalization):
    register(_cls)
# reshaping layers (branch `reshape`)
for _cls in (Cropping1D, Cropping2D, Cropping3D, Permute, RepeatVector, UpSampling1D,
             UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D,
             SpatialDropout1D, SpatialDropout2D, SpatialDropout3D):
    register(_cls)
# sequences (branch rnn)
for _cls in (Embedding, Masking, RNN, SimpleRNN, LSTM, GRU, SimpleRNNCell, LSTMCell, GRUCell,
             StackedRNNCells, Bidirectional, TimeDistributed):
    register(_cls)
# --- convolution and pooling (issue 9): classes, and the alias names old files may use ---
for _cls in _convolutional.CLASSES + _pooling.CLASSES:
    register(_cls)
_TABLE.update({**_convolutional.ALIASES, **_pooling.ALIASES})
# Dot (branch `fixes`)
from minikeras.layers.dot import Dot, dot  # noqa: F401, E402

register(Dot)
def _table() -> dict:
    _load_lazy()
    from minikeras.models.functional import Functional
    from minikeras.models.model import Model
    from minikeras.models.sequential import Sequential

    return {**_TABLE, "Sequential": Sequential, "Functional": Functional, "Model": Functional,
            "ModelBase": Model}


def serialize(layer: Layer) -> dict:
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(layer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Layer:
    """Build a layer from `{"class_name", "config"}` (Keras 2 or 3 style). Class names are
    looked up only among minikeras' layers and `custom_objects`; nothing is imported."""
    from minikeras.saving.object_registry import all_visible_names, get_registered_object
    from minikeras.utils.naming import unknown_name_error

    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A layer config must be a dict with 'class_name' and 'config', got "
                         f"{str(config)[:200]}")
    class_name = config["class_name"]
    table = _table()
    cls = get_registered_object(config.get("registered_name") or class_name, custom_objects,
                                table) or get_registered_object(class_name, custom_objects,
                                                                table)
    if cls is None:
        err = unknown_name_error("layer", class_name,
                                 all_visible_names(custom_objects, table))
        raise ValueError(f"{err} If it is your own layer, pass it in "
                         f"custom_objects={{{class_name!r}: {class_name}}}.")
    inner = dict(config.get("config") or {})
    for key in _IGNORED_KEYS:
        inner.pop(key, None)
    if cls is not InputLayer and "batch_shape" in inner:
        inner["batch_input_shape"] = inner.pop("batch_shape")
    if hasattr(cls, "from_config"):
        import inspect

        params = inspect.signature(cls.from_config).parameters
        if "custom_objects" in params:
            return cls.from_config(inner, custom_objects=custom_objects)
        return cls.from_config(inner)
    return cls(**inner)


def get(identifier: Any) -> Any:
    if isinstance(identifier, Layer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise TypeError(f"Could not interpret layer identifier: {identifier!r}")
# --- layers loaded on first use (PEP 562), so that a first script that does not use them
# does not pay for their modules: attention (branch `attention`), image preprocessing
# (branch `imgaug`), text and categorical preprocessing (branch `textprep`) ---
_LAZY = {
    **dict.fromkeys(("Attention", "AdditiveAttention", "MultiHeadAttention"),
                    "minikeras.layers.attention"),
    "EinsumDense": "minikeras.layers.einsum_dense",
    "GroupNormalization": "minikeras.layers.group_normalization",
    **dict.fromkeys(("CenterCrop", "RandomBrightness", "RandomContrast", "RandomCrop",
                     "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom",
                     "Resizing"), "minikeras.layers.preprocessing_image"),
    **dict.fromkeys(("CategoryEncoding", "Discretization", "IntegerLookup", "StringLookup",
                     "TextVectorization"), "minikeras.layers.preprocessing_text"),
    "Hashing": "minikeras.layers.preprocessing_hashing",
}


def _load_lazy() -> None:
    """Import and register every lazily loaded layer (for `deserialize` and `dir`)."""
    for name in _LAZY:
        __getattr__(name)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'minikeras.layers' has no attribute {name!r}")
    import importlib

    cls = getattr(importlib.import_module(module), name)
    register(cls)
    globals()[name] = cls  # later accesses skip this function
    return cls


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))
