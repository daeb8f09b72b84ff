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

from minikeras.layers.core import InputLayer
from minikeras.layers.layer import KerasTensor, Layer
from minikeras.saving import compile_io, h5_io

KERAS_VERSION = "2.15.0"  # what we declare: any value but "1" keeps Keras 2 from converting
BACKEND = "tensorflow"
HEADER_LIMIT = h5_io.HEADER_LIMIT
OPTIMIZER_STATE_GROUP = "minikeras_optimizer_state"  # real Keras never reads this group
OPTIMIZER_CONFIG_ATTR = "minikeras_optimizer_config"
COMPILE_CONFIG_ATTR = "minikeras_compile_config"

# what Keras 2 rejects in an initializer config; Keras 3 does not need them
_K3_ONLY_INIT_KEYS = ("input_axes", "output_axes")

# A config is checked before any layer is built: no single size above MAX_DIM, no model
# whose (estimated) weights exceed MAX_WEIGHT_ELEMENTS.
MAX_DIM = 2 ** 26
MAX_WEIGHT_ELEMENTS = 2 ** 30
# ... and no model of more than MAX_LAYERS layers (nested models' layers counted): about
# 100 times the largest real Keras models (a few hundred to a few thousand layers), so
# that a hostile config cannot make loading run for hours (docs/saving.md).
MAX_LAYERS = 100_000


# --- writing configs --------------------------------------------------------------------

def _clean(obj: Any) -> Any:
    """JSON-safe values, with initializer configs reduced to what Keras 2 accepts."""
    if isinstance(obj, dict):
        out = {k: _clean(v) for k, v in obj.items()}
        if "class_name" in out and isinstance(out.get("config"), dict):
            for key in _K3_ONLY_INIT_KEYS:
                out["config"].pop(key, None)
        return out
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "value": obj.decode("latin1")}
    return obj


def serialize_layer(layer: Layer) -> dict:
    """`{"class_name", "config"}` without `module` (the legacy form both versions read)."""
    from minikeras.saving.object_registry import get_registered_name

    cfg = layer.get_config()
    if "batch_input_shape" in cfg and not isinstance(layer, InputLayer):
        cfg = dict(cfg)
        cfg.pop("batch_input_shape")  # the InputLayer entry carries it
    if type(layer).__name__ == "LeakyReLU" and "negative_slope" in cfg:
        # Keras 2 knows only `alpha`; Keras 3 reads `alpha` too
        cfg = {("alpha" if k == "negative_slope" else k): v for k, v in cfg.items()}
    if type(layer).__name__ == "LayerNormalization" and cfg.get("rms_scaling") is False:
        # Keras 2 refuses the key; Keras 3's default is False
        cfg = {k: v for k, v in cfg.items() if k != "rms_scaling"}
    name = get_registered_name(type(layer))
    return {"class_name": name if ">" in name else type(layer).__name__,
            "config": _clean(cfg)}


def model_config_dict(model: Any) -> dict:
    entry = serialize_layer(model)
    if type(model).__name__ == "Functional":
        entry["class_name"] = "Functional"
    return entry


def functional_config(model: Any) -> dict:
    """Keras 2's functional config: node lists `[[layer, node_index, tensor_index, {}]]`."""
    own_nodes = {id(n) for n in model._nodes}

    def node_index(layer: Layer, node: Any) -> int:
        mine = [n for n in layer._inbound_nodes if id(n) in own_nodes]
        return mine.index(node)

    def ref(t: KerasTensor) -> list:
        layer, ni, ti = t._history
        return [layer.name, node_index(layer, layer._inbound_nodes[ni]), ti]

    layers = []
    for layer in model.layers:
        entry = serialize_layer(layer)
        entry["name"] = layer.name
        inbound = []
        for node in model._nodes:
            if node.layer is not layer or isinstance(layer, InputLayer):
                continue
            kwargs = {k: v for k, v in node.kwargs.items()
                      if isinstance(v, (bool, int, float, str)) and k != "training"}
            inbound.append([ref(t) + [kwargs] for t in node.input_tensors])
        entry["inbound_nodes"] = inbound
        layers.append(entry)
    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": [ref(t) for t in model.inputs],
            "output_layers": [ref(t) for t in model.outputs]}


def json_dumps(obj: Any) -> str:
    return json.dumps(_clean(obj))


