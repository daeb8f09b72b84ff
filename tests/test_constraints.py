"""Weight constraints: the formulas of Keras 3 (keras/src/constraints/constraints.py), and
their application after every optimizer step in `fit` and `train_on_batch`."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import constraints

L = keras.layers
EPS = 1e-7  # keras.config.epsilon()


def arr(*shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype("float32")


def norms(w, axis):
    w = np.asarray(w)
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


def apply(constraint, w):
    """A constraint takes a variable or array and returns a tensor: compare as arrays."""
    return np.asarray(constraint(w))


@pytest.mark.parametrize("axis", [0, 1, [0, 1]])
def test_constraint_formulas(axis):
    w = arr(4, 3, scale=2)
    n = norms(w, tuple(axis) if isinstance(axis, list) else axis)
    np.testing.assert_allclose(apply(constraints.MaxNorm(1.5, axis=axis), w),
                               w * np.clip(n, 0, 1.5) / (EPS + n), rtol=1e-6)
    np.testing.assert_allclose(apply(constraints.UnitNorm(axis=axis), w), w / (EPS + n),
                               rtol=1e-6)
    np.testing.assert_allclose(apply(constraints.MinMaxNorm(0.5, 1.0, rate=0.7, axis=axis), w),
                               w * (0.7 * np.clip(n, 0.5, 1.0) + 0.3 * n) / (EPS + n),
                               rtol=1e-6)
    np.testing.assert_array_equal(apply(constraints.NonNeg(), w), np.where(w >= 0, w, 0))


def test_max_norm_leaves_small_columns_alone():
    w = arr(5, 3) * 0.01
    np.testing.assert_allclose(apply(constraints.MaxNorm(2.0), w), w, rtol=1e-5)
    big = apply(constraints.MaxNorm(2.0), arr(5, 3) * 100)
    np.testing.assert_allclose(norms(big, 0), 2.0, rtol=1e-5)


@pytest.mark.parametrize("name,cls", [("max_norm", constraints.MaxNorm),
                                      ("non_neg", constraints.NonNeg),
                                      ("unit_norm", constraints.UnitNorm),
                                      ("min_max_norm", constraints.MinMaxNorm),
                                      ("MaxNorm", constraints.MaxNorm)])
def test_constraint_identifiers(name, cls):
    assert isinstance(constraints.get(name), cls)


@pytest.mark.parametrize("make", [lambda: constraints.MaxNorm(3, axis=1),
                                  lambda: constraints.NonNeg(),
                                  lambda: constraints.UnitNorm(axis=[0, 1]),
                                  lambda: constraints.MinMaxNorm(0.2, 2.0, 0.5, 1)])
def test_constraint_config_round_trip(make):
    c = make()
    again = constraints.deserialize(constraints.serialize(c))
    assert type(again) is type(c) and again.get_config() == c.get_config()
    w = arr(3, 4)
    np.testing.assert_allclose(apply(again, w), apply(c, w))


def _twins(constraint_kwargs, layer=L.Dense, units=3):
    """The same network with and without constraints, starting from the same weights."""
    def make(**kw):
        return keras.Sequential([keras.Input((4,)), layer(units, **kw), L.Dense(2)])

    free, constrained = make(), make(**constraint_kwargs)
    constrained.set_weights(free.get_weights())
    for m in (free, constrained):
        m.compile(keras.optimizers.SGD(0.1), "mse")
    return free, constrained


@pytest.mark.parametrize("kwargs", [
    {"kernel_constraint": constraints.MaxNorm(0.5)},
    {"kernel_constraint": "non_neg", "bias_constraint": constraints.MaxNorm(0.01, axis=0)},
    {"kernel_constraint": constraints.UnitNorm(axis=0)},
    {"kernel_constraint": constraints.MinMaxNorm(0.4, 0.6, rate=0.5)},
])
def test_constraint_is_applied_after_the_step(kwargs):
    """One step: constrained weights == constraint(weights after the unconstrained step)."""
    free, constrained = _twins(kwargs)
    x, y = arr(8, 4), arr(8, 2, seed=1)
    free.train_on_batch(x, y)
    constrained.train_on_batch(x, y)
    dense_free, dense_c = free.layers[0], constrained.layers[0]
    want_k = apply(dense_c.kernel_constraint, dense_free.kernel.numpy()) \
        if dense_c.kernel_constraint else dense_free.kernel.numpy()
    np.testing.assert_allclose(dense_c.kernel.numpy(), want_k, rtol=1e-5, atol=1e-7)
    want_b = apply(dense_c.bias_constraint, dense_free.bias.numpy()) \
        if dense_c.bias_constraint else dense_free.bias.numpy()
    np.testing.assert_allclose(dense_c.bias.numpy(), want_b, rtol=1e-5, atol=1e-7)


def test_fit_applies_the_constraint_after_every_step():
    model = keras.Sequential([keras.Input((4,)),
                              L.Dense(3, kernel_constraint=constraints.MaxNorm(0.3),
                                      kernel_initializer=keras.initializers.Constant(2.0)),
                              L.Dense(1, kernel_constraint="non_neg")])
    model.compile(keras.optimizers.SGD(0.05), "mse")
    seen = []

    class Check(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            k1 = model.layers[0].kernel.numpy()
            k2 = model.layers[1].kernel.numpy()
            seen.append((norms(k1, 0).max(), k2.min()))

    x, y = arr(40, 4, scale=2), arr(40, 1, seed=1, scale=3)
    model.fit(x, y, batch_size=8, epochs=2, callbacks=[Check()], verbose=0)
    assert len(seen) == 10
    assert all(n <= 0.3 + 1e-6 and m >= 0 for n, m in seen)


def test_constraints_on_batch_norm_and_prelu_weights():
    bn = L.BatchNormalization(gamma_constraint=constraints.MaxNorm(0.5),
                              beta_constraint="non_neg")
    prelu = L.PReLU(alpha_initializer=keras.initializers.Constant(0.5),
                    alpha_constraint=constraints.MinMaxNorm(0.0, 0.1, axis=0))
    model = keras.Sequential([keras.Input((3,)), L.Dense(4), bn, prelu, L.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(arr(16, 3), arr(16, 1, seed=1), batch_size=8, verbose=0)
    assert norms(bn.gamma.numpy(), 0).max() <= 0.5 + 1e-6
    assert bn.beta.numpy().min() >= 0
    assert norms(prelu.alpha.numpy(), 0).max() <= 0.1 + 1e-6


def test_layer_config_keeps_its_constraints():
    dense = L.Dense(2, kernel_constraint=constraints.MaxNorm(1.5, axis=1),
                    bias_constraint="non_neg")
    again = L.Dense.from_config(dense.get_config())
    assert isinstance(again.kernel_constraint, constraints.MaxNorm)
    assert again.kernel_constraint.get_config() == {"max_value": 1.5, "axis": 1}
    assert isinstance(again.bias_constraint, constraints.NonNeg)
    again(np.zeros((1, 3), "float32"))
    assert again.kernel.constraint is again.kernel_constraint


def test_a_frozen_layer_is_neither_trained_nor_constrained():
    dense = L.Dense(3, kernel_constraint=constraints.MaxNorm(0.01), trainable=False,
                    kernel_initializer="ones")
    model = keras.Sequential([keras.Input((4,)), dense, L.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(arr(16, 4), arr(16, 1, seed=1), verbose=0)
    np.testing.assert_array_equal(dense.kernel.numpy(), np.ones((4, 3)))
