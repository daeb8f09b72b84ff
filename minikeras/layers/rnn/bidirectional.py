"""Bidirectional: a recurrent layer run forwards and a copy run backwards, merged."""

from __future__ import annotations

import copy
from typing import Any

from minikeras.autodiff import primitives as P
from minikeras.layers.layer import Layer
from minikeras.layers.rnn.rnn import _as_list

_MODES = ("sum", "mul", "ave", "concat", None)


def _copy_layer(layer: Layer, **changes: Any) -> Layer:
    from minikeras.layers import deserialize
    from minikeras.saving.serialization import serialize_keras_object

    cfg = copy.deepcopy(serialize_keras_object(layer))
    cfg["config"].update(changes)
    return deserialize(cfg)


class Bidirectional(Layer):
    """Keras 3's Bidirectional(layer, merge_mode='concat', weights=None,
    backward_layer=None). The forward layer is a copy of `layer` named `forward_<name>`,
    the backward one a copy with `go_backwards` flipped named `backward_<name>` (or
    `backward_layer`). The backward outputs are reversed back in time before merging;
    masked steps output zeros when sequences are returned (Keras 3)."""

    def __init__(self, layer: Layer, merge_mode: str | None = "concat", weights: Any = None,
                 backward_layer: Layer | None = None, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError("Please initialize `Bidirectional` layer with a "
                             f"`keras.layers.Layer` instance. Received: {layer!r}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError("`backward_layer` need to be a `keras.layers.Layer` instance. "
                             f"Received: {backward_layer!r}")
        if merge_mode not in _MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode!r}. Merge mode "
                             "should be one of {'sum', 'mul', 'ave', 'concat', None}")
        super().__init__(**kwargs)
        name = layer.name[len("forward_"):] if layer.name.startswith("forward_") else layer.name
        self.forward_layer = _copy_layer(layer, name=f"forward_{name}")
        if backward_layer is None:
            bname = layer.name[len("backward_"):] if layer.name.startswith("backward_") \
                else layer.name
            self.backward_layer = _copy_layer(layer, name=f"backward_{bname}",
                                              go_backwards=not layer.go_backwards)
        else:
            self.backward_layer = backward_layer
        fw, bw = self.forward_layer, self.backward_layer
        if fw.go_backwards == bw.go_backwards:
            raise ValueError("Forward layer and backward layer should have different "
                             f"`go_backwards` value. Received: forward_layer.go_backwards "
                             f"{fw.go_backwards}, backward_layer.go_backwards="
                             f"{bw.go_backwards}")
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(fw, attr) != getattr(bw, attr):
                raise ValueError(f"Forward layer and backward layer are expected to have the "
                                 f"same value for attribute {attr!r}, got "
                                 f"{getattr(fw, attr)!r} for forward layer and "
                                 f"{getattr(bw, attr)!r} for backward layer")
        for sub in (fw, bw):
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        if weights:
            self._initial_weights = list(weights)

    def build(self, input_shape: Any, initial_state_shape: Any = None) -> None:
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub._maybe_build(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape: Any, initial_state_shape: Any = None) -> Any:
        out = self.forward_layer.compute_output_shape(input_shape)
        states: list = []
        if self.return_state:
            out, states = out[0], list(out[1:])
        if self.merge_mode == "concat":
            out = tuple(out[:-1]) + (None if out[-1] is None else 2 * out[-1],)
        outs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            return outs + states + states
        return outs if self.merge_mode is None else out

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        mask = previous_mask[0] if isinstance(previous_mask, (list, tuple)) else previous_mask
        if self.return_sequences:
            out = [mask, mask] if self.merge_mode is None else [mask]
        else:
            out = [None, None] if self.merge_mode is None else [None]
        if self.return_state:
            n = len(self.forward_layer._flat_state_sizes())
            return out + [None] * (2 * n)
        return out if self.merge_mode is None else out[0]

    def call(self, sequences: Any, initial_state: Any = None, mask: Any = None,
             training: bool = False) -> Any:
        fw_state = bw_state = None
        if initial_state is not None:
            states = _as_list(initial_state)
            half = len(states) // 2
            fw_state, bw_state = states[:half], states[half:]
        y = self.forward_layer(sequences, initial_state=fw_state, mask=mask, training=training)
        y_rev = self.backward_layer(sequences, initial_state=bw_state, mask=mask,
                                    training=training)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = P.getitem(y_rev, (slice(None), slice(None, None, -1)))
        if self.merge_mode == "concat":
            out: Any = P.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            out = P.add(y, y_rev)
        elif self.merge_mode == "ave":
            out = P.divide(P.add(y, y_rev), 2.0)
        elif self.merge_mode == "mul":
            out = P.multiply(y, y_rev)
        else:
            out = [y, y_rev]
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + states
        return out

    def reset_states(self, states: Any = None) -> None:
        if not self.stateful:
            raise AttributeError("Layer must be stateful.")
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    reset_state = reset_states

    @property
    def states(self) -> Any:
        fw, bw = self.forward_layer.states, self.backward_layer.states
        return tuple(fw + bw) if fw and bw else None

    def get_config(self) -> dict:
        from minikeras.saving.serialization import serialize_keras_object

        cfg = super().get_config()
        cfg["merge_mode"] = self.merge_mode
        cfg["layer"] = serialize_keras_object(self.forward_layer)
        cfg["backward_layer"] = serialize_keras_object(self.backward_layer)
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Bidirectional":
        from minikeras.layers import deserialize

        config = copy.deepcopy(config)
        config["layer"] = deserialize(config["layer"], custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize(config["backward_layer"], custom_objects)
        return cls(**config)
