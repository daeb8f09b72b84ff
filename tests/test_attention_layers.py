"""Attention, AdditiveAttention, MultiHeadAttention, GroupNormalization, EinsumDense and
symbolic `ops.einsum`: float64 gradient checks (random direction, random upstream) for each
option, masks, configs, files, and the errors for bad input. Reference values against
real Keras are in compat_tests/test_attention_compat.py."""

from __future__ import annotations

import numpy as np
import pytest

import minikeras as keras
from gradcheck import check_gradients, layer_fn

L = keras.layers


@pytest.fixture(autouse=True)
def _float64():
    keras.config.set_floatx("float64")
    yield
    keras.config.set_floatx("float32")


def _check(layer, call, xs, seed=0):
    call(layer, *[keras.ops.convert_to_tensor(x) for x in xs])  # build
    weights = [w.value for w in layer.trainable_weights]
    for w in layer.trainable_weights:  # away from the initial ones / zeros
        w.assign(np.random.default_rng(seed).uniform(0.5, 1.5, size=w.shape) * np.sign(
            np.random.default_rng(seed + 1).normal(size=w.shape)))
    weights = [w.value for w in layer.trainable_weights]
    check_gradients(layer_fn(layer, len(xs), call=call), list(xs) + weights, seed=seed)


RNG = np.random.default_rng(0)
Q = RNG.normal(size=(2, 3, 4))
V = RNG.normal(size=(2, 5, 4))
V6 = RNG.normal(size=(2, 5, 6))
K = RNG.normal(size=(2, 5, 4))
QM = np.array([[True, False, True], [True, True, False]])
VM = np.array([[True, True, False, True, False], [False, True, True, True, True]])
VM0 = VM | (np.arange(5) == 0)


@pytest.mark.parametrize("cls,kwargs", [
    (L.Attention, {}), (L.Attention, {"use_scale": True}),
    (L.Attention, {"score_mode": "concat"}),
    (L.Attention, {"score_mode": "concat", "use_scale": True}),
    (L.AdditiveAttention, {}), (L.AdditiveAttention, {"use_scale": False})])
@pytest.mark.parametrize("options", [
    {}, {"mask": [QM, VM]}, {"use_causal_mask": True}, {"return_attention_scores": True},
    {"mask": [None, VM], "use_causal_mask": True, "return_attention_scores": True}])
def test_dense_attention_gradients(cls, kwargs, options):
    opts = dict(options)
    q = Q if not opts.get("use_causal_mask") else RNG.normal(size=(2, 5, 4))
    if opts.get("use_causal_mask") and "mask" in opts:
        # (a row with every key masked holds scores - 1e9: central differences lose
        # their precision there, so every row keeps key 0 here)
        opts["mask"] = [None, VM0]
    _check(cls(**kwargs), lambda layer, q, v, k: layer([q, v, k], **opts), [q, V6[..., :4], K])


@pytest.mark.parametrize("kwargs,options", [
    ({"num_heads": 2, "key_dim": 3}, {}),
    ({"num_heads": 2, "key_dim": 3, "value_dim": 2, "output_shape": 5}, {}),
    ({"num_heads": 1, "key_dim": 2, "use_bias": False}, {"use_causal_mask": True}),
    ({"num_heads": 2, "key_dim": 3}, {"value_mask": VM, "key_mask": VM[::-1]}),
    ({"num_heads": 2, "key_dim": 3, "use_gate": True}, {"value_mask": VM}),
    ({"num_heads": 2, "key_dim": 3}, {"return_attention_scores": True, "value_mask": VM}),
    ({"num_heads": 2, "key_dim": 2, "output_shape": (2, 2)},
     {"attention_mask": np.ones((2, 3, 5), bool) & VM[:, None], "use_causal_mask": True,
      "return_attention_scores": True}),
])
def test_multi_head_attention_gradients(kwargs, options):
    def call(layer, q, v, k):
        return layer(q, v, key=k, **options)

    _check(L.MultiHeadAttention(**kwargs), call, [Q, V6, K])


