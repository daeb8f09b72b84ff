"""What `compile` was given, as stored in files, and the optimizer's state.

* `portable_training_config`: the legacy `.h5` `training_config` that both Keras 2 and
  Keras 3 turn back into compile arguments (spec section 11): canonical loss and metric
  names, `loss_weights`/`weighted_metrics` present, and an optimizer config holding only
  keys that both versions accept.
* `keras3_compile_config`: the `compile_config` of a `.keras` archive.
* `compile_from_training_config`: the reverse, for files written by Keras 2, Keras 3 or
  minikeras (K2 metric wrappers, loss aliases, `Custom>Adam`, legacy optimizers, ...).
* Optimizer state: minikeras' own exact copy (positional), and the slots of Keras 2 and
  Keras 3 `optimizer_weights` (new interleaved, legacy "all m then all v", Keras 3 order),
  mapped by slot kind and variable, restored only where every shape matches.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np

from minikeras.saving import h5_io

# Optimizer keys that both Keras 2 (legacy optimizer_v2 classes) and Keras 3 accept.
_PORTABLE_COMMON = ("name", "learning_rate", "clipnorm", "clipvalue", "global_clipnorm")
_PORTABLE_SPECIFIC = ("beta_1", "beta_2", "epsilon", "amsgrad", "momentum", "nesterov",
                      "rho", "centered", "initial_accumulator_value")
# Keras 3 options that a Keras 2 legacy optimizer would reject; at their defaults they
# are simply left out.
_K3_DEFAULTS = {"weight_decay": None, "use_ema": False, "ema_momentum": 0.99,
                "ema_overwrite_frequency": None, "loss_scale_factor": None,
                "gradient_accumulation_steps": None}
# the classes that exist under the same name in Keras 2's legacy optimizers
_K2_LEGACY_CLASSES = {"SGD", "Adam", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam",
                      "Ftrl"}


# --- writing ----------------------------------------------------------------------------

def _loss_name(fn: Any) -> str | None:
    from minikeras import losses as losses_module

    return losses_module.canonical_name(fn)


def _metric_functions() -> dict:
    from minikeras import metrics as metrics_module

    return getattr(metrics_module, "FUNCTIONS", None) or \
        getattr(metrics_module, "_FUNCTIONS", {})


def _metric_name(fn: Any) -> str | None:
    """The full name of a built-in per-sample metric function."""
    name = getattr(fn, "__name__", None)
    if name and _metric_functions().get(name) is fn:
        return name
    return None


def _metric_string(spec: str) -> str:
    """Aliases become the function's full name, which Keras 2 and 3 both resolve
    (`mae` -> `mean_absolute_error`); `accuracy`/`acc`/`crossentropy`/`ce` stay."""
    if spec.lower() in ("accuracy", "acc", "crossentropy", "ce"):
        return spec
    fn = _metric_functions().get(spec)
    if fn is not None:
        return _loss_name(fn) or _metric_name(fn) or spec
    return spec


def _serialize_obj(obj: Any, with_module: bool) -> Any:
    from minikeras.saving.serialization import serialize_keras_object

    entry = serialize_keras_object(obj)
    if isinstance(entry, dict) and not with_module:
        entry = {"class_name": entry["class_name"], "config": entry["config"]}
    return entry


def loss_spec(spec: Any, with_module: bool = False) -> Any:
    """A loss as Keras files store it: the canonical name of a built-in function
    (`mse` -> `mean_squared_error`), or `{"class_name", "config"}` for a Loss object."""
    from minikeras import losses as losses_module

    if spec is None:
        return None
    if isinstance(spec, dict):
        return {k: loss_spec(v, with_module) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [loss_spec(v, with_module) for v in spec]
    if isinstance(spec, str):
        if spec.lower() in ("crossentropy", "ce"):
            return spec
        fn = losses_module.get(spec)
        if isinstance(fn, losses_module.Loss):
            return _serialize_obj(fn, with_module)
        return _loss_name(fn) or spec
    if isinstance(spec, type) and issubclass(spec, losses_module.Loss):
        spec = spec()
    if isinstance(spec, losses_module.Loss):
        return _serialize_obj(spec, with_module)
    return _loss_name(spec) or getattr(spec, "__name__", str(spec))


def metric_spec(spec: Any, with_module: bool = False) -> Any:
    """Metrics as plain strings (canonical names; `accuracy`/`acc` kept), or
    `{"class_name", "config"}` for Metric objects."""
    from minikeras import metrics as metrics_module

    if spec is None:
        return None
    if isinstance(spec, dict):
        return {k: metric_spec(v, with_module) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [metric_spec(v, with_module) for v in spec]
    if isinstance(spec, str):
        return _metric_string(spec)
    if isinstance(spec, type) and issubclass(spec, metrics_module.Metric):
        spec = spec()
    if isinstance(spec, metrics_module.Metric):
        if type(spec) is metrics_module.MeanMetricWrapper:
            fn_name = _metric_name(spec._fn) or _loss_name(spec._fn)
            # by its function's name, unless (in minikeras' own record) that would lose
            # a name the user gave the wrapper
            if fn_name and (not with_module or spec.name in (fn_name, spec._fn.__name__)):
                return fn_name
        return _serialize_obj(spec, with_module)
    return _metric_name(spec) or _loss_name(spec) or getattr(spec, "__name__", str(spec))


def full_optimizer_config(optimizer: Any) -> dict:
    from minikeras import optimizers as optimizers_module

    return optimizers_module.serialize(optimizer)


def portable_optimizer_config(optimizer: Any) -> dict:
    """`{"class_name", "config"}` that Keras 2 (legacy class) and Keras 3 both rebuild with
    the same hyperparameters. Options only Keras 3 has (weight_decay, EMA, ...) are kept
    when they are not at their defaults: then Keras 3 stays exact and Keras 2 refuses the
    optimizer, rather than silently training differently."""
    full = full_optimizer_config(optimizer)
    cfg = full["config"]
    class_name = full["class_name"]
    k3_only = {k: cfg[k] for k in _K3_DEFAULTS if k in cfg and cfg[k] != _K3_DEFAULTS[k]}
    if k3_only or class_name not in _K2_LEGACY_CLASSES:
        out = {k: v for k, v in cfg.items() if k != "decay"}
        return {"class_name": class_name, "config": out}
    out = {}
    for k in _PORTABLE_COMMON + _PORTABLE_SPECIFIC:
        if k in cfg and cfg[k] is not None:
            out[k] = cfg[k]
    if "decay" in cfg:
        # a Keras 2 style optimizer (lr=/decay=): Keras 2 applies the decay; Keras 3 warns
        # and ignores it; minikeras reads back that the optimizer follows Keras 2's rules
        out["decay"] = cfg["decay"]
    return {"class_name": class_name, "config": out}


def given_compile_config(model: Any) -> dict:
    cfg = getattr(model, "_compile_config", None) or {}
    return {"loss": cfg.get("loss"), "metrics": cfg.get("metrics"),
            "weighted_metrics": cfg.get("weighted_metrics"),
            "loss_weights": cfg.get("loss_weights")}


def portable_training_config(model: Any) -> dict:
    cfg = given_compile_config(model)
    return {"loss": loss_spec(cfg["loss"]), "metrics": metric_spec(cfg["metrics"]),
            "weighted_metrics": metric_spec(cfg["weighted_metrics"]),
            "loss_weights": cfg["loss_weights"],
            "optimizer_config": portable_optimizer_config(model.optimizer)}


def _keep_strings(spec: Any, fn: Any) -> Any:
    """Names stay as given (Keras 3 reads its own aliases back from a .keras archive, and
    History keys then stay unchanged); objects are serialized with `fn`."""
    if isinstance(spec, str) or spec is None:
        return spec
    if isinstance(spec, dict):
        return {k: _keep_strings(v, fn) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_keep_strings(v, fn) for v in spec]
    return fn(spec, True)


def exact_compile_config(model: Any) -> dict:
    """minikeras' own record: the metric and loss names exactly as given (so History keys
    come back unchanged) and the optimizer's full config (decay, EMA, ...)."""
    cfg = given_compile_config(model)
    keep = _keep_strings
    return {"loss": keep(cfg["loss"], loss_spec), "metrics": keep(cfg["metrics"], metric_spec),
            "weighted_metrics": keep(cfg["weighted_metrics"], metric_spec),
            "loss_weights": cfg["loss_weights"],
            "optimizer_config": full_optimizer_config(model.optimizer)}


