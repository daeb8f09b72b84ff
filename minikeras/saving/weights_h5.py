"""The Keras 3 weights layout (`model.weights.h5`, also inside `.keras` archives).

Keras 3 (saving_lib) walks the model object: the model's own variables go to `vars/`,
then `layers/<snake_case(ClassName)>[_<n>]/vars/<i>` for each layer in `model.layers`,
then every other attribute that holds a layer, an optimizer, or a list/dict of them, in
sorted order (private attributes last), at the attribute's path. Group names come from
class names and per-container counters, never from layer names. Each object is visited
once. minikeras walks its own models the same way, so the same paths come out for the
same architecture, and each side reads the other's files.

Loading reads and checks every array against the live variables (count and shape) before
any variable changes.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from minikeras.saving import compile_io, h5_io

# Attributes of minikeras' own model machinery (not state that Keras 3 saves).
_MODEL_INTERNALS = {"_stack", "_input_layer", "_nodes", "inputs", "outputs", "compiled_loss",
                    "compiled_metrics", "_loss_tracker", "history", "_compile_config", "loss",
                    "_inputs_struct", "_outputs_struct", "_build_shape", "_loss_plan",
                    "_train_plan", "_layers", "_outer", "_output_tensor"}
_SKIP_CACHE: dict = {}


def _skipset() -> set:
    if "layer" not in _SKIP_CACHE:
        from minikeras.layers.layer import Layer

        bare = Layer.__new__(Layer)
        Layer.__init__(bare, name="__skipset_probe__")
        _SKIP_CACHE["layer"] = set(vars(bare)) | _MODEL_INTERNALS
    return _SKIP_CACHE["layer"]


def _is_saveable(obj: Any) -> bool:
    from minikeras.layers.layer import Layer
    from minikeras.optimizers.base import Optimizer

    return isinstance(obj, (Layer, Optimizer))


def _name_key(name: str) -> str:
    return f"~{name}" if name.startswith("_") else name


def _own_variables(obj: Any) -> list:
    from minikeras.optimizers.base import Optimizer

    if isinstance(obj, Optimizer):
        return list(obj.variables)
    return list(obj._trainable_weights) + list(obj._non_trainable_weights)


def _children(obj: Any):
    from minikeras.models.model import Model
    from minikeras.optimizers.base import Optimizer

    if isinstance(obj, Optimizer):
        return
    standard = any(k.__name__ in ("Sequential", "Functional") and
                   k.__module__.startswith("minikeras.") for k in type(obj).__mro__)
    if standard:
        yield "layers", obj.layers
    names = set(vars(obj)) - _skipset()
    if isinstance(obj, Model) and not standard:
        names.add("layers")
    if isinstance(obj, Model):
        names.add("optimizer")
    for attr in sorted(names, key=_name_key):
        if attr.startswith("__"):
            continue
        if attr == "layers" and isinstance(obj, Model):
            yield attr, obj.layers
            continue
        value = obj.__dict__.get(attr) if attr in obj.__dict__ else getattr(obj, attr, None)
        yield attr, value


def _unique(name: str, used: dict) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def walk(obj: Any, path: str = "", visited: set | None = None, containers: set | None = None):
    """Yield `(path, saveable)` in Keras 3's order: the object itself, then its children."""
    if visited is None:
        visited = set()
    if id(obj) in visited:
        return
    visited.add(id(obj))
    yield path, obj
    for attr, child in _children(obj):
        child_path = f"{path}/{attr}" if path else attr
        if _is_saveable(child):
            yield from walk(child, child_path, visited, containers)
        elif isinstance(child, (list, tuple, dict)):
            yield from _walk_container(child, child_path, visited,
                                       containers if containers is not None else set())


def _walk_container(container: Any, path: str, visited: set, containers: set):
    from minikeras.utils.naming import to_snake_case

    if id(container) in containers:
        return
    containers.add(id(container))
    items = list(container.values()) if isinstance(container, dict) else list(container)
    used: dict = {}
    for item in items:
        if _is_saveable(item):
            name = _unique(to_snake_case(type(item).__name__), used)
            yield from walk(item, f"{path}/{name}", visited, containers)
        elif isinstance(item, (list, tuple, dict)):
            name = _unique("container", used)
            yield from _walk_container(item, f"{path}/{name}", visited, containers)


def _vars_path(path: str) -> str:
    return f"{path}/vars" if path else "vars"


def _require_built(model: Any, action: str) -> None:
    if not getattr(model, "built", False) or not model.weights and \
            type(model).__name__ == "Sequential" and not getattr(model, "inputs", None):
        raise ValueError(f"You are {action} a model that has not yet been built. Build it "
                         "first (give it an input shape, or call it on some data).")


