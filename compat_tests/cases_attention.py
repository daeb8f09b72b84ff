"""Cases for the attention fixtures (generate_attention_fixtures.py writes them with real
Keras 3; test_attention_compat.py replays them in minikeras).

A LAYER_CASE is a dict:
  name     unique id
  cls      the keras.layers class name; kwargs its constructor arguments
  style    "list"  : layer([q, v(, k)], mask=[qm, vm], **call)     (Attention, AdditiveAttention)
           "mha"   : layer(q, v, key=k, query_mask=.., value_mask=.., key_mask=..,
                           attention_mask=.., **call)
           "single": layer(x, **call)          (GroupNormalization, EinsumDense)
  shapes   {"query"/"value"/"key"/"x": shape}
  masks    {"query_mask"/"value_mask"/"key_mask"/"attention_mask": shape} (random booleans,
           every row of value/key/attention masks with at least one True)
  call     extra keyword arguments of the call (use_causal_mask, return_attention_scores,
           training)
The arrays (inputs, masks, weights, upstream gradients) are drawn by the generator and stored
in the .npz, so the test does not need to redraw them.
"""

from __future__ import annotations

import numpy as np

B = 2


def _mha(name, kwargs, q, v=None, k=None, masks=None, call=None):
    shapes = {"query": q, "value": v or q}
    if k:
        shapes["key"] = k
    return {"name": name, "cls": "MultiHeadAttention", "kwargs": kwargs, "style": "mha",
            "shapes": shapes, "masks": masks or {}, "call": call or {}}


def _att(name, cls, kwargs, q, v, k=None, masks=None, call=None):
    shapes = {"query": q, "value": v}
    if k:
        shapes["key"] = k
    return {"name": name, "cls": cls, "kwargs": kwargs, "style": "list", "shapes": shapes,
            "masks": masks or {}, "call": call or {}}


def _single(name, cls, kwargs, x):
    return {"name": name, "cls": cls, "kwargs": kwargs, "style": "single", "shapes": {"x": x},
            "masks": {}, "call": {}}


Q = [B, 4, 6]
V = [B, 5, 6]
K = [B, 5, 6]
QM = {"query_mask": [B, 4]}
VM = {"value_mask": [B, 5]}
QVM = {"query_mask": [B, 4], "value_mask": [B, 5]}

