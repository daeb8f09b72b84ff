"""Initializers, regularizers, Adafactor, Lamb and LossScaleOptimizer: the rules Keras 3's
own tests state (keras/src/initializers/*_test.py, regularizers_test.py, adafactor_test.py,
lamb_test.py, loss_scale_optimizer_test.py), float64 gradient checks, configs and files.
Values against real Keras 3 are in compat_tests/test_extras_compat.py."""

import numpy as np
import pytest

import minikeras as keras
from tests.gradcheck import check_gradients

I = keras.initializers  # noqa: E741
R = keras.regularizers
O = keras.optimizers  # noqa: E741


# --- regularizers ------------------------------------------------------------------------

@pytest.mark.parametrize("mode, shape", [("rows", (4, 6)), ("columns", (6, 3))])
def test_orthogonal_regularizer_gradient(mode, shape, float64):
    reg = R.OrthogonalRegularizer(factor=0.3, mode=mode)
    x = np.random.default_rng(0).normal(size=shape)
    check_gradients(lambda w: reg(w), [x])


def test_orthogonal_regularizer_is_zero_for_orthogonal_rows_and_matches_the_formula():
    q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(5, 5)))
    assert float(R.OrthogonalRegularizer(0.1)(q[:3].astype("float32"))) < 1e-6
    x = np.random.default_rng(2).random((4, 4))
    n = x / np.linalg.norm(x, axis=1, keepdims=True)
    off = np.abs(n @ n.T * (1 - np.eye(4))).sum()
    np.testing.assert_allclose(float(R.OrthogonalRegularizer(0.1)(x)),
                               0.1 * 0.5 * off / (4 * 3 / 2), rtol=1e-6)


@pytest.mark.parametrize("value", ["0.1", None, [0.1], float("nan"), float("inf"), -1e-3])
def test_factor_validation(value):
    with pytest.raises(ValueError, match="expected a non-negative float"):
        R.OrthogonalRegularizer(factor=value)


def test_none_means_the_default_and_ints_are_floats():
    assert R.L1(None).l1 == 0.01 and R.L2(None).l2 == 0.01
    assert R.L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}
    assert isinstance(R.L2(1).l2, float)
    assert isinstance(R.get("l1l2"), R.L1L2)
    with pytest.raises(ValueError, match="Could not interpret regularizer"):
        R.get(0.5)


# --- initializers ------------------------------------------------------------------------

def test_seed_kinds():
    a = I.RandomUniform(seed=3)
    np.testing.assert_array_equal(a((3, 3)), a((3, 3)))
    g = I.RandomUniform(seed=keras.random.SeedGenerator(3))
    first, second = g((3, 3)), g((3, 3))
    assert not np.array_equal(first, second)
    again = I.RandomUniform(seed=keras.random.SeedGenerator(3))
    np.testing.assert_array_equal(again((3, 3)), first)  # the sequence repeats
    cfg = g.get_config()
    assert cfg["seed"]["class_name"] == "SeedGenerator" and cfg["seed"]["config"]["seed"] == 3
    from_cfg = I.RandomUniform.from_config(cfg)
    np.testing.assert_array_equal(from_cfg((3, 3)), first)
    assert from_cfg.get_config() == cfg
    for bad in ("1", 1.5, True, [1]):
        with pytest.raises(ValueError, match="SeedGenerator"):
            I.HeUniform(seed=bad)


def test_variance_scaling_axes():
    assert I.compute_fans((512, 8, 64), [0, 1], [2]) == (4096, 64)
    init = I.VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform",
                             input_axes=[0], output_axes=[1, 2], seed=1)
    w = init((30, 4, 5))
    limit = np.sqrt(3 * 2.0 / 20)
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.9 * limit
    cfg = init.get_config()
    assert cfg["input_axes"] == [0] and cfg["output_axes"] == [1, 2]
    assert I.GlorotUniform().get_config() == {"seed": None, "input_axes": None,
                                              "output_axes": None}
    with pytest.raises(ValueError, match="Invalid `mode` argument.*Did you mean 'fan_in'"):
        I.VarianceScaling(mode="fan_inn")