# --- writing ----------------------------------------------------------------------------

def write_to_file(model: Any, f: Any, include_optimizer: bool = True,
                  optimizer_values: list | None = None) -> None:
    """Write the model's state into an open h5py file, in Keras 3's layout.
    `optimizer_values` replaces the optimizer's own values (used for an unbuilt optimizer,
    whose slots Keras 3 would expect)."""
    from minikeras.optimizers.base import Optimizer

    for path, obj in walk(model):
        if isinstance(obj, Optimizer) and not include_optimizer:
            continue
        g = f.create_group(_vars_path(path))
        name = getattr(obj, "name", None)
        if isinstance(name, str):
            g.attrs["name"] = name
        if _own_store(obj):  # state kept outside variables, named (Keras 3's hook)
            store: dict = {}
            obj.save_own_variables(store)
            for key, a in store.items():
                g.create_dataset(str(key), data=np.asarray(a))
            continue
        values = _own_variables(obj)
        arrays = [np.asarray(v.value) for v in values]
        if isinstance(obj, Optimizer) and optimizer_values is not None:
            arrays = optimizer_values
        for i, a in enumerate(arrays):
            g.create_dataset(str(i), data=a)


def _own_store(obj: Any) -> bool:
    """A layer without variables that keeps its state through `save_own_variables` /
    `load_own_variables` (the text and lookup layers' TF-IDF weights; branch textprep)."""
    return not _own_variables(obj) and callable(getattr(obj, "save_own_variables", None)) \
        and callable(getattr(obj, "load_own_variables", None)) and \
        not type(obj).__name__.endswith("Optimizer") and _is_saveable(obj)


def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    _require_built(model, "saving the weights of")
    h5py = h5_io._h5py()
    with h5_io.atomic_path(filepath, overwrite) as tmp:
        with h5py.File(tmp, "w") as f:
            write_to_file(model, f)


# --- reading ----------------------------------------------------------------------------

def _vars_group(f: Any, path: str) -> Any | None:
    """The `vars` group of `path`, or None when the file has none."""
    node = f
    for part in _vars_path(path).split("/"):
        if not h5_io.has_child(node, part):
            if part in node:
                raise ValueError(f"Refusing to follow the link {part!r} in {node.name!r}: "
                                 "links may point outside the file")
            return None
        node = h5_io.safe_get(node, part)
        if not isinstance(node, h5_io._h5py().Group):
            raise ValueError(f"{node.name!r} should be a group")
    return node


def _read_vars(group: Any, variables: list, label: str) -> list:
    keys = [k for k in group.keys()]
    if len(keys) != len(variables):
        raise ValueError(f"{label} expects {len(variables)} variables "
                         f"{[tuple(v.shape) for v in variables]}, but the file holds "
                         f"{len(keys)} at {group.name!r}")
    arrays = []
    for i, v in enumerate(variables):
        ds = h5_io.safe_get(group, str(i))  # refuses links, names what is missing
        shape = h5_io.check_dataset(ds, f"{label}, variable {i}")
        if shape != tuple(v.shape):
            raise ValueError(f"{label}: variable {i} ({v.name!r}) has shape {tuple(v.shape)}, "
                             f"but the file holds shape {shape} at {ds.name!r}")
        arrays.append(h5_io.read_dataset(ds, v.shape, f"{label}, variable {i}"))
    return arrays


def stored_weight_count(f: Any) -> int:
    """How many weights the `layers/` and `vars/` groups of a file declare (metadata)."""
    h5py = h5_io._h5py()
    total = [0]

    def visit(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset):
            shape = h5_io.check_dataset(obj, f"dataset {name!r}")
            total[0] += int(np.prod(shape, dtype=np.int64))

    for top in ("layers", "vars"):
        if h5_io.has_child(f, top):
            group = h5_io.safe_get(f, top)
            if isinstance(group, h5py.Group):
                group.visititems(visit)
    return total[0]


def _unused_weights(f: Any, used: set) -> list:
    """`vars` groups under `layers/` that hold data but belong to no layer of the model."""
    h5py = h5_io._h5py()
    if not h5_io.has_child(f, "layers"):
        return []
    found: list = []

    def visit(name: str, obj: Any) -> None:
        if name.endswith("vars") and isinstance(obj, h5py.Group) and len(obj) and \
                f"layers/{name}" not in used:
            found.append(f"layers/{name}")

    h5_io.safe_get(f, "layers").visititems(visit)
    return found


