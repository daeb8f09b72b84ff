"""`Sequential`: a plain stack of layers, each feeding the next."""

from __future__ import annotations

import warnings
from typing import Any
from collections.abc import Callable

from minikeras.autodiff.masks import get_keras_mask, set_keras_mask
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.core import InputLayer
from minikeras.layers.layer import KerasTensor, Layer
from minikeras.models.model import Model
from minikeras.models.input_rank import adjust_input_rank
from minikeras.models.train_plan import plan_layer_stack


class Sequential(Model):
    """Built from a list, or one `add` at a time. The input shape comes from an `Input`/
    `InputLayer`, from the first layer's `input_dim`/`input_shape`/`batch_input_shape`, or
    from the first data the model sees (lazy build)."""

    def __init__(self, layers: Any = None, trainable: bool = True, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._stack: list[Layer] = []
        # the names in `_stack`, kept in step with it, so that the unique-name check of
        # `add` costs O(1) and building n layers O(n) (a scan made it O(n^2))
        self._stack_names: set[str] = set()
        self._input_layer: InputLayer | None = None
        self._build_shape: tuple | None = None
        self._inputs_list: list = []
        self._outputs_list: list = []
        if layers is not None:
            if not isinstance(layers, (list, tuple)):
                raise TypeError(f"Sequential expects a list of layers, got "
                                f"{type(layers).__name__}")
            for layer in layers:
                self.add(layer, rebuild=False)
            self._rebuild()

    # --- structure --------------------------------------------------------------------
    def add(self, layer: Any, rebuild: bool = True) -> None:
        if isinstance(layer, KerasTensor):
            origin = layer._history[0] if layer._history else None
            if not isinstance(origin, InputLayer):
                raise ValueError("Sequential.add only accepts a KerasTensor made by "
                                 "keras.Input(...)")
            layer = origin
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a Layer instance, got {layer!r} of type "
                            f"{type(layer).__name__}")
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError("Sequential: an InputLayer can only be the first layer")
            self._input_layer = layer
            object.__setattr__(self, "_build_shape", tuple(layer.batch_shape))
        else:
            if layer.name in self._stack_names and self._name_taken(layer.name):
                raise ValueError(f"All layers added to a Sequential model should have unique "
                                 f"names. Name {layer.name!r} is already the name of a layer in "
                                 "this model.")
            if not self._stack and self._input_layer is None and \
                    layer._batch_input_shape is not None:
                self._input_layer = InputLayer(batch_shape=layer._batch_input_shape,
                                               dtype=layer.dtype)
            self._stack.append(layer)
            self._stack_names.add(layer.name)
            self._layers.append(layer)
        if rebuild:
            self._rebuild()

    def _name_taken(self, name: str) -> bool:
        """Confirms a hit of `_stack_names` (a layer renamed after `add` leaves a stale
        name there: rebuild the set then; a rare path, so the scan does not matter)."""
        self._stack_names = {layer.name for layer in self._stack}
        return name in self._stack_names

    def pop(self, rebuild: bool = True) -> Layer:
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        self._stack_names.discard(layer.name)
        if self._layers and self._layers[-1] is layer:
            self._layers.pop()
        else:
            self._layers.remove(layer)
        self.built = False
        self._outputs_list = []
        if rebuild:
            self._rebuild()
        return layer

    def _rebuild(self) -> None:
        """With a known input shape, build every layer now and wire the symbolic graph
        (so that summary(), model.input/output and get_weights work before any data)."""
        if self._input_layer is None or not self._stack:
            return
        x = self._input_layer._output_tensor
        for layer in self._stack:
            x = layer(x)
        self._inputs_list = [self._input_layer._output_tensor]
        self._outputs_list = [x]
        self._build_shape = tuple(self._input_layer.batch_shape)
        self.built = True

    @property
    def layers(self) -> list:
        return list(self._stack)

    @property
    def input_names(self) -> list[str]:
        return [self._input_layer.name] if self._input_layer is not None else ["input"]

    @property
    def output_names(self) -> list[str]:
        return [self._stack[-1].name] if self._stack else ["output"]

    @property
    def inputs(self) -> list:
        """The input tensors; as in Keras 3, an AttributeError (so `hasattr` is False)
        until the model knows its input shape."""
        if not self._inputs_list:
            raise AttributeError(f"Sequential model '{self.name}' has no defined inputs yet.")
        return self._inputs_list

    @property
    def outputs(self) -> list:
        if not self._outputs_list:
            raise AttributeError(f"Sequential model '{self.name}' has no defined outputs yet.")
        return self._outputs_list

    @property
    def input(self) -> Any:
        if not self._inputs_list:
            raise AttributeError(f"Sequential model {self.name!r} has no defined input yet")
        return self._inputs_list[0]

    @property
    def output(self) -> Any:
        if not self._outputs_list:
            raise AttributeError(f"Sequential model {self.name!r} has no defined output yet")
        return self._outputs_list[0]

    @property
    def input_shape(self) -> Any:
        if self._build_shape is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input shape "
                                 "yet.")
        return self._build_shape

    @property
    def output_shape(self) -> Any:
        if not self._outputs_list:
            raise AttributeError(f"Sequential model '{self.name}' has no defined output "
                                 "shape yet.")
        return self.output.shape

    def _expected_input_shapes(self) -> list | None:
        return [self._build_shape] if self._build_shape is not None else None

    # --- computing --------------------------------------------------------------------
    def build(self, input_shape: Any = None) -> None:
        if input_shape is None:
            input_shape = self._build_shape
        if input_shape is None:
            raise ValueError("Sequential.build needs an input shape")
        if self._input_layer is None:
            self._input_layer = InputLayer(batch_shape=(None,) + tuple(input_shape[1:]))
        self._rebuild()

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        x = inputs
        if self._input_layer is not None:  # Keras' trailing size-1 axis rule (input_rank)
            x = adjust_input_rank(x, tuple(self._input_layer.batch_shape))
        if mask is not None and isinstance(x, Tensor):
            set_keras_mask(x, mask)
        for layer in self._stack:
            if (type(x) is Tensor and x.value.dtype is layer._np_dtype and layer._is_plain()
                    and get_keras_mask(x) is None):
                x = layer.call(x)  # what layer(x) would do, without its bookkeeping
            else:
                x = layer(x, training=training)
        return x

    def _make_train_plan(self) -> Callable | None:
        """See `train_plan.plan_layer_stack`: the layers of the stack, in order."""
        layers = self._chain_layers()
        return None if layers is None else plan_layer_stack(self, layers)

    def _chain_layers(self) -> list | None:
        """The layers the model's call applies one after the other (None: a subclass with
        its own call)."""
        if type(self).call is not Sequential.call or \
                type(self).__call__ is not Sequential.__call__:
            return None
        return self._stack

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self._stack:
            raise ValueError(f"Sequential model {self.name!r} has no layers: add some before "
                             "calling it")
        out = super().__call__(*args, **kwargs)
        if self._build_shape is None and args and hasattr(args[0], "shape"):
            # first data seen: remember the input shape, as Keras' deferred build does
            self._build_shape = (None,) + tuple(args[0].shape[1:])
        return out

    def _maybe_build(self, input_shape: Any) -> None:
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = input_shape
        for layer in self._stack:
            layer._maybe_build(shape)
            shape = layer.compute_output_shape(shape)
        return shape

    # --- Keras 2 spellings (removed in tf_keras 2.6 / Keras 3; kept, see decisions.md) ---
    def predict_classes(self, x: Any, batch_size: int = 32, verbose: Any = 0) -> Any:
        """Keras 2.3: the argmax of `predict` over the last axis, or, for a one-unit
        output, `(p > 0.5).astype("int32")` (shape (n, 1))."""
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self, x: Any, batch_size: int = 32, verbose: Any = 0) -> Any:
        """Keras 2.3: `predict`, with its warning when the outputs leave [0, 1]."""
        preds = self.predict(x, batch_size=batch_size, verbose=verbose)
        if preds.min() < 0.0 or preds.max() > 1.0:
            warnings.warn("Network returning invalid probability values. The last layer "
                          "might not normalize predictions into probabilities (like softmax "
                          "or sigmoid would).", stacklevel=2)
        return preds

    def _summary_rows(self) -> list:
        from minikeras.models.model import _format_params
        from minikeras.utils.summary_utils import format_shape

        rows = []
        shape = self._build_shape
        for layer in self._stack:
            if shape is not None:
                try:
                    shape = layer.compute_output_shape(shape)
                except Exception:  # noqa: BLE001 - summary must not fail on exotic layers
                    shape = None
            rows.append([f"{layer.name} ({type(layer).__name__})",
                         format_shape(shape) if shape is not None else "?",
                         _format_params(layer)])
        return rows

    # --- config -----------------------------------------------------------------------
    def get_config(self) -> dict:
        from minikeras.models.config_forms import serialize_layer

        layers = []
        if self._build_shape is not None:
            input_layer = self._input_layer or InputLayer(
                batch_shape=self._build_shape,
                name=f"{self._stack[0].name}_input" if self._stack else "input_layer")
            layers.append(serialize_layer(input_layer))
        layers.extend(serialize_layer(layer) for layer in self._stack)
        return {"name": self.name, "layers": layers}

    @classmethod
    def from_config(cls, config: Any, custom_objects: dict | None = None) -> "Sequential":
        """Keras 2/3 configs (`{"name", "layers"}`) and Keras <= 2.2's bare list of layers."""
        from minikeras.layers import deserialize as deserialize_layer

        if isinstance(config, list):
            name, layer_configs = None, config
        else:
            name, layer_configs = config.get("name"), config.get("layers", [])
        model = cls(name=name)
        for entry in layer_configs:
            layer = deserialize_layer(entry, custom_objects)
            model.add(layer, rebuild=False)
        if model._input_layer is None and config and isinstance(config, dict) and \
                config.get("build_input_shape"):
            model._input_layer = InputLayer(batch_shape=tuple(config["build_input_shape"]))
        model._rebuild()
        return model

