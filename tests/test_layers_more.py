"""BatchNormalization, the activation layers, the merge layers and ActivityRegularization:
gradients (float64, random direction), behaviour against NumPy formulas, shape rules,
errors and config round trips."""

import numpy as np
import pytest

import minikeras as keras
from minikeras.layers import Layer
from tests.gradcheck import check_gradients, layer_fn

L = keras.layers


def arr(*shape, seed=0, scale=1.0, shift=0.0):
    return np.random.default_rng(seed).normal(size=shape) * scale + shift


def check_layer(layer, inputs, training=False, perturb_weights=True):
    xs = [np.asarray(x, dtype=np.float64) for x in inputs]
    layer(xs if len(xs) > 1 else xs[0])  # build
    weights = [w.numpy().copy() for w in layer.trainable_weights]
    if perturb_weights:
        weights = [w + arr(*w.shape, seed=7) * 0.3 for w in weights]
    check_gradients(layer_fn(layer, len(xs), training), xs + weights)


# --- gradient checks -------------------------------------------------------------------

GRAD_CASES = {
    "BatchNormalization_train": (lambda: L.BatchNormalization(), [arr(6, 4, scale=2, shift=1)],
                                 True),
    "BatchNormalization_train_axis1_3d": (lambda: L.BatchNormalization(axis=1),
                                          [arr(3, 4, 5, shift=-1)], True),
    "BatchNormalization_train_no_center": (lambda: L.BatchNormalization(center=False),
                                           [arr(5, 3)], True),
    "BatchNormalization_train_no_scale_no_center":
        (lambda: L.BatchNormalization(center=False, scale=False), [arr(5, 3)], True),
    "BatchNormalization_inference": (lambda: L.BatchNormalization(), [arr(6, 4)], False),
    "BatchNormalization_inference_axis1": (lambda: L.BatchNormalization(axis=1),
                                           [arr(3, 4, 2)], False),
    "LeakyReLU": (lambda: L.LeakyReLU(), [arr(5, 4)], False),
    "LeakyReLU_alpha": (lambda: L.LeakyReLU(alpha=0.05), [arr(5, 4)], False),
    "ELU": (lambda: L.ELU(alpha=0.7), [arr(5, 4)], False),
    "ReLU": (lambda: L.ReLU(), [arr(5, 4)], False),
    "ReLU_options": (lambda: L.ReLU(max_value=1.2, negative_slope=0.1, threshold=0.3),
                     [arr(6, 5)], False),
    "ReLU_slope_only": (lambda: L.ReLU(negative_slope=0.2), [arr(6, 5)], False),
    "ReLU_max6": (lambda: L.ReLU(max_value=6.0), [arr(6, 5, scale=5)], False),
    "Softmax": (lambda: L.Softmax(), [arr(4, 5)], False),
    "Softmax_axis1_3d": (lambda: L.Softmax(axis=1), [arr(2, 4, 3)], False),
    "Softmax_two_axes": (lambda: L.Softmax(axis=(1, 2)), [arr(2, 3, 4)], False),
    "PReLU": (lambda: L.PReLU(), [arr(5, 4)], False),
    "PReLU_shared": (lambda: L.PReLU(shared_axes=[1]), [arr(3, 4, 2)], False),
    "Add": (lambda: L.Add(), [arr(4, 3), arr(4, 3, seed=1), arr(4, 3, seed=2)], False),
    "Add_broadcast": (lambda: L.Add(), [arr(4, 3), arr(4, 1, seed=1)], False),
    "Add_ranks": (lambda: L.Add(), [arr(4, 3), arr(4, 2, 3, seed=1)], False),
    "Subtract": (lambda: L.Subtract(), [arr(4, 3), arr(4, 3, seed=1)], False),
    "Multiply": (lambda: L.Multiply(), [arr(4, 3), arr(4, 3, seed=1), arr(4, 1, seed=2)],
                 False),
    "Average": (lambda: L.Average(), [arr(4, 3), arr(4, 3, seed=1)], False),
    "Maximum": (lambda: L.Maximum(), [arr(4, 3), arr(4, 3, seed=1), arr(4, 3, seed=2)],
                False),
    "Minimum": (lambda: L.Minimum(), [arr(4, 3), arr(4, 3, seed=1)], False),
    "Concatenate": (lambda: L.Concatenate(), [arr(4, 3), arr(4, 2, seed=1)], False),
    "Concatenate_axis1": (lambda: L.Concatenate(axis=1), [arr(2, 3, 4), arr(2, 1, 4, seed=1)],
                          False),
    "ActivityRegularization": (lambda: L.ActivityRegularization(l1=0.1, l2=0.2), [arr(4, 3)],
                               False),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_layer_gradients(name, float64):
    make, inputs, training = GRAD_CASES[name]
    check_layer(make(), inputs, training=training)


def test_prelu_gradient_with_negative_alpha_weights(float64):
    layer = L.PReLU(alpha_initializer=keras.initializers.Constant(-0.4))
    check_layer(layer, [arr(5, 4)], perturb_weights=False)


def test_activity_regularization_penalty_gradient(float64):
    layer = L.ActivityRegularization(l1=0.3, l2=0.05)

    def penalty(x):
        layer(x)
        return layer.losses[0]

    check_gradients(penalty, [arr(4, 3)])


def test_frozen_batch_norm_gradient_in_training_mode_is_inference_one(float64):
    layer = L.BatchNormalization(trainable=False)
    x = arr(5, 3)
    layer(x)
    layer.moving_mean.assign(arr(3, seed=3))
    layer.moving_variance.assign(np.abs(arr(3, seed=4)) + 0.5)
    check_gradients(lambda t: layer(t, training=True), [x])


# --- BatchNormalization behaviour ------------------------------------------------------

def test_batch_norm_training_normalises_and_updates_moving_statistics():
    x = arr(16, 3, scale=3, shift=2).astype("float32")
    layer = L.BatchNormalization(momentum=0.9, epsilon=1e-3)
    y = layer(x, training=True).numpy()
    mean, var = x.mean(axis=0), x.var(axis=0)  # the biased variance
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-5)
    y2 = layer(x + 1, training=True)
    assert y2.shape == x.shape
    np.testing.assert_allclose(layer.moving_mean.numpy(),
                               0.9 * 0.1 * mean + 0.1 * (mean + 1), rtol=1e-5)


