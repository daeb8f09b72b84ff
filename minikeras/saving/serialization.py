"""Turning objects into configs and back: the shared machinery behind every `get`,
`serialize` and `deserialize` in minikeras.

Configs are plain JSON data. Deserialising looks class names up only in explicit tables
(the module's own objects, `custom_objects` and the registry); it never imports modules
named in a file and never evaluates code.
"""

from __future__ import annotations

import inspect
from typing import Any

from minikeras.saving.object_registry import (
    all_visible_names,
    get_registered_name,
    get_registered_object,
)
from minikeras.utils.naming import unknown_name_error


def serialize_keras_object(obj: Any) -> Any:
    """Keras 3's `{"module", "class_name", "config", "registered_name"}` form."""
    if obj is None:
        return None
    if isinstance(obj, (str, int, float, bool)):
        return obj
    if hasattr(obj, "get_config"):
        cls = type(obj)
        return {
            "module": _public_module(cls),
            "class_name": cls.__name__,
            "config": obj.get_config(),
            "registered_name": _registered(cls),
        }
    if callable(obj):
        return getattr(obj, "__name__", None) or get_registered_name(obj)
    raise TypeError(f"Cannot serialize {obj!r} of type {type(obj).__name__}")


def _public_module(cls) -> str:
    mod = cls.__module__
    if mod.startswith("minikeras.optimizers.schedules"):
        return "keras.optimizers.schedules"  # Keras' public namespace for schedules
    if mod.startswith("minikeras."):
        parts = mod.split(".")
        return "keras." + parts[1] if len(parts) > 1 else "keras"
    return None if mod == "__main__" else mod  # (Keras 3 writes None for __main__)


def _registered(cls) -> str | None:
    name = get_registered_name(cls)
    return name if ">" in name else (None if cls.__module__.startswith("minikeras") else
                                     cls.__name__)


def deserialize_keras_object(config: Any, module_objects: dict, kind: str,
                             custom_objects: dict | None = None,
                             instantiate_functions: bool = False) -> Any:
    """Build an object from a name or a `{"class_name", "config"}` dict.

    `kind` names what is being built ("loss", "optimizer", ...) for error messages.
    """
    if config is None:
        return None
    if isinstance(config, str):
        obj = get_registered_object(config, custom_objects, module_objects)
        if obj is None:
            raise unknown_name_error(kind, config, all_visible_names(custom_objects,
                                                                     module_objects))
        if inspect.isclass(obj) and instantiate_functions:
            return obj()
        return obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret {kind} config: {config!r}. Expected a name or a "
                         "dict with 'class_name' and 'config'")
    class_name = config["class_name"]
    inner = config.get("config", {}) or {}
    registered = config.get("registered_name")
    obj = None
    if registered:
        obj = get_registered_object(registered, custom_objects, None)
    if obj is None:
        obj = get_registered_object(class_name, custom_objects, module_objects)
    if obj is None and ">" in class_name:  # Keras 2's "Custom>Adam"
        obj = get_registered_object(class_name.split(">", 1)[1], custom_objects, module_objects)
    if obj is None:
        names = all_visible_names(custom_objects, module_objects)
        err = unknown_name_error(kind, class_name, names)
        raise ValueError(f"{err} Pass it in `custom_objects` if it is your own class.")
    if inspect.isclass(obj):
        if hasattr(obj, "from_config"):
            return obj.from_config(dict(inner))
        return obj(**inner)
    return obj