# --- reading configs --------------------------------------------------------------------

def _node_call(node: Any, outputs_of: dict) -> tuple:
    """(refs, args, kwargs) of one inbound node, in either Keras format. `args`/`kwargs`
    are None while some input tensor is not produced yet."""
    refs: list = []
    missing = []

    def tensor(history: Any) -> Any:
        if not isinstance(history, (list, tuple)) or len(history) < 3:
            raise ValueError(f"Malformed tensor reference {history!r} in a functional config")
        key = (str(history[0]), int(history[1]), int(history[2]))
        refs.append(key)
        if key not in outputs_of:
            missing.append(key)
            return None
        return outputs_of[key]

    if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
        def walk(x: Any) -> Any:
            if isinstance(x, dict):
                if x.get("class_name") == "__keras_tensor__":
                    return tensor((x.get("config") or {}).get("keras_history"))
                return {k: walk(v) for k, v in x.items()}
            if isinstance(x, (list, tuple)):
                return [walk(v) for v in x]
            return x

        args = walk(node.get("args", []))
        kwargs = walk(node.get("kwargs", {}))
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise ValueError(f"Malformed node {str(node)[:200]} in a functional config")
    elif isinstance(node, (list, tuple)):  # Keras 2: [[layer, node, tensor, kwargs], ...]
        items = [tensor(item) for item in node]
        kwargs = {}
        for item in node:
            if isinstance(item, (list, tuple)) and len(item) > 3 and isinstance(item[3], dict):
                kwargs = {k: v for k, v in item[3].items() if not isinstance(v, (dict, list))}
        args = [items[0] if len(items) == 1 else items]
    else:
        raise ValueError(f"Malformed node {str(node)[:200]} in a functional config")
    if missing:
        return refs, None, None
    return refs, args, kwargs


def _map_triples(spec: Any, fn) -> Any:
    """Apply `fn` to each `[layer, node, tensor]` triple of a (nested) structure; a single
    triple (Keras 3, one input) stays a single item."""
    if isinstance(spec, (list, tuple)) and len(spec) >= 3 and isinstance(spec[0], str) and \
            all(isinstance(v, (int, np.integer)) for v in spec[1:3]):
        return fn((spec[0], int(spec[1]), int(spec[2])))
    if isinstance(spec, dict):
        return {k: _map_triples(v, fn) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_map_triples(v, fn) for v in spec]
    raise ValueError(f"Malformed input/output reference {spec!r} in a functional config")


def functional_from_config(config: dict, custom_objects: dict | None = None) -> Any:
    from minikeras.layers import deserialize as deserialize_layer
    from minikeras.models.functional import Functional

    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError("A functional model config needs a list of 'layers'")
    check_config_sizes(config)
    created: dict[str, Layer] = {}
    pending: list = []
    for entry in config["layers"]:
        if not isinstance(entry, dict):
            raise ValueError(f"Malformed layer entry {str(entry)[:200]}")
        layer = deserialize_layer(entry, custom_objects)
        name = entry.get("name") or layer.name
        if name in created:
            raise ValueError(f"The functional config has two layers named {name!r}")
        created[name] = layer
        nodes = entry.get("inbound_nodes") or []
        if not isinstance(nodes, list):
            raise ValueError(f"Malformed inbound_nodes of layer {name!r}")
        pending.append((name, layer, nodes))
    outputs_of: dict[tuple, Any] = {}
    for name, layer in created.items():
        if isinstance(layer, InputLayer):
            outputs_of[(name, 0, 0)] = layer._output_tensor
    done: set = set()
    progress = True
    while progress:
        progress = False
        for name, layer, nodes in pending:
            for k, node in enumerate(nodes):
                if (name, k) in done:
                    continue
                if k and (name, k - 1) not in done:
                    break  # a layer's calls happen in order
                refs, args, kwargs = _node_call(node, outputs_of)
                if args is None:
                    break
                kwargs = {key: v for key, v in kwargs.items() if key not in ("mask",)}
                if "training" in kwargs and kwargs["training"] is None:
                    kwargs.pop("training")
                out = layer(*args, **kwargs)
                outs = out if isinstance(out, (list, tuple)) else [out]
                for ti, t in enumerate(outs):
                    outputs_of[(name, k, ti)] = t
                done.add((name, k))
                progress = True
    for name, _layer, nodes in pending:
        for k, node in enumerate(nodes):
            if (name, k) not in done:
                refs, _, _ = _node_call(node, outputs_of)
                lost = [r for r in refs if r not in outputs_of]
                raise ValueError(f"Functional config is inconsistent: layer {name!r} (call "
                                 f"{k}) needs the tensors {lost}, which no layer produces")

    def lookup(triple: tuple) -> Any:
        if triple not in outputs_of:
            raise ValueError(f"Functional config is inconsistent: the model input/output "
                             f"{list(triple)} is never produced")
        return outputs_of[triple]

    if "input_layers" not in config or "output_layers" not in config:
        raise ValueError("A functional model config needs 'input_layers' and 'output_layers'")
    inputs = _map_triples(config["input_layers"], lookup)
    outputs = _map_triples(config["output_layers"], lookup)
    if isinstance(inputs, list) and len(inputs) == 1:
        inputs = inputs[0]
    if isinstance(outputs, list) and len(outputs) == 1:
        outputs = outputs[0]
    name = config.get("name")
    return Functional(inputs=inputs, outputs=outputs,
                      name=name if isinstance(name, str) else None,
                      trainable=bool(config.get("trainable", True)))