def test_batch_norm_inference_uses_moving_statistics_and_changes_nothing():
    layer = L.BatchNormalization(epsilon=0.01)
    x = arr(8, 4).astype("float32")
    layer(x)
    gamma, beta = arr(4, seed=1), arr(4, seed=2)
    mm, mv = arr(4, seed=3), np.abs(arr(4, seed=4)) + 0.1
    layer.set_weights([gamma, beta, mm, mv])
    before = layer.get_weights()
    y = layer(x).numpy()
    np.testing.assert_allclose(y, gamma * (x - mm) / np.sqrt(mv + 0.01) + beta, rtol=1e-5,
                               atol=1e-5)
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_batch_norm_weights_order_names_and_trainability():
    layer = L.BatchNormalization()
    layer(np.zeros((2, 5), "float32"))
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean",
                                               "moving_variance"]
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    np.testing.assert_array_equal(layer.get_weights()[0], np.ones(5))
    np.testing.assert_array_equal(layer.get_weights()[3], np.ones(5))
    assert layer.count_params() == 20
    no_affine = L.BatchNormalization(center=False, scale=False)
    no_affine(np.zeros((2, 5), "float32"))
    assert [w.name for w in no_affine.weights] == ["moving_mean", "moving_variance"]


def test_batch_norm_axis_1_and_keras2_list_axis():
    x = arr(4, 3, 5).astype("float32")
    for axis in (1, [1], -2):
        layer = L.BatchNormalization(axis=axis, momentum=0.0)
        layer(x, training=True)
        assert layer.moving_mean.shape == (3,)
        np.testing.assert_allclose(layer.moving_mean.numpy(), x.mean(axis=(0, 2)), rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(layer.moving_variance.numpy(), x.var(axis=(0, 2)),
                                   rtol=1e-5)
    multi = L.BatchNormalization(axis=[1, 2])
    y = multi(x, training=True).numpy()
    assert multi.gamma.shape == (3, 5)
    np.testing.assert_allclose(y, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3), rtol=1e-4,
                               atol=1e-5)


