"""Turning objects into configs and back: the shared machinery behind every `get`,
`serialize` and `deserialize` in minikeras.

Configs are plain JSON data. Deserialising looks class names up only in explicit tables
(the module's own objects, `custom_objects` and the registry); it never imports modules
named in a file and never evaluates code.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from minikeras.saving.object_registry import (
    all_visible_names,
    get_registered_name,
    get_registered_object,
)


def serialize_keras_object(obj: Any) -> Any:
    """Keras 3's serialized form of `obj`: plain values as they are (lists stay lists,
    tuples tuples, dicts have their values serialized); NumPy arrays and tensors as
    `{"class_name": "__numpy__"/"__tensor__", "config": {"value", "dtype"}}`; a function as
    `{"module": "builtins", "class_name": "function", "config": <its registered name>,
    "registered_name": "function"}`; an object with `get_config` as `{"module",
    "class_name", "config", "registered_name"}` (plus `build_config` for a built layer).

    Differs from Keras: a `lambda` is refused (Keras writes its bytecode, which loading
    would have to execute; minikeras never writes or runs code)."""
    from minikeras.autodiff.tensor import Tensor

    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, (list, tuple)):
        items = [serialize_keras_object(x) for x in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        return {"class_name": "__slice__", "config": {
            "start": serialize_keras_object(obj.start), "stop": serialize_keras_object(obj.stop),
            "step": serialize_keras_object(obj.step)}}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, Tensor):
        value = np.asarray(obj.value)
        return {"class_name": "__tensor__",
                "config": {"value": value.tolist(), "dtype": value.dtype.name}}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        if obj.ndim == 0:
            return obj.item()
        return {"class_name": "__numpy__",
                "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
    if hasattr(obj, "get_config") and not inspect.isclass(obj):
        cls = type(obj)
        config = obj.get_config()
        if not isinstance(config, dict):
            raise TypeError(f"The `get_config()` method of {obj!r} should return a dict. It "
                            f"returned: {config!r}")
        out = {
            "module": _public_module(cls),
            "class_name": cls.__name__,
            "config": serialize_keras_object(config),
            "registered_name": _registered(cls),
        }
        build = getattr(obj, "get_build_config", None)
        build = build() if callable(build) and getattr(obj, "built", False) else None
        if build is not None:
            out["build_config"] = serialize_keras_object(build)
        if getattr(obj, "compiled", False) is True and hasattr(obj, "compiled_loss"):
            from minikeras.saving.compile_io import keras3_compile_config

            out["compile_config"] = serialize_keras_object(keras3_compile_config(obj))
        return out
    if inspect.isfunction(obj) and obj.__name__ == "<lambda>":
        raise ValueError("Cannot serialize a lambda: its code would have to be executed to "
                         "load it, which minikeras never does. Use a named function (and "
                         "register it with @keras.saving.register_keras_serializable()).")
    if callable(obj):
        name = get_registered_name(obj)
        return {"module": "builtins", "class_name": "function", "config": name,
                "registered_name": "function"}
    raise TypeError(f"Cannot serialize object {obj!r} of type {type(obj)}. To be "
                    "serializable, a class must implement the `get_config()` method.")


def _public_module(cls) -> str | None:
    mod = cls.__module__
    if mod.startswith("minikeras.models."):
        # as Keras 3 writes them
        return {"Sequential": "keras", "Functional": "keras.src.models.functional",
                "Model": "keras.src.models.model"}.get(cls.__name__, "keras.models")
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


def deserialize_from_table(config: Any, module_objects: dict, kind: str,
                           custom_objects: dict | None = None,
                           instantiate_functions: bool = False) -> Any:
    """Build an object from a name or a `{"class_name", "config"}` dict, looking names up
    in `module_objects` (one namespace's table), `custom_objects` and the registry: what
    each namespace's `get`/`deserialize` uses.

    `kind` names what is being built ("loss", "optimizer", ...) for error messages.
    """
    if config is None:
        return None
    if isinstance(config, str):
        obj = get_registered_object(config, custom_objects, module_objects)
        if obj is None:
            from minikeras.utils.naming import unknown_name_error  # (utils imports this module)

            raise unknown_name_error(kind, config, all_visible_names(custom_objects,
                                                                     module_objects))
        if inspect.isclass(obj) and instantiate_functions:
            return obj()
        return obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret {kind} config: {config!r}. Expected a name or a "
                         "dict with 'class_name' and 'config'")
    if config["class_name"] == "function" and isinstance(config.get("config"), str):
        return deserialize_from_table(config["config"], module_objects, kind, custom_objects)
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
        from minikeras.utils.naming import unknown_name_error  # (utils imports this module)

        err = unknown_name_error(kind, class_name, names)
        raise ValueError(f"{err} Pass it in `custom_objects` if it is your own class.")
    if inspect.isclass(obj):
        if hasattr(obj, "from_config"):
            return obj.from_config(dict(inner))
        return obj(**inner)
    return obj


# --- Keras 3's public deserialize_keras_object ------------------------------------------

# Keras' public namespaces a config's `module` may name, each with the function that
# rebuilds its objects (by class name, from minikeras' own tables only).
def _namespace_deserializers() -> dict:
    from minikeras import (activations, constraints, initializers, layers, losses, metrics,
                           optimizers, regularizers)
    from minikeras.optimizers import schedules

    return {"keras.layers": layers.deserialize, "keras.models": layers.deserialize,
            "keras": layers.deserialize, "keras.src.models.functional": layers.deserialize,
            "keras.src.models.model": layers.deserialize,
            "keras.src.models.sequential": layers.deserialize,
            "keras.losses": losses.deserialize, "keras.metrics": metrics.deserialize,
            "keras.optimizers": optimizers.deserialize,
            "keras.optimizers.schedules": schedules.deserialize,
            "keras.initializers": initializers.deserialize,
            "keras.regularizers": regularizers.deserialize,
            "keras.constraints": constraints.deserialize,
            "keras.activations": activations.deserialize}


def _public_namespace(name: str) -> Any:
    """minikeras' module for one of Keras' public namespaces (None for any other name)."""
    import minikeras

    if name not in _BUILTIN_FUNCTION_NAMESPACES and name != "keras.ops":
        return None
    return getattr(minikeras, name.split(".", 1)[1], None)


# where Keras looks for a function whose module is "builtins", in this order
_BUILTIN_FUNCTION_NAMESPACES = ("keras.activations", "keras.constraints", "keras.initializers",
                                "keras.losses", "keras.metrics", "keras.optimizers",
                                "keras.regularizers")

_LAMBDA_REFUSED = (
    "Requested the deserialization of a Python lambda. This carries a potential risk of "
    "arbitrary code execution and thus it is disallowed by default. If you trust the source "
    "of the artifact, you can override this error by passing `safe_mode=False` to the "
    "loading function, or calling `keras.config.enable_unsafe_deserialization().")


def _locate_error(kind: str, name: str, config: Any, custom_objects: dict | None) -> TypeError:
    from minikeras.utils.naming import closest

    guess = closest(str(name), all_visible_names(custom_objects, None))
    hint = f" Did you mean {guess!r}?" if guess else ""
    return TypeError(f"Could not locate {kind} '{name}'. Make sure custom classes and "
                     "functions are decorated with "
                     "`@keras.saving.register_keras_serializable()`. If they are already "
                     "decorated, make sure they are all imported so that the decorator is "
                     f"run before trying to load them.{hint} Full object config: {config}")


def deserialize_keras_object(config: Any, custom_objects: dict | None = None,
                             safe_mode: bool = True, **kwargs: Any) -> Any:
    """Keras 3's inverse of `serialize_keras_object`.

    Names resolve through `custom_objects`, the active `custom_object_scope`s, the
    registry (`register_keras_serializable`) and the public namespace the config's
    `module` names (keras.layers, keras.losses, ...), never by importing a module. A
    string that names no registered object comes back unchanged, as in Keras.

    `__lambda__` configs are refused, as Keras does in safe mode; minikeras also refuses
    them with `safe_mode=False` (it never executes code from a config; see
    docs/decisions.md). `module_objects=` (Keras' keyword) adds a table of names.
    """
    module_objects = kwargs.pop("module_objects", None)
    if kwargs:
        raise TypeError(f"deserialize_keras_object() got unexpected keyword arguments "
                        f"{sorted(kwargs)}")

    def again(x: Any) -> Any:
        return deserialize_keras_object(x, custom_objects, safe_mode,
                                        module_objects=module_objects)

    if config is None:
        return None
    if isinstance(config, str):
        found = get_registered_object(config, custom_objects, module_objects)
        return config if found is None else found
    if isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, (list, tuple)):
        return [again(x) for x in config]
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: {config!r}")
    if "class_name" not in config or "config" not in config:
        return {k: again(v) for k, v in config.items()}
    class_name = config["class_name"]
    inner = config["config"] if config["config"] is not None else {}
    if class_name in ("__numpy__", "__tensor__"):
        from minikeras.backend.dtypes import standardize_dtype

        value = np.asarray(inner["value"], dtype=standardize_dtype(inner.get("dtype")))
        if class_name == "__tensor__":
            from minikeras.autodiff.tensor import Tensor

            return Tensor(value)
        return value
    if class_name == "__bytes__":
        return inner["value"].encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        return slice(again(inner.get("start")), again(inner.get("stop")),
                     again(inner.get("step")))
    if class_name == "__lambda__":
        if safe_mode:
            raise ValueError(_LAMBDA_REFUSED)
        raise ValueError("minikeras never executes code from a config, even with "
                         "safe_mode=False or keras.config.enable_unsafe_deserialization(): "
                         "define a named function (or a Layer subclass) and pass it in "
                         "custom_objects instead of a lambda.")
    if class_name == "__keras_tensor__":
        raise ValueError("A `__keras_tensor__` can only be read inside a functional model's "
                         "config")
    module = config.get("module")
    registered = config.get("registered_name")
    if class_name == "function":
        if not isinstance(inner, str):
            raise TypeError("Expected 'config' to be a non-null str for a function "
                            f"classname, instead got {type(inner)}. Full config: {config}")
        found = get_registered_object(inner, custom_objects, module_objects)
        if found is not None:
            return found
        tables = _namespace_deserializers()
        spaces = _BUILTIN_FUNCTION_NAMESPACES if module in (None, "builtins") else (module,)
        for space in spaces:  # a public function of that namespace, by its name
            namespace = _public_namespace(space)
            found = getattr(namespace, inner, None) if namespace is not None else None
            if inspect.isfunction(found):
                _no_registered_name_for_builtin(config, inner, f"{space}.{inner}")
                return found
        for space in spaces:
            if space in tables:
                try:
                    found = tables[space](inner)
                except (ValueError, TypeError):
                    continue
                if callable(found) and not inspect.isclass(found):
                    _no_registered_name_for_builtin(config, inner, f"{space}.{inner}")
                    return found
        raise _locate_error("function", inner, config, custom_objects)
    if not isinstance(inner, dict):
        raise TypeError(f"Expected 'config' to be a dict for {class_name}, instead got "
                        f"{type(inner)}. Full config: {config}")
    cls = None
    if registered and registered != class_name:
        cls = get_registered_object(registered, custom_objects, None)
    if cls is None:
        cls = get_registered_object(class_name, custom_objects, module_objects)
    scope_objects = dict(custom_objects or {})
    if cls is not None:
        if not inspect.isclass(cls):
            return cls
        obj = _instantiate(cls, inner, scope_objects)
    else:
        table = _namespace_deserializers().get(module) if isinstance(module, str) else None
        if table is None:
            raise _locate_error("class", class_name, config, custom_objects)
        _no_registered_name_for_builtin(config, class_name, f"{module}.{class_name}")
        from minikeras.saving.object_registry import custom_object_scope

        with custom_object_scope(scope_objects):
            try:
                obj = table({k: v for k, v in config.items() if k != "build_config"},
                            custom_objects)
            except ValueError as e:
                if "Unknown" in str(e) or "not a known" in str(e) or "did you mean" in str(e):
                    raise _locate_error("class", class_name, config, custom_objects) from e
                raise
    build = config.get("build_config")
    if build and hasattr(obj, "build_from_config") and not getattr(obj, "built", True):
        obj.build_from_config(build)
    compile_config = config.get("compile_config")
    if isinstance(compile_config, dict) and hasattr(obj, "compile") and hasattr(obj, "fit"):
        from minikeras.saving.compile_io import compile_from_config

        compile_from_config(obj, compile_config, custom_objects, source="the config")
    return obj


def _no_registered_name_for_builtin(config: dict, name: str, resolved: str) -> None:
    """Keras: a config that resolves to a built-in may not name another registered object
    (a file could otherwise smuggle a name such as "builtins.eval" past a reader)."""
    explicit = config.get("registered_name")
    if explicit and explicit not in (name, config.get("class_name")):
        raise ValueError(f"`registered_name={explicit!r}` was provided in the config, but "
                         f"'{resolved}' resolved to a Keras built-in and does not use "
                         "registered names. Remove the `registered_name` field from the "
                         f"config. Full object config: {config}")


def _instantiate(cls: type, inner: dict, custom_objects: dict) -> Any:
    from minikeras.saving.object_registry import custom_object_scope

    with custom_object_scope(custom_objects):
        if hasattr(cls, "from_config"):
            params = inspect.signature(cls.from_config).parameters
            if "custom_objects" in params:
                return cls.from_config(dict(inner), custom_objects=custom_objects)
            return cls.from_config(dict(inner))
        return cls(**inner)