def keras3_compile_config(model: Any) -> dict:
    """The `compile_config` of a `.keras` archive (Keras 3 serialization, with modules)."""
    from minikeras.saving.serialization import serialize_keras_object

    cfg = given_compile_config(model)
    opt = serialize_keras_object(model.optimizer)
    opt["module"] = "keras.optimizers"
    opt["config"] = dict(opt["config"])

    keep_strings = _keep_strings
    return {"optimizer": opt, "loss": keep_strings(cfg["loss"], loss_spec),
            "loss_weights": cfg["loss_weights"],
            "metrics": keep_strings(cfg["metrics"], metric_spec),
            "weighted_metrics": keep_strings(cfg["weighted_metrics"], metric_spec),
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}


# --- reading ----------------------------------------------------------------------------

def deserialize_loss(spec: Any, custom_objects: dict | None) -> Any:
    from minikeras import losses as losses_module

    if spec is None:
        return None
    if isinstance(spec, (list, tuple)):
        return [deserialize_loss(s, custom_objects) for s in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {k: deserialize_loss(v, custom_objects) for k, v in spec.items()}
    if isinstance(spec, dict) and spec.get("class_name") == "function":
        # Keras 3's form of a plain function: {"class_name": "function", "config": name}
        name = spec.get("config")
        if not isinstance(name, str):
            raise ValueError(f"Malformed function entry {str(spec)[:120]} in the loss")
        return deserialize_loss(name, custom_objects)
    if isinstance(spec, dict):
        spec = dict(spec)
        cfg = dict(spec.get("config") or {})
        fn = cfg.get("fn")
        if isinstance(fn, dict) and fn.get("class_name") == "function":
            fn = fn.get("config")
        if spec.get("class_name") in ("LossFunctionWrapper", "MeanMetricWrapper") and \
                isinstance(fn, str):
            return deserialize_loss(fn, custom_objects)
        cfg.pop("fn", None)  # Keras 2 writes the wrapped function's name here
        if cfg.get("reduction") in ("auto", None) and "reduction" in cfg:
            cfg["reduction"] = "sum_over_batch_size"
        spec["config"] = cfg
    if isinstance(spec, str) and spec.lower() in ("crossentropy", "ce"):
        return spec
    return losses_module.deserialize(spec, custom_objects)


def _custom_metric(name: str, custom_objects: dict | None) -> Any:
    """A metric name that `custom_objects` defines, resolved now: compile resolves metric
    names only at the first batch, when `load_model`'s custom_objects are gone (Keras 2
    resolves them while loading)."""
    from minikeras import metrics as metrics_module

    if not custom_objects or name not in custom_objects:
        return name
    obj = custom_objects[name]
    if callable(obj) and not isinstance(obj, (type, metrics_module.Metric)):
        return metrics_module.MeanMetricWrapper(obj, name=name)
    return obj


def _deserialize_metric(spec: Any, custom_objects: dict | None) -> Any:
    from minikeras import metrics as metrics_module

    if isinstance(spec, str):
        return _custom_metric(spec, custom_objects)
    if not isinstance(spec, dict):
        raise ValueError(f"Could not interpret the metric {spec!r} in the file")
    if spec.get("class_name") == "function" and isinstance(spec.get("config"), str):
        return _custom_metric(spec["config"], custom_objects)  # Keras 3's plain function
    if spec.get("class_name") == "MeanMetricWrapper":
        cfg = spec.get("config") or {}
        fn = cfg.get("fn")
        if isinstance(fn, dict) and fn.get("class_name") == "function":
            fn = fn.get("config")
        name = cfg.get("name")
        if isinstance(fn, str) and name in ("accuracy", "acc"):
            return name  # resolved again from the shapes, as Keras does
        if isinstance(fn, str) and custom_objects and fn in custom_objects:
            return _custom_metric(fn, custom_objects) if name in (None, fn) else \
                metrics_module.MeanMetricWrapper(custom_objects[fn], name=name)
        if isinstance(fn, str):
            fn_obj = metrics_module.get(fn)
            if isinstance(fn_obj, metrics_module.Metric):
                if name:
                    fn_obj.name = name  # Keras 2's name ("mae") is what History shows
                return fn_obj
            return metrics_module.MeanMetricWrapper(fn_obj, name=name or fn)
    return metrics_module.deserialize(spec, custom_objects)


def deserialize_metrics(spec: Any, custom_objects: dict | None, n_outputs: int = 1,
                        output_names: list | None = None) -> Any:
    if spec is None:
        return None
    if isinstance(spec, dict) and "class_name" not in spec:
        return {k: deserialize_metrics(v, custom_objects) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        nested = any(isinstance(s, (list, tuple)) for s in spec)
        if nested and n_outputs > 1 and len(spec) == n_outputs:
            # Keras 2 stores the compiled metrics per output
            return [deserialize_metrics(s, custom_objects) or [] for s in spec]
        flat: list = []
        for s in spec:
            if isinstance(s, (list, tuple)):
                flat.extend(deserialize_metrics(list(s), custom_objects))
            elif s is not None:
                flat.append(_deserialize_metric(s, custom_objects))
        return flat
    return [_deserialize_metric(spec, custom_objects)]


def _metrics_like(spec: Any, struct: Any, custom_objects: dict | None) -> Any:
    """Metrics stored in the structure of nested outputs, read back in that structure."""
    if isinstance(struct, (list, tuple)) and isinstance(spec, (list, tuple)) and \
            len(spec) == len(struct):
        return [_metrics_like(s, t, custom_objects) for s, t in zip(spec, struct)]
    if isinstance(struct, dict) and isinstance(spec, dict) and "class_name" not in spec:
        return {k: _metrics_like(v, struct.get(k), custom_objects) for k, v in spec.items()}
    return deserialize_metrics(spec, custom_objects)


def deserialize_optimizer(spec: Any, custom_objects: dict | None) -> Any:
    from minikeras import optimizers as optimizers_module

    if spec is None:
        return "rmsprop"
    if isinstance(spec, dict) and isinstance(spec.get("config"), dict):
        spec = dict(spec)
        spec["config"] = {k: v for k, v in spec["config"].items()}
    return optimizers_module.deserialize(spec, custom_objects)


def compile_from_config(model: Any, train_cfg: dict, custom_objects: dict | None,
                        optimizer_config: Any = None, source: str = "the file") -> None:
    """`model.compile` with what a file recorded (Keras 2, Keras 3 or minikeras)."""
    try:
        _compile_from_config(model, train_cfg, custom_objects, optimizer_config)
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise ValueError(f"Cannot compile the model with the training settings stored in "
                         f"{source}: {e} (load it with compile=False to get the model "
                         "uncompiled)") from e


def _compile_from_config(model: Any, train_cfg: dict, custom_objects: dict | None,
                         optimizer_config: Any = None) -> None:
    if not isinstance(train_cfg, dict):
        raise ValueError(f"The training config should be a JSON object, found "
                         f"{type(train_cfg).__name__}")
    opt_cfg = optimizer_config if optimizer_config is not None else \
        train_cfg.get("optimizer_config", train_cfg.get("optimizer"))
    optimizer = deserialize_optimizer(opt_cfg, custom_objects)
    outputs = list(getattr(model, "output_names", None) or ["output"])
    loss = deserialize_loss(train_cfg.get("loss"), custom_objects)
    struct = getattr(model, "_outputs_struct", None)
    if isinstance(struct, (list, tuple)) and any(isinstance(t, (list, tuple, dict))
                                                 for t in struct):
        # nested outputs: the metrics follow their structure (compile_utils.spread_metrics)
        metrics = _metrics_like(train_cfg.get("metrics"), struct, custom_objects)
        weighted = _metrics_like(train_cfg.get("weighted_metrics"), struct, custom_objects)
    else:
        metrics = deserialize_metrics(train_cfg.get("metrics"), custom_objects,
                                      len(outputs))
        weighted = deserialize_metrics(train_cfg.get("weighted_metrics"), custom_objects,
                                       len(outputs))
    # loss None: compiled without a loss, as Keras 3 allows (the model's own losses)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics or None,
                  weighted_metrics=weighted or None,
                  loss_weights=train_cfg.get("loss_weights"))


def _metric_keys(spec: Any) -> Any:
    """What each metric computes, by function or class name (Keras' training_config keeps
    no more than that of a named wrapper)."""
    if isinstance(spec, dict):
        return {k: _metric_keys(v) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_metric_keys(v) for v in spec]
    fn = getattr(spec, "_fn", None)
    if fn is not None:
        return _metric_name(fn) or _loss_name(fn) or getattr(fn, "__name__", repr(fn))
    if isinstance(spec, str) or spec is None:
        return spec if spec is None else _metric_string(spec)
    if callable(spec) and not isinstance(spec, type) and hasattr(spec, "__name__") and \
            not hasattr(spec, "get_config"):
        return _metric_name(spec) or _loss_name(spec) or spec.__name__
    return type(spec).__name__


def _settings(train_cfg: Any, custom_objects: dict | None, n_outputs: int) -> str:
    """The compile settings a record means, in one canonical JSON form (names resolved,
    aliases folded, the optimizer rebuilt and serialized the portable way)."""
    if not isinstance(train_cfg, dict):
        raise ValueError("not a JSON object")
    opt = deserialize_optimizer(train_cfg.get("optimizer_config", train_cfg.get("optimizer")),
                                custom_objects)
    settings = {
        "loss": loss_spec(deserialize_loss(train_cfg.get("loss"), custom_objects)),
        "metrics": _metric_keys(deserialize_metrics(train_cfg.get("metrics"), custom_objects,
                                                    n_outputs)),
        "weighted_metrics": _metric_keys(deserialize_metrics(
            train_cfg.get("weighted_metrics"), custom_objects, n_outputs)),
        "loss_weights": train_cfg.get("loss_weights"),
        "optimizer": portable_optimizer_config(opt)}
    return json.dumps(settings, sort_keys=True, default=repr)


def warn_if_records_disagree(model: Any, exact: dict, keras_record: Any,
                             custom_objects: dict | None, source: str, what: str) -> None:
    """A file written by minikeras holds its exact compile record (the one used) and Keras'
    own record of the same settings (`training_config`, `compile_config`). When the two do
    not mean the same settings, a tool has changed one of them: say so."""
    n_outputs = len(list(getattr(model, "output_names", None) or ["output"]))
    try:
        ours = _settings(exact, custom_objects, n_outputs)
    except Exception:  # noqa: BLE001 - compiling from it worked; nothing to compare then
        return
    try:
        theirs = _settings(keras_record, custom_objects, n_outputs)
    except Exception as e:  # noqa: BLE001 - any failure to read it is a disagreement
        theirs = f"unreadable: {e}"
    if ours != theirs:
        warnings.warn(f"{source} holds minikeras' compile record and Keras' {what}, and they "
                      "disagree (loss, metrics or optimizer): one was changed after minikeras "
                      "wrote the file. minikeras compiles the model from its own record; "
                      "load with compile=False and call compile() to choose otherwise.",
                      stacklevel=4)


# --- optimizer state --------------------------------------------------------------------

def _build_optimizer(model: Any) -> Any:
    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_weights)
    return optimizer


