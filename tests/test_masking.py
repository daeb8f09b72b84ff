"""Masks: made by Embedding(mask_zero)/Masking, carried through layers and graphs (eager and
symbolic), combined by merge layers, given to `call(..., mask)`, and used by losses and
metrics as sample weights."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import minikeras as keras

L = keras.layers
IDS = np.array([[0, 0, 3, 4], [5, 6, 7, 0]])
VALID = IDS != 0


def test_mask_travels_through_sequential_and_dense():
    model = keras.Sequential([keras.Input((4,)), L.Embedding(9, 3, mask_zero=True),
                              L.Dense(2), L.Activation("tanh"), L.Dropout(0.1)])
    out = model(IDS)
    np.testing.assert_array_equal(out._keras_mask, VALID)
    assert model.output._keras_mask.shape == (None, 4)
    assert model.output._keras_mask.dtype == "bool"


def test_masking_layer_values_and_mask():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]]], "float32")
    out = L.Masking(0.0)(x)
    np.testing.assert_array_equal(out._keras_mask, [[True, False, True]])
    np.testing.assert_array_equal(out.numpy(), x)


def test_rnn_drops_the_mask_unless_sequences():
    emb = L.Embedding(9, 3, mask_zero=True)
    assert L.LSTM(2)(emb(IDS))._keras_mask is None
    seq = L.GRU(2, return_sequences=True)(emb(IDS))
    np.testing.assert_array_equal(seq._keras_mask, VALID)


def test_functional_graph_and_merge_layers():
    a, b = keras.Input((4,)), keras.Input((4,))
    ea = L.Embedding(9, 3, mask_zero=True)(a)
    eb = L.Embedding(9, 3, mask_zero=True)(b)
    added = L.Add()([ea, eb])
    cat = L.Concatenate()([ea, L.Dense(3)(L.Embedding(9, 3)(b))])
    assert added._keras_mask.shape == (None, 4) and cat._keras_mask.shape == (None, 4)
    model = keras.Model([a, b], [added, cat])
    other = np.array([[1, 0, 0, 2], [0, 0, 0, 1]])
    out_add, out_cat = model([IDS, other])
    np.testing.assert_array_equal(out_add._keras_mask, VALID | (other != 0))
    np.testing.assert_array_equal(out_cat._keras_mask, np.ones_like(VALID))  # OR with all-True


def test_call_receives_the_mask_and_compute_mask_is_used():
    seen = {}

    class Probe(L.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            seen["mask"] = mask
            return inputs

    out = Probe()(L.Embedding(9, 3, mask_zero=True)(IDS))
    np.testing.assert_array_equal(seen["mask"], VALID)
    np.testing.assert_array_equal(out._keras_mask, VALID)

    class Cut(L.Layer):
        def call(self, inputs):
            return inputs * 1.0

        def compute_mask(self, inputs, previous_mask=None):
            return None

    assert Cut().supports_masking  # defines compute_mask: supports masking, as Keras 3
    assert Cut()(L.Embedding(9, 3, mask_zero=True)(IDS))._keras_mask is None


def test_a_layer_without_masking_support_warns_and_drops_the_mask():
    emb = L.Embedding(9, 3, mask_zero=True)(IDS)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = L.Flatten()(emb)
    assert out._keras_mask is None
    assert any("does not support masking" in str(x.message) for x in w)


def test_masked_timesteps_are_left_out_of_loss_and_metrics():
    model = keras.Sequential([keras.Input((4,)), L.Embedding(9, 2, mask_zero=True),
                              L.TimeDistributed(L.Dense(1))])
    model.compile("sgd", "mse", metrics=["mae"])
    y = np.random.default_rng(0).normal(size=(2, 4, 1)).astype("float32")
    pred = model.predict(IDS, verbose=0)
    err = (pred - y)[..., 0]
    res = model.evaluate(IDS, y, verbose=0, return_dict=True)
    np.testing.assert_allclose(res["loss"], np.mean(err[VALID] ** 2), rtol=1e-5)
    # mae: per sample, the mean over its valid steps weighted by its share of valid steps
    np.testing.assert_allclose(res["mae"], np.abs(err[VALID]).sum() / VALID.sum(), rtol=1e-5)
    # and a masked step's target does not change training
    y2 = y.copy()
    y2[~VALID] = 1e3
    w0 = model.get_weights()
    model.fit(IDS, y, epochs=1, verbose=0)
    w1 = model.get_weights()
    model.set_weights(w0)
    model.fit(IDS, y2, epochs=1, verbose=0)
    for a, b in zip(w1, model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_model_call_with_explicit_mask():
    inp = keras.Input((4, 2))
    model = keras.Model(inp, L.LSTM(3, return_sequences=True)(inp))
    x = np.random.default_rng(1).normal(size=(2, 4, 2)).astype("float32")
    out = model(x, mask=VALID)
    np.testing.assert_array_equal(out._keras_mask, VALID)
    np.testing.assert_allclose(out.numpy()[0, 0], 0.0)  # masked first step: previous (zero) h


@pytest.mark.parametrize("mask_value", [0.0, -1.0])
def test_masking_then_rnn_ignores_padded_steps(mask_value):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(1, 3, 2)).astype("float32")
    padded = np.concatenate([x, np.full((1, 2, 2), mask_value, "float32")], axis=1)
    model = keras.Sequential([keras.Input((None, 2)), L.Masking(mask_value), L.SimpleRNN(3)])
    rnn = model.layers[-1]
    np.testing.assert_allclose(model.predict(padded, verbose=0), rnn(x).numpy(), rtol=1e-6)