LAYER_CASES = [
    # --- Attention ------------------------------------------------------------------------
    _att("att_dot", "Attention", {}, Q, V),
    _att("att_dot_key", "Attention", {}, Q, V, K),
    _att("att_dot_scale", "Attention", {"use_scale": True}, Q, V, K),
    _att("att_concat", "Attention", {"score_mode": "concat"}, Q, V, K),
    _att("att_concat_scale", "Attention", {"score_mode": "concat", "use_scale": True}, Q, V),
    _att("att_masks", "Attention", {}, Q, V, K, masks=QVM),
    _att("att_value_mask", "Attention", {"use_scale": True}, Q, V, masks=VM),
    _att("att_causal", "Attention", {}, [B, 5, 6], V, call={"use_causal_mask": True}),
    _att("att_causal_masks_scores", "Attention", {"score_mode": "concat"}, [B, 5, 6], V,
         masks={"query_mask": [B, 5], "value_mask": [B, 5]},
         call={"use_causal_mask": True, "return_attention_scores": True}),
    _att("att_scores", "Attention", {"use_scale": True}, Q, V,
         call={"return_attention_scores": True}),
    _att("att_dropout_inference", "Attention", {"dropout": 0.5, "seed": 1}, Q, V,
         call={"training": False}),
    # --- AdditiveAttention ----------------------------------------------------------------
    _att("add_default", "AdditiveAttention", {}, Q, V),
    _att("add_noscale_key", "AdditiveAttention", {"use_scale": False}, Q, V, K),
    _att("add_masks_scores", "AdditiveAttention", {}, Q, V, K, masks=QVM,
         call={"return_attention_scores": True}),
    _att("add_causal", "AdditiveAttention", {}, [B, 5, 6], V, call={"use_causal_mask": True}),
    # --- MultiHeadAttention ---------------------------------------------------------------
    _mha("mha_self", {"num_heads": 2, "key_dim": 3}, Q),
    _mha("mha_cross", {"num_heads": 2, "key_dim": 4}, Q, [B, 5, 7]),
    # (value_dim != key_dim fails in Keras 3.15's fused path: scores returned here)
    _mha("mha_cross_key", {"num_heads": 3, "key_dim": 2, "value_dim": 5}, Q, [B, 5, 7],
         [B, 5, 3], call={"return_attention_scores": True}),
    _mha("mha_output_shape", {"num_heads": 2, "key_dim": 3, "output_shape": 8}, Q, V),
    _mha("mha_output_shape_2d", {"num_heads": 2, "key_dim": 3, "output_shape": [2, 3]}, Q, V),
    _mha("mha_no_bias", {"num_heads": 2, "key_dim": 3, "use_bias": False}, Q, V),
    _mha("mha_value_mask", {"num_heads": 2, "key_dim": 3}, Q, V, masks=VM),
    _mha("mha_key_mask", {"num_heads": 2, "key_dim": 3}, Q, V, K,
         masks={"value_mask": [B, 5], "key_mask": [B, 5]}),
    _mha("mha_query_mask_arg", {"num_heads": 2, "key_dim": 3}, Q, V, masks=QVM),
    _mha("mha_attention_mask", {"num_heads": 2, "key_dim": 3}, Q, V,
         masks={"attention_mask": [B, 4, 5]}),
    _mha("mha_causal", {"num_heads": 2, "key_dim": 3}, [B, 5, 6],
         call={"use_causal_mask": True}),
    _mha("mha_causal_value_mask", {"num_heads": 2, "key_dim": 3}, [B, 5, 6], [B, 5, 6],
         masks={"value_mask": [B, 5]}, call={"use_causal_mask": True}),
    _mha("mha_scores", {"num_heads": 2, "key_dim": 3}, Q, V,
         call={"return_attention_scores": True}),
    _mha("mha_scores_masks", {"num_heads": 2, "key_dim": 3}, Q, V,
         masks={"value_mask": [B, 5], "attention_mask": [B, 4, 5]},
         call={"return_attention_scores": True}),
    _mha("mha_scores_causal", {"num_heads": 3, "key_dim": 2}, [B, 5, 6],
         call={"return_attention_scores": True, "use_causal_mask": True}),
    _mha("mha_dropout_inference", {"num_heads": 2, "key_dim": 3, "dropout": 0.3}, Q, V,
         masks={"attention_mask": [B, 4, 5]}, call={"training": False}),
    _mha("mha_gate", {"num_heads": 2, "key_dim": 3, "use_gate": True}, Q, V, masks=VM),
    # --- GroupNormalization ---------------------------------------------------------------
    _single("gn_3d", "GroupNormalization", {"groups": 3}, [B, 5, 6]),
    _single("gn_4d", "GroupNormalization", {"groups": 2, "epsilon": 0.01}, [B, 3, 3, 4]),
    _single("gn_instance", "GroupNormalization", {"groups": -1}, [B, 5, 4]),
    _single("gn_channels_first", "GroupNormalization", {"groups": 2, "axis": 1}, [B, 4, 5]),
    _single("gn_no_center_scale", "GroupNormalization",
            {"groups": 2, "center": False, "scale": False}, [B, 5, 4]),
    # --- EinsumDense ----------------------------------------------------------------------
    _single("ed_dense", "EinsumDense", {"equation": "ab,bc->ac", "output_shape": 4,
                                        "bias_axes": "c"}, [B, 5]),
    _single("ed_seq", "EinsumDense", {"equation": "abc,cd->abd", "output_shape": [None, 3],
                                      "activation": "tanh", "bias_axes": "d"}, [B, 4, 5]),
    _single("ed_heads", "EinsumDense", {"equation": "abc,cde->abde", "output_shape": [None, 2, 3],
                                        "bias_axes": "de"}, [B, 4, 5]),
    _single("ed_ellipsis", "EinsumDense", {"equation": "...b,bc->...c", "output_shape": 3},
            [B, 4, 5]),
]