def test_batch_norm_fit_updates_moving_stats_but_predict_and_evaluate_do_not():
    x = arr(64, 3, scale=2, shift=5).astype("float32")
    y = arr(64, 1, seed=1).astype("float32")
    model = keras.Sequential([keras.Input((3,)), L.BatchNormalization(), L.Dense(1)])
    model.compile("sgd", "mse")
    bn = model.layers[0]
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert not np.allclose(bn.moving_mean.numpy(), 0)
    stats = [bn.moving_mean.numpy().copy(), bn.moving_variance.numpy().copy()]
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    model(x)
    np.testing.assert_array_equal(stats[0], bn.moving_mean.numpy())
    np.testing.assert_array_equal(stats[1], bn.moving_variance.numpy())


def test_batch_norm_moving_stats_follow_the_keras_recurrence_in_fit():
    x = arr(12, 2, scale=3, shift=1).astype("float32")
    y = np.zeros((12, 2), "float32")
    model = keras.Sequential([keras.Input((2,)), L.BatchNormalization(momentum=0.8)])
    model.compile(keras.optimizers.SGD(0.0), "mse")
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    mm, mv = np.zeros(2), np.ones(2)
    for i in range(0, 12, 4):
        b = x[i:i + 4]
        mm = mm * 0.8 + b.mean(0) * 0.2
        mv = mv * 0.8 + b.var(0) * 0.2
    bn = model.layers[0]
    np.testing.assert_allclose(bn.moving_mean.numpy(), mm, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), mv, rtol=1e-5)


def test_frozen_batch_norm_runs_in_inference_mode_and_keeps_its_weights():
    x = arr(32, 3, scale=2, shift=1).astype("float32")
    y = arr(32, 1, seed=1).astype("float32")
    bn = L.BatchNormalization(trainable=False)
    model = keras.Sequential([keras.Input((3,)), L.Dense(3), bn, L.Dense(1)])
    model.compile("sgd", "mse")
    assert len(model.trainable_weights) == 4
    before = bn.get_weights()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    for a, b in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(a, b)
    h = arr(5, 3).astype("float32")
    np.testing.assert_allclose(bn(h, training=True).numpy(), bn(h).numpy())


def test_batch_norm_regularizers_and_errors():
    layer = L.BatchNormalization(gamma_regularizer=keras.regularizers.L2(0.5),
                                 beta_regularizer="l1")
    layer(np.zeros((2, 3), "float32"))
    assert len(layer.losses) == 2
    np.testing.assert_allclose(float(layer.losses[0]), 0.5 * 3)
    with pytest.raises(ValueError, match="incompatible"):
        layer(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match="renorm_clipping"):  # Keras' check (policy branch)
        L.BatchNormalization(renorm=True, renorm_clipping={"rmax": 1.0, "rmin": 2.0})
    with pytest.raises(ValueError, match="out of bounds"):
        L.BatchNormalization(axis=3)(np.zeros((2, 3), "float32"))
    with pytest.raises(TypeError, match="axis"):
        L.BatchNormalization(axis="x")


BN_KERAS3_CONFIG_KEYS = {
    # keras/src/layers/normalization/batch_normalization.py get_config, plus the base keys
    "name", "trainable", "dtype", "axis", "momentum", "epsilon", "center", "scale",
    "beta_initializer", "gamma_initializer", "moving_mean_initializer",
    "moving_variance_initializer", "beta_regularizer", "gamma_regularizer",
    "beta_constraint", "gamma_constraint", "synchronized", "renorm", "renorm_clipping",
    "renorm_momentum",
}


def test_batch_norm_config_keys_match_keras3():
    assert set(L.BatchNormalization().get_config()) == BN_KERAS3_CONFIG_KEYS


def test_batch_norm_reads_a_keras2_config():
    cfg = {"name": "bn", "trainable": True, "dtype": "float32", "axis": [1],
           "momentum": 0.9, "epsilon": 0.001, "center": True, "scale": True,
           "beta_initializer": {"class_name": "Zeros", "config": {}},
           "gamma_initializer": {"class_name": "Ones", "config": {}},
           "moving_mean_initializer": {"class_name": "Zeros", "config": {}},
           "moving_variance_initializer": {"class_name": "Ones", "config": {}},
           "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
           "gamma_constraint": None}
    layer = L.deserialize({"class_name": "BatchNormalization", "config": cfg})
    assert layer.axis == 1 and layer.momentum == 0.9 and layer.name == "bn"


