"""Model configs in the legacy (Keras 2 style) JSON form, and the legacy HDF5 file.

The layout follows shared/reference/keras-h5-format.md. Writing uses the recipe that both
Keras 2 and Keras 3 load (section 11): Keras 2 style configs with an InputLayer and
`batch_input_shape`, plain dtype strings, canonical loss names and an optimizer config
with only the keys both accept. Reading accepts both generations' files.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from minikeras.layers.core import InputLayer
from minikeras.layers.layer import KerasTensor, Layer

KERAS_VERSION = "2.15.0"  # what we declare: any value but "1" keeps Keras 2 from converting
BACKEND = "tensorflow"
HEADER_LIMIT = 64512  # bytes per name-list attribute before Keras splits it into chunks

# what Keras 2 accepts in a Dense/InputLayer config; Keras 3 accepts these too
_K3_ONLY_INIT_KEYS = ("input_axes", "output_axes")


# --- configs --------------------------------------------------------------------------

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
    return obj


def serialize_layer(layer: Layer) -> dict:
    """`{"class_name", "config"}` without `module` (the legacy form both versions read)."""
    from minikeras.saving.object_registry import get_registered_name

    cfg = layer.get_config()
    if "batch_input_shape" in cfg and not isinstance(layer, InputLayer):
        cfg = dict(cfg)
        cfg.pop("batch_input_shape")  # the InputLayer entry carries it
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
            inbound.append([ref(t) + [{}] for t in node.input_tensors])
        entry["inbound_nodes"] = inbound
        layers.append(entry)
    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": [ref(t) for t in model.inputs],
            "output_layers": [ref(t) for t in model.outputs]}


def _node_inputs(node: Any) -> list:
    """The (layer, node, tensor) references of one inbound node, either Keras format."""
    if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
        refs: list = []

        def walk(x):
            if isinstance(x, dict):
                if x.get("class_name") == "__keras_tensor__":
                    refs.append(tuple(x["config"]["keras_history"]))
                else:
                    for v in x.values():
                        walk(v)
            elif isinstance(x, (list, tuple)):
                for v in x:
                    walk(v)

        walk(node.get("args", []))
        walk(node.get("kwargs", {}))
        return refs
    return [tuple(item[:3]) for item in node]


def _as_triples(spec: Any) -> list:
    if spec and isinstance(spec[0], str):  # Keras 3 single triple
        return [tuple(spec)]
    return [tuple(s) for s in spec]


def functional_from_config(config: dict, custom_objects: dict | None = None) -> Any:
    from minikeras.layers import deserialize as deserialize_layer
    from minikeras.models.functional import Functional

    created: dict[str, Layer] = {}
    pending: list = []
    for entry in config["layers"]:
        layer = deserialize_layer(entry, custom_objects)
        name = entry.get("name") or layer.name
        created[name] = layer
        pending.append((layer, entry.get("inbound_nodes", [])))
    outputs_of: dict[tuple, Any] = {}
    for name, layer in created.items():
        if isinstance(layer, InputLayer):
            outputs_of[(name, 0, 0)] = layer._output_tensor
    done: set = set()
    progress = True
    while progress:
        progress = False
        for layer, nodes in pending:
            for k, node in enumerate(nodes):
                key = (layer.name, k)
                if key in done:
                    continue
                refs = _node_inputs(node)
                if not all(tuple(r) in outputs_of for r in refs):
                    continue
                args = [outputs_of[tuple(r)] for r in refs]
                out = layer(args[0] if len(args) == 1 else args)
                outs = out if isinstance(out, list) else [out]
                for ti, t in enumerate(outs):
                    outputs_of[(layer.name, k, ti)] = t
                done.add(key)
                progress = True
    try:
        inputs = [outputs_of[tuple(t)] for t in _as_triples(config["input_layers"])]
        outputs = [outputs_of[tuple(t)] for t in _as_triples(config["output_layers"])]
    except KeyError as e:
        raise ValueError(f"Functional config is inconsistent: tensor {e} is never produced") \
            from None
    return Functional(inputs=inputs if len(inputs) > 1 else inputs[0],
                      outputs=outputs if len(outputs) > 1 else outputs[0],
                      name=config.get("name"))


def model_from_config(config: Any, custom_objects: dict | None = None) -> Any:
    from minikeras.models.functional import Functional
    from minikeras.models.model import Model
    from minikeras.models.sequential import Sequential
    from minikeras.saving.object_registry import get_registered_object

    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("A model config must be a dict with 'class_name' and 'config'")
    name = config["class_name"]
    inner = config.get("config")
    if name == "Sequential":
        return Sequential.from_config(inner, custom_objects)
    if name in ("Functional", "Model"):
        return Functional.from_config(inner, custom_objects)
    cls = get_registered_object(config.get("registered_name") or name, custom_objects, None)
    if cls is None:
        raise ValueError(f"Unknown model class {name!r}. If it is your own Model subclass, "
                         f"pass it in custom_objects={{{name!r}: {name}}}.")
    if isinstance(cls, type) and issubclass(cls, Model):
        return cls.from_config(inner)
    raise ValueError(f"{name!r} in custom_objects is not a Model subclass")


def json_dumps(obj: Any) -> str:
    return json.dumps(_clean(obj))
