"""Model-config forms: the `{"class_name", "config"}` dicts of layers and models, the
functional graph's config (both Keras 2's and Keras 3's node formats are read), and the size
checks every config passes before any layer is built.

These belong to the models, not to a file format: `Functional.get_config`/`from_config`,
`Sequential.get_config` and `keras.models.model_from_config` use them directly; the file
formats in `saving/` (legacy `.h5`, `.keras`) import them from here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.layers.core import InputLayer
from minikeras.layers.layer import KerasTensor, Layer

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
    if type(layer).__name__ == "ZeroPadding1D" and cfg.get("data_format") == "channels_last":
        # Keras 2 refuses the key (its ZeroPadding1D is channels_last only); Keras 3's default
        cfg = {k: v for k, v in cfg.items() if k != "data_format"}
    if isinstance(cfg.get("dtype"), dict) and isinstance(cfg["dtype"].get("config"), dict):
        # Keras 3's DTypePolicy dict: Keras 2 (tf_keras) cannot read it, but both read the
        # policy's name ("float32", "mixed_float16")
        cfg = dict(cfg, dtype=cfg["dtype"]["config"].get("name"))
    if hasattr(layer, "_legacy_config"):  # a layer's own trims for Keras 2 (e.g. RNNs)
        cfg = layer._legacy_config(cfg)
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
    for layer in getattr(model, "_operations", model.layers):
        if getattr(layer, "_is_symbolic_op", False):  # a keras.ops node: Keras 3's form
            layers.append(_op_entry(layer, model, ref))
            continue
        entry = serialize_layer(layer)
        entry["name"] = layer.name
        if getattr(layer, "_keras3_node_form", False):  # (branch `attention`)
            entry["inbound_nodes"] = [_keras3_node(node, ref) for node in model._nodes
                                      if node.layer is layer]
            layers.append(entry)
            continue
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
            "input_layers": structure_refs(model._inputs_struct, model.inputs, ref),
            "output_layers": structure_refs(model._outputs_struct, model.outputs, ref)}


def structure_refs(struct: Any, flat: list, ref: Any) -> Any:
    """A functional model's `input_layers`/`output_layers`: a flat list of references, or,
    for dict and nested inputs/outputs, references in their structure (Keras 3 writes
    `tree.map_structure` of them), so that loading gives back the same structure."""
    if isinstance(struct, dict) or (isinstance(struct, (list, tuple)) and any(
            isinstance(s, (list, tuple, dict)) for s in struct)):
        from minikeras.layers.layer import pack_like

        return pack_like(struct, [ref(t) for t in flat])
    return [ref(t) for t in flat]



# --- reading configs --------------------------------------------------------------------

def _encode_args(x: Any, ref: Any, dicts: bool) -> Any:
    """A node's arguments in Keras 3's form: tensors as `__keras_tensor__` references, lists
    (and, with `dicts`, dicts) element by element, other values as inline constants."""
    from minikeras.ops.symbolic import encode_constant

    if isinstance(x, KerasTensor):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(x.shape), "dtype": x.dtype, "keras_history": ref(x)}}
    if isinstance(x, (list, tuple)):
        return [_encode_args(v, ref, dicts) for v in x]
    if dicts and isinstance(x, dict):
        return {k: _encode_args(v, ref, dicts) for k, v in x.items()}
    return encode_constant(x)


def _keras3_node(node: Any, ref: Any) -> dict:
    """A layer's node in Keras 3's `{"args", "kwargs"}` form, for layers called with several
    tensors as separate arguments (MultiHeadAttention(query, value, key=...)), which the
    Keras 2 list form cannot express."""
    kwargs = {k: v for k, v in node.kwargs.items() if k != "training"}
    return {"args": _encode_args(list(node.args), ref, True),
            "kwargs": _encode_args(kwargs, ref, True)}


def _op_entry(layer: Any, model: Any, ref: Any) -> dict:
    """A keras.ops node as Keras 3 writes it: its Operation class, and nodes in Keras 3's
    `{"args", "kwargs"}` form with constants inline (both generations' readers here read
    either form per node)."""
    entry = layer.keras_entry()
    entry["inbound_nodes"] = [{"args": _encode_args(list(node.args), ref, False), "kwargs": {}}
                              for node in model._nodes if node.layer is layer]
    return entry


def _node_call(node: Any, outputs_of: dict) -> tuple:
    """(refs, args, kwargs) of one inbound node, in either Keras format. `args`/`kwargs`
    are None while some input tensor is not produced yet."""
    from minikeras.ops.symbolic import decode_constant

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
                const = decode_constant(x)  # arrays, slices, Ellipsis: data only
                if const is not None:
                    return const
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


def _tf_op_node_call(node: Any, outputs_of: dict) -> tuple:
    """(refs, args, kwargs) of a tf.keras TFOpLambda node `[layer, node, tensor, kwargs]`,
    whose keyword arguments may hold tensor references `[layer, node, tensor]`."""
    if isinstance(node, dict):  # a Keras 3 style node: the usual reader
        return _node_call(node, outputs_of)
    # tf.keras writes the node itself as `[layer, node, tensor, kwargs]` (or wrapped once)
    item = node[0] if isinstance(node, (list, tuple)) and len(node) == 1 else node
    if not isinstance(item, (list, tuple)) or len(item) < 3 or not isinstance(item[0], str):
        raise ValueError(f"Malformed TFOpLambda node {str(node)[:200]} in a config")
    refs: list = []
    missing: list = []

    def tensor(ref: Any) -> Any:
        key = (str(ref[0]), int(ref[1]), int(ref[2]))
        refs.append(key)
        if key not in outputs_of:
            missing.append(key)
        return outputs_of.get(key)

    def is_ref(v: Any) -> bool:
        return isinstance(v, list) and len(v) in (3, 4) and isinstance(v[0], str) and \
            all(isinstance(i, int) and not isinstance(i, bool) for i in v[1:3])

    def walk(v: Any) -> Any:
        if is_ref(v):
            return tensor(v)
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        return v

    x = tensor(item)
    raw = item[3] if len(item) > 3 and isinstance(item[3], dict) else {}
    kwargs = {k: walk(v) for k, v in raw.items()}
    if missing:
        return refs, None, None
    return refs, [x], kwargs


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
    from minikeras.ops.symbolic import TFOpCall, is_op_entry, is_tf_op_entry, op_from_entry

    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError("A functional model config needs a list of 'layers'")
    check_config_sizes(config)
    created: dict[str, Layer] = {}
    pending: list = []
    for entry in config["layers"]:
        if not isinstance(entry, dict):
            raise ValueError(f"Malformed layer entry {str(entry)[:200]}")
        if is_op_entry(entry):  # a keras.ops node, by whitelisted class name only
            layer = op_from_entry(entry)
        elif is_tf_op_entry(entry):  # tf.keras' TFOpLambda: by whitelisted function name
            layer = TFOpCall(entry)
        else:
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
                if isinstance(layer, TFOpCall):
                    refs, args, kwargs = _tf_op_node_call(node, outputs_of)
                else:
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