def save_optimizer_state(group: Any, optimizer: Any) -> None:
    """minikeras' exact copy, positional (`0000_iteration`, `0001_learning_rate`, ...)."""
    values = optimizer.variables
    names = [f"{i:04d}_{str(v.name).replace('/', '_')}" for i, v in enumerate(values)]
    h5_io.write_name_list(group, "weight_names", names)
    for name, v in zip(names, values):
        group.create_dataset(name, data=np.asarray(v.value))


def restore_positional(model: Any, arrays_or_reader: Any, count: int, source: str) -> bool:
    """Assign optimizer variables in order when the count and every shape match (Keras 3
    semantics, but all-or-nothing). `arrays_or_reader(i, shape)` reads one value."""
    optimizer = _build_optimizer(model)
    own = optimizer.variables
    if count != len(own):
        warnings.warn(f"Not restoring the optimizer state from {source}: the file holds "
                      f"{count} optimizer variables, the optimizer has {len(own)}. Training "
                      "continues with a fresh optimizer state.", stacklevel=3)
        return False
    values = []
    for i, v in enumerate(own):
        try:
            values.append(arrays_or_reader(i, v.shape))
        except ValueError as e:
            warnings.warn(f"Not restoring the optimizer state from {source}: {e}",
                          stacklevel=3)
            return False
    if not _state_is_sane(optimizer, zip(own, values), source):
        return False
    for v, a in zip(own, values):
        v.assign(np.asarray(a).astype(v.dtype).reshape(v.shape))
    return True