# --- activation layers -----------------------------------------------------------------

def test_activation_layer_values():
    x = np.array([[-2.0, -0.5, 0.0, 0.3, 0.5, 1.0, 7.0]], "float32")
    np.testing.assert_allclose(L.LeakyReLU()(x).numpy(), np.where(x >= 0, x, 0.3 * x))
    np.testing.assert_allclose(L.LeakyReLU(negative_slope=0.1)(x).numpy(),
                               np.where(x >= 0, x, 0.1 * x))
    np.testing.assert_allclose(L.ELU()(x).numpy(), np.where(x > 0, x, np.expm1(x)), rtol=1e-6)
    np.testing.assert_allclose(L.ELU(0.5)(x).numpy(), np.where(x > 0, x, 0.5 * np.expm1(x)),
                               rtol=1e-6)
    np.testing.assert_allclose(L.ReLU()(x).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(L.ReLU(max_value=6.0)(x).numpy(), np.clip(x, 0, 6))
    # Keras' threshold form: x for x > threshold (0 at the threshold itself), else
    # negative_slope * (x - threshold); the positive part capped at max_value
    got = L.ReLU(max_value=0.9, negative_slope=0.2, threshold=0.5)(x).numpy()
    want = np.where(x > 0.5, np.minimum(x, 0.9), 0.2 * np.minimum(x - 0.5, 0))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert got[0, 4] == 0.0
    e = np.exp(x - x.max())
    np.testing.assert_allclose(L.Softmax()(x).numpy(), e / e.sum(), rtol=1e-6)


def test_prelu_values_shapes_and_training():
    x = arr(4, 3, 2).astype("float32")
    layer = L.PReLU(alpha_initializer=keras.initializers.Constant(0.25), shared_axes=2)
    y = layer(x).numpy()
    assert layer.alpha.shape == (3, 1)
    np.testing.assert_allclose(y, np.where(x > 0, x, 0.25 * x), rtol=1e-6)
    assert L.PReLU()(x).numpy().min() == 0  # alpha starts at zero: a ReLU
    model = keras.Sequential([keras.Input((3,)), L.Dense(4), L.PReLU(), L.Dense(1)])
    model.compile("sgd", "mse")
    prelu = model.layers[1]
    model.fit(arr(32, 3).astype("float32"), arr(32, 1, seed=1).astype("float32"), verbose=0)
    assert not np.allclose(prelu.alpha.numpy(), 0)
    with pytest.raises(ValueError, match="known size"):
        L.PReLU()(keras.Input((None, 3)))


def test_softmax_axes_and_mask():
    x = arr(2, 3, 4).astype("float32")
    y = L.Softmax(axis=(1, 2))(x).numpy()
    np.testing.assert_allclose(y.sum(axis=(1, 2)), 1.0, rtol=1e-6)
    y1 = L.Softmax(axis=1)(x).numpy()
    np.testing.assert_allclose(y1.sum(axis=1), 1.0, rtol=1e-6)
    mask = np.array([[True, True, False, True]])
    ym = L.Softmax()(x[0], mask=mask).numpy()
    assert np.all(ym[:, 2] == 0)
    np.testing.assert_allclose(ym.sum(axis=-1), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="broadcastable"):
        L.Softmax()(x[0], mask=np.ones((2, 2), bool))


def test_activation_layer_argument_errors():
    with pytest.raises(ValueError, match="negative_slope"):
        L.LeakyReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match="max_value"):
        L.ReLU(max_value=-1)
    with pytest.raises(ValueError, match="threshold"):
        L.ReLU(threshold=-1)
    with pytest.raises(ValueError, match="alpha_initialiser|did you mean"):
        L.PReLU(alpha_initialiser="zeros")


def test_layer_auto_names_follow_keras():
    # Keras 3 names these layers so (snake case of the class name)
    names = [L.LeakyReLU().name, L.PReLU().name, L.ReLU().name, L.ELU().name,
             L.Softmax().name, L.BatchNormalization().name, L.ActivityRegularization().name]
    assert names == ["leaky_re_lu", "p_re_lu", "re_lu", "elu", "softmax",
                     "batch_normalization", "activity_regularization"]


