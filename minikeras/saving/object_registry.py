"""Names of user objects: `custom_objects`, `custom_object_scope`, `register_keras_serializable`."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

_GLOBAL_CUSTOM_OBJECTS: dict = {}
_GLOBAL_CUSTOM_NAMES: dict = {}


class _Scope(threading.local):
    def __init__(self) -> None:
        self.stack: list[dict] = []


_scope = _Scope()


@contextlib.contextmanager
def custom_object_scope(*dicts: dict):
    """Make the given `{name: object}` mappings visible to every deserializer inside."""
    merged: dict = {}
    for d in dicts:
        merged.update(d or {})
    _scope.stack.append(merged)
    try:
        yield
    finally:
        _scope.stack.pop()


CustomObjectScope = custom_object_scope


def get_custom_objects() -> dict:
    """The global registry (a live dict, as in Keras)."""
    return _GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Decorator: register a class or function as `package>name`."""

    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"`package` must be a string without '>', got {package!r}")

    def decorator(obj):
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() "
                             f"method: {obj.__name__}")
        key = f"{package}>{name or obj.__name__}"
        _GLOBAL_CUSTOM_OBJECTS[key] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = key
        return obj

    return decorator


def get_registered_name(obj: Any) -> str:
    return _GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


def get_registered_object(name: str, custom_objects: dict | None = None,
                          module_objects: dict | None = None) -> Any:
    """Look `name` up in: the given custom objects, the active scopes, the global registry
    (with or without its `package>` prefix), then `module_objects`."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    for scope in reversed(_scope.stack):
        if name in scope:
            return scope[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    for key, obj in _GLOBAL_CUSTOM_OBJECTS.items():
        if key.split(">", 1)[-1] == name:
            return obj
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def all_visible_names(custom_objects: dict | None = None, module_objects: dict | None = None):
    names = set(custom_objects or ()) | set(_GLOBAL_CUSTOM_OBJECTS) | set(module_objects or ())
    for scope in _scope.stack:
        names |= set(scope)
    return sorted(names)
