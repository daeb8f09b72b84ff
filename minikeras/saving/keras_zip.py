"""The Keras 3 native `.keras` archive: a zip holding `metadata.json`, `config.json` (the
model in Keras 3's serialization, with `compile_config`) and `model.weights.h5` (the
Keras 3 weights layout of weights_h5.py, optimizer included).

Reading never extracts member paths from the archive, reads members with size limits and
a decompression-bomb check, and never imports or runs anything named in the config.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import tempfile
import zipfile
from typing import Any

import numpy as np

from minikeras.layers.core import InputLayer
from minikeras.models.config_forms import structure_refs
from minikeras.saving import compile_io, h5_io, legacy_h5, weights_h5

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.h5"
WEIGHTS_NPZ = "model.weights.npz"
KERAS3_VERSION = "3.15.1"  # the Keras 3 release these archives are checked against
MAX_JSON_BYTES = h5_io.MAX_JSON_BYTES
MAX_MEMBER_BYTES = 16 * 1024 ** 3
IN_MEMORY_BYTES = 256 * 1024 ** 2


# --- Keras 3 config ---------------------------------------------------------------------

def _policy(dtype: Any) -> Any:
    if isinstance(dtype, str):
        return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": dtype},
                "registered_name": None}
    return dtype


def _registered(layer: Any) -> str | None:
    from minikeras.saving.object_registry import get_registered_name

    name = get_registered_name(type(layer))
    return name if ">" in name else None


def _shape_of(layer: Any) -> Any:
    try:
        node = layer._inbound_nodes[0]
    except (AttributeError, IndexError):
        return None
    shapes = [list(t.shape) for t in node.input_tensors]
    if not shapes:
        return None
    return shapes[0] if len(shapes) == 1 else shapes


def _layer_entry(layer: Any) -> dict:
    from minikeras.models.model import Model

    if isinstance(layer, Model):
        return keras3_model_config(layer, top_level=False)
    legacy = legacy_h5.serialize_layer(layer)
    cfg = dict(legacy["config"])
    if isinstance(layer, InputLayer):
        cfg["batch_shape"] = cfg.pop("batch_input_shape", None)
        cfg.setdefault("optional", False)
    elif "dtype" in cfg:
        cfg["dtype"] = _policy(cfg["dtype"])
    cls = type(layer)
    if cls.__module__.startswith("minikeras."):
        module, registered = "keras.layers", _registered(layer)
    else:  # a user's class, as Keras 3 writes one: its module, its registered name
        from minikeras.saving.object_registry import get_registered_name

        module = None if cls.__module__ == "__main__" else cls.__module__
        registered = get_registered_name(cls)
        registered = registered if ">" in registered else cls.__name__
    entry = {"module": module, "class_name": cls.__name__, "config": cfg,
             "registered_name": registered}
    from minikeras.layers.layer import Layer

    if type(layer).get_build_config is not Layer.get_build_config and layer.built:
        # a layer built from several shapes (MultiHeadAttention: `shapes_dict`)
        entry["build_config"] = layer.get_build_config()
    elif not isinstance(layer, InputLayer) and layer.built and _shape_of(layer) is not None:
        entry["build_config"] = {"input_shape": _shape_of(layer)}
    return entry


def _functional_layers(model: Any) -> tuple:
    from minikeras.layers.layer import KerasTensor
    from minikeras.ops.symbolic import encode_constant

    own = {id(n) for n in model._nodes}

    def node_index(layer: Any, node: Any) -> int:
        return [n for n in layer._inbound_nodes if id(n) in own].index(node)

    def history(t: KerasTensor) -> list:
        layer, ni, ti = t._history
        return [layer.name, node_index(layer, layer._inbound_nodes[ni]), ti]

    def encode(x: Any) -> Any:
        if isinstance(x, KerasTensor):
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(x.shape), "dtype": x.dtype,
                               "keras_history": history(x)}}
        if isinstance(x, (list, tuple)):
            return [encode(v) for v in x]
        if isinstance(x, dict):
            return {k: encode(v) for k, v in x.items()}
        return encode_constant(x)

    layers = []
    for layer in getattr(model, "_operations", model.layers):
        entry = layer.keras_entry() if getattr(layer, "_is_symbolic_op", False) \
            else _layer_entry(layer)
        entry["name"] = layer.name
        nodes = []
        if not isinstance(layer, InputLayer):
            for node in model._nodes:
                if node.layer is layer:
                    kwargs = {k: encode(v) for k, v in node.kwargs.items() if k != "training"}
                    nodes.append({"args": encode(list(node.args)), "kwargs": kwargs})
        entry["inbound_nodes"] = nodes
        layers.append(entry)
    ins = structure_refs(model._inputs_struct, model.inputs, history)
    outs = structure_refs(model._outputs_struct, model.outputs, history)
    return layers, ins[0] if isinstance(ins, list) and len(ins) == 1 else ins, \
        outs[0] if isinstance(outs, list) and len(outs) == 1 else outs


def keras3_model_config(model: Any, top_level: bool = True) -> dict:
    """The model as Keras 3's serialize_keras_object writes it (config.json)."""
    kind = type(model).__name__
    if kind == "Sequential":
        layers = []
        if model._build_shape is not None:
            input_layer = model._input_layer or InputLayer(
                batch_shape=model._build_shape,  # named here: no auto-name is used up
                name=f"{model.layers[0].name}_input" if model.layers else "input_layer")
            layers.append(_layer_entry(input_layer))
        layers.extend(_layer_entry(layer) for layer in model.layers)
        cfg = {"name": model.name, "trainable": model.trainable,
               "dtype": _policy(model.dtype_policy.name),
               "layers": layers}
        if model._build_shape is not None:
            cfg["build_input_shape"] = list(model._build_shape)
        entry = {"module": "keras", "class_name": "Sequential", "config": cfg,
                 "registered_name": None}
        if model._build_shape is not None:
            entry["build_config"] = {"input_shape": list(model._build_shape)}
    elif kind == "Functional":
        layers, ins, outs = _functional_layers(model)
        cfg = {"name": model.name, "trainable": model.trainable, "layers": layers,
               "input_layers": ins, "output_layers": outs}
        entry = {"module": "keras.src.models.functional", "class_name": "Functional",
                 "config": cfg, "registered_name": "Functional",
                 "build_config": {"input_shape": None}}
    else:  # a subclassed model: its own get_config
        legacy = legacy_h5.model_config_dict(model)
        entry = {"module": type(model).__module__, "class_name": legacy["class_name"]
                 .split(">")[-1], "config": legacy["config"],
                 "registered_name": _registered(model) or legacy["class_name"]}
        build = _build_config(model)
        if build is not None:
            entry["build_config"] = build
    return legacy_h5._clean(entry)