@pytest.mark.parametrize("kwargs,shape", [
    ({"groups": 2}, (2, 3, 4)), ({"groups": -1}, (2, 3, 4)),
    ({"groups": 3, "axis": 1}, (2, 6, 2)), ({"groups": 2, "center": False}, (2, 2, 2, 4)),
    ({"groups": 1, "scale": False, "epsilon": 0.1}, (2, 4))])
def test_group_normalization_gradients(kwargs, shape):
    _check(L.GroupNormalization(**kwargs), lambda layer, x: layer(x),
           [RNG.normal(size=shape)])


@pytest.mark.parametrize("kwargs,shape", [
    ({"equation": "ab,bc->ac", "output_shape": 3, "bias_axes": "c"}, (2, 4)),
    ({"equation": "abc,cde->abde", "output_shape": (None, 2, 3), "bias_axes": "e",
      "activation": "tanh"}, (2, 3, 4)),
    ({"equation": "...b,bc->...c", "output_shape": 3}, (2, 3, 4)),
    ({"equation": "ab...,bc->ac...", "output_shape": 3, "bias_axes": "c"}, (2, 4, 2))])
def test_einsum_dense_gradients(kwargs, shape):
    layer = L.EinsumDense(**kwargs)
    _check(layer, lambda layer, x: layer(x), [RNG.normal(size=shape)])
    # (a None of `output_shape` stays None in the static shape, as in Keras)
    static = layer.compute_output_shape((None,) + shape[1:])
    real = layer(np.zeros(shape)).shape
    assert len(static) == len(real)
    assert all(s is None or s == r for s, r in zip(static[1:], real[1:]))


def test_ops_einsum_gradient_and_symbolic_model():
    check_gradients(lambda a, b: keras.ops.einsum("bij,bjk->bik", a, b),
                    [RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 4, 5))])
    a, b = keras.Input((3, 4)), keras.Input((4, 5))
    y = keras.ops.einsum("bij,bjk->bik", a, b)
    assert tuple(y.shape) == (None, 3, 5)
    model = keras.Model([a, b], y)
    xa, xb = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 4, 5))
    np.testing.assert_allclose(model.predict([xa, xb], verbose=0), xa @ xb, rtol=1e-12)


# --- masks, shapes, configs, files -----------------------------------------------------------
def _encoder():
    inp = keras.Input((6,), dtype="int32")
    x = L.Embedding(20, 8, mask_zero=True)(inp)
    a = L.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
    h = L.LayerNormalization()(a)
    h = L.Attention()([h, h])
    h = L.GroupNormalization(groups=4)(h)
    return inp, keras.Model(inp, L.Dense(3)(L.GlobalAveragePooling1D()(h)))


def test_implicit_masks_reach_attention_and_pooling():
    inp, model = _encoder()
    ids = np.array([[3, 4, 5, 0, 0, 0]])
    other = np.array([[3, 4, 5, 9, 8, 7]])  # the padded positions changed
    pad0 = model.predict(ids, verbose=0)
    # padded keys are masked out and the pooling skips padded steps: changing what sits at
    # padded positions must not change the output, if the ids there are 0 again
    again = np.array([[3, 4, 5, 0, 0, 0]])
    np.testing.assert_allclose(model.predict(again, verbose=0), pad0)
    assert not np.allclose(model.predict(other, verbose=0), pad0)
    mha = next(layer for layer in model.layers if isinstance(layer, L.MultiHeadAttention))
    assert mha.output._keras_mask is not None


def test_value_mask_hides_padded_values():
    layer = L.MultiHeadAttention(num_heads=2, key_dim=3)
    v2 = V6.copy()
    v2[~VM] = 100.0  # what sits at masked positions does not matter
    out1 = layer(Q, V6, value_mask=VM)
    out2 = layer(Q, v2, value_mask=VM)
    np.testing.assert_allclose(out1.value, out2.value, rtol=1e-10)


def test_output_shapes_and_scores():
    layer = L.MultiHeadAttention(num_heads=3, key_dim=2, output_shape=7)
    q, v = keras.Input((3, 4)), keras.Input((5, 6))
    out, scores = layer(q, v, return_attention_scores=True)
    assert tuple(out.shape) == (None, 3, 7) and tuple(scores.shape) == (None, 3, 3, 5)
    assert layer.compute_output_shape((None, 3, 4), (None, 5, 6)) == (None, 3, 7)
    att = L.Attention()
    o, s = att([q, keras.Input((5, 4))], return_attention_scores=True)
    assert tuple(o.shape) == (None, 3, 4) and tuple(s.shape) == (None, 3, 5)


