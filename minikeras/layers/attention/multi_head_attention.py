"""`MultiHeadAttention`, as Keras 3's `keras.layers.MultiHeadAttention`.

    query (B, T, dim_q), value (B, S, dim_v), key (B, S, dim_k) = value by default
    q = query_dense(query)   (B, T, N, key_dim)      EinsumDense "abc,cde->abde"
    k = key_dense(key)       (B, S, N, key_dim)
    v = value_dense(value)   (B, S, N, value_dim)
    scores = softmax over S of einsum(k, q / sqrt(key_dim)) -> (B, N, T, S), masked
    out = output_dense(einsum(scores, v))   (B, T, output_shape or dim_q)

Sublayers and weights are Keras 3's: attributes `query_dense`, `key_dense`,
`value_dense`, `output_dense` (EinsumDense layers named query, key, value,
attention_output; kernels (dim, N, key_dim), biases (N, key_dim), output kernel
(N, value_dim, out)); with `use_gate`, `_gate_dense` (named gate, sigmoid, on the query;
it multiplies the attention output before `output_dense`) between key and value; plus
`_softmax` and `_dropout_layer` (no weights), so the paths in .weights.h5/.keras files
are Keras' (`.../query_dense/vars/0`, ...).

Masks, as Keras 3.15: the query's mask is the Keras mask attached to `query` (an explicit
`query_mask` argument is overwritten by it, as in Keras); `value_mask`/`key_mask` default
to the masks attached to `value`/`key`; they are combined with `attention_mask` and the
causal mask into a (B, T, S) mask. Keras runs two paths that differ only for a query row
where every key is masked: with dropout > 0 or `return_attention_scores`, the masked
softmax (Keras' Softmax layer) gives zeros there; otherwise the fused dot-product attention
gives uniform weights there. Both are reproduced. The output carries the query's mask.

Only the default `attention_axes` (the time axis of rank-3 inputs) is implemented.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minikeras import constraints, initializers, regularizers
from minikeras.autodiff import math_primitives as M
from minikeras.autodiff import primitives as P
from minikeras.autodiff.masks import get_keras_mask
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.attention.attention import causal_mask, check_mask_shape
from minikeras.layers.core import Dropout
from minikeras.layers.activation_layers import Softmax
from minikeras.layers.einsum_dense import EinsumDense
from minikeras.layers.layer import KerasTensor, Layer, flatten_structure


def _ser(obj: Any) -> Any:
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(obj)


def _positive_int(name: str, value: Any, arg: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name}: `{arg}` must be a positive integer, received "
                         f"{arg}={value!r}")
    return int(value)


class MultiHeadAttention(Layer):
    """Keras 3's MultiHeadAttention (see the module docstring)."""

    _keras3_node_form = True  # its nodes are saved in Keras 3's {"args", "kwargs"} form

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None,
                 dropout: float = 0.0, use_bias: bool = True, output_shape: Any = None,
                 attention_axes: Any = None, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 seed: int | None = None, use_gate: bool = False, sliding_window: Any = None,
                 flash_attention: Any = None, **kwargs: Any) -> None:
        name = "MultiHeadAttention"
        if sliding_window is not None:
            raise NotImplementedError(f"{name}(sliding_window=...) is not supported by "
                                      "minikeras")
        if flash_attention:
            raise NotImplementedError(f"{name}(flash_attention=True) is not supported by "
                                      "minikeras")
        num_heads = _positive_int(name, num_heads, "num_heads")
        key_dim = _positive_int(name, key_dim, "key_dim")
        if value_dim is not None:
            value_dim = _positive_int(name, value_dim, "value_dim")
        if isinstance(dropout, bool) or not 0 <= float(dropout) <= 1:
            raise ValueError(f"{name}: `dropout` must be in [0, 1], received "
                             f"dropout={dropout!r}")
        super().__init__(**kwargs)  # (Keras gives the activity regulariser to the sublayers)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self.supports_masking = True
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout = float(dropout)
        self._use_bias = bool(use_bias)
        self._use_gate = bool(use_gate)
        if output_shape is not None:
            output_shape = (output_shape,) if isinstance(output_shape, int) \
                else tuple(output_shape)
        self._output_shape = output_shape
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None:
            attention_axes = tuple(attention_axes)
        self._attention_axes = attention_axes
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))

    # Keras' read-only properties
    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            "sliding_window": None,
            "kernel_initializer": _ser(self._kernel_initializer),
            "bias_initializer": _ser(self._bias_initializer),
            "kernel_regularizer": _ser(self._kernel_regularizer),
            "bias_regularizer": _ser(self._bias_regularizer),
            "activity_regularizer": _ser(self._activity_regularizer),
            "kernel_constraint": _ser(self._kernel_constraint),
            "bias_constraint": _ser(self._bias_constraint),
            "seed": self.seed,
        })
        return cfg

    # --- building ---------------------------------------------------------------------
    def _check_shapes(self, query_shape: tuple, value_shape: tuple,
                      key_shape: tuple | None) -> tuple:
        name = f"MultiHeadAttention layer '{self.name}'"
        q, v = tuple(query_shape), tuple(value_shape)
        k = v if key_shape is None else tuple(key_shape)
        if v[1:-1] != k[1:-1]:
            raise ValueError(f"All dimensions of `value` and `key`, except the last one, must "
                             f"be equal. Received: value_shape={v} and key_shape={k}")
        if len(q) != 3 or len(v) != 3:
            raise NotImplementedError(f"{name}: only inputs of rank 3 (batch, time, dim) are "
                                      f"supported by minikeras; received query shape {q} and "
                                      f"value shape {v}")
        if self._attention_axes not in (None, (1,), (-2,)):
            raise NotImplementedError(f"{name}: attention_axes={self._attention_axes} is not "
                                      "supported by minikeras (only the default, the time "
                                      "axis)")
        return q, v, k

    def _sublayer_kwargs(self) -> dict:
        # fresh initializer objects for each sublayer, as Keras does
        return dict(kernel_initializer=type(self._kernel_initializer).from_config(
                        self._kernel_initializer.get_config()),
                    bias_initializer=type(self._bias_initializer).from_config(
                        self._bias_initializer.get_config()),
                    kernel_regularizer=self._kernel_regularizer,
                    bias_regularizer=self._bias_regularizer,
                    kernel_constraint=self._kernel_constraint,
                    bias_constraint=self._bias_constraint, dtype=self.dtype_policy)

    def build(self, query_shape: Any, value_shape: Any = None, key_shape: Any = None) -> None:
        if value_shape is None:
            raise ValueError("MultiHeadAttention.build needs the query and value shapes")
        q, v, k = self._check_shapes(query_shape, value_shape, key_shape)
        n, h, hv = self._num_heads, self._key_dim, self._value_dim
        bias = "de" if self._use_bias else None
        self.query_dense = EinsumDense("abc,cde->abde", output_shape=(None, n, h),
                                       bias_axes=bias, name="query", **self._sublayer_kwargs())
        self.query_dense.build(q)
        self.key_dense = EinsumDense("abc,cde->abde", output_shape=(None, n, h),
                                     bias_axes=bias, name="key", **self._sublayer_kwargs())
        self.key_dense.build(k)
        if self._use_gate:  # sigmoid gate on the attention output, from the query
            self._gate_dense = EinsumDense("abc,cde->abde", output_shape=(None, n, hv),
                                           bias_axes=bias, activation="sigmoid", name="gate",
                                           **self._sublayer_kwargs())
            self._gate_dense.build(q)
        self.value_dense = EinsumDense("abc,cde->abde", output_shape=(None, n, hv),
                                       bias_axes=bias, name="value", **self._sublayer_kwargs())
        self.value_dense.build(v)
        self._attention_axes = (1,)
        out = self._output_shape or (q[-1],)
        letters = "efghij"[:len(out)]
        self.output_dense = EinsumDense(
            f"abcd,cd{letters}->ab{letters}", output_shape=(None,) + tuple(out),
            bias_axes=letters if self._use_bias else None, name="attention_output",
            **self._sublayer_kwargs())
        self.output_dense.build((q[0], q[1], n, hv))
        self._softmax = Softmax(axis=-1, dtype=self.dtype_policy)
        self._dropout_layer = Dropout(rate=self._dropout, dtype=self.dtype_policy,
                                      seed=self.seed)
        for sub in self._layers:
            for w in sub.weights:  # built inside this layer's name scope, as in Keras
                w.path = f"{self.name}/{w.path}"
        self.built = True
        self._build_input_shape = q
        self._build_shapes = {"query_shape": q, "value_shape": v}
        if key_shape is not None:
            self._build_shapes["key_shape"] = k

    def get_build_config(self) -> dict | None:
        """Keras 3's form for a layer built from several shapes: `shapes_dict`."""
        shapes = getattr(self, "_build_shapes", None)
        if shapes is None:
            return None
        return {"shapes_dict": {k: [None] + list(s[1:]) for k, s in shapes.items()}}

    def build_from_config(self, config: dict) -> None:
        shapes = (config or {}).get("shapes_dict")
        if shapes and not self.built:
            self.build(tuple(shapes["query_shape"]), tuple(shapes["value_shape"]),
                       None if shapes.get("key_shape") is None
                       else tuple(shapes["key_shape"]))

    # --- calling ----------------------------------------------------------------------
    def __call__(self, query: Any, value: Any = None, key: Any = None, **kwargs: Any) -> Any:
        if value is None:
            if "value" not in kwargs:
                raise TypeError("MultiHeadAttention needs `query` and `value`")
            value = kwargs.pop("value")
        tensors = [query, value] + ([key] if key is not None else []) + [
            kwargs.get(m) for m in ("query_mask", "value_mask", "key_mask", "attention_mask")]
        symbolic = any(isinstance(t, KerasTensor) for t in flatten_structure(tensors))
        if not symbolic:
            query, value = self._convert_inputs(query), self._convert_inputs(value)
            key = None if key is None else self._convert_inputs(key)
            # Keras 3's `__call__` fills `<arg>_mask` from the tensors' own masks, and
            # `call` then takes the query's mask from `query` itself
            for name, t in (("value_mask", value), ("key_mask", key)):
                if kwargs.get(name) is None and t is not None:
                    kwargs[name] = get_keras_mask(t)
            kwargs["query_mask"] = get_keras_mask(query)
        if not self.built:
            self.build(tuple(query.shape), tuple(value.shape),
                       None if key is None else tuple(key.shape))
        args = (query, value) if key is None else (query, value, key)
        if symbolic:
            self._returning_scores = bool(kwargs.get("return_attention_scores"))
            self._value_len = tuple(value.shape)[1]
            try:
                return self._symbolic_call(args, kwargs)
            finally:
                self._returning_scores = False
        return super().__call__(*args, **kwargs)

    def _attention_mask(self, b: int, t: int, s: int, query_mask: Any, value_mask: Any,
                        key_mask: Any, attention_mask: Any, use_causal_mask: bool) -> Any:
        mask = None
        if query_mask is not None:
            mask = check_mask_shape(self, "query_mask", query_mask, (b, t))[:, :, None]
        for name, m in (("value_mask", value_mask), ("key_mask", key_mask)):
            if m is not None:
                m = check_mask_shape(self, name, m, (b, s))[:, None, :]
                mask = m if mask is None else mask & m
        if use_causal_mask:
            c = causal_mask(t, s)
            mask = c if mask is None else mask & c
        if attention_mask is not None:
            am = np.asarray(getattr(attention_mask, "value", attention_mask))
            if am.ndim == 2:
                am = am[None]
            if am.ndim != 3 or am.shape[1:] != (t, s) or am.shape[0] not in (1, b):
                raise ValueError(f"MultiHeadAttention layer '{self.name}': `attention_mask` "
                                 f"must have shape {(b, t, s)}, received a mask of shape "
                                 f"{np.shape(am)}")
            am = am if am.dtype == bool else am > 0.5
            mask = am if mask is None else mask & am
        return mask

    def call(self, query: Tensor, value: Tensor, key: Tensor | None = None,
             query_mask: Any = None, value_mask: Any = None, key_mask: Any = None,
             attention_mask: Any = None, return_attention_scores: bool = False,
             training: bool = False, use_causal_mask: bool = False) -> Any:
        if key is None:
            key = value
        self._check_shapes(tuple(query.shape), tuple(value.shape), tuple(key.shape))
        for sub, x, what in ((self.query_dense, query, "query"), (self.value_dense, value,
                             "value"), (self.key_dense, key, "key")):
            want = sub.kernel.shape[0]
            if x.shape[-1] != want:
                raise ValueError(f"MultiHeadAttention layer '{self.name}': expected the last "
                                 f"axis of `{what}` to be {want}, received shape "
                                 f"{tuple(x.shape)}")
        b, t, s = query.shape[0], query.shape[1], value.shape[1]
        mask = self._attention_mask(b, t, s, query_mask, value_mask, key_mask,
                                    attention_mask, use_causal_mask)
        # (`.call`: the projections neither need nor pass on the inputs' masks)
        q = self._project(self.query_dense, query)
        k = self._project(self.key_dense, key)
        v = self._project(self.value_dense, value)
        q = P.multiply(q, np.asarray(self._inverse_sqrt_key_dim, dtype=q.dtype))
        scores = M.einsum("aecd,abcd->acbe", k, q)  # (B, N, T, S)
        explicit = self._dropout > 0 or return_attention_scores
        if mask is not None:
            m = mask[:, None]  # (B or 1, 1, T, S)
            probs = P.softmax(P.where(m, scores, np.asarray(-1e9, dtype=scores.dtype)), -1)
            if explicit:  # Keras' Softmax layer zeroes masked positions
                probs = P.where(m, probs, np.asarray(0.0, dtype=probs.dtype))
        else:
            probs = P.softmax(scores, -1)
        dropped = self._dropout_layer(probs, training=training) if self._dropout > 0 else probs
        out = M.einsum("acbe,aecd->abcd", dropped, v)  # (B, T, N, value_dim)
        if self._use_gate:
            out = P.multiply(out, self._project(self._gate_dense, query))
        out = self._project(self.output_dense, out)
        return (out, probs) if return_attention_scores else out

    def _project(self, dense: EinsumDense, x: Tensor) -> Tensor:
        out = dense.call(x)
        if self._activity_regularizer is not None:  # each sublayer's, as in Keras
            self._losses.append(P.divide(self._activity_regularizer(out), out.shape[0]))
        return out

    def compute_output_shape(self, query_shape: Any, value_shape: Any = None,
                             key_shape: Any = None) -> Any:
        q = tuple(query_shape)
        if value_shape is not None:
            v = tuple(value_shape)
            k = v if key_shape is None else tuple(key_shape)
            if v[1:-1] != k[1:-1]:
                raise ValueError(f"All dimensions of `value` and `key`, except the last one, "
                                 f"must be equal. Received: value_shape={v} and "
                                 f"key_shape={k}")
        out = q[:-1] + tuple(self._output_shape) if self._output_shape else q
        if getattr(self, "_returning_scores", False):
            s = getattr(self, "_value_len", q[1]) if value_shape is None \
                else tuple(value_shape)[1]
            return [out, (q[0], self._num_heads, q[1], s)]
        return out