def _build_config(model: Any) -> dict | None:
    """Keras 3's `build_config` of a subclassed model: the input shape it was built with,
    when the Layer records one (`get_build_config`)."""
    getter = getattr(model, "get_build_config", None)
    build = getter() if callable(getter) else None
    if isinstance(build, dict) and build.get("input_shape") is not None:
        return build
    shape = getattr(model, "_build_shape", None) or getattr(model, "_build_input_shape", None)
    return {"input_shape": list(shape)} if shape is not None else None


def _metadata() -> dict:
    import minikeras

    return {"keras_version": KERAS3_VERSION,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
            "minikeras_version": minikeras.__version__}


def _optimizer_values(model: Any) -> list | None:
    """The optimizer variables Keras 3 expects. An optimizer that has not taken a step yet
    has no slots: a built copy supplies them (zeros), without touching the model's own."""
    opt = model.optimizer
    if opt.built:
        return None
    from minikeras import optimizers as optimizers_module

    copy = optimizers_module.deserialize(optimizers_module.serialize(opt))
    copy.build(model.trainable_weights)
    values = [np.asarray(v.value) for v in copy.variables]
    values[0] = np.asarray(opt.variables[0].value)
    return values


# --- writing ----------------------------------------------------------------------------

def save_model(model: Any, filepath: Any, overwrite: bool = True,
               include_optimizer: bool = True) -> None:
    weights_h5._require_built(model, "saving")
    h5py = h5_io._h5py()
    compiled = bool(getattr(model, "compiled", False)) and model.optimizer is not None
    config = keras3_model_config(model)
    if compiled and include_optimizer:
        config["compile_config"] = legacy_h5._clean(compile_io.keras3_compile_config(model))
        config["minikeras_compile_config"] = legacy_h5._clean(
            compile_io.exact_compile_config(model))
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        write_opt = compiled and include_optimizer
        weights_h5.write_to_file(model, f, include_optimizer=write_opt,
                                 optimizer_values=_optimizer_values(model) if write_opt
                                 else None)
    with h5_io.atomic_path(filepath, overwrite) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr(METADATA, json.dumps(_metadata()))
            zf.writestr(CONFIG, json.dumps(config))
            zf.writestr(WEIGHTS, buffer.getvalue())
            _write_assets(model, zf)


