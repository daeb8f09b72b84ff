"""Optimizers (`keras.optimizers`). Each rule matches Keras 3 step for step."""

from __future__ import annotations

from typing import Any

from minikeras.optimizers import schedules  # noqa: F401
from minikeras.optimizers.adadelta import Adadelta
from minikeras.optimizers.adagrad import Adagrad
from minikeras.optimizers.adam import Adam
from minikeras.optimizers.adamax import Adamax
from minikeras.optimizers.adamw import AdamW
from minikeras.optimizers.base import Optimizer
from minikeras.optimizers.ftrl import Ftrl
from minikeras.optimizers.lion import Lion
from minikeras.optimizers.nadam import Nadam
from minikeras.optimizers.rmsprop import RMSprop
from minikeras.optimizers.sgd import SGD
# --- Adafactor, Lamb (branch `reshape`) ---
from minikeras.optimizers.adafactor import Adafactor
from minikeras.optimizers.lamb import Lamb
from minikeras.optimizers.loss_scale_optimizer import LossScaleOptimizer

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax",
           "Nadam", "Lion", "Ftrl", "schedules", "legacy", "get", "serialize", "deserialize",
           "register", "Adafactor", "Lamb", "LossScaleOptimizer"]

_TABLE: dict[str, type] = {}
# Keras 3 resolves built-in names case-insensitively ("adam", "Adam", "ADAM").
_ALIASES: dict[str, type] = {}


def register(cls: type, *aliases: str) -> type:
    """Make an optimizer class known to `get`/`deserialize` by its class name and aliases."""
    _TABLE[cls.__name__] = cls
    _ALIASES[cls.__name__.lower()] = cls
    for a in aliases:
        _ALIASES[a.lower()] = cls
    return cls


for _cls in (Optimizer, SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta, Adamax, Nadam, Lion,
             Ftrl):
    register(_cls)

for _cls in (Adafactor, Lamb, LossScaleOptimizer):  # branch `reshape`
    register(_cls)

from minikeras.optimizers import legacy  # noqa: E402,F401  (after the classes exist)


def serialize(optimizer: Optimizer) -> dict:
    """Keras 3's `{"module", "class_name", "config", "registered_name"}` form."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"serialize() needs an Optimizer, got {type(optimizer).__name__}")
    from minikeras.saving.object_registry import get_registered_name

    cls = type(optimizer)
    # Built-ins (and their `legacy` twins, whose config carries `decay`) by class name.
    builtin = cls.__module__.startswith("minikeras.optimizers") and cls.__name__ in _TABLE
    registered = get_registered_name(cls)
    return {"module": "keras.optimizers" if builtin else cls.__module__,
            "class_name": cls.__name__, "config": optimizer.get_config(),
            "registered_name": None if builtin else registered}


def _resolve(name: str, custom_objects: dict | None) -> Any:
    from minikeras.saving.object_registry import get_registered_object

    for candidate in (name, name.split(">", 1)[-1]):
        cls = get_registered_object(candidate, custom_objects, _TABLE) or \
            _ALIASES.get(candidate.lower())
        if cls is not None:
            return cls
    return None


def deserialize(config: Any, custom_objects: dict | None = None) -> Optimizer:
    """Rebuild an optimizer from `{"class_name", "config"}` (Keras 3, Keras 2 and Keras 2's
    "Custom>Adam" forms; Keras 2's `lr` and `decay` keep their meaning)."""
    from minikeras.saving.object_registry import all_visible_names
    from minikeras.utils.naming import unknown_name_error

    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret optimizer config: {config!r}. Expected a dict "
                         "with 'class_name' and 'config'")
    name = str(config.get("registered_name") or config["class_name"])
    cls = _resolve(name, custom_objects) or _resolve(str(config["class_name"]), custom_objects)
    if cls is None:
        err = unknown_name_error("optimizer", config["class_name"],
                                 all_visible_names(custom_objects, _TABLE))
        raise ValueError(f"{err} Pass it in `custom_objects` if it is your own class.")
    inner = dict(config.get("config") or {})
    if isinstance(cls, type) and issubclass(cls, Optimizer):
        return cls.from_config(inner, custom_objects)
    return cls(**inner)


def get(identifier: Any) -> Optimizer | None:
    """An optimizer from a name (`'sgd'`, `'Adam'`, ...: Keras' default hyperparameters),
    a config dict, a class, or an instance (returned as it is)."""
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str):
        cls = _ALIASES.get(identifier.lower()) or _resolve(identifier, None)
        if cls is None or cls is Optimizer:
            from minikeras.utils.naming import unknown_name_error

            known = sorted(n for n, c in _ALIASES.items() if c is not Optimizer)
            raise unknown_name_error("optimizer", identifier, known)
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
