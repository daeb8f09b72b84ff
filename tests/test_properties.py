"""Property-based tests (hypothesis): invariants that must hold for any shapes and values."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import minikeras as keras
from minikeras.autodiff import primitives as P
from tests.gradcheck import check_gradients

shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


@st.composite
def broadcastable_pair(draw):
    """Two shapes that broadcast: the second drops leading axes and sets some axes to 1."""
    a = draw(shapes)
    keep = draw(st.integers(0, len(a)))
    b = list(a[len(a) - keep:]) if keep else []
    b = tuple(1 if draw(st.booleans()) else d for d in b)
    return a, b


@settings(max_examples=40, deadline=None)
@given(broadcastable_pair(), st.sampled_from(["add", "subtract", "multiply", "maximum"]),
       st.integers(0, 2**31 - 1))
def test_broadcast_binary_ops_have_correct_gradients(pair, op, seed):
    keras.config.set_floatx("float64")
    try:
        rng = np.random.default_rng(seed)
        a, b = rng.normal(size=pair[0]), rng.normal(size=pair[1])
        check_gradients(getattr(P, op), [a, b], seed=seed)
    finally:
        keras.config.set_floatx("float32")


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 60), st.floats(0.01, 0.9))
def test_validation_split_takes_the_tail_at_floor(n, split):
    from minikeras.trainers.data_adapter import split_validation

    x = np.arange(n, dtype="float32").reshape(n, 1)
    at = int(math.floor(n * (1.0 - split)))
    if at in (0, n):
        return  # refused with a clear error, tested elsewhere
    ((train,),), ((val,),) = split_validation([[x]], split)
    np.testing.assert_array_equal(train[:, 0], np.arange(at))
    np.testing.assert_array_equal(val[:, 0], np.arange(at, n))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=30))
def test_to_categorical_inverts_argmax(labels):
    onehot = keras.utils.to_categorical(labels)
    np.testing.assert_array_equal(onehot.argmax(axis=-1), labels)
    assert onehot.shape == (len(labels), max(labels) + 1)
    np.testing.assert_array_equal(onehot.sum(axis=-1), 1)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 50), st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_normalization_adapt_standardises_any_data(n, d, seed):
    rng = np.random.default_rng(seed)
    data = rng.normal(loc=rng.uniform(-50, 50, d), scale=rng.uniform(0.5, 20, d), size=(n, d))
    layer = keras.layers.Normalization()
    layer.adapt(data)
    z = layer(data).numpy().astype(np.float64)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-3)
    np.testing.assert_allclose(z.std(axis=0), 1, atol=1e-3)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(1, 16))
def test_every_sample_is_seen_once_per_epoch(n, batch_size):
    from minikeras.trainers.data_adapter import batch_slices

    rng = np.random.RandomState(0)
    for shuffle in (False, True, "batch"):
        seen = np.concatenate([np.arange(n)[i] for i in batch_slices(n, batch_size, shuffle, rng)])
        np.testing.assert_array_equal(np.sort(seen), np.arange(n))
