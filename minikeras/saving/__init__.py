"""Saving and loading models (`keras.saving`)."""

from minikeras.saving.object_registry import (  # noqa: F401
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from minikeras.saving.saving_api import load_model, load_weights, save_model, save_weights  # noqa: F401
from minikeras.saving.serialization import (  # noqa: F401
    deserialize_keras_object,
    serialize_keras_object,
)
