"""`Model`: a layer with the training API. `Model(inputs, outputs)` makes a functional
model; subclassing `Model` and writing `call` makes a subclassed one."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from minikeras.layers.layer import KerasTensor, Layer, flatten_structure
from minikeras.trainers.trainer import Trainer


class Model(Trainer, Layer):
    """Keras' `Model`. `Model(inputs=..., outputs=...)` returns a `Functional` model."""

    def __new__(cls, *args: Any, **kwargs: Any):
        if cls is Model and ("inputs" in kwargs or "outputs" in kwargs or
                             (args and _is_symbolic(args[0]))):
            from minikeras.models.functional import Functional

            return Layer.__new__(Functional)
        return Layer.__new__(cls)

    def __init__(self, *args: Any, name: str | None = None, trainable: bool = True,
                 dtype: Any = None, **kwargs: Any) -> None:
        if args:
            raise TypeError(f"{type(self).__name__}() got unexpected positional arguments; "
                            "for a functional model use Model(inputs, outputs)")
        for dropped in ("autocast",):
            kwargs.pop(dropped, None)
        Layer.__init__(self, name=name, trainable=trainable, dtype=dtype, **kwargs)
        self.compiled = False
        self.optimizer = None
        self.stop_training = False
        self.history = None

    def _set_mask_metadata(self, inputs: Any, outputs: Any, previous_mask: Any) -> None:
        """A model's outputs carry the masks its own layers gave them: nothing to add."""

    def build(self, input_shape: Any) -> None:
        self.built = True

    @property
    def layers(self) -> list:
        return list(self._layers)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        if index is not None and name is not None:
            raise ValueError("get_layer: give either `name` or `index`, not both")
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"get_layer: index {index} is out of range; the model has "
                                 f"{len(layers)} layers")
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            from minikeras.utils.naming import closest

            guess = closest(name, [layer.name for layer in layers])
            raise ValueError(f"No such layer: {name!r}. Existing layers are "
                             f"{[layer.name for layer in layers]}" +
                             (f". Did you mean {guess!r}?" if guess else ""))
        raise ValueError("get_layer needs a `name` or an `index`")

    # --- saving (implemented in minikeras.saving) -------------------------------------
    def save(self, filepath: Any, overwrite: bool = True, include_optimizer: bool = True,
             **kwargs: Any) -> None:
        """`.h5`/`.hdf5`: the legacy HDF5 format that Keras 2 and 3 both read;
        `.keras`: Keras 3's zip archive."""
        from minikeras.saving import saving_api

        saving_api.save_model(self, filepath, overwrite=overwrite,
                              include_optimizer=include_optimizer, **kwargs)

    def save_weights(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        from minikeras.saving import saving_api

        saving_api.save_weights(self, filepath, overwrite=overwrite, **kwargs)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, by_name: bool = False,
                     **kwargs: Any) -> None:
        from minikeras.saving import saving_api

        saving_api.load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name,
                                **kwargs)

    def to_json(self, **kwargs: Any) -> str:
        from minikeras.saving.legacy_h5 import model_config_dict

        return json.dumps(model_config_dict(self), **kwargs)

    # --- summary ----------------------------------------------------------------------
    def summary(self, line_length: int | None = None, positions: Any = None,
                print_fn: Any = None, expand_nested: bool = False, show_trainable: bool = False,
                layer_range: Any = None) -> None:
        """Keras 3's table: one row per layer with its output shape and parameter count."""
        print_fn = print_fn or print
        widths = [33, 24, 15]
        if line_length:
            scale = line_length / (sum(widths) + 4)
            widths = [max(8, int(w * scale)) for w in widths]

        def row(cells, left="\u2502", mid="\u2502", right="\u2502"):
            parts = [f" {cells[0]:<{widths[0] - 2}} ", f" {cells[1]:<{widths[1] - 2}} ",
                     f" {cells[2]:>{widths[2] - 2}} "]
            return left + mid.join(parts) + right

        def rule(left, mid, right, ch):
            return left + mid.join(ch * w for w in widths) + right

        lines = [f'Model: "{self.name}"']
        lines.append(rule("\u250f", "\u2533", "\u2513", "\u2501"))
        lines.append(row(["Layer (type)", "Output Shape", "Param #"], "\u2503", "\u2503",
                         "\u2503"))
        lines.append(rule("\u2521", "\u2547", "\u2529", "\u2501"))
        entries = self._summary_rows()
        for i, (label, shape, params) in enumerate(entries):
            lines.append(row([label, shape, params]))
            if i < len(entries) - 1:
                lines.append(rule("\u251c", "\u253c", "\u2524", "\u2500"))
        lines.append(rule("\u2514", "\u2534", "\u2518", "\u2500"))
        weights = self.weights
        total = sum(int(np.prod(w.shape)) for w in weights)
        trainable = sum(int(np.prod(w.shape)) for w in self.trainable_weights)
        nbytes = sum(w.value.nbytes for w in weights)
        tbytes = sum(w.value.nbytes for w in self.trainable_weights)
        lines.append(f" Total params: {total:,} ({_human_bytes(nbytes)})")
        lines.append(f" Trainable params: {trainable:,} ({_human_bytes(tbytes)})")
        lines.append(f" Non-trainable params: {total - trainable:,} "
                     f"({_human_bytes(nbytes - tbytes)})")
        if self.optimizer is not None and getattr(self.optimizer, "built", False):
            opt_vars = self.optimizer.variables
            n = sum(int(np.prod(v.shape)) for v in opt_vars)
            b = sum(v.value.nbytes for v in opt_vars)
            lines.append(f" Optimizer params: {n:,} ({_human_bytes(b)})")
        for line in lines:
            print_fn(line)

    def _summary_rows(self) -> list:
        rows = []
        for layer in self.layers:
            try:
                shape = str(layer.output_shape)
            except (AttributeError, ValueError):
                shape = "?"
            params = str(layer.count_params()) if layer.built else "0 (unbuilt)"
            rows.append((f"{layer.name} ({type(layer).__name__})", shape, params))
        return rows

    # --- config -----------------------------------------------------------------------
    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Model":
        if "layers" in config and ("input_layers" in config or "output_layers" in config):
            from minikeras.models.functional import Functional

            return Functional.from_config(config, custom_objects)
        try:
            return cls(**config)
        except TypeError as e:
            raise TypeError(f"Unable to rebuild {cls.__name__} from its config: {e}. A "
                            "subclassed model needs get_config/from_config") from e


def _is_symbolic(x: Any) -> bool:
    return any(isinstance(t, KerasTensor) for t in flatten_structure(x))


def _human_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} GB"