# --- assets (files a layer keeps next to its weights, e.g. a vocabulary; branch textprep) --
ASSETS = "assets"
MAX_ASSET_BYTES = 1024 ** 3


def _asset_owners(model: Any):
    for path, obj in weights_h5.walk(model):
        if callable(getattr(obj, "save_assets", None)) or \
                callable(getattr(obj, "load_assets", None)):
            yield path, obj


def _write_assets(model: Any, zf: zipfile.ZipFile) -> None:
    """`assets/<object path>/<file>` for each object with `save_assets(dir)`, as Keras 3."""
    for path, obj in _asset_owners(model):
        if not callable(getattr(obj, "save_assets", None)):
            continue
        with tempfile.TemporaryDirectory(prefix="minikeras-assets-") as tmp:
            obj.save_assets(tmp)
            for name in sorted(os.listdir(tmp)):
                full = os.path.join(tmp, name)
                if os.path.isfile(full):
                    with open(full, "rb") as fh:
                        zf.writestr(f"{ASSETS}/{path}/{name}", fh.read())


def _read_assets(model: Any, zf: zipfile.ZipFile, path: str) -> None:
    """Give each object with `load_assets(dir)` a fresh folder holding the files of its
    `assets/<object path>/` (plain file names only; nothing else is extracted)."""
    names = [n for n in zf.namelist() if n.startswith(ASSETS + "/")]
    if not names:
        return
    for obj_path, obj in _asset_owners(model):
        if not callable(getattr(obj, "load_assets", None)):
            continue
        prefix = f"{ASSETS}/{obj_path}/"
        mine = [n for n in names if n.startswith(prefix) and "/" not in n[len(prefix):]
                and n[len(prefix):] not in ("", ".", "..") and "\\" not in n[len(prefix):]]
        if not mine:
            continue
        with tempfile.TemporaryDirectory(prefix="minikeras-assets-") as tmp:
            for n in mine:
                info = _member(zf, n, path)
                with open(os.path.join(tmp, n[len(prefix):]), "wb") as out:
                    _read_bounded(zf, info, MAX_ASSET_BYTES, path, sink=out)
            obj.load_assets(tmp)


# --- reading ----------------------------------------------------------------------------

def _open_zip(filepath: Any) -> zipfile.ZipFile:
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No file or directory found at {path}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a directory; minikeras reads '.keras' zip "
                                "archives")
    try:
        return zipfile.ZipFile(path, "r")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError,
            NotImplementedError) as e:
        raise ValueError(f"{path} is not a valid '.keras' archive (zip): {e}") from None


def _member(zf: zipfile.ZipFile, name: str, path: str) -> zipfile.ZipInfo:
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise ValueError(f"{path} is not a complete '.keras' archive: it has no {name!r} "
                         f"(members: {zf.namelist()[:10]})") from None
    if info.file_size > MAX_MEMBER_BYTES or (
            info.file_size > 16 * 1024 ** 2 and info.file_size > 100 * max(info.compress_size,
                                                                         1)):
        raise ValueError(f"{path}: the member {name!r} declares {info.file_size} bytes but "
                         f"stores {info.compress_size}; refusing a possible decompression bomb")
    return info


def _read_bounded(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, path: str,
                  sink: Any = None) -> bytes | None:
    if info.file_size > limit:
        raise ValueError(f"{path}: the member {info.filename!r} is too large "
                         f"({info.file_size} bytes)")
    out = sink if sink is not None else io.BytesIO()
    total = 0
    with zf.open(info, "r") as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > info.file_size or total > limit:
                raise ValueError(f"{path}: the member {info.filename!r} holds more data than "
                                 "it declares; refusing it")
            out.write(chunk)
    return out.getvalue() if sink is None else None


def _read_config(zf: zipfile.ZipFile, path: str) -> dict:
    info = _member(zf, CONFIG, path)
    config = h5_io.loads_json(_read_bounded(zf, info, MAX_JSON_BYTES, path),
                              f"config.json of {path}")
    if not isinstance(config, dict):
        raise ValueError(f"{path}: config.json should hold a JSON object")
    return config


