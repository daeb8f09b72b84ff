"""Optimizers (`keras.optimizers`). Each rule matches Keras 3 step for step."""

from __future__ import annotations

from typing import Any

from minikeras.optimizers import schedules  # noqa: F401
from minikeras.optimizers.adam import Adam
from minikeras.optimizers.base import Optimizer
from minikeras.optimizers.rmsprop import RMSprop
from minikeras.optimizers.sgd import SGD

_TABLE: dict[str, type] = {"SGD": SGD, "RMSprop": RMSprop, "Adam": Adam,
                           "Optimizer": Optimizer}
_ALIASES = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}


def register(cls: type, *aliases: str) -> type:
    _TABLE[cls.__name__] = cls
    for a in aliases:
        _ALIASES[a] = cls
    return cls


def serialize(optimizer: Optimizer) -> dict:
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: Any, custom_objects: dict | None = None) -> Optimizer:
    """Rebuild an optimizer from `{"class_name", "config"}`; Keras 2's "Custom>Adam" and
    legacy configs (with `decay`, `lr`) keep their hyperparameters."""
    from minikeras.saving.object_registry import all_visible_names, get_registered_object
    from minikeras.utils.naming import unknown_name_error

    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret optimizer config: {config!r}")
    name = str(config["class_name"])
    table = {**_TABLE, **_ALIASES}
    cls = None
    for candidate in (name, name.split(">", 1)[-1]):
        cls = get_registered_object(candidate, custom_objects, table) or \
            _ALIASES.get(candidate.lower())
        if cls is not None:
            break
    if cls is None:
        raise unknown_name_error("optimizer", name, all_visible_names(custom_objects, table))
    inner = dict(config.get("config") or {})
    if isinstance(cls, type) and issubclass(cls, Optimizer):
        return cls.from_config(inner, custom_objects)
    return cls(**inner)


def get(identifier: Any) -> Optimizer:
    """An optimizer instance from a name (`'sgd'`, `'adam'`), a config, a class or an
    instance. Names get Keras' default hyperparameters."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str):
        cls = _ALIASES.get(identifier) or _ALIASES.get(identifier.lower()) or \
            _TABLE.get(identifier)
        if cls is None:
            from minikeras.utils.naming import unknown_name_error

            raise unknown_name_error("optimizer", identifier, list(_ALIASES) + list(_TABLE))
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise TypeError(f"Could not interpret optimizer identifier: {identifier!r}")