def _state_is_sane(optimizer: Any, pairs: Any, source: str) -> bool:
    """False, with the warning every unusable optimizer state gets, when the iteration
    count or the learning rate to restore is NaN, infinite or negative."""
    for var, value in pairs:
        problem = optimizer._bad_state_value(var, value)
        if problem:
            warnings.warn(f"Not restoring the optimizer state from {source}: {problem}. "
                          "Training continues with a fresh optimizer state.", stacklevel=4)
            return False
    return True


_SLOT_ALIASES = {"m": "momentum", "v": "velocity", "vhat": "velocity_hat", "rms": "velocity",
                 "mg": "average_gradient", "u": "norm", "accumulator": "accumulator"}
_K3_SLOTS = ("velocity_hat", "average_gradient", "accumulated_delta_var", "accumulated_grad",
             "momentum", "velocity", "accumulator", "average", "norm", "linear")
_K2_NEW_SLOTS = {"m", "v", "vhat", "velocity", "momentum", "average_gradient", "accumulator",
                 "accumulated_grad", "accumulated_delta_var", "u", "linear"}
_K2_LEGACY_SLOTS = {"m", "v", "vhat", "rms", "mg", "momentum", "accumulator",
                    "accum_grad", "accum_var", "u", "linear"}


def _parse_slot(name: str) -> tuple:
    """('iteration'|'learning_rate'|'slot'|'other', slot kind, variable key)."""
    base = name[:-2] if name.endswith(":0") else name
    parts = base.split("/")
    last = parts[-1]
    if last in ("iteration", "iter", "iterations"):
        return ("iteration", None, None)
    if last in ("learning_rate", "lr"):
        return ("learning_rate", None, None)
    if last in ("decay", "beta_1", "beta_2", "rho", "epsilon"):
        return ("other", None, None)
    if len(parts) >= 3 and parts[1] in _K2_NEW_SLOTS:  # Keras 2: Adam/m/dense/kernel:0
        return ("slot", _SLOT_ALIASES.get(parts[1], parts[1]), "/".join(parts[2:]))
    if len(parts) >= 3 and parts[-1] in _K2_LEGACY_SLOTS:  # legacy: Adam/dense/kernel/m:0
        kind = {"accum_grad": "accumulated_grad", "accum_var": "accumulated_delta_var"}.get(
            parts[-1], parts[-1])
        return ("slot", _SLOT_ALIASES.get(kind, kind), "/".join(parts[1:-1]))
    for kind in _K3_SLOTS:  # Keras 3: adam/sequential_dense_kernel_momentum
        if last.endswith("_" + kind):
            return ("slot", kind, last[:-len(kind) - 1])
    return ("other", None, None)


