"""Keras 2's backend `K` and Keras 3's `keras.ops`: the names the course uses, with Keras'
shapes and dtypes."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import backend as K
from minikeras import ops


def test_config_functions():
    assert K.floatx() == "float32" and K.epsilon() == 1e-7
    K.set_floatx("float64")
    assert K.floatx() == "float64"
    assert K.cast_to_floatx([1, 2]).dtype == np.float64
    K.set_floatx("float32")
    with pytest.raises(ValueError, match="floatx"):
        K.set_floatx("int8")


def test_variables_constants_eval():
    v = K.variable([[1, 2], [3, 4]])
    assert v.dtype == np.float32 and K.int_shape(v) == (2, 2) and K.ndim(v) == 2
    K.set_value(v, np.zeros((2, 2)))
    np.testing.assert_array_equal(K.get_value(v), np.zeros((2, 2)))
    c = K.constant(3.0, shape=(2, 3))
    np.testing.assert_array_equal(K.eval(c), np.full((2, 3), 3.0, dtype="float32"))
    np.testing.assert_array_equal(K.eval(K.shape(c)), [2, 3])
    assert K.eval(K.zeros((2, 1))).shape == (2, 1) and K.eval(K.ones((3,))).sum() == 3
    assert K.count_params(K.zeros((4, 5))) == 20
    assert K.is_tensor(c) and not K.is_tensor(np.ones(2))


def test_dot_follows_keras2_shapes():
    x, y = np.random.rand(2, 3, 4), np.random.rand(5, 4, 2)
    out = K.eval(K.dot(x, y))
    assert out.shape == (2, 3, 5, 2)
    np.testing.assert_allclose(out, np.tensordot(x, y, axes=([2], [1])), rtol=1e-5)
    assert K.eval(K.dot(np.ones((3, 4)), np.ones((4, 2)))).shape == (3, 2)


def test_bias_add_formats():
    x = np.zeros((2, 3, 4))
    b = np.arange(3, dtype="float32")
    first = K.eval(K.bias_add(x, b, data_format="channels_first"))
    np.testing.assert_array_equal(first[0, :, 0], b)
    last = K.eval(K.bias_add(np.zeros((2, 3)), b, data_format="channels_last"))
    np.testing.assert_array_equal(last[1], b)
    with pytest.raises(ValueError, match="data_format"):
        K.bias_add(x, b, data_format="nhwc")


def test_reductions_and_elementwise():
    x = np.array([[1.0, -2.0], [3.0, -4.0]])
    np.testing.assert_allclose(K.eval(K.mean(x, axis=-1)), [-0.5, -0.5])
    np.testing.assert_allclose(K.eval(K.sum(K.abs(x))), 10.0)
    np.testing.assert_allclose(K.eval(K.square(x)), x ** 2)
    np.testing.assert_allclose(K.eval(K.max(x, axis=0)), [3.0, -2.0])
    np.testing.assert_allclose(K.eval(K.sqrt(np.array([4.0, -1.0]))), [2.0, 0.0])
    np.testing.assert_allclose(K.eval(K.clip(x, -1, 1)), np.clip(x, -1, 1))
    np.testing.assert_allclose(K.eval(K.pow(x, 2)), x ** 2)
    np.testing.assert_array_equal(K.eval(K.argmax(x, axis=-1)), [0, 0])
    np.testing.assert_array_equal(K.eval(K.equal(x, x)), np.ones((2, 2), bool))
    assert K.eval(K.cast(x, "int32")).dtype == np.int32
    assert K.eval(K.concatenate([x, x], axis=0)).shape == (4, 2)
    assert K.eval(K.reshape(x, (4,))).shape == (4,) and K.eval(K.transpose(x))[0, 1] == 3.0


def test_activations_and_losses():
    x = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_allclose(K.eval(K.relu(x)), [[0, 0, 2]])
    np.testing.assert_allclose(K.eval(K.softmax(x)).sum(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(K.eval(K.sigmoid(np.zeros(2))), [0.5, 0.5])
    np.testing.assert_allclose(K.eval(K.tanh(np.zeros(1))), [0.0])
    t = np.array([[0.0, 1.0, 0.0]])
    p = np.array([[0.2, 0.7, 0.1]])
    np.testing.assert_allclose(K.eval(K.categorical_crossentropy(t, p)), [-np.log(0.7)],
                               rtol=1e-6)
    np.testing.assert_allclose(K.eval(K.binary_crossentropy(np.array([1.0]), np.array([0.8]))),
                               [-np.log(0.8)], rtol=1e-6)


def test_random_functions_follow_the_global_seed():
    keras.utils.set_random_seed(3)
    a = K.eval(K.random_normal((3, 2)))
    keras.utils.set_random_seed(3)
    b = K.eval(K.random_normal((3, 2)))
    np.testing.assert_array_equal(a, b)
    u = K.eval(K.random_uniform((1000,), 2.0, 3.0))
    assert u.min() >= 2.0 and u.max() < 3.0


def test_ops_numpy_names():
    a = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(ops.matmul(a, a.T).numpy(), a @ a.T)
    np.testing.assert_allclose(ops.mean(a, axis=0).numpy(), a.mean(axis=0))
    np.testing.assert_allclose(ops.sum(ops.square(a)).numpy(), (a ** 2).sum())
    np.testing.assert_allclose(ops.tanh(a).numpy(), np.tanh(a), rtol=1e-6)
    np.testing.assert_allclose(ops.exp(a).numpy(), np.exp(a), rtol=1e-6)
    np.testing.assert_allclose(ops.log(a + 1).numpy(), np.log(a + 1), rtol=1e-6)
    assert ops.convert_to_tensor([1.0, 2.0]).dtype == np.float32
    assert ops.shape(a) == (2, 3)
    assert keras.ops.convert_to_numpy(ops.one_hot([0, 2], 3)).tolist() == [[1, 0, 0], [0, 0, 1]]


def test_tensor_operators_and_indexing():
    t = K.variable([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose((t + 1).numpy(), [[2, 3], [4, 5]])
    np.testing.assert_allclose((1 - t).numpy(), [[0, -1], [-2, -3]])
    np.testing.assert_allclose((t * t / 2).numpy(), [[0.5, 2], [4.5, 8]])
    np.testing.assert_allclose((2 ** t).numpy(), [[2, 4], [8, 16]])
    np.testing.assert_allclose((t @ t).numpy(), [[7, 10], [15, 22]])
    np.testing.assert_allclose(t[1].numpy(), [3, 4])
    np.testing.assert_allclose(t[:, 0].numpy(), [1, 3])
    np.testing.assert_allclose((-t).numpy(), -np.array([[1, 2], [3, 4]]))
    assert (t > 2).numpy().tolist() == [[False, False], [True, True]]
    assert np.asarray(t).shape == (2, 2) and float(t[0, 0]) == 1.0


def test_k_function_reads_hidden_activations():
    model = keras.Sequential([keras.layers.Dense(6, activation="relu", input_shape=(4,)),
                              keras.layers.Dense(2)])
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    hidden = K.function([model.input], [model.layers[0].output])([x])[0]
    kernel, bias = model.layers[0].get_weights()
    np.testing.assert_allclose(hidden, np.maximum(x @ kernel + bias, 0), rtol=1e-5, atol=1e-6)
    feature_model = keras.Model(inputs=model.input, outputs=model.layers[0].output)
    np.testing.assert_allclose(feature_model.predict(x, verbose=0), hidden, rtol=1e-6)


# --- the Keras 2 functions of custom noise and dropout layers --------------------------

class _CourseDropout(keras.layers.Layer):
    """A course's own dropout, written with K as in Keras 2 tutorials."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, x):
        keep = K.random_binomial(K.shape(x), p=1.0 - self.rate)
        return K.in_train_phase(x * keep / (1.0 - self.rate), x)