def _ints(value: Any) -> list:
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, np.integer)):
        return [int(value)]
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            out.extend(_ints(v))
        return out
    return []


def _layer_entries(config: Any) -> list:
    if isinstance(config, list):
        return config
    if isinstance(config, dict) and isinstance(config.get("layers"), list):
        return config["layers"]
    return []


# layers whose output has the same last axis as their input
_SAME_LAST_AXIS = {"Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout",
                   "AlphaDropout", "BatchNormalization", "LayerNormalization", "Activation",
                   "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax", "ThresholdedReLU",
                   "ActivityRegularization", "Identity", "Rescaling", "Normalization",
                   "UnitNormalization", "Masking"}
# weights per feature that these layers always have (a lower bound: BatchNormalization
# keeps its moving mean and variance even without center/scale)
_FEATURE_WEIGHTS = {"BatchNormalization": 2, "PReLU": 1}


def _inbound_names(entry: dict) -> list:
    names: list = []

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            if x.get("class_name") == "__keras_tensor__":
                hist = (x.get("config") or {}).get("keras_history")
                if isinstance(hist, list) and hist:
                    names.append(hist[0])
                return
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            if len(x) >= 3 and isinstance(x[0], str) and isinstance(x[1], int):
                names.append(x[0])
            else:
                for v in x:
                    walk(v)

    walk(entry.get("inbound_nodes") or [])
    return names


def weights_lower_bound(config: Any, _check: bool = True) -> int:
    """A lower bound of the number of weights the layers of a model config create, from
    Dense units and the feature sizes of normalization layers, following the last axis
    from layer to layer (by inbound node for functional configs). Also refuses any integer
    above MAX_DIM and any declared shape above MAX_WEIGHT_ELEMENTS elements."""
    total = 0
    last_of: dict = {}
    last: int | None = None
    functional = isinstance(config, dict) and "input_layers" in config
    for entry in _layer_entries(config):
        if not isinstance(entry, dict):
            continue
        inner = entry.get("config")
        cls = entry.get("class_name")
        if cls in ("Sequential", "Functional", "Model"):
            total += weights_lower_bound(inner)
            last = None
            continue
        if not isinstance(inner, dict):
            last = None
            continue
        for key, value in inner.items():
            nums = _ints(value)
            if any(abs(n) > MAX_DIM for n in nums):
                raise ValueError(f"Layer config {inner.get('name', '?')!r} has {key}={value!r}"
                                 f"; refusing a size above {MAX_DIM}")
            if "shape" in key and nums and \
                    float(np.prod([max(n, 1) for n in nums], dtype=np.float64)) > \
                    MAX_WEIGHT_ELEMENTS:
                raise ValueError(f"Layer config {inner.get('name', '?')!r} declares "
                                 f"{key}={value!r}; refusing such a large shape")
        if functional:
            sources = _inbound_names(entry)
            last = last_of.get(sources[0]) if len(sources) == 1 else None
        shape = inner.get("batch_input_shape") or inner.get("batch_shape")
        if cls == "InputLayer" or (last is None and not functional):
            if isinstance(shape, (list, tuple)) and shape and isinstance(shape[-1], int):
                last = shape[-1]
            elif isinstance(inner.get("input_shape"), (list, tuple)) and \
                    inner["input_shape"] and isinstance(inner["input_shape"][-1], int):
                last = inner["input_shape"][-1]
            elif isinstance(inner.get("input_dim"), int):
                last = inner["input_dim"]
        units = inner.get("units")
        if cls == "Dense" and isinstance(units, int) and not isinstance(units, bool):
            if last is not None:
                total += last * units + (units if inner.get("use_bias", True) else 0)
            last = units
        elif cls in _FEATURE_WEIGHTS or cls in _SAME_LAST_AXIS or cls == "InputLayer":
            if cls in _FEATURE_WEIGHTS and last is not None:
                total += _FEATURE_WEIGHTS[cls] * last
        else:
            last = None
        name = inner.get("name") if isinstance(inner.get("name"), str) else entry.get("name")
        if isinstance(name, str):
            last_of[name] = last
        if _check and total > MAX_WEIGHT_ELEMENTS:
            raise ValueError(f"The model config describes more than {MAX_WEIGHT_ELEMENTS} "
                             f"weights (at layer {inner.get('name', '?')!r}); refusing to "
                             "build it")
    return total