def test_constant_arrays_and_get_array():
    c = I.Constant([[1.0], [2.0]])
    np.testing.assert_array_equal(c((2, 3)), [[1, 1, 1], [2, 2, 2]])
    arr = np.arange(4.0).reshape(2, 2)
    c2 = I.Constant(arr)
    cfg = c2.get_config()
    assert cfg["value"]["class_name"] == "__numpy__"
    np.testing.assert_array_equal(I.Constant.from_config(cfg)((2, 2)), arr)
    fn = I.get(arr)
    np.testing.assert_array_equal(fn((2, 2)), arr)
    with pytest.raises(ValueError, match=r"Expected `shape` to be \(2, 2\)"):
        fn((4,))


def test_orthogonal_and_identity():
    for shape in ((5, 3), (3, 5), (2, 3, 4)):
        w = I.Orthogonal(gain=2.0, seed=0)(shape, dtype="float64").reshape(-1, shape[-1])
        gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
        np.testing.assert_allclose(gram, 4.0 * np.eye(len(gram)), atol=1e-12)
    assert I.get("OrthogonalInitializer").__class__ is I.Orthogonal
    assert I.get("IdentityInitializer").__class__ is I.Identity
    np.testing.assert_array_equal(I.identity(gain=3.0)((2, 3)), 3.0 * np.eye(2, 3))
    layer = keras.layers.Dense(4, kernel_initializer=I.OrthogonalInitializer(seed=2))
    layer(np.ones((1, 4), "float32"))
    k = layer.kernel.numpy()
    np.testing.assert_allclose(k.T @ k, np.eye(4), atol=1e-6)


# --- Adafactor and Lamb ------------------------------------------------------------------

@pytest.mark.parametrize("cls", [O.Adafactor, O.Lamb])
def test_weight_decay_and_exclusions(cls):
    """Keras' test: with a zero gradient only weight decay acts, w *= 1 - lr * wd."""
    v1, v2, v3 = (keras.Variable(np.float32(2.0), name=n) for n in ("a", "exclude", "c"))
    zero = np.zeros((), "float32")
    o1 = cls(learning_rate=1.0, weight_decay=0.004)
    o1.apply([zero], [v1])
    o2 = cls(learning_rate=1.0, weight_decay=0.004)
    o2.exclude_from_weight_decay(var_names=["exclude"])
    o2.apply([zero, zero], [v1, v2])
    o3 = cls(learning_rate=1.0, weight_decay=0.004)
    o3.exclude_from_weight_decay(var_list=[v3])
    o3.apply([zero, zero], [v1, v3])
    np.testing.assert_allclose(float(v1.numpy()), 2.0 * (1 - 0.004) ** 3, rtol=1e-6)
    assert float(v2.numpy()) == 2.0 and float(v3.numpy()) == 2.0


def test_adafactor_slots_follow_keras():
    opt = O.Adafactor()
    vs = [keras.Variable(np.ones(s, "float32"), name=n)
          for n, s in (("k", (2, 3, 4)), ("b", (4,)))]
    opt.build(vs)
    shapes = [tuple(v.shape) for v in opt.variables[2:]]
    assert shapes == [(2, 3), (2, 4), (2, 3, 4), (), (), (4,)]
    assert [v.name for v in opt.variables[2:]] == ["k", "k", "k_velocity", "b", "b",
                                                   "b_velocity"]


@pytest.mark.parametrize("make", [
    lambda: O.Adafactor(learning_rate=0.5, beta_2_decay=-0.65, epsilon_1=1e-15,
                        epsilon_2=1e-4, clip_threshold=0.9, relative_step=False),
    lambda: O.Lamb(learning_rate=0.5, beta_1=0.5, beta_2=0.67, epsilon=1e-5),
])
def test_config_round_trip(make):
    opt = make()
    again = O.deserialize(O.serialize(opt))
    assert type(again) is type(opt) and again.get_config() == opt.get_config()