def test_in_train_phase_follows_the_call_in_progress():
    seen = []

    class Probe(keras.layers.Layer):
        def call(self, x):
            seen.append(K.in_train_phase(1, 0))
            return x

    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(2), Probe()])
    model.compile("sgd", "mse")
    x = np.ones((4, 2), "float32")
    model.fit(x, x, verbose=0, batch_size=4)
    model.predict(x, verbose=0)
    model.evaluate(x, x, verbose=0)
    assert seen[-3:] == [1, 0, 0]
    assert K.in_train_phase(1, 0) == 0 and K.in_test_phase(1, 0) == 1  # no call: phase 0
    with K.learning_phase_scope(1):
        assert K.learning_phase() == 1 and K.in_train_phase(lambda: "a", "b") == "a"
    assert K.learning_phase() == 0
    assert K.in_train_phase(1, 0, training=True) == 1


def test_course_dropout_written_with_k_trains_and_predicts_deterministically():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(16, "relu"),
                              _CourseDropout(0.5), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    losses = model.fit(x, y, epochs=5, verbose=0).history["loss"]
    assert losses[-1] < losses[0]
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))


def test_random_bernoulli_and_truncated_normal():
    draws = K.eval(K.random_bernoulli((200, 50), p=0.3, seed=4))
    assert set(np.unique(draws)) <= {0.0, 1.0} and draws.dtype == np.float32
    assert abs(draws.mean() - 0.3) < 0.02
    np.testing.assert_array_equal(draws, K.eval(K.random_binomial((200, 50), 0.3, seed=4)))
    t = K.eval(K.truncated_normal((20000,), mean=1.0, stddev=2.0, seed=1))
    assert t.min() >= 1.0 - 4.0 and t.max() <= 1.0 + 4.0 and abs(t.mean() - 1.0) < 0.05


def test_update_functions_assign_in_place():
    v = K.variable(np.array([1.0, 2.0]))
    K.update(v, [5.0, 6.0])
    K.update_add(v, [1.0, 1.0])
    K.update_sub(v, np.array([0.5, 0.5]))
    np.testing.assert_array_equal(K.eval(v), [5.5, 6.5])
