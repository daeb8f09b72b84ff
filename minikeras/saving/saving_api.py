"""`save_model`, `load_model`, `save_weights`, `load_weights`: pick the format from the
file name's suffix, as Keras does."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from minikeras.saving import h5_io
from minikeras.saving.legacy_h5 import BACKEND, KERAS_VERSION, json_dumps, model_config_dict

OPTIMIZER_STATE_GROUP = "minikeras_optimizer_state"  # real Keras never reads this group


def _suffix(filepath: Any) -> str:
    path = os.fspath(filepath)
    if path.endswith(".weights.h5"):
        return ".weights.h5"
    for s in (".h5", ".hdf5", ".keras"):
        if path.endswith(s):
            return s
    return os.path.splitext(path)[1]


# --- weights in the legacy layout --------------------------------------------------------

def _legacy_weight_names(layer: Any) -> list[str]:
    names: list = []
    seen: set = set()
    for w in layer.trainable_weights + layer.non_trainable_weights:
        name = f"{getattr(w, 'path', w.name)}:0"
        if not name.startswith(layer.name + "/"):
            name = f"{layer.name}/{name}"
        base, k = name, 1
        while name in seen:
            name = base.replace(":0", f"_{k}:0")
            k += 1
        seen.add(name)
        names.append(name)
    return names


def save_weights_to_group(group: Any, model: Any) -> None:
    layers = model.layers if type(model).__name__ == "Sequential" else model.layers
    h5_io.write_name_list(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = BACKEND.encode("utf8")
    group.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
    for layer in sorted(layers, key=lambda layer: layer.name):
        g = group.create_group(layer.name)
        weights = layer.trainable_weights + layer.non_trainable_weights
        names = _legacy_weight_names(layer)
        h5_io.write_name_list(g, "weight_names", names)
        for name, w in zip(names, weights):
            g.create_dataset(name, data=np.asarray(w.value))
    top = group.create_group("top_level_model_weights")
    h5_io.write_name_list(top, "weight_names", [])


def load_weights_from_group(group: Any, model: Any, skip_mismatch: bool = False,
                            by_name: bool = False) -> None:
    """Assign weights layer by layer, by position (or by layer name with `by_name`).
    Every array is read and checked before any variable changes."""
    saved_names = h5_io.read_name_list(group, "layer_names")
    saved = []
    for name in saved_names:
        g = h5_io.safe_get(group, name)
        wnames = h5_io.read_name_list(g, "weight_names")
        saved.append((name, g, wnames))
    layers = [layer for layer in model.layers
              if layer.trainable_weights + layer.non_trainable_weights]
    assignments: list = []
    if by_name:
        by = {name: (g, w) for name, g, w in saved}
        pairs = [(layer, by[layer.name]) for layer in layers if layer.name in by]
    else:
        with_weights = [(name, g, w) for name, g, w in saved if w]
        if len(with_weights) != len(layers):
            raise ValueError(f"Layer count mismatch when loading weights: the file has "
                             f"{len(with_weights)} layers with weights "
                             f"{[n for n, _, _ in with_weights]}, but the model has "
                             f"{len(layers)} {[layer.name for layer in layers]}")
        pairs = [(layer, (g, w)) for layer, (_, g, w) in zip(layers, with_weights)]
    for layer, (g, wnames) in pairs:
        variables = layer.trainable_weights + layer.non_trainable_weights
        if len(wnames) != len(variables):
            msg = (f"Layer {layer.name!r} expects {len(variables)} weights, but the saved "
                   f"layer {g.name!r} has {len(wnames)}")
            if skip_mismatch:
                import warnings

                warnings.warn(msg + "; skipped", stacklevel=3)
                continue
            raise ValueError(msg)
        arrays = []
        for v, wn in zip(variables, wnames):
            ds = h5_io.safe_get(g, wn)
            try:
                arrays.append(h5_io.read_dataset(ds, v.shape, f"weight {wn!r} of layer "
                                                             f"{layer.name!r}"))
            except ValueError as e:
                if skip_mismatch and "shape" in str(e):
                    import warnings

                    warnings.warn(f"{e}; skipped", stacklevel=3)
                    arrays = None
                    break
                raise
        if arrays is not None:
            assignments.append((variables, arrays))
    for variables, arrays in assignments:
        for v, a in zip(variables, arrays):
            v.assign(np.asarray(a).astype(v.dtype))
    if "top_level_model_weights" in group:
        h5_io.safe_get(group, "top_level_model_weights")


# --- training config ------------------------------------------------------------------

_PORTABLE_OPT_KEYS = {"name", "learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad",
                      "momentum", "nesterov", "rho", "clipnorm", "clipvalue",
                      "global_clipnorm"}


def training_config(model: Any) -> dict:
    from minikeras import losses as losses_module
    from minikeras import optimizers as optimizers_module

    def loss_spec(spec: Any) -> Any:
        if isinstance(spec, dict):
            return {k: loss_spec(v) for k, v in spec.items()}
        if isinstance(spec, (list, tuple)):
            return [loss_spec(v) for v in spec]
        if isinstance(spec, str):
            fn = losses_module.get(spec) if spec.lower() not in ("crossentropy", "ce") else None
            return losses_module.canonical_name(fn) or spec if fn is not None else spec
        if isinstance(spec, losses_module.Loss):
            return {"class_name": type(spec).__name__, "config": spec.get_config()}
        return losses_module.canonical_name(spec) or getattr(spec, "__name__", str(spec))

    def metric_spec(spec: Any) -> Any:
        if isinstance(spec, dict):
            return {k: metric_spec(v) for k, v in spec.items()}
        if isinstance(spec, (list, tuple)):
            return [metric_spec(v) for v in spec]
        if isinstance(spec, str) or spec is None:
            return spec
        if hasattr(spec, "get_config"):
            return {"class_name": type(spec).__name__, "config": spec.get_config()}
        return getattr(spec, "__name__", str(spec))

    opt = model.optimizer
    full = optimizers_module.serialize(opt)
    portable = {k: v for k, v in full["config"].items()
                if k in _PORTABLE_OPT_KEYS and v is not None}
    cfg = model._compile_config
    return {"loss": loss_spec(cfg["loss"]), "metrics": metric_spec(cfg["metrics"]),
            "weighted_metrics": metric_spec(cfg["weighted_metrics"]),
            "loss_weights": cfg["loss_weights"],
            "optimizer_config": {"class_name": full["class_name"], "config": portable},
            "minikeras_optimizer_config": full}


# --- whole model, legacy .h5 ------------------------------------------------------------

def save_model(model: Any, filepath: Any, overwrite: bool = True,
               include_optimizer: bool = True, **kwargs: Any) -> None:
    suffix = _suffix(filepath)
    if suffix == ".keras":
        from minikeras.saving import keras_zip

        keras_zip.save_model(model, filepath, overwrite=overwrite)
        return
    if suffix not in (".h5", ".hdf5"):
        raise ValueError(f"Invalid filepath extension for saving: {os.fspath(filepath)!r}. "
                         "Use '.h5' (legacy HDF5, read by Keras 2 and 3) or '.keras'.")
    config = model_config_dict(model)
    train_cfg = training_config(model) if include_optimizer and \
        getattr(model, "compiled", False) else None
    h5py = h5_io._h5py()
    with h5_io.atomic_path(filepath, overwrite) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["keras_version"] = KERAS_VERSION
            f.attrs["backend"] = BACKEND
            f.attrs["model_config"] = json_dumps(config).encode("utf8")
            if train_cfg is not None:
                full_opt = train_cfg.pop("minikeras_optimizer_config")
                f.attrs["training_config"] = json_dumps(train_cfg).encode("utf8")
                f.attrs["minikeras_optimizer_config"] = json_dumps(full_opt).encode("utf8")
            save_weights_to_group(f.create_group("model_weights"), model)
            if train_cfg is not None and model.optimizer.built:
                g = f.create_group(OPTIMIZER_STATE_GROUP)
                values = model.optimizer.variables
                names = [f"{i:04d}_{v.name}" for i, v in enumerate(values)]
                h5_io.write_name_list(g, "weight_names", names)
                for name, v in zip(names, values):
                    g.create_dataset(name, data=np.asarray(v.value))


def load_model(filepath: Any, custom_objects: dict | None = None, compile: bool = True,
               safe_mode: bool = True) -> Any:
    """Load a model from `.h5`/`.hdf5` (Keras 2 or 3, or minikeras) or `.keras`."""
    suffix = _suffix(filepath)
    if suffix == ".keras":
        from minikeras.saving import keras_zip

        return keras_zip.load_model(filepath, custom_objects=custom_objects, compile=compile)
    if suffix not in (".h5", ".hdf5"):
        raise ValueError(f"File format not supported: {os.fspath(filepath)!r}. minikeras "
                         "loads '.h5', '.hdf5' and '.keras' files.")
    from minikeras.saving.legacy_h5 import model_from_config
    from minikeras.saving.object_registry import custom_object_scope

    with h5_io.open_for_reading(filepath) as f, custom_object_scope(custom_objects or {}):
        if "model_config" not in f.attrs:
            raise ValueError(f"No model config found in the file at {os.fspath(filepath)}")
        try:
            config = json.loads(h5_io.decode(f.attrs["model_config"]))
        except (ValueError, TypeError) as e:
            raise ValueError(f"The model config in {os.fspath(filepath)} is not valid JSON: "
                             f"{e}") from None
        model = model_from_config(config, custom_objects)
        weights_group = h5_io.safe_get(f, "model_weights") if "model_weights" in f else f
        load_weights_from_group(weights_group, model)
        if compile and "training_config" in f.attrs:
            _compile_from_file(model, f, custom_objects)
    return model


def _compile_from_file(model: Any, f: Any, custom_objects: dict | None) -> None:
    from minikeras import optimizers as optimizers_module

    train_cfg = json.loads(h5_io.decode(f.attrs["training_config"]))
    if "minikeras_optimizer_config" in f.attrs:
        opt_cfg = json.loads(h5_io.decode(f.attrs["minikeras_optimizer_config"]))
    else:
        opt_cfg = train_cfg.get("optimizer_config")
    optimizer = optimizers_module.deserialize(opt_cfg, custom_objects) if opt_cfg else "rmsprop"
    loss = _deserialize_loss(train_cfg.get("loss"), custom_objects)
    metrics = _deserialize_metrics(train_cfg.get("metrics"), custom_objects)
    weighted = _deserialize_metrics(train_cfg.get("weighted_metrics"), custom_objects)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics, weighted_metrics=weighted,
                  loss_weights=train_cfg.get("loss_weights"))
    if OPTIMIZER_STATE_GROUP in f:
        g = h5_io.safe_get(f, OPTIMIZER_STATE_GROUP)
        names = h5_io.read_name_list(g, "weight_names")
        values = [h5_io.read_dataset(h5_io.safe_get(g, n), None, f"optimizer state {n!r}")
                  for n in names]
        optimizer.build(model.trainable_weights)
        optimizer.set_weights(values)
    elif "optimizer_weights" in f:
        _restore_keras2_optimizer(model, optimizer, h5_io.safe_get(f, "optimizer_weights"))


def _restore_keras2_optimizer(model: Any, optimizer: Any, group: Any) -> None:
    """Keras 2 slots, in its new (interleaved) or legacy (all m, then all v) order, are
    restored when every shape matches; otherwise the optimizer starts fresh."""
    names = h5_io.read_name_list(group, "weight_names")
    values = [h5_io.read_dataset(h5_io.safe_get(group, n), None, f"optimizer weight {n!r}")
              for n in names]
    optimizer.build(model.trainable_weights)
    iteration = [v for n, v in zip(names, values) if n.split("/")[-1].startswith("iter")]
    slots = [(n, v) for n, v in zip(names, values) if not n.split("/")[-1].startswith("iter")]
    own = [v for v in optimizer.variables if v is not optimizer.iterations and
           v is not optimizer._learning_rate]
    if iteration:
        optimizer.iterations.assign(np.asarray(iteration[0]).astype(np.int64).reshape(()))
    if len(slots) != len(own):
        return
    ordered = [v for _, v in slots]
    legacy = any("/m:0" in n or n.endswith("/m") for n, _ in slots)
    if legacy and len(own) % 2 == 0 and own:
        half = len(ordered) // 2
        ms, vs = ordered[:half], ordered[half:]
        ordered = [x for pair in zip(ms, vs) for x in pair]
    if all(np.shape(a) == v.shape for a, v in zip(ordered, own)):
        for v, a in zip(own, ordered):
            v.assign(np.asarray(a).astype(v.dtype))


def _deserialize_loss(spec: Any, custom_objects: dict | None) -> Any:
    from minikeras import losses as losses_module

    if spec is None:
        return None
    if isinstance(spec, list):
        return [_deserialize_loss(s, custom_objects) for s in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {k: _deserialize_loss(v, custom_objects) for k, v in spec.items()}
    if isinstance(spec, dict):
        spec = dict(spec)
        cfg = dict(spec.get("config") or {})
        cfg.pop("fn", None)  # Keras 2 writes the wrapped function's name here
        if cfg.get("reduction") == "auto":
            cfg["reduction"] = "sum_over_batch_size"
        spec["config"] = cfg
    if isinstance(spec, str) and spec.lower() in ("crossentropy", "ce"):
        return spec
    return losses_module.deserialize(spec, custom_objects)


def _deserialize_metrics(spec: Any, custom_objects: dict | None) -> Any:
    from minikeras import metrics as metrics_module

    if spec is None:
        return None
    if isinstance(spec, list):
        flat = []
        for s in spec:
            if isinstance(s, list):  # Keras 2 nests the compiled metrics per output
                flat.extend(_deserialize_metrics(s, custom_objects))
            else:
                flat.append(_deserialize_metrics(s, custom_objects))
        return flat
    if isinstance(spec, dict) and "class_name" not in spec:
        return {k: _deserialize_metrics(v, custom_objects) for k, v in spec.items()}
    if isinstance(spec, str):
        return spec
    if spec.get("class_name") == "MeanMetricWrapper":
        cfg = spec.get("config") or {}
        fn = cfg.get("fn")
        name = cfg.get("name")
        if isinstance(fn, str) and name in ("accuracy", "acc"):
            return name  # resolved again from the shapes, as Keras does
        if isinstance(fn, str):
            return metrics_module.MeanMetricWrapper(metrics_module.get(fn), name=name)
    return metrics_module.deserialize(spec, custom_objects)


# --- weights files ----------------------------------------------------------------------

def save_weights(model: Any, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
    suffix = _suffix(filepath)
    if suffix == ".weights.h5":
        from minikeras.saving import weights_h5

        weights_h5.save_weights(model, filepath, overwrite=overwrite)
        return
    if suffix not in (".h5", ".hdf5"):
        raise ValueError(f"save_weights: the file name must end in '.weights.h5' (Keras 3 "
                         f"layout) or '.h5' (Keras 2 layout); got {os.fspath(filepath)!r}")
    h5py = h5_io._h5py()
    with h5_io.atomic_path(filepath, overwrite) as tmp:
        with h5py.File(tmp, "w") as f:
            save_weights_to_group(f, model)


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False, by_name: bool = False,
                 **kwargs: Any) -> None:
    suffix = _suffix(filepath)
    if suffix == ".weights.h5":
        from minikeras.saving import weights_h5

        weights_h5.load_weights(model, filepath, skip_mismatch=skip_mismatch)
        return
    if suffix == ".keras":
        from minikeras.saving import keras_zip

        keras_zip.load_weights_only(model, filepath, skip_mismatch=skip_mismatch)
        return
    with h5_io.open_for_reading(filepath) as f:
        group = f
        if "layer_names" not in f.attrs and "layer_names0" not in f.attrs and \
                "model_weights" in f:
            group = h5_io.safe_get(f, "model_weights")
        load_weights_from_group(group, model, skip_mismatch=skip_mismatch, by_name=by_name)
