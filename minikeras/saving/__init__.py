"""Saving and loading models (`keras.saving`).

The names load on first use (PEP 562): other modules import `saving.object_registry`
without paying for the file formats and h5py.
"""

from __future__ import annotations

_NAMES = {
    "CustomObjectScope": "object_registry",
    "custom_object_scope": "object_registry",
    "get_custom_objects": "object_registry",
    "get_registered_name": "object_registry",
    "get_registered_object": "object_registry",
    "register_keras_serializable": "object_registry",
    "load_model": "saving_api",
    "load_weights": "saving_api",
    "save_model": "saving_api",
    "save_weights": "saving_api",
    "deserialize_keras_object": "serialization",
    "serialize_keras_object": "serialization",
}


def __getattr__(name: str):
    if name not in _NAMES:
        raise AttributeError(f"module 'minikeras.saving' has no attribute {name!r}")
    where = _NAMES[name]
    if where == "object_registry":
        from minikeras.saving import object_registry as module
    elif where == "saving_api":
        from minikeras.saving import saving_api as module
    else:
        from minikeras.saving import serialization as module
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_NAMES))
