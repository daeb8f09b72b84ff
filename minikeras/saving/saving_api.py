"""`save_model`, `load_model`, `save_weights`, `load_weights`: pick the format from the
file name's suffix, as Keras does (spec section 1).

* `.h5`, `.hdf5`: legacy full-model HDF5 for save/load_model; legacy weights-only HDF5
  for save/load_weights (load_weights also reads full-model files) -- legacy_h5;
* `.weights.h5`: save/load_weights in the Keras 3 layout -- weights_h5;
* `.keras`: the Keras 3 archive for save/load_model; load_weights reads its weights --
  keras_zip.

Every save is atomic (h5_io.atomic_path). Every load goes through h5_io.load_guard, so a
malformed file raises ValueError or OSError with a message, never another exception.
"""

from __future__ import annotations

import os
from typing import Any

from minikeras.saving import h5_io, keras_zip, legacy_h5, weights_h5
from minikeras.saving.legacy_h5 import BACKEND, KERAS_VERSION  # noqa: F401
from minikeras.saving.legacy_h5 import OPTIMIZER_STATE_GROUP  # noqa: F401


def _suffix(filepath: Any) -> str:
    path = os.fspath(filepath)
    if not isinstance(path, str):
        path = path.decode("utf8", "replace")
    lower = path.lower()
    if lower.endswith(".weights.h5"):
        return ".weights.h5"
    for s in (".h5", ".hdf5", ".keras"):
        if lower.endswith(s):
            return s
    return os.path.splitext(lower)[1]


def _check_path(filepath: Any, what: str) -> None:
    if not isinstance(filepath, (str, bytes, os.PathLike)):
        raise TypeError(f"{what}: `filepath` must be a path (str or os.PathLike), got "
                        f"{type(filepath).__name__}")


def save_model(model: Any, filepath: Any, overwrite: bool = True,
               include_optimizer: bool = True, **kwargs: Any) -> None:
    """`.h5`/`.hdf5`: the legacy HDF5 format that Keras 2 and Keras 3 load, compile and
    train; `.keras`: Keras 3's archive."""
    _check_path(filepath, "save")
    save_format = kwargs.pop("save_format", None)
    kwargs.pop("signatures", None)
    kwargs.pop("options", None)
    kwargs.pop("save_traces", None)
    if kwargs:
        raise TypeError(f"save() got unexpected keyword arguments {sorted(kwargs)}")
    suffix = _suffix(filepath)
    if save_format in ("h5", "keras") and suffix not in (".h5", ".hdf5", ".keras"):
        raise ValueError(f"save_format={save_format!r}: give the file name the suffix "
                         f"'.{save_format}' instead (Keras 3 picks the format from it)")
    if suffix == ".keras":
        keras_zip.save_model(model, filepath, overwrite=overwrite,
                             include_optimizer=include_optimizer)
        return
    if suffix == ".weights.h5":
        raise ValueError(f"{os.fspath(filepath)!r} names a weights file: use "
                         "model.save_weights() for '.weights.h5', or save the whole model "
                         "to '.keras' or '.h5'")
    if suffix not in (".h5", ".hdf5"):
        raise ValueError(f"Invalid filepath extension for saving: {os.fspath(filepath)!r}. "
                         "Use '.keras' (Keras 3 archive) or '.h5' (legacy HDF5, read by "
                         "Keras 2 and 3).")
    legacy_h5.save_model(model, filepath, overwrite=overwrite,
                         include_optimizer=include_optimizer)


def load_model(filepath: Any, custom_objects: dict | None = None, compile: bool = True,
               safe_mode: bool = True) -> Any:
    """Load a model from `.h5`/`.hdf5` (Keras 2, Keras 3 or minikeras) or `.keras`.

    Nothing in the file is ever executed: a Lambda layer whose function is stored as
    bytecode is refused whatever `safe_mode` says (a named function resolves through
    `custom_objects`), and class names resolve only to minikeras' classes and
    `custom_objects`."""
    _check_path(filepath, "load_model")
    suffix = _suffix(filepath)
    with h5_io.load_guard(os.fspath(filepath)):
        if suffix == ".keras":
            return keras_zip.load_model(filepath, custom_objects=custom_objects,
                                        compile=compile, safe_mode=safe_mode)
        if suffix == ".weights.h5":
            raise ValueError(f"{os.fspath(filepath)!r} is a weights file: build the model in "
                             "code and call model.load_weights() on it")
        if suffix not in (".h5", ".hdf5"):
            raise ValueError(f"File format not supported: {os.fspath(filepath)!r}. minikeras "
                             "loads '.keras', '.h5' and '.hdf5' model files.")
        return legacy_h5.load_model(filepath, custom_objects=custom_objects, compile=compile,
                                    safe_mode=safe_mode)


def save_weights(model: Any, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
    """`.weights.h5`: Keras 3 layout (read by Keras 2 and 3); `.h5`: Keras 2's legacy
    weights-only layout (Keras 3 can read but not write it)."""
    _check_path(filepath, "save_weights")
    kwargs.pop("save_format", None)
    kwargs.pop("options", None)
    if kwargs.pop("max_shard_size", None) is not None:
        raise ValueError("save_weights: max_shard_size (sharded weights) is not supported")
    if kwargs:
        raise TypeError(f"save_weights() got unexpected keyword arguments {sorted(kwargs)}")
    suffix = _suffix(filepath)
    if suffix == ".weights.h5":
        weights_h5.save_weights(model, filepath, overwrite=overwrite)
        return
    if suffix not in (".h5", ".hdf5"):
        raise ValueError(f"save_weights: the file name must end in '.weights.h5' (Keras 3 "
                         f"layout) or '.h5' (Keras 2 layout); got {os.fspath(filepath)!r}")
    weights_h5._require_built(model, "saving the weights of")
    legacy_h5.save_weights(model, filepath, overwrite=overwrite)


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False, by_name: bool = False,
                 **kwargs: Any) -> None:
    """Weights from `.weights.h5` (Keras 2/3 layout), `.keras`, or legacy `.h5` (weights-
    only or full-model). Legacy files match layers by position, or by name with
    `by_name=True`; `skip_mismatch=True` skips layers whose weights do not fit, with a
    warning. On any other mismatch nothing is changed and the error names the layer."""
    _check_path(filepath, "load_weights")
    kwargs.pop("options", None)
    if kwargs:
        raise TypeError(f"load_weights() got unexpected keyword arguments {sorted(kwargs)}")
    suffix = _suffix(filepath)
    with h5_io.load_guard(os.fspath(filepath), "load weights from"):
        if suffix in (".weights.h5", ".keras") and by_name:
            raise ValueError("by_name=True only applies to legacy '.h5' weights files; "
                             f"{os.fspath(filepath)!r} is matched by the model's structure")
        if suffix == ".weights.h5":
            weights_h5.load_weights(model, filepath, skip_mismatch=skip_mismatch)
            return
        if suffix == ".keras":
            keras_zip.load_weights_only(model, filepath, skip_mismatch=skip_mismatch)
            return
        weights_h5._require_built(model, "loading weights into")
        legacy_h5.load_weights(model, filepath, skip_mismatch=skip_mismatch, by_name=by_name)