def count_layers(config: Any, limit: int | None = None) -> int:
    """The number of layer entries of a model config, nested models' layers included;
    a ValueError above `limit` (MAX_LAYERS when None), found without building anything."""
    limit = MAX_LAYERS if limit is None else limit
    total = 0
    stack = [config]
    while stack:
        entries = _layer_entries(stack.pop())
        total += len(entries)
        if total > limit:
            raise ValueError(f"The model config has more than {limit} layers; minikeras "
                             f"refuses configs above {limit} layers (real models have a few "
                             "thousand at most)")
        for entry in entries:
            if isinstance(entry, dict) and entry.get("class_name") in (
                    "Sequential", "Functional", "Model"):
                stack.append(entry.get("config"))
    return total


def check_config_sizes(config: Any, stored: int | None = None) -> None:
    """Refuse configs that would allocate absurd amounts of memory, before any layer is
    built: see `weights_lower_bound`. With `stored` (the number of weights the file
    holds), a config that needs more weights than the file stores is refused too: its
    weights could not load anyway."""
    count_layers(config)
    bound = weights_lower_bound(config)
    if stored is not None and bound > max(stored, 0):
        raise ValueError(f"The model config describes at least {bound} weights, but the file "
                         f"stores only {stored}: the config and the weights do not belong "
                         "together; refusing to build the model")


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


def model_from_config(config: Any, custom_objects: dict | None = None,
                      stored_weights: int | None = None) -> Any:
    """A model from `{"class_name", "config"}` (Keras 2, Keras 3 or minikeras).
    `stored_weights`: how many weights the file holds (see `check_config_sizes`)."""
    from minikeras.models.functional import Functional
    from minikeras.models.model import Model
    from minikeras.models.sequential import Sequential
    from minikeras.saving.object_registry import get_registered_object

    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("A model config must be a dict with 'class_name' and 'config'")
    name = config["class_name"]
    inner = config.get("config")
    if name == "Sequential":
        if not isinstance(inner, (dict, list)):
            raise ValueError("A Sequential config must be a dict (or, Keras <= 2.2, a list)")
        check_config_sizes(inner, stored_weights)
        return Sequential.from_config(inner, custom_objects)
    if name in ("Functional", "Model"):
        check_config_sizes(inner, stored_weights)
        return Functional.from_config(inner, custom_objects)
    if not isinstance(name, str):
        raise ValueError(f"Model class_name must be a string, found {name!r}")
    cls = get_registered_object(config.get("registered_name") or name, custom_objects, None) \
        or get_registered_object(name, custom_objects, None)
    if cls is None:
        raise ValueError(f"Unknown model class {name!r}. If it is your own Model subclass, "
                         f"pass it in custom_objects={{{name!r}: {name}}}.")
    if isinstance(cls, type) and issubclass(cls, Model):
        if not isinstance(inner, dict):
            raise ValueError(f"The config of model class {name!r} must be a dict")
        return cls.from_config(inner)
    raise ValueError(f"{name!r} in custom_objects is not a Model subclass")


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