def call_layer(layer, case, a, inputs=None):
    """Call `layer` as the case says; `inputs` overrides the float inputs (for jax.grad)."""
    inp = dict(a if inputs is None else {**a, **inputs})
    call = dict(case["call"])
    if case["style"] == "single":
        return layer(inp["x"], **call)
    if case["style"] == "list":
        xs = [inp["query"], inp["value"]] + ([inp["key"]] if "key" in inp else [])
        if case["masks"]:
            call["mask"] = [inp.get("query_mask"), inp.get("value_mask")]
        return layer(xs, **call)
    kw = {k: inp[k] for k in case["masks"]}
    if "key" in inp:
        kw["key"] = inp["key"]
    return layer(inp["query"], inp["value"], **kw, **call)


# --- the Transformer-style classifier and the saved models (built from `keras`, which is
# real Keras in the generator and minikeras in the tests) ----------------------------------
def transformer_data():
    rng = np.random.default_rng(11)
    n, t, vocab = 32, 6, 20
    ids = rng.integers(1, vocab, size=(n, t)).astype("int32")
    lengths = rng.integers(2, t + 1, size=n)
    for i, L in enumerate(lengths):
        ids[i, L:] = 0
    y = (ids[:, 0] % 3).astype("int32")
    return ids, y


def build_transformer(keras):
    inp = keras.Input((6,), dtype="int32", name="ids")
    x = keras.layers.Embedding(20, 8, mask_zero=True, name="emb")(inp)
    a = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(x, x)
    h = keras.layers.LayerNormalization(name="ln")(a)
    h = keras.layers.GlobalAveragePooling1D(name="gap")(h)
    out = keras.layers.Dense(3, activation="softmax", name="out")(h)
    return keras.Model(inp, out, name="transformer")


def build_file_models(keras):
    """{name: (model, inputs)}; the same code builds them in minikeras."""
    L = keras.layers
    inp = keras.Input((6,), dtype="int32", name="ids")
    x = L.Embedding(20, 8, mask_zero=True, name="emb")(inp)
    a = L.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(x, x)
    h = L.LayerNormalization(name="ln")(a)
    h = L.Attention(use_scale=True, name="att")([h, h])
    h = L.GroupNormalization(groups=2, name="gn")(h)
    h = L.GlobalAveragePooling1D(name="gap")(h)
    out = L.EinsumDense("ab,bc->ac", output_shape=3, bias_axes="c", activation="softmax",
                        name="ed")(h)
    m1 = keras.Model(inp, out, name="encoder")

    q = keras.Input((4, 6), name="q")
    v = keras.Input((5, 7), name="v")
    # (dropout > 0: Keras 3.15's fused path fails when value_dim != key_dim)
    c = L.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=5, output_shape=8,
                             dropout=0.1, name="cross")(q, v, use_causal_mask=True)
    v6 = L.Dense(6, name="proj")(v)
    d = L.AdditiveAttention(name="add_att")([q, v6])
    e = L.Concatenate(name="cat")([c, d])
    e = L.GroupNormalization(groups=7, name="gn2")(e)
    e = L.Flatten(name="flat")(e)
    out2 = L.Dense(2, name="head")(e)
    m2 = keras.Model([q, v], out2, name="cross_model")

    a = keras.Input((3, 4), name="a")
    b = keras.Input((4, 5), name="b")
    y = keras.ops.einsum("bij,bjk->bik", a, b)
    m3 = keras.Model([a, b], L.Dense(2, name="head")(y), name="einsum_model")
    return {"encoder": m1, "cross_model": m2, "einsum_model": m3}


def file_inputs():
    ids, _ = transformer_data()
    rng = np.random.default_rng(21)
    return {"encoder": ids[:8],
            "cross_model": [rng.normal(size=(8, 4, 6)).astype("float32"),
                            rng.normal(size=(8, 5, 7)).astype("float32")],
            "einsum_model": [rng.normal(size=(8, 3, 4)).astype("float32"),
                             rng.normal(size=(8, 4, 5)).astype("float32")]}
