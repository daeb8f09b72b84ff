"""Dot-product (Luong) and additive (Bahdanau) attention, as Keras 3's
`keras.layers.Attention(use_scale=False, score_mode="dot", dropout=0.0, seed=None)` and
`keras.layers.AdditiveAttention(use_scale=True, dropout=0.0)`.

Called on `[query, value]` or `[query, value, key]` (key defaults to value) with
optional `mask=[query_mask, value_mask]`:
    scores  = query @ key^T (* scale)                      score_mode "dot"
            = concat_score_weight * sum(tanh((scale *) (q + k)), -1)   "concat"
            = sum(scale * tanh(q + k), -1)                  AdditiveAttention
    scores -= 1e9 where value_mask is False (or, with use_causal_mask, above the diagonal)
    weights = softmax(scores) (dropout on them in training)
    output  = weights @ value, zeroed where query_mask is False.
`return_attention_scores=True` also returns `weights` (after dropout, as Keras).
Everything is written with existing primitives (matmul, tanh, sum, where, softmax,
dropout), which carry the gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.layer import Layer
from minikeras.random import generator


def causal_mask(tq: int, tv: int) -> np.ndarray:
    """(1, tq, tv) booleans, True where a query position may see a key position (j <= i)."""
    return np.tril(np.ones((tq, tv), dtype=bool))[None]


def check_mask_shape(layer: Layer, name: str, mask: Any, expected: tuple) -> np.ndarray:
    """The mask as a boolean array, after checking it has the `expected` shape."""
    m = np.asarray(getattr(mask, "value", mask))
    if m.shape != tuple(expected):
        raise ValueError(f"{type(layer).__name__} layer '{layer.name}': `{name}` must have "
                         f"shape {tuple(expected)}, received a mask of shape {m.shape}")
    return m if m.dtype == bool else m > 0.5


class _BaseDenseAttention(Layer):
    """What Attention and AdditiveAttention share: input checks, masks, softmax."""

    def _validate_inputs(self, inputs: Any, mask: Any = None) -> None:
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{name} layer must be called on a list of inputs, namely "
                             f"[query, value] or [query, value, key]. Received: "
                             f"inputs={inputs!r}.")
        if len(inputs) < 2 or len(inputs) > 3:
            raise ValueError(f"{name} layer accepts inputs list of length 2 or 3, namely "
                             f"[query, value] or [query, value, key]. Received length: "
                             f"{len(inputs)}.")
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(f"{name} layer mask must be a list, namely [query_mask, "
                                 f"value_mask]. Received: mask={mask!r}.")
            if len(mask) < 2 or len(mask) > 3:
                raise ValueError(f"{name} layer accepts mask list of length 2 or 3. "
                                 f"Received: mask of length {len(mask)}.")

    def _check_shapes(self, shapes: list) -> None:
        if not shapes or not all(isinstance(s, (list, tuple)) for s in shapes):
            raise ValueError(f"{type(self).__name__} layer must be called on a list of "
                             f"inputs, namely [query, value] or [query, value, key]. "
                             f"Received an input of shape {tuple(shapes)}.")
        q, v = tuple(shapes[0]), tuple(shapes[1])
        k = tuple(shapes[2]) if len(shapes) > 2 else v
        name = f"{type(self).__name__} layer '{self.name}'"
        if len(q) != 3 or len(v) != 3 or len(k) != 3:
            raise ValueError(f"{name} expects query, value and key of rank 3 (batch, time, "
                             f"dim); received query {q}, value {v}, key {k}")
        if q[-1] is not None and k[-1] is not None and q[-1] != k[-1]:
            what = "key" if len(shapes) > 2 else "value"
            raise ValueError(f"{name}: the last dimension of query and {what} must be "
                             f"equal; received query shape {q} and {what} shape {k}")
        if v[1] is not None and k[1] is not None and v[1] != k[1]:
            raise ValueError(f"{name}: value and key must have the same number of "
                             f"timesteps; received value shape {v} and key shape {k}")

    def _symbolic_call(self, args: tuple, kwargs: dict) -> Any:
        # compute_output_shape needs to know whether the scores are returned too
        self._returning_scores = bool(kwargs.get("return_attention_scores"))
        try:
            return super()._symbolic_call(args, kwargs)
        finally:
            self._returning_scores = False

    def _calculate_scores(self, query: Tensor, key: Tensor) -> Tensor:
        raise NotImplementedError

    def call(self, inputs: Any, mask: Any = None, training: bool = False,
             return_attention_scores: bool = False, use_causal_mask: bool = False) -> Any:
        self._validate_inputs(inputs, mask)
        self._check_shapes([tuple(x.shape) for x in inputs])
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        b, tq, tv = q.shape[0], q.shape[1], v.shape[1]
        scores = self._calculate_scores(q, k)
        allowed = None
        if v_mask is not None:
            allowed = check_mask_shape(self, "value_mask", v_mask, (b, tv))[:, None, :]
        if use_causal_mask:
            c = causal_mask(tq, tv)
            allowed = c if allowed is None else allowed & c
        if allowed is not None:
            scores = P.where(allowed, scores, P.subtract(scores, 1e9))
        weights = P.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = P.dropout(weights, self.dropout, self._rng or generator())
        out = P.matmul(weights, v)
        if q_mask is not None:
            qm = check_mask_shape(self, "query_mask", q_mask, (b, tq))
            out = P.where(qm[:, :, None], out, 0.0)
        return (out, weights) if return_attention_scores else out

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if previous_mask is None or not isinstance(previous_mask, (list, tuple)) or \
                previous_mask[0] is None:
            return None
        return np.asarray(getattr(previous_mask[0], "value", previous_mask[0]))

    def compute_output_shape(self, input_shape: Any) -> Any:
        q, v = tuple(input_shape[0]), tuple(input_shape[1])
        k = tuple(input_shape[2]) if len(input_shape) > 2 else v
        out = (*q[:-1], v[-1])
        if getattr(self, "_returning_scores", False):
            return [out, (*q[:-1], k[-2])]
        return out


class Attention(_BaseDenseAttention):
    """Keras 3's Attention (see the module docstring). Weights: `scale` (shape (), ones)
    when use_scale, then `concat_score_weight` (shape (), ones) in score_mode "concat"."""

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any) -> None:
        if score_mode not in ("dot", "concat"):
            raise ValueError("Invalid value for argument score_mode. Expected one of "
                             f"{{'dot', 'concat'}}. Received: score_mode={score_mode}")
        if not 0 <= float(dropout) <= 1:
            raise ValueError(f"{type(self).__name__}: `dropout` must be in [0, 1], "
                             f"received dropout={dropout}")
        super().__init__(**kwargs)
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self._rng = generator(seed) if seed is not None else None
        self.supports_masking = True
        self.scale = None
        self.concat_score_weight = None

    def build(self, input_shape: Any) -> None:
        self._validate_inputs(input_shape)
        self._check_shapes(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(),
                                                       initializer="ones")
        self.built = True

    def _calculate_scores(self, query: Tensor, key: Tensor) -> Tensor:
        if self.score_mode == "dot":
            scores = P.matmul(query, P.transpose(key, (0, 2, 1)))
            return scores if self.scale is None else P.multiply(scores, self.scale)
        s = P.add(P.expand_dims(query, -2), P.expand_dims(key, -3))  # (B, Tq, Tv, dim)
        if self.scale is not None:
            s = P.multiply(self.scale, s)
        return P.multiply(self.concat_score_weight, P.sum(P.tanh(s), axis=-1))

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"use_scale": self.use_scale, "score_mode": self.score_mode,
                    "dropout": self.dropout, "seed": self.seed})
        return cfg


class AdditiveAttention(Attention):
    """Keras 3's AdditiveAttention (see the module docstring). Weight: `scale` of shape
    (dim,), glorot_uniform, when use_scale."""

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any) -> None:
        kwargs.pop("score_mode", None)
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape: Any) -> None:
        self._validate_inputs(input_shape)
        self._check_shapes(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(input_shape[0][-1],),
                                         initializer="glorot_uniform")
        self.built = True

    def _calculate_scores(self, query: Tensor, key: Tensor) -> Tensor:
        t = P.tanh(P.add(P.expand_dims(query, -2), P.expand_dims(key, -3)))
        if self.scale is not None:
            t = P.multiply(self.scale, t)
        return P.sum(t, axis=-1)

    def get_config(self) -> dict:
        cfg = super().get_config()
        del cfg["score_mode"]
        return cfg