# --- merge layers ----------------------------------------------------------------------

def test_merge_layer_values():
    a, b, c = arr(4, 3), arr(4, 3, seed=1), arr(4, 3, seed=2)
    a, b, c = (v.astype("float32") for v in (a, b, c))
    np.testing.assert_allclose(L.Add()([a, b, c]).numpy(), a + b + c, rtol=1e-6)
    np.testing.assert_allclose(L.Subtract()([a, b]).numpy(), a - b)
    np.testing.assert_allclose(L.Multiply()([a, b, c]).numpy(), a * b * c, rtol=1e-6)
    np.testing.assert_allclose(L.Average()([a, b, c]).numpy(), (a + b + c) / 3, rtol=1e-6)
    np.testing.assert_allclose(L.Maximum()([a, b, c]).numpy(), np.maximum(np.maximum(a, b), c))
    np.testing.assert_allclose(L.Minimum()([a, b]).numpy(), np.minimum(a, b))
    np.testing.assert_allclose(L.Concatenate()([a, b]).numpy(), np.concatenate([a, b], -1))
    np.testing.assert_allclose(L.Concatenate(axis=0)([a, b]).numpy(), np.concatenate([a, b]))
    np.testing.assert_allclose(L.add([a, b]).numpy(), a + b)
    np.testing.assert_allclose(L.concatenate([a, b], axis=1).numpy(),
                               np.concatenate([a, b], 1))
    np.testing.assert_allclose(L.Add()([a]).numpy(), a)


def test_merge_broadcasting_and_rank_expansion():
    a = arr(4, 3).astype("float32")
    col = arr(4, 1, seed=1).astype("float32")
    np.testing.assert_allclose(L.Multiply()([a, col]).numpy(), a * col)
    cube = arr(4, 2, 3, seed=2).astype("float32")
    # a lower-rank input is expanded at axis 1, then broadcast
    np.testing.assert_allclose(L.Add()([a, cube]).numpy(), a[:, None, :] + cube)
    assert L.Add()([keras.Input((3,)), keras.Input((2, 3))]).shape == (None, 2, 3)
    assert L.Maximum()([keras.Input((1,)), keras.Input((5,))]).shape == (None, 5)
    assert L.Add()([keras.Input((None,)), keras.Input((4,))]).shape == (None, None)


def test_merge_symbolic_shapes_and_errors():
    a, b = keras.Input((3,)), keras.Input((2,))
    assert L.Concatenate()([a, b]).shape == (None, 5)
    assert L.Concatenate(axis=1)([keras.Input((2, 4)), keras.Input((3, 4))]).shape == \
        (None, 5, 4)
    assert L.Concatenate()([keras.Input((None,)), a]).shape == (None, None)
    with pytest.raises(ValueError, match="incompatible shapes"):
        L.Add()([a, b])
    with pytest.raises(ValueError, match="matching shapes"):
        L.Concatenate(axis=1)([keras.Input((2, 4)), keras.Input((3, 5))])
    with pytest.raises(ValueError, match="matching shapes"):
        L.Concatenate()([a, keras.Input((2, 3))])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        L.Subtract()([a, a, a])
    with pytest.raises(ValueError, match="list"):
        L.Add()(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="batch sizes"):
        L.Add()([np.zeros((2, 3), "float32"), np.zeros((3, 3), "float32")])
    layer = L.Add()
    layer([np.zeros((2, 3), "float32"), np.zeros((2, 3), "float32")])
    with pytest.raises(ValueError, match="incompatible shapes"):  # checked on every call
        layer([np.zeros((2, 3), "float32"), np.zeros((2, 4), "float32")])