@pytest.mark.parametrize("make", [
    lambda: L.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, dropout=0.1,
                                 output_shape=(2, 3), use_bias=False,
                                 kernel_regularizer="l2", seed=3),
    lambda: L.Attention(use_scale=True, score_mode="concat", dropout=0.2, seed=1),
    lambda: L.AdditiveAttention(use_scale=False, dropout=0.1),
    lambda: L.GroupNormalization(groups=4, axis=1, epsilon=0.01, center=False),
    lambda: L.EinsumDense("abc,cd->abd", (None, 3), bias_axes="d", activation="relu")])
def test_config_round_trip(make):
    layer = make()
    cfg = layer.get_config()
    again = type(layer).from_config(cfg)
    assert again.get_config() == cfg
    again2 = L.deserialize(L.serialize(layer))
    assert again2.get_config() == cfg


def test_files_round_trip(tmp_path):
    keras.config.set_floatx("float32")
    inp, model = _encoder()
    ids = np.array([[3, 4, 5, 0, 0, 0], [1, 2, 3, 4, 5, 6]])
    pred = model.predict(ids, verbose=0)
    for suffix in ("keras", "h5"):
        model.save(tmp_path / f"m.{suffix}")
        loaded = keras.models.load_model(tmp_path / f"m.{suffix}")
        np.testing.assert_allclose(loaded.predict(ids, verbose=0), pred, rtol=1e-6)
    model.save_weights(tmp_path / "m.weights.h5")
    _, fresh = _encoder()
    fresh.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_allclose(fresh.predict(ids, verbose=0), pred, rtol=1e-6)


def test_dropout_only_in_training():
    layer = L.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.5, seed=1)
    a = layer(Q, V6).value
    np.testing.assert_allclose(layer(Q, V6, training=False).value, a)
    assert not np.allclose(layer(Q, V6, training=True).value, a)
    att = L.Attention(dropout=0.5, seed=2)
    b = att([Q, V6[..., :4]]).value
    assert not np.allclose(att([Q, V6[..., :4]], training=True).value, b)


# --- bad input ---------------------------------------------------------------------------------
def test_attention_mismatched_dims():
    with pytest.raises(ValueError, match=r"Attention layer .*\(2, 3, 4\).*\(2, 5, 6\)"):
        L.Attention()([Q, V6])
    with pytest.raises(ValueError, match="list of inputs"):
        L.Attention()(Q)


def test_key_dim_not_positive():
    with pytest.raises(ValueError, match="key_dim"):
        L.MultiHeadAttention(num_heads=2, key_dim=0)
    with pytest.raises(ValueError, match="num_heads"):
        L.MultiHeadAttention(num_heads=-1, key_dim=2)


def test_masks_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"MultiHeadAttention layer .*value_mask.*\(2, 5\).*"
                                         r"\(2, 4\)"):
        L.MultiHeadAttention(num_heads=2, key_dim=3)(Q, V6, value_mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match=r"attention_mask.*\(2, 3, 5\)"):
        L.MultiHeadAttention(num_heads=2, key_dim=3)(Q, V6,
                                                     attention_mask=np.ones((2, 5, 3), bool))
    with pytest.raises(ValueError, match=r"Attention layer .*query_mask.*\(2, 3\).*\(2, 5\)"):
        L.Attention()([Q, V], mask=[np.ones((2, 5), bool), None])


def test_groups_not_dividing_channels():
    with pytest.raises(ValueError, match=r"groups \(3\) must divide the number of channels "
                                         r"\(4\); input shape \(2, 3, 4\)"):
        L.GroupNormalization(groups=3)(Q)
    with pytest.raises(ValueError, match="groups"):
        L.GroupNormalization(groups=0)


def test_unsupported_options_are_refused():
    with pytest.raises(NotImplementedError, match="attention_axes"):
        L.MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=(2,))(Q, V)
    with pytest.raises(ValueError, match="Invalid einsum equation"):
        L.EinsumDense("a,b", 3)(np.zeros((2, 3)))
