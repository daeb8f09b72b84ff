"""Model configs in the legacy (Keras 2 style) JSON form, and the legacy HDF5 files:
full-model `.h5` (`model.save('x.h5')`) and weights-only `.h5` (Keras 2 `save_weights`).

The layout follows shared/reference/keras-h5-format.md. Writing uses the recipe that both
Keras 2 and Keras 3 load, compile and train (section 11): Keras 2 style configs with an
InputLayer and `batch_input_shape`, plain dtype strings, Keras 2 weight names, canonical
loss names and an optimizer config with only the keys both accept. minikeras' exact
optimizer state goes into a group and an attribute that real Keras never reads
(`minikeras_optimizer_state`, `minikeras_optimizer_config`), never into
`optimizer_weights` (with which Keras 3 builds a model that cannot train).

Reading accepts both generations' files: both node formats, every way of giving the input
shape, DTypePolicy/Policy dicts, vlen/fixed/chunked name lists, empty float64 name lists,
Keras <= 2.2 list-style Sequential configs, Keras 2 and 3 optimizer weights.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np

from minikeras.layers.core import InputLayer  # noqa: F401
from minikeras.layers.layer import KerasTensor, Layer  # noqa: F401
from minikeras.saving import compile_io, h5_io

KERAS_VERSION = "2.15.0"  # what we declare: any value but "1" keeps Keras 2 from converting
BACKEND = "tensorflow"
HEADER_LIMIT = h5_io.HEADER_LIMIT
OPTIMIZER_STATE_GROUP = "minikeras_optimizer_state"  # real Keras never reads this group
OPTIMIZER_CONFIG_ATTR = "minikeras_optimizer_config"
COMPILE_CONFIG_ATTR = "minikeras_compile_config"

# The model-config forms live with the models (models/config_forms.py); saving depends on
# models, not the reverse. They are re-exported here for the file code and for callers that
# import them from this module, lazily because `minikeras.models` imports the trainers,
# which import this package.
_FROM_CONFIG_FORMS = ("MAX_DIM", "MAX_LAYERS", "MAX_WEIGHT_ELEMENTS", "_clean",
                      "check_config_sizes", "count_layers", "functional_config",
                      "functional_from_config", "model_config_dict", "model_from_config",
                      "serialize_layer", "weights_lower_bound")


def __getattr__(name: str) -> Any:
    if name in _FROM_CONFIG_FORMS:
        from minikeras.models import config_forms

        return getattr(config_forms, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- writing configs --------------------------------------------------------------------

def json_dumps(obj: Any) -> str:
    from minikeras.models.config_forms import _clean

    return json.dumps(_clean(obj))


def stored_weight_count(group: Any) -> int:
    """How many weights a legacy `model_weights` group declares (metadata only)."""
    total = 0
    for name in h5_io.read_name_list(group, "layer_names"):
        g = h5_io.safe_get(group, name)
        if not isinstance(g, h5_io._h5py().Group):
            raise ValueError(f"The saved layer {name!r} is not a group")
        for wn in h5_io.read_name_list(g, "weight_names"):
            shape = h5_io.check_dataset(h5_io.safe_get(g, wn), f"weight {wn!r}")
            total += int(np.prod(shape, dtype=np.int64))
    return total


# --- weights in the legacy layout --------------------------------------------------------

def _legacy_weight_names(layer: Any) -> list[str]:
    """Keras 2 names (`dense/kernel:0`), made unique within the layer."""
    names: list = []
    seen: set = set()
    for w in layer.trainable_weights + layer.non_trainable_weights:
        name = f"{getattr(w, 'path', None) or w.name}:0"
        if not name.startswith(layer.name + "/"):
            name = f"{layer.name}/{name}"
        parts = [p for p in name.split("/") if p not in ("", ".", "..")]
        name = "/".join(parts)
        base, k = name, 1
        while name in seen:
            name = base.replace(":0", f"_{k}:0")
            k += 1
        seen.add(name)
        names.append(name)
    return names


def _model_layers(model: Any) -> list:
    return list(model.layers)


def save_weights_to_group(group: Any, model: Any) -> None:
    layers = _model_layers(model)
    names = [layer.name for layer in layers]
    if len(set(names)) != len(names):
        raise ValueError(f"Cannot save: the model has several layers with the same name "
                         f"({sorted(n for n in set(names) if names.count(n) > 1)})")
    for n in names:
        if "/" in n or n in ("", ".", ".."):
            raise ValueError(f"Cannot save the layer named {n!r} in an HDF5 file: a layer "
                             "name must not contain '/'")
    h5_io.write_name_list(group, "layer_names", names)
    group.attrs["backend"] = BACKEND.encode("utf8")
    group.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
    for layer in sorted(layers, key=lambda layer: layer.name):
        g = group.create_group(layer.name)
        weights = layer.trainable_weights + layer.non_trainable_weights
        wnames = _legacy_weight_names(layer)
        h5_io.write_name_list(g, "weight_names", wnames)
        for name, w in zip(wnames, weights):
            g.create_dataset(name, data=np.asarray(w.value))
    top = group.create_group("top_level_model_weights")
    h5_io.write_name_list(top, "weight_names", [])


def _layer_variables(layer: Any) -> list:
    return layer.trainable_weights + layer.non_trainable_weights


def load_weights_from_group(group: Any, model: Any, skip_mismatch: bool = False,
                            by_name: bool = False) -> None:
    """Assign weights layer by layer: by position (Keras' topological loading) or by layer
    name (`by_name`). Every array is read and checked before any variable changes; a
    mismatch names the layer, or with `skip_mismatch` skips it with a warning."""
    saved_names = h5_io.read_name_list(group, "layer_names")
    if not saved_names and not h5_io.has_attr(group, "layer_names") and \
            not h5_io.has_attr(group, "layer_names0"):
        raise ValueError(f"{group.name!r} has no 'layer_names' attribute: this is not a "
                         "Keras weights group")
    saved = []
    for name in saved_names:
        g = h5_io.safe_get(group, name)
        if not isinstance(g, h5_io._h5py().Group):
            raise ValueError(f"The saved layer {name!r} is not a group")
        saved.append((name, g, h5_io.read_name_list(g, "weight_names")))
    layers = [layer for layer in _model_layers(model) if _layer_variables(layer)]
    if by_name:
        by = {}
        for name, g, w in saved:
            by.setdefault(name, (g, w))
        pairs = [(layer, by[layer.name]) for layer in layers if layer.name in by]
    else:
        with_weights = [(name, g, w) for name, g, w in saved if w]
        if len(with_weights) != len(layers):
            raise ValueError(f"Layer count mismatch when loading weights: the file has "
                             f"{len(with_weights)} layers with weights "
                             f"{[n[:60] for n, _, _ in with_weights][:20]}, but the model has "
                             f"{len(layers)} {[layer.name[:60] for layer in layers][:20]}")
        pairs = [(layer, (g, w)) for layer, (_, g, w) in zip(layers, with_weights)]
    assignments: list = []
    for layer, (g, wnames) in pairs:
        variables = _layer_variables(layer)
        problem = None
        arrays: list = []
        if len(wnames) != len(variables):
            problem = (f"Layer {layer.name!r} expects {len(variables)} weights "
                       f"{[tuple(v.shape) for v in variables]}, but the saved layer "
                       f"{g.name!r} has {len(wnames)}")
        else:
            for v, wn in zip(variables, wnames):
                ds = h5_io.safe_get(g, wn)
                shape = h5_io.check_dataset(ds, f"weight {wn!r} of layer {layer.name!r}")
                if shape != tuple(v.shape):
                    problem = (f"Layer {layer.name!r}: weight {wn!r} has shape {shape} in the "
                               f"file, but the layer's variable {v.name!r} has shape "
                               f"{tuple(v.shape)}")
                    break
                arrays.append(h5_io.read_dataset(ds, v.shape, f"weight {wn!r} of layer "
                                                              f"{layer.name!r}"))
        if problem is not None:
            if skip_mismatch:
                warnings.warn(problem + "; skipped (skip_mismatch=True)", stacklevel=3)
                continue
            raise ValueError(problem)
        assignments.append((variables, arrays))
    for variables, arrays in assignments:
        for v, a in zip(variables, arrays):
            v.assign(np.asarray(a).astype(v.dtype))


# --- the full-model legacy .h5 ----------------------------------------------------------

def save_model(model: Any, filepath: Any, overwrite: bool = True,
               include_optimizer: bool = True) -> None:
    h5py = h5_io._h5py()
    from minikeras.models.config_forms import model_config_dict

    config = model_config_dict(model)
    compiled = bool(getattr(model, "compiled", False)) and model.optimizer is not None
    train_cfg = opt_cfg = exact = None
    if include_optimizer and compiled:
        train_cfg = compile_io.portable_training_config(model)
        opt_cfg = compile_io.full_optimizer_config(model.optimizer)
        exact = compile_io.exact_compile_config(model)
    with h5_io.atomic_path(filepath, overwrite) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["keras_version"] = KERAS_VERSION
            f.attrs["backend"] = BACKEND
            h5_io.write_text_attr(f, "model_config", json_dumps(config), as_bytes=True)
            if train_cfg is not None:
                h5_io.write_text_attr(f, "training_config", json_dumps(train_cfg),
                                      as_bytes=True)
                h5_io.write_text_attr(f, OPTIMIZER_CONFIG_ATTR, json_dumps(opt_cfg),
                                      as_bytes=True)
                h5_io.write_text_attr(f, COMPILE_CONFIG_ATTR, json_dumps(exact),
                                      as_bytes=True)
            save_weights_to_group(f.create_group("model_weights"), model)
            if train_cfg is not None and model.optimizer.built:
                compile_io.save_optimizer_state(f.create_group(OPTIMIZER_STATE_GROUP),
                                                model.optimizer)


def load_model(filepath: Any, custom_objects: dict | None = None, compile: bool = True,
               safe_mode: bool = True) -> Any:
    from minikeras.saving.object_registry import custom_object_scope

    path = str(filepath)
    with h5_io.open_for_reading(filepath) as f, custom_object_scope(custom_objects or {}):
        if not h5_io.has_attr(f, "model_config"):
            if h5_io.has_attr(f, "layer_names") or h5_io.has_attr(f, "layer_names0"):
                raise ValueError(f"{path} holds only weights (a Keras 2 save_weights file), "
                                 "not a model: build the model in code and call "
                                 "model.load_weights() on it")
            raise ValueError(f"No model config found in the file at {path}: it is not a "
                             "Keras model file")
        config = h5_io.read_json_attr(f, "model_config")
        if h5_io.has_child(f, "model_weights"):
            weights_group = h5_io.safe_get(f, "model_weights")
        elif "model_weights" in f:
            raise ValueError(f"Refusing to follow the link 'model_weights' in {path}")
        else:
            weights_group = f
        from minikeras.models.config_forms import model_from_config

        model = model_from_config(config, custom_objects,
                                  stored_weights=stored_weight_count(weights_group))
        load_weights_from_group(weights_group, model)
        if compile and h5_io.has_attr(f, "training_config"):
            _compile_from_file(model, f, custom_objects, path)
    return model


def _compile_from_file(model: Any, f: Any, custom_objects: dict | None, path: str) -> None:
    train_cfg = h5_io.read_json_attr(f, "training_config")
    if h5_io.has_attr(f, COMPILE_CONFIG_ATTR):  # written by minikeras: exact settings
        exact = h5_io.read_json_attr(f, COMPILE_CONFIG_ATTR)
        compile_io.compile_from_config(model, exact, custom_objects, source=path)
        if getattr(model, "compiled", False):
            compile_io.warn_if_records_disagree(model, exact, train_cfg, custom_objects, path,
                                                "training_config")
    else:
        opt_cfg = h5_io.read_json_attr(f, OPTIMIZER_CONFIG_ATTR) \
            if h5_io.has_attr(f, OPTIMIZER_CONFIG_ATTR) else None
        compile_io.compile_from_config(model, train_cfg, custom_objects, opt_cfg,
                                       source=path)
    if not getattr(model, "compiled", False):
        return
    for group_name in (OPTIMIZER_STATE_GROUP, "optimizer_weights"):
        if group_name in f and not h5_io.has_child(f, group_name):
            # a soft or external link where the state should be: never followed, and
            # said like any other state that cannot be used
            warnings.warn(f"Not restoring the optimizer state from {path}: "
                          f"{group_name!r} is a link, which minikeras never follows. "
                          "Training continues with a fresh optimizer state.", stacklevel=3)
            return
    if h5_io.has_child(f, OPTIMIZER_STATE_GROUP):
        g = h5_io.safe_get(f, OPTIMIZER_STATE_GROUP)
        names = h5_io.read_name_list(g, "weight_names")

        def read(i: int, shape: tuple) -> np.ndarray:
            return h5_io.read_dataset(h5_io.safe_get(g, names[i]), shape,
                                      f"optimizer state {names[i]!r}")

        compile_io.restore_positional(model, read, len(names), path)
    elif h5_io.has_child(f, "optimizer_weights"):
        g = h5_io.safe_get(f, "optimizer_weights")
        names = h5_io.read_name_list(g, "weight_names")

        def read_k(i: int, shape: tuple) -> np.ndarray:
            ds = h5_io.safe_get(g, names[i])
            value = h5_io.read_dataset(ds, None, f"optimizer weight {names[i]!r}")
            if value.shape != tuple(shape) and not (value.size == 1 and shape == ()):
                raise ValueError(f"optimizer weight {names[i]!r} has shape {value.shape}, "
                                 f"the optimizer needs {tuple(shape)}")
            return value

        compile_io.restore_keras_slots(model, names, read_k, path)


# --- weights-only legacy .h5 -----------------------------------------------------------

def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Keras 2's `save_weights('x.h5')` layout (spec section 5)."""
    h5py = h5_io._h5py()
    with h5_io.atomic_path(filepath, overwrite) as tmp:
        with h5py.File(tmp, "w") as f:
            save_weights_to_group(f, model)


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False,
                 by_name: bool = False) -> None:
    """Keras 2 weights-only files, and the `model_weights` group of full-model files."""
    with h5_io.open_for_reading(filepath) as f:
        group = f
        if not h5_io.has_attr(f, "layer_names") and not h5_io.has_attr(f, "layer_names0"):
            if h5_io.has_child(f, "model_weights"):
                group = h5_io.safe_get(f, "model_weights")
            elif h5_io.has_child(f, "layers") or h5_io.has_child(f, "vars"):
                raise ValueError(f"{filepath} is in the Keras 3 weights layout: name it "
                                 "'*.weights.h5' to load it")
        load_weights_from_group(group, model, skip_mismatch=skip_mismatch, by_name=by_name)
