"""Embedding (token ids -> vectors) and Masking (skip timesteps equal to a value)."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import constraints, initializers, regularizers
from minikeras.autodiff import primitives as P
from minikeras.autodiff.rnn_primitives import embedding_lookup
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.layer import Layer


def _ser(obj: Any) -> Any:
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(obj)


def _positive_int(layer: str, name: str, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{layer}: `{name}` must be a positive integer, got {name}={value!r}")
    return int(value)


class Embedding(Layer):
    """Keras 3's Embedding(input_dim, output_dim, embeddings_initializer='uniform'
    (U(-0.05, 0.05)), embeddings_regularizer, embeddings_constraint, mask_zero=False);
    weight `embeddings` of shape (input_dim, output_dim). Keras 2's `input_length` sets the
    input shape (None, input_length) as Keras 2 did (Keras 3 ignores it).

    Token ids must be integers in [0, input_dim): others raise a ValueError (Keras on JAX
    would silently clip them). With `mask_zero=True`, id 0 is padding: the output carries the
    mask `ids != 0` for the layers after it.
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, embeddings_constraint: Any = None,
                 mask_zero: bool = False, weights: Any = None, lora_rank: Any = None,
                 input_length: int | None = None, **kwargs: Any) -> None:
        if lora_rank:
            raise ValueError("Embedding: LoRA (lora_rank) is not supported by minikeras")
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        if input_length is not None and kwargs.get("input_shape") is None and \
                kwargs.get("batch_input_shape") is None:
            kwargs["input_shape"] = (input_length,)  # Keras 2
        # indices are not cast to the layer's float dtype (Keras 3 passes autocast=False too)
        kwargs.setdefault("autocast", False)
        super().__init__(activity_regularizer=activity_regularizer, weights=weights, **kwargs)
        self.input_dim = _positive_int("Embedding", "input_dim", input_dim)
        self.output_dim = _positive_int("Embedding", "output_dim", output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.input_length = input_length

    def build(self, input_shape: Any = None) -> None:
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          name="embeddings",
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True

    def _convert_inputs(self, inputs: Any) -> Any:
        if isinstance(inputs, Tensor):
            return inputs
        arr = np.asarray(inputs)
        if arr.dtype.kind in "iu":
            return Tensor(arr)  # keep integer ids integers
        return super()._convert_inputs(inputs)

    def _ids(self, inputs: Any) -> np.ndarray:
        v = np.asarray(getattr(inputs, "value", inputs))
        if v.dtype.kind in "iu":
            ids = v
        elif v.dtype.kind == "f":
            if not np.all(np.isfinite(v)) or np.any(v != np.round(v)):
                bad = v[~np.isfinite(v) | (v != np.round(v))].ravel()[:5]
                raise ValueError(f"Layer {self.name!r} (Embedding) expects integer token ids; "
                                 f"received non-integer values such as {bad.tolist()} in an "
                                 f"input of shape {v.shape}")
            ids = v.astype(np.int64)
        elif v.dtype.kind == "b":
            ids = v.astype(np.int64)
        else:
            raise ValueError(f"Layer {self.name!r} (Embedding) expects integer token ids, "
                             f"received dtype {v.dtype} (shape {v.shape})")
        if ids.size and (ids.min() < 0 or ids.max() >= self.input_dim):
            bad = ids[(ids < 0) | (ids >= self.input_dim)].ravel()[:5]
            raise ValueError(f"Layer {self.name!r} (Embedding): token ids must lie in [0, "
                             f"input_dim) = [0, {self.input_dim}); received {bad.tolist()} "
                             f"in an input of shape {v.shape}")
        return ids

    def call(self, inputs: Any) -> Tensor:
        out = embedding_lookup(self.embeddings, self._ids(inputs))
        # as Keras 3: the output in the compute dtype (mixed policies: float16)
        return out if out.value.dtype == self._np_dtype else P.cast(out, self._np_dtype)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if not self.mask_zero:
            return None
        return np.asarray(getattr(inputs, "value", inputs)) != 0

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": _ser(self.embeddings_initializer),
            "embeddings_regularizer": _ser(self.embeddings_regularizer),
            "activity_regularizer": _ser(self.activity_regularizer),
            "embeddings_constraint": _ser(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        })
        if self.input_length is not None:
            cfg["input_length"] = self.input_length
        return cfg


class Masking(Layer):
    """Keras 3's Masking(mask_value=0.0): a timestep whose features all equal `mask_value`
    is masked (mask = any(x != mask_value, axis=-1)) and its features are set to 0."""

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> np.ndarray:
        v = np.asarray(getattr(inputs, "value", inputs))
        return np.any(v != self.mask_value, axis=-1)

    def call(self, inputs: Tensor) -> Tensor:
        keep = np.any(inputs.value != self.mask_value, axis=-1, keepdims=True)
        out = P.multiply(inputs, keep.astype(inputs.value.dtype))
        out._keras_mask = keep[..., 0]
        return out

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return input_shape

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["mask_value"] = self.mask_value
        return cfg
