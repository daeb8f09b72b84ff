"""TimeDistributed: apply a layer to every timestep (axis 1) of its input."""

from __future__ import annotations

import copy
from typing import Any

from minikeras.autodiff import primitives as P
from minikeras.layers.layer import Layer


class TimeDistributed(Layer):
    """Keras 3's TimeDistributed(layer). minikeras folds the time axis into the batch axis
    and calls the layer once (Keras 3 calls it per timestep and stacks): the same numbers
    for layers that treat samples independently (Dense, Conv, ...). The input's mask passes
    through to the output."""

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError("Please initialize `TimeDistributed` layer with a "
                             f"`keras.layers.Layer` instance. Received: {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _child_shape(self, input_shape: Any) -> tuple:
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(f"Layer {self.name!r}: `TimeDistributed` Layer should be passed "
                             "an `input_shape` with at least 3 dimensions, received: "
                             f"{input_shape}")
        return (input_shape[0],) + tuple(input_shape[2:])

    def build(self, input_shape: Any) -> None:
        if not self.layer.built:
            self.layer._maybe_build(self._child_shape(input_shape))
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> tuple:
        child = self.layer.compute_output_shape(self._child_shape(input_shape))
        return (child[0], input_shape[1]) + tuple(child[1:])

    def call(self, inputs: Any, training: bool = False, mask: Any = None) -> Any:
        shape = inputs.shape
        if len(shape) < 3:
            self._child_shape(shape)
        B, T = shape[0], shape[1]
        flat = P.reshape(inputs, (B * T,) + tuple(shape[2:]))
        kwargs = {}
        if self.layer._call_has_training:
            kwargs["training"] = training
        if mask is not None and self.layer._call_has_mask:
            kwargs["mask"] = mask.reshape((B * T,) + mask.shape[2:])
        out = self.layer.call(flat, **kwargs)
        return P.reshape(out, (B, T) + tuple(out.shape[1:]))

    def get_config(self) -> dict:
        from minikeras.saving.serialization import serialize_keras_object

        cfg = super().get_config()
        cfg["layer"] = serialize_keras_object(self.layer)
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "TimeDistributed":
        from minikeras.layers import deserialize

        config = copy.deepcopy(config)
        layer = deserialize(config.pop("layer"), custom_objects)
        return cls(layer, **config)