def _our_slots(model: Any, optimizer: Any) -> dict:
    """{(kind, variable index): slot variable} for a built minikeras optimizer."""
    paths = [str(getattr(v, "path", v.name)).replace("/", "_") for v in model.trainable_weights]
    out: dict = {}
    skip = {id(optimizer._iteration_variable), id(optimizer.variables[0]),
            id(getattr(optimizer, "_learning_rate", None))}
    for var in optimizer.variables:
        if id(var) in skip:
            continue
        name = str(var.name)
        match = None
        for i, p in enumerate(paths):
            if name.startswith(p + "_") and (match is None or len(p) > len(paths[match])):
                match = i
        if match is None:
            return {}
        out[(name[len(paths[match]) + 1:], match)] = var
    return out


def restore_keras_slots(model: Any, names: list, read: Any, source: str) -> bool:
    """Restore Keras 2/3 `optimizer_weights`: the iteration count, the learning-rate
    variable and every slot, matched by slot kind and by the variable's position (file
    order of first appearance = the model's trainable variables). Nothing is assigned
    unless every slot the optimizer needs is found with the right shape."""
    optimizer = _build_optimizer(model)
    ours = _our_slots(model, optimizer)
    parsed = [_parse_slot(n) for n in names]
    var_keys: list = []
    for tag, _kind, key in parsed:
        if tag == "slot" and key not in var_keys:
            var_keys.append(key)
    n_vars = len(model.trainable_weights)
    file_slots: dict = {}
    if parsed and all(tag != "other" for tag, _, _ in parsed) and \
            (len(var_keys) == n_vars or not ours):
        for i, (tag, kind, key) in enumerate(parsed):
            if tag == "slot":
                file_slots[(kind, var_keys.index(key))] = i
    else:
        # unrecognised names (e.g. Keras <= 2.2's "training/Adam/Variable:0"): iteration
        # first, then one block of n_vars arrays per slot kind, in the optimizer's order
        rest = [i for i, (tag, _, _) in enumerate(parsed) if tag not in ("iteration",
                                                                         "learning_rate")]
        kinds: list = []
        for kind, _ in ours:
            if kind not in kinds:
                kinds.append(kind)
        if n_vars and len(rest) >= n_vars * len(kinds):
            for b, kind in enumerate(kinds):
                for j in range(n_vars):
                    file_slots[(kind, j)] = rest[b * n_vars + j]
    assignments = []
    for key, var in ours.items():
        if key not in file_slots:
            warnings.warn(f"Not restoring the optimizer state from {source}: no saved value "
                          f"for the {key[0]!r} slot of variable #{key[1]}. Training continues "
                          "with a fresh optimizer state.", stacklevel=3)
            return False
        try:
            value = read(file_slots[key], var.shape)
        except ValueError as e:
            warnings.warn(f"Not restoring the optimizer state from {source}: {e}",
                          stacklevel=3)
            return False
        assignments.append((var, value))
    for i, (tag, _, _) in enumerate(parsed):
        if tag == "iteration":
            assignments.append((optimizer._iteration_variable, read(i, ())))
        elif tag == "learning_rate" and type(getattr(optimizer, "_learning_rate", None)) \
                .__name__ == "Variable":
            assignments.append((optimizer._learning_rate, read(i, ())))
    if not _state_is_sane(optimizer, assignments, source):
        return False
    for var, value in assignments:
        var.assign(np.asarray(value).astype(var.dtype).reshape(var.shape))
    return True
