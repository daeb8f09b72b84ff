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