def _build_model(config: dict, custom_objects: dict | None, stored: int | None) -> Any:
    """The model of `config.json`, built (weights created) from its `build_config`."""
    from minikeras.autodiff.tensor import no_grad

    model = legacy_h5.model_from_config(config, custom_objects, stored_weights=stored)
    build = config.get("build_config")
    shape = build.get("input_shape") if isinstance(build, dict) else None
    kind = type(model).__name__
    if kind == "Sequential":
        if not getattr(model, "inputs", None) and isinstance(shape, list) and shape:
            model.build(tuple(shape))
    elif kind != "Functional" and isinstance(shape, list) and shape and not model.weights:
        # a subclassed model creates its weights on its first call (Keras 3 builds it the
        # same way from build_config)
        if all((isinstance(d, int) and 0 < d <= legacy_h5.MAX_DIM) or d is None
               for d in shape):
            sample = [1 if d is None else d for d in shape]
            if float(np.prod(sample, dtype=np.float64)) > 2 ** 24:
                raise ValueError(f"build_config input_shape {shape} is too large to build "
                                 "the model with")
            with no_grad():
                model(np.zeros(tuple(1 if d is None else d for d in shape), "float32"))
    return model


def load_model(filepath: Any, custom_objects: dict | None = None, compile: bool = True,
               safe_mode: bool = True) -> Any:
    from minikeras.saving.object_registry import custom_object_scope

    path = os.fspath(filepath)
    with _open_zip(filepath) as zf, custom_object_scope(custom_objects or {}):
        config = _read_config(zf, path)
        with _weights_file(zf, path) as f:
            model = _build_model(config, custom_objects, weights_h5.stored_weight_count(f))
            weights_h5.read_from_file(model, f, restore_optimizer=False, source=path,
                                       strict=True)
            _read_assets(model, zf, path)
            if compile:
                exact = config.get("minikeras_compile_config")
                train = exact if isinstance(exact, dict) else config.get("compile_config")
                if isinstance(train, dict) and train:
                    compile_io.compile_from_config(model, train, custom_objects,
                                                   source=path)
                    if train is exact and getattr(model, "compiled", False):
                        compile_io.warn_if_records_disagree(
                            model, exact, config.get("compile_config"), custom_objects, path,
                            "compile_config")
                    if getattr(model, "compiled", False):
                        group = weights_h5.optimizer_vars_group(f, "optimizer", path)
                        if group is not None:
                            weights_h5.restore_optimizer_vars(model, group, path)
    return model


class _weights_file:
    """Open `model.weights.h5` of an archive: in memory when small, else through a
    temporary file (deleted afterwards)."""

    def __init__(self, zf: zipfile.ZipFile, path: str) -> None:
        self.zf, self.path = zf, path
        self.tmpdir = None
        self.f = None

    def __enter__(self) -> Any:
        if WEIGHTS not in self.zf.namelist() and WEIGHTS_NPZ in self.zf.namelist():
            raise ValueError(f"{self.path} stores its weights as {WEIGHTS_NPZ!r}, which "
                             "minikeras does not read; re-save it with the default format")
        info = _member(self.zf, WEIGHTS, self.path)
        if info.file_size <= IN_MEMORY_BYTES:
            data = io.BytesIO(_read_bounded(self.zf, info, IN_MEMORY_BYTES, self.path))
            self.f = h5_io.open_for_reading(data)
        else:
            self.tmpdir = tempfile.TemporaryDirectory(prefix="minikeras-")
            target = os.path.join(self.tmpdir.name, "model.weights.h5")
            with open(target, "wb") as out:
                _read_bounded(self.zf, info, MAX_MEMBER_BYTES, self.path, sink=out)
            self.f = h5_io.open_for_reading(target)
        return self.f

    def __exit__(self, *exc: Any) -> None:
        if self.f is not None:
            self.f.close()
        if self.tmpdir is not None:
            self.tmpdir.cleanup()


def load_weights_only(model: Any, filepath: Any, skip_mismatch: bool = False) -> None:
    """`model.load_weights('x.keras')`: the weights (and optimizer state) of an archive."""
    weights_h5._require_built(model, "loading weights into")
    path = os.fspath(filepath)
    with _open_zip(filepath) as zf, _weights_file(zf, path) as f:
        weights_h5.read_from_file(model, f, skip_mismatch=skip_mismatch, source=path)