def read_from_file(model: Any, f: Any, skip_mismatch: bool = False,
                   restore_optimizer: bool = True, source: str = "the file",
                   strict: bool = False) -> None:
    """Load the model's state from an open h5py file in Keras 3's layout. `strict`
    (loading a whole model): weights the model has no place for are an error."""
    from minikeras.optimizers.base import Optimizer

    if not h5_io.has_child(f, "layers") and not h5_io.has_child(f, "vars") and \
            (h5_io.has_attr(f, "layer_names") or h5_io.has_attr(f, "layer_names0") or
             "model_weights" in f):
        raise ValueError(f"{source} is a legacy Keras HDF5 file, not the '.weights.h5' layout "
                         "of Keras 3: give it a name ending in '.h5' (not '.weights.h5')")
    if not h5_io.has_child(f, "layers") and not h5_io.has_child(f, "vars"):
        raise ValueError(f"{source} has no 'layers' or 'vars' group: it is not a Keras "
                         "weights file")
    assignments: list = []
    stores: list = []
    optimizer_entry = None
    used: set = set()
    for path, obj in walk(model):
        if isinstance(obj, Optimizer):
            optimizer_entry = (path, obj)
            continue
        variables = _own_variables(obj)
        used.add(_vars_path(path))
        group = _vars_group(f, path)
        if group is not None and _own_store(obj):
            store = {}
            for key in group.keys():
                ds = h5_io.safe_get(group, key)
                shape = h5_io.check_dataset(ds, f"{path}/vars/{key}")
                store[key] = h5_io.read_dataset(ds, shape, f"{path}/vars/{key}")
            stores.append((obj, store))
            continue
        label = f"Layer {getattr(obj, 'name', path)!r} ({type(obj).__name__}, path " \
                f"{path or '/'!r})"
        if group is None:
            if variables:
                msg = f"{label} has {len(variables)} variables, but the file has nothing " \
                      f"at {_vars_path(path)!r}"
                if skip_mismatch:
                    warnings.warn(msg + "; skipped (skip_mismatch=True)", stacklevel=3)
                    continue
                raise ValueError(msg)
            continue
        try:
            arrays = _read_vars(group, variables, label)
        except ValueError as e:
            if skip_mismatch and "Refusing" not in str(e):
                warnings.warn(f"{e}; skipped (skip_mismatch=True)", stacklevel=3)
                continue
            raise
        assignments.append((variables, arrays))
    if strict:
        unused = _unused_weights(f, used)
        if unused:
            raise ValueError(f"{source} holds weights that no layer of the model described "
                             f"by its config takes: {unused[:10]}")
    for variables, arrays in assignments:
        for v, a in zip(variables, arrays):
            v.assign(np.asarray(a).astype(v.dtype))
    for obj, store in stores:
        obj.load_own_variables(store)
    if restore_optimizer and optimizer_entry is not None:
        path, opt = optimizer_entry
        group = optimizer_vars_group(f, path, source)
        if group is not None and getattr(model, "compiled", False):
            restore_optimizer_vars(model, group, source)


def optimizer_vars_group(f: Any, path: str, source: str) -> Any | None:
    """The optimizer's `vars` group, or None: absent, or (with a warning, as for any
    optimizer state that cannot be used) replaced by a link, which is never followed."""
    try:
        return _vars_group(f, path)
    except ValueError as e:
        warnings.warn(f"Not restoring the optimizer state from {source}: {e}. Training "
                      "continues with a fresh optimizer state.", stacklevel=3)
        return None


def restore_optimizer_vars(model: Any, group: Any, source: str) -> bool:
    """Keras 3 order (iteration, learning_rate, slots) positionally; a Keras 2 file lacks
    the learning-rate variable, and is then read as iteration + slots."""
    count = len(list(group.keys()))
    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_weights)
    own = optimizer.variables
    index = list(range(count))
    has_lr_var = len(own) > 1 and own[1] is getattr(optimizer, "_learning_rate", None)
    if count == len(own) - 1 and has_lr_var and count >= 1:
        index = [0, None] + list(range(1, count))  # Keras 2: no learning_rate variable

    def read(i: int, shape: tuple) -> np.ndarray:
        j = index[i]
        if j is None:
            return np.asarray(optimizer._learning_rate.value)
        ds = h5_io.safe_get(group, str(j))
        value = h5_io.read_dataset(ds, None, f"optimizer variable {j}")
        if value.shape != tuple(shape):
            raise ValueError(f"optimizer variable {j} has shape {value.shape}, the optimizer "
                             f"needs {tuple(shape)}")
        return value

    return compile_io.restore_positional(model, read, len(index), source)


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False) -> None:
    _require_built(model, "loading weights into")
    with h5_io.open_for_reading(filepath) as f:
        read_from_file(model, f, skip_mismatch=skip_mismatch, source=str(filepath))