@pytest.mark.parametrize("make, match", [
    (lambda: O.Adafactor(clip_threshold=0), "clip_threshold"),
    (lambda: O.Adafactor(relative_step="yes"), "relative_step"),
    (lambda: O.Lamb(beta_1=1.5), "beta_1"),
    (lambda: O.Lamb(epsilon=-1), "epsilon"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_lamb_trust_ratio_is_one_for_zero_weights():
    """||w|| = 0: the step is Adam's lr * m_hat / (sqrt(v_hat) + eps)."""
    w = keras.Variable(np.zeros(3, "float32"))
    g = np.array([1.0, -2.0, 0.5], "float32")
    O.Lamb(learning_rate=0.1).apply([g], [w])
    np.testing.assert_allclose(w.numpy(), -0.1 * g / (np.abs(g) + 1e-7), rtol=1e-5)


@pytest.mark.parametrize("opt", ["adafactor", "lamb"])
def test_train_in_float64(opt, float64):
    x = np.random.default_rng(0).normal(size=(32, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]])
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(opt, "mse")
    hist = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert model.get_weights()[0].dtype == np.float64
    assert hist.history["loss"][-1] < hist.history["loss"][0]


# --- LossScaleOptimizer and loss_scale_factor ----------------------------------------------

def test_loss_scale_optimizer_rules():
    opt = O.LossScaleOptimizer(O.SGD(0.5), initial_scale=8.0, dynamic_growth_steps=2)
    assert float(np.asarray(opt.scale_loss(2.0))) == 16.0  # before build: initial_scale
    w = keras.Variable(np.array([1.0, 2.0], "float32"))
    g = np.array([8.0, 16.0], "float32")  # scaled gradients: the true ones are [1, 2]
    opt.apply([g], [w])
    np.testing.assert_allclose(w.numpy(), [0.5, 1.0])
    assert int(opt.step_counter.numpy()) == 1 and float(opt.dynamic_scale.numpy()) == 8.0
    opt.apply([np.array([np.inf, 0.0], "float32")], [w])  # skipped, scale halved
    np.testing.assert_allclose(w.numpy(), [0.5, 1.0])
    assert int(opt.step_counter.numpy()) == 0 and float(opt.dynamic_scale.numpy()) == 4.0
    opt.apply([g / 2], [w])
    opt.apply([g / 2], [w])  # two finite steps in a row: scale doubles
    assert float(opt.dynamic_scale.numpy()) == 8.0 and int(opt.step_counter.numpy()) == 0
    assert int(opt.iterations.numpy()) == 3  # the inner optimizer's steps
    opt.learning_rate = 0.1
    assert float(np.asarray(opt.inner_optimizer.learning_rate)) == pytest.approx(0.1)
    with pytest.raises(TypeError, match="inner_optimizer"):
        O.LossScaleOptimizer("sgd")


@pytest.mark.parametrize("make", [
    lambda: O.SGD(0.05, loss_scale_factor=8.0),
    lambda: O.LossScaleOptimizer(O.SGD(0.05), initial_scale=64.0),
])
def test_loss_scaling_does_not_change_training(make):
    """Keras multiplies the loss by the scale before backpropagation and divides the
    gradients back: with powers of two the weights are those of plain SGD."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(24, 3)).astype("float32")
    y = rng.normal(size=(24, 2)).astype("float32")
    weights = None
    runs = []
    for opt in (O.SGD(0.05), make()):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        if weights is None:
            weights = model.get_weights()
        model.set_weights(weights)
        model.compile(opt, "mse")
        runs.append((model.fit(x, y, epochs=2, batch_size=8, shuffle=False,
                               verbose=0).history["loss"],
                     model.get_weights()))
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-6)
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_loss_scale_optimizer_in_files(tmp_path):
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    y = x[:, :1] * 2
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(O.LossScaleOptimizer(O.Adam(0.01), dynamic_growth_steps=3), "mse")
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.optimizer, O.LossScaleOptimizer)
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    loaded.fit(x, y, epochs=1, batch_size=4, verbose=0)


def test_keras3_initializer_aliases():
    """keras.initializers.{constant, identity, orthogonal, variance_scaling} are the classes."""
    assert I.variance_scaling is I.VarianceScaling and I.constant is I.Constant
    assert I.orthogonal is I.Orthogonal and I.identity is I.Identity
    w = I.variance_scaling(scale=0.5, mode="fan_avg", distribution="uniform", seed=0)((4, 6))
    assert np.abs(w).max() <= np.sqrt(3 * 0.5 / 5)
    np.testing.assert_array_equal(I.constant(2.0)((2,)), [2.0, 2.0])


def test_orthogonal_regularizer_single_row_is_zero():
    """One row has no pair to compare: 0 (Keras divides 0 by 0 and returns NaN)."""
    assert float(R.OrthogonalRegularizer(0.1)(np.ones((1, 4), "float32"))) == 0.0
    assert float(R.OrthogonalRegularizer(0.1, mode="columns")(np.ones((4, 1), "float32"))) == 0
