"""`Model`: a layer with the training API. `Model(inputs, outputs)` makes a functional
model; subclassing `Model` and writing `call` makes a subclassed one."""

from __future__ import annotations

import json
from typing import Any

from minikeras.layers.layer import KerasTensor, Layer, flatten_structure
from minikeras.trainers.trainer import Trainer


_FUNCTIONAL_SUBCLASSES: dict = {}


def _functional_subclass(cls: type) -> type:
    """`cls` with Functional behind it: what a Model subclass built from inputs and outputs
    becomes (same name and module; `isinstance(model, cls)` holds)."""
    from minikeras.models.functional import Functional

    if cls not in _FUNCTIONAL_SUBCLASSES:
        _FUNCTIONAL_SUBCLASSES[cls] = type(cls.__name__, (cls, Functional),
                                           {"__module__": cls.__module__,
                                            "__qualname__": cls.__qualname__,
                                            "_functional_of": cls})
    return _FUNCTIONAL_SUBCLASSES[cls]


class Model(Trainer, Layer):
    """Keras' `Model`. `Model(inputs=..., outputs=...)` returns a `Functional` model."""

    # a model's layers each cast their own inputs (Keras 3's Functional does not cast either)
    _convert_input_args = False

    def __new__(cls, *args: Any, **kwargs: Any):
        if cls is Model and ("inputs" in kwargs or "outputs" in kwargs or
                             (args and _is_symbolic(args[0]))):
            from minikeras.models.functional import Functional

            return Layer.__new__(Functional)
        return Layer.__new__(cls)

    def __init__(self, *args: Any, name: str | None = None, trainable: bool = True,
                 dtype: Any = None, **kwargs: Any) -> None:
        if ("inputs" in kwargs or "outputs" in kwargs or (args and _is_symbolic(args[0]))):
            from minikeras.models.functional import Functional

            if not isinstance(self, Functional):
                # a subclass given inputs and outputs is a functional model, as in Keras 3
                # (which puts Functional among the subclass' bases)
                self.__class__ = _functional_subclass(type(self))
                Functional.__init__(self, *args, name=name, trainable=trainable, **kwargs)
                return
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
        from minikeras.models.config_forms import model_config_dict

        return json.dumps(model_config_dict(self), **kwargs)

    # --- summary ----------------------------------------------------------------------
    def summary(self, line_length: int | None = None, positions: Any = None,
                print_fn: Any = None, expand_nested: bool = False, show_trainable: bool = False,
                layer_range: Any = None) -> None:
        """Keras 3's table: one row per layer with its output shape and parameter count
        (and what it is connected to, for a graph that is not a chain), then the totals
        (see minikeras/utils/summary_utils.py). A custom `print_fn` gets the whole text in
        one call, as in Keras 3."""
        from minikeras.utils import summary_utils

        connected = self._summary_connected()
        rows = _layer_range(self._summary_table(connected, show_trainable, expand_nested, 0),
                            self.layers, layer_range)
        summary_utils.print_summary(self, rows, connected, line_length, positions, print_fn,
                                    show_trainable)

    def _summary_table(self, connected: bool, show_trainable: bool, expand_nested: bool,
                       level: int) -> list:
        """One row per layer (a list of rows per layer, with `expand_nested` the rows of a
        nested model's layers follow it, their names prefixed with "└ " as in Keras)."""
        out = []
        for row, layer in zip(self._summary_rows(), self.layers):
            if level:
                row[0] = "   " * level + "\u2514 " + row[0]
            if connected:
                row.append(self._summary_connections(layer) if not level else "-")
            if show_trainable:
                row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
            nested = []
            if expand_nested and isinstance(layer, Model) and layer.layers:
                nested = layer._summary_table(connected, show_trainable, True, level + 1)
            out.append([row] + [r for group in nested for r in group])
        return out

    def _summary_connected(self) -> bool:
        """Whether the summary has a "Connected to" column (a graph that is not a chain)."""
        return False

    def _summary_connections(self, layer: Any) -> str:
        return "-"

    def _summary_rows(self) -> list:
        rows = []
        for layer in self.layers:
            try:
                shape = _format_shape(layer.output_shape)
            except (AttributeError, ValueError):
                shape = "?"
            rows.append([f"{layer.name} ({type(layer).__name__})", shape,
                         _format_params(layer)])
        return rows

    # --- config -----------------------------------------------------------------------
    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Model":
        if "layers" in config and ("input_layers" in config or "output_layers" in config):
            from minikeras.models.functional import Functional

            graph = Functional.from_config(config, custom_objects)
            target = getattr(cls, "_functional_of", cls)
            if target is Model or issubclass(Functional, target):
                return graph
            # a Model subclass saved as a functional graph (Keras 3 rebuilds that class)
            return target(inputs=graph._inputs_struct, outputs=graph._outputs_struct,
                          name=graph.name)
        try:
            return cls(**config)
        except TypeError as e:
            raise TypeError(f"Unable to rebuild {cls.__name__} from its config: {e}. A "
                            "subclassed model needs get_config/from_config") from e


def _is_symbolic(x: Any) -> bool:
    return any(isinstance(t, KerasTensor) for t in flatten_structure(x))


def _format_params(layer: Any) -> str:
    """Keras 3: "1,344", or "0 (unbuilt)" for a layer without weights yet."""
    return f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"


def _format_shape(shape: Any) -> str:
    from minikeras.utils.summary_utils import format_shape

    return format_shape(shape)


def _layer_range(groups: list, layers: list, layer_range: Any) -> list:
    """The rows of each layer (`groups`, one list per layer); with `layer_range=(first,
    last)` only those from the first layer whose name matches `first` (a regex) to the last
    whose name matches `last`, as Keras."""
    if layer_range is None:
        return [row for group in groups for row in group]
    import re

    if not isinstance(layer_range, (list, tuple)) or len(layer_range) != 2 or \
            not all(isinstance(p, str) for p in layer_range):
        raise ValueError(f"layer_range must be a list or tuple of two layer names (or regexes), "
                         f"got layer_range={layer_range!r}")
    low = [i for i, x in enumerate(layers) if re.match(layer_range[0], x.name)]
    high = [i for i, x in enumerate(layers) if re.match(layer_range[1], x.name)]
    if not low or not high:
        raise ValueError(f"layer_range={layer_range!r} matches no layer name; the layers are "
                         f"{[x.name for x in layers]}")
    if min(low) > max(high):
        low, high = high, low
    return [row for group in groups[min(low):max(high) + 1] for row in group]
