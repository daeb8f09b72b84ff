"""The rest of the public names: each is used the way Keras documents it, and checked against
an independent NumPy computation or Keras' documented definition."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import backend as K
from minikeras import ops


def test_noise_dropout_layers_are_identities_at_inference_and_noisy_in_training():
    x = np.ones((200, 50), dtype="float32")
    for layer in (keras.layers.AlphaDropout(0.2, seed=1), keras.layers.GaussianDropout(0.2)):
        np.testing.assert_array_equal(layer(x).numpy(), x)
        noisy = layer(x, training=True).numpy()
        assert noisy.std() > 0.1
    # GaussianDropout multiplies by N(1, rate/(1-rate)): mean 1, variance 0.25
    g = keras.layers.GaussianDropout(0.2)(x, training=True).numpy()
    assert abs(g.mean() - 1) < 0.02 and abs(g.var() - 0.25) < 0.02
    # AlphaDropout keeps the mean and variance of unit-normal (SELU) activations
    z = np.random.default_rng(0).normal(size=(400, 400)).astype("float32")
    a = keras.layers.AlphaDropout(0.2, seed=2)(z, training=True).numpy()
    assert abs(a.mean()) < 0.02 and abs(a.std() - 1) < 0.03


def test_save_model_function(tmp_path):
    model = keras.Sequential([keras.layers.Dense(2, input_dim=3)])
    path = tmp_path / "m.h5"
    keras.models.save_model(model, path)
    keras.saving.save_model(model, tmp_path / "n.h5")
    for p in (path, tmp_path / "n.h5"):
        again = keras.models.load_model(p)
        for a, b in zip(again.get_weights(), model.get_weights()):
            np.testing.assert_array_equal(a, b)


def test_correlation_metric_functions_match_numpy():
    rng = np.random.default_rng(0)
    yt, yp = rng.normal(size=(6, 20)), rng.normal(size=(6, 20))
    pear = np.asarray(keras.metrics.pearson_correlation(yt, yp))
    want = [np.corrcoef(a, b)[0, 1] for a, b in zip(yt, yp)]
    np.testing.assert_allclose(pear, want, rtol=1e-4)
    ccc = np.asarray(keras.metrics.concordance_correlation(yt, yp))
    mt, mp = yt.mean(1), yp.mean(1)
    cov = ((yt - mt[:, None]) * (yp - mp[:, None])).mean(1)
    want = 2 * cov / (yt.var(1) + yp.var(1) + (mt - mp) ** 2)
    np.testing.assert_allclose(ccc, want, rtol=1e-4)


@pytest.mark.parametrize("name,cls", [
    ("glorot_normal", "GlorotNormal"), ("glorot_uniform", "GlorotUniform"),
    ("he_normal", "HeNormal"), ("he_uniform", "HeUniform"), ("lecun_normal", "LecunNormal"),
    ("lecun_uniform", "LecunUniform")])
def test_initializer_function_aliases(name, cls):
    alias = getattr(keras.initializers, name)
    assert isinstance(alias(), getattr(keras.initializers, cls))
    assert isinstance(keras.initializers.get(name), getattr(keras.initializers, cls))


def test_custom_initializer_subclass():
    class Fives(keras.initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return np.full(shape, 5.0, dtype=dtype or "float32")

    layer = keras.layers.Dense(2, kernel_initializer=Fives())
    layer.build((None, 3))
    assert np.all(layer.kernel.numpy() == 5.0)


def test_regularizer_shortcuts_and_orthogonal():
    w = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    r = keras.regularizers.l1_l2(l1=0.1, l2=0.2)
    np.testing.assert_allclose(float(r(w)), 0.1 * np.abs(w).sum() + 0.2 * (w ** 2).sum(),
                               rtol=1e-5)
    assert keras.regularizers.l1_l2().l1 == pytest.approx(0.01)
    assert isinstance(keras.regularizers.Regularizer(), keras.regularizers.Regularizer)
    ortho = keras.regularizers.OrthogonalRegularizer(factor=0.5, mode="rows")
    rows = w / np.linalg.norm(w, axis=1, keepdims=True)
    gram = rows @ rows.T
    off = np.abs(gram - np.diag(np.diag(gram))).sum() / (4 * 3)
    np.testing.assert_allclose(float(ortho(w)), 0.5 * off, rtol=1e-5)


def test_constraint_aliases_and_custom_constraint():
    w = np.random.default_rng(2).normal(size=(5, 3)).astype("float32") * 3
    assert isinstance(keras.constraints.max_norm(2.0), keras.constraints.MaxNorm)
    assert isinstance(keras.constraints.min_max_norm(), keras.constraints.MinMaxNorm)
    norms = np.linalg.norm(np.asarray(keras.constraints.unit_norm()(w)), axis=0)
    np.testing.assert_allclose(norms, 1.0, rtol=1e-5)

    class Clip(keras.constraints.Constraint):
        def __call__(self, w):
            return K.clip(w, -0.1, 0.1)

    model = keras.Sequential([keras.layers.Dense(3, input_dim=3, kernel_constraint=Clip())])
    model.compile("sgd", "mse")
    model.fit(w, w, verbose=0)
    assert np.abs(model.layers[0].kernel.numpy()).max() <= 0.1 + 1e-7


def test_backend_batch_and_value_functions():
    a, b = np.random.rand(4, 2, 3), np.random.rand(4, 3, 5)
    np.testing.assert_allclose(K.eval(K.batch_dot(a, b, axes=(2, 1))), a @ b, rtol=1e-5)
    u, v = K.variable(np.zeros(2)), K.variable(np.ones(3))
    K.batch_set_value([(u, [1.0, 2.0]), (v, [3.0, 4.0, 5.0])])
    got = K.batch_get_value([u, v])
    np.testing.assert_array_equal(got[0], [1, 2])
    np.testing.assert_array_equal(got[1], [3, 4, 5])
    first, second = K.get_uid("thing"), K.get_uid("thing")
    assert second == first + 1
    assert K.is_keras_tensor(u)


def test_backend_comparisons_and_switch():
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])
    for fn, ref in ((K.greater, np.greater), (K.greater_equal, np.greater_equal),
                    (K.less, np.less), (K.less_equal, np.less_equal),
                    (K.not_equal, np.not_equal)):
        np.testing.assert_array_equal(K.eval(fn(x, y)), ref(x, y))
    np.testing.assert_array_equal(K.eval(K.switch(x > 1.5, x, -x)), [-1.0, 2.0, 3.0])
    g = K.gradients(K.sum(K.stop_gradient(K.variable(x)) * 2), [K.variable(x)])
    assert g == [None]


def test_backend_config_and_phase():
    assert K.image_data_format() == "channels_last"
    K.set_image_data_format("channels_first")
    assert K.image_data_format() == "channels_first"
    K.set_image_data_format("channels_last")
    K.set_epsilon(1e-5)
    assert K.epsilon() == 1e-5 and keras.config.epsilon() == 1e-5
    K.set_epsilon(1e-7)
    assert K.learning_phase() == 0
    K.set_learning_phase(1)
    assert K.learning_phase() == 1
    K.set_learning_phase(0)
    assert keras.config.image_data_format() == "channels_last"
    keras.config.set_image_data_format("channels_last")


def test_backend_random_variables_follow_their_parameters():
    n = K.eval(K.random_normal_variable((200, 200), 1.0, 2.0, seed=3))
    assert abs(n.mean() - 1) < 0.05 and abs(n.std() - 2) < 0.05
    u = K.eval(K.random_uniform_variable((200, 200), -1.0, 3.0, seed=3))
    assert u.min() >= -1 and u.max() <= 3 and abs(u.mean() - 1) < 0.05


def test_ops_numpy_like_functions_match_numpy():
    a = np.array([[0.5, -2.0, 3.0], [1.5, 0.25, -0.75]], dtype="float32")
    b = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype="float32")
    for fn, ref in ((ops.absolute, np.abs), (ops.log2, lambda z: np.log2(np.abs(z))),
                    (ops.log10, lambda z: np.log10(np.abs(z))), (ops.reciprocal, np.reciprocal)):
        arg = np.abs(a) if fn in (ops.log2, ops.log10) else a
        np.testing.assert_allclose(fn(arg).numpy(), ref(arg), rtol=1e-6)
    np.testing.assert_allclose(ops.amax(a, axis=1).numpy(), a.max(1))
    np.testing.assert_allclose(ops.amin(a).numpy(), a.min())
    np.testing.assert_allclose(ops.cumsum(a, axis=1).numpy(), np.cumsum(a, 1), rtol=1e-6)
    np.testing.assert_allclose(ops.true_divide(a, b).numpy(), a / b, rtol=1e-6)
    for fn, ref in ((ops.greater, np.greater), (ops.greater_equal, np.greater_equal),
                    (ops.less, np.less), (ops.less_equal, np.less_equal),
                    (ops.not_equal, np.not_equal)):
        np.testing.assert_array_equal(fn(a, b).numpy(), ref(a, b))
    p, q = a > 0, b > 3
    np.testing.assert_array_equal(ops.logical_and(p, q).numpy(), p & q)
    np.testing.assert_array_equal(ops.logical_or(p, q).numpy(), p | q)
    np.testing.assert_array_equal(ops.logical_not(p).numpy(), ~p)
    idx = np.array([[2, 0], [1, 1]])
    np.testing.assert_array_equal(ops.take_along_axis(a, idx, axis=1).numpy(),
                                  np.take_along_axis(a, idx, 1))
    np.testing.assert_array_equal(ops.in_top_k(np.array([2, 0]), a, 1).numpy(), [True, True])
    assert ops.stop_gradient(a).needs_grad is False
    import math

    np.testing.assert_allclose(ops.erf(a).numpy(), [[math.erf(v) for v in r] for r in a],
                               rtol=1e-6)


def test_random_seed_generator_and_randint():
    s1, s2 = keras.random.SeedGenerator(4), keras.random.SeedGenerator(4)
    a1, a2 = keras.random.normal((3,), seed=s1), keras.random.normal((3,), seed=s1)
    assert not np.array_equal(a1.numpy(), a2.numpy())  # successive draws differ
    np.testing.assert_array_equal(keras.random.normal((3,), seed=s2).numpy(), a1.numpy())
    r = keras.random.randint((1000,), 2, 5, seed=1).numpy()
    assert r.min() == 2 and r.max() == 4 and r.dtype == np.int32


def test_custom_objects_registry_and_scope(tmp_path):
    @keras.saving.register_keras_serializable(package="Course")
    class Double(keras.layers.Layer):
        def call(self, x):
            return x * 2.0

    assert keras.saving.get_registered_name(Double) == "Course>Double"
    assert keras.saving.get_registered_object("Course>Double") is Double
    assert keras.utils.get_custom_objects()["Course>Double"] is Double
    assert keras.saving.get_custom_objects() is keras.utils.get_custom_objects()

    class Triple(keras.layers.Layer):
        def call(self, x):
            return x * 3.0

    with keras.utils.CustomObjectScope({"Triple": Triple}):
        assert keras.utils.get_registered_object("Triple") is Triple
    assert keras.utils.get_registered_object("Triple") is None
    config = keras.saving.serialize_keras_object(keras.regularizers.L2(0.5))
    assert config["class_name"] == "L2" and config["config"] == {"l2": 0.5}
    back = keras.saving.deserialize_keras_object(config, {"L2": keras.regularizers.L2},
                                                 "regularizer")
    assert back.l2 == 0.5


def test_utils_normalize_and_progbar(capsys):
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(keras.utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    bar = keras.utils.Progbar(3, verbose=2)
    bar.update(3, {"loss": 0.5}, finalize=True)
    assert "3/3" in capsys.readouterr().out


def test_keras_tensor_and_version():
    x = keras.Input(shape=(4,))
    assert isinstance(x, keras.KerasTensor) and x.shape == (None, 4)
    assert keras.version() == keras.__version__