def test_merge_layers_in_a_functional_model_train():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    ha, hb = L.Dense(4)(a), L.Dense(4)(b)
    merged = L.Concatenate()([L.Add()([ha, hb]), L.Multiply()([ha, hb]),
                              L.Maximum()([ha, hb])])
    out = L.Dense(1)(merged)
    model = keras.Model([a, b], out)
    model.compile("adam", "mse")
    xa, xb = arr(64, 3).astype("float32"), arr(64, 3, seed=1).astype("float32")
    y = (xa[:, :1] * xb[:, 1:2]).astype("float32")
    hist = model.fit([xa, xb], y, epochs=5, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert model.predict({"a": xa, "b": xb}, verbose=0).shape == (64, 1)


# --- ActivityRegularization ------------------------------------------------------------

def test_activity_regularization_adds_the_batch_averaged_penalty_to_the_loss():
    x = arr(8, 3).astype("float32")
    y = np.zeros((8, 2), "float32")
    dense = L.Dense(2, kernel_initializer="ones")
    plain = keras.Sequential([keras.Input((3,)), dense])
    reg = keras.Sequential([keras.Input((3,)), dense,
                            L.ActivityRegularization(l1=0.01, l2=0.1)])
    for m in (plain, reg):
        m.compile("sgd", "mse")
    h = dense(x).numpy()
    penalty = (0.01 * np.abs(h).sum() + 0.1 * np.square(h).sum()) / 8
    got = reg.evaluate(x, y, verbose=0, batch_size=8)
    np.testing.assert_allclose(got, plain.evaluate(x, y, verbose=0, batch_size=8) + penalty,
                               rtol=1e-5)
    layer = L.ActivityRegularization(l1=0.5)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    assert layer.get_config()["l1"] == 0.5 and "activity_regularizer" not in layer.get_config()


# --- configs ---------------------------------------------------------------------------

CONFIG_CASES = [
    lambda: L.BatchNormalization(axis=1, momentum=0.9, epsilon=0.01, center=False,
                                 gamma_initializer="random_normal",
                                 gamma_regularizer=keras.regularizers.L2(0.1),
                                 gamma_constraint=keras.constraints.NonNeg()),
    lambda: L.LeakyReLU(negative_slope=0.2),
    lambda: L.ELU(alpha=0.4),
    lambda: L.ReLU(max_value=3.0, negative_slope=0.1, threshold=0.2),
    lambda: L.Softmax(axis=[1, 2]),
    lambda: L.PReLU(alpha_initializer="ones", alpha_regularizer="l2",
                    alpha_constraint="non_neg", shared_axes=[1, 2]),
    lambda: L.Concatenate(axis=1),
    lambda: L.Add(), lambda: L.Subtract(), lambda: L.Multiply(), lambda: L.Average(),
    lambda: L.Maximum(), lambda: L.Minimum(),
    lambda: L.ActivityRegularization(l1=0.1, l2=0.2),
]


@pytest.mark.parametrize("make", CONFIG_CASES)
def test_config_round_trip(make):
    layer = make()
    cfg = layer.get_config()
    again = type(layer).from_config(cfg)
    assert again.get_config() == cfg
    by_name = L.deserialize(L.serialize(layer))
    assert type(by_name) is type(layer) and by_name.get_config() == cfg
    assert isinstance(layer, Layer)


def test_config_round_trip_keeps_behaviour():
    x = arr(3, 4).astype("float32")
    for layer in (L.ReLU(max_value=1.0, negative_slope=0.3, threshold=0.1), L.ELU(alpha=0.3),
                  L.LeakyReLU(0.05), L.Softmax(axis=0)):
        again = type(layer).from_config(layer.get_config())
        np.testing.assert_array_equal(layer(x).numpy(), again(x).numpy())


def test_model_with_new_layers_saves_and_loads_h5(tmp_path):
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    h = L.Concatenate()([L.Dense(3)(a), L.Subtract()([a, b])])
    h = L.BatchNormalization()(h)
    h = L.PReLU()(L.LeakyReLU(0.1)(h))
    h = L.ActivityRegularization(l2=0.01)(L.ELU()(h))
    out = L.Softmax()(L.Dense(3)(L.Average()([h, L.ReLU(max_value=2.0)(h)])))
    model = keras.Model([a, b], out)
    model.compile("adam", "categorical_crossentropy")
    xa, xb = arr(16, 4).astype("float32"), arr(16, 4, seed=1).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(16) % 3]
    model.fit([xa, xb], y, epochs=1, verbose=0)
    path = tmp_path / "m.h5"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict([xa, xb], verbose=0),
                               model.predict([xa, xb], verbose=0), rtol=1e-6)
    assert [type(x).__name__ for x in loaded.layers] == [type(x).__name__ for x in model.layers]
