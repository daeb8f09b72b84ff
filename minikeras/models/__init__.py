"""Models (`keras.models`)."""

from __future__ import annotations

import json

from minikeras.models.cloning import clone_model  # noqa: F401
from minikeras.models.functional import Functional  # noqa: F401
from minikeras.models.model import Model  # noqa: F401
from minikeras.models.sequential import Sequential  # noqa: F401


def model_from_json(json_string: str, custom_objects: dict | None = None) -> Model:
    """Rebuild a model (architecture only, fresh weights) from `model.to_json()`."""
    from minikeras.models.config_forms import model_from_config

    try:
        config = json.loads(json_string)
    except (TypeError, ValueError) as e:
        raise ValueError(f"model_from_json: not valid JSON: {e}") from None
    return model_from_config(config, custom_objects)


def model_from_config(config: dict, custom_objects: dict | None = None) -> Model:
    from minikeras.models.config_forms import model_from_config as _from_config

    return _from_config(config, custom_objects)



def __getattr__(name: str):
    # the saving functions (and h5py) load on first use
    if name in ("load_model", "save_model"):
        from minikeras.saving import saving_api

        value = getattr(saving_api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'minikeras.models' has no attribute {name!r}")


def __dir__() -> list:
    return sorted(set(globals()) | {"load_model", "save_model"})
