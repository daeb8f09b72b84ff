"""Optimizers: construction errors, the shared step (clipping, weight decay, EMA, constraints,
missing gradients), the learning rate (float, schedule, callable, settable, Keras 2 `lr=` and
`decay=`), variables, configs and `keras.optimizers.get`.

The update rules themselves are checked against real Keras in
compat_tests/test_function_compat_optimizers.py; here expectations follow from the
documented contract (e.g. lr / (1 + decay * t)) or from invariants.
"""

import warnings

import numpy as np
import pytest

import minikeras as keras
from minikeras.autodiff.tensor import Tensor

O = keras.optimizers
ALIASES = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW",
           "adagrad": "Adagrad", "adadelta": "Adadelta", "adamax": "Adamax", "nadam": "Nadam",
           "lion": "Lion", "ftrl": "Ftrl"}
CLASSES = sorted(ALIASES.values())


def variables(seed=0):
    rng = np.random.default_rng(seed)
    return [keras.Variable(rng.normal(size=(3, 2)).astype("float32"), name="w"),
            keras.Variable(rng.normal(size=(2,)).astype("float32"), name="b")]


def grads(seed=1, scale=1.0):
    rng = np.random.default_rng(seed)
    return [(scale * rng.normal(size=(3, 2))).astype("float32"),
            (scale * rng.normal(size=(2,))).astype("float32")]


# --- get / aliases ------------------------------------------------------------------------

@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_get_every_alias_case_insensitively(alias):
    for spelling in (alias, alias.upper(), ALIASES[alias]):
        opt = O.get(spelling)
        assert type(opt).__name__ == ALIASES[alias]
        assert isinstance(opt, O.Optimizer)


def test_get_instances_classes_dicts_and_none():
    sgd = O.SGD(0.3)
    assert O.get(sgd) is sgd
    assert isinstance(O.get(O.Adam), O.Adam)
    assert O.get(None) is None
    opt = O.get({"class_name": "Adamax", "config": {"learning_rate": 0.2}})
    assert isinstance(opt, O.Adamax) and float(opt.learning_rate.numpy()) == pytest.approx(0.2)
    opt = O.get({"class_name": "Custom>Adam", "config": {"lr": 0.5, "decay": 0.0}})
    assert isinstance(opt, O.Adam) and float(opt.learning_rate.numpy()) == pytest.approx(0.5)


def test_get_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError, match="'adma'.*Did you mean 'adam'"):
        O.get("adma")
    with pytest.raises(ValueError, match="Could not interpret optimizer"):
        O.get(3.5)


def test_compile_accepts_every_alias_and_trains():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = (x @ rng.normal(size=(3, 1))).astype("float32")
    for alias in ALIASES:
        model = keras.Sequential([keras.layers.Dense(1, input_dim=3)])
        model.compile(alias, "mse")
        assert type(model.optimizer).__name__ == ALIASES[alias]
        history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
        assert np.isfinite(history.history["loss"]).all()
        assert int(model.optimizer.iterations.numpy()) == 8


def test_legacy_namespace_has_keras2_classes():
    for name in ("SGD", "RMSprop", "Adam", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl"):
        cls = getattr(O.legacy, name)
        assert issubclass(cls, getattr(O, name)) and cls.__name__ == name
        assert cls(lr=0.1).get_config()["decay"] == 0.0


# --- construction errors --------------------------------------------------------------------

@pytest.mark.parametrize("cls,kwargs,match", [
    (O.SGD, {"momentum": 1.5}, "momentum"),
    (O.SGD, {"momentum": "0.9"}, "momentum"),
    (O.SGD, {"learning_rate": "0.1"}, "learning_rate"),
    (O.SGD, {"learning_rate": -0.1}, "learning_rate"),
    (O.SGD, {"learning_rate": float("nan")}, "learning_rate"),
    (O.SGD, {"learning_rate": [0.1]}, "learning_rate"),
    (O.SGD, {"clipnorm": 1.0, "clipvalue": 0.5}, "clipnorm=1.0, clipvalue=0.5"),
    (O.SGD, {"clipnorm": -1.0}, "clipnorm"),
    (O.SGD, {"global_clipnorm": "big"}, "global_clipnorm"),
    (O.SGD, {"weight_decay": -0.1}, "weight_decay"),
    (O.SGD, {"decay": -0.1}, "decay"),
    (O.SGD, {"decay": "1e-6"}, "decay"),
    (O.SGD, {"ema_momentum": 1.5, "use_ema": True}, "ema_momentum"),
    (O.SGD, {"use_ema": True, "ema_overwrite_frequency": 0}, "ema_overwrite_frequency"),
    (O.SGD, {"use_ema": "yes"}, "use_ema"),
    (O.SGD, {"loss_scale_factor": 0.0}, "loss_scale_factor"),
    (O.SGD, {"gradient_accumulation_steps": 1}, "gradient_accumulation_steps"),  # Keras: >= 2
    (O.SGD, {"lr": 0.1, "learning_rate": 0.2}, "lr=0.1.*learning_rate=0.2"),
    (O.Adam, {"beta_1": 1.2}, "beta_1"),
    (O.Adam, {"epsilon": -1e-7}, "epsilon"),
    (O.RMSprop, {"rho": -0.1}, "rho"),
    (O.AdamW, {"weight_decay": None}, "weight_decay"),
    (O.Adagrad, {"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
    (O.Adadelta, {"rho": 2.0}, "rho"),
    (O.Adamax, {"beta_2": 1.5}, "beta_2"),
    (O.Nadam, {"beta_1": -0.5}, "beta_1"),
    (O.Lion, {"beta_1": 0.0}, "beta_1"),
    (O.Ftrl, {"learning_rate_power": 0.5}, "learning_rate_power"),
    (O.Ftrl, {"l1_regularization_strength": -1.0}, "l1_regularization_strength"),
    (O.Ftrl, {"l2_shrinkage_regularization_strength": -1.0},
     "l2_shrinkage_regularization_strength"),
])
def test_bad_arguments_name_the_argument(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_unknown_keyword_suggests_the_closest():
    with pytest.raises(ValueError, match="'momentun'.*Did you mean 'momentum'"):
        O.SGD(momentun=0.9)
    with pytest.raises(ValueError, match="'clip_norm'.*'clipnorm'"):
        O.Adam(clip_norm=1.0)


def test_keras2_tf_config_keys_are_accepted():
    opt = O.Adam(learning_rate=0.01, jit_compile=True, is_legacy_optimizer=False)
    assert float(opt.learning_rate.numpy()) == pytest.approx(0.01)


# --- apply ------------------------------------------------------------------------------

def test_apply_argument_errors():
    opt = O.SGD(0.1)
    w, b = variables()
    with pytest.raises(ValueError, match="optimizer.build"):
        opt.apply(grads())
    with pytest.raises(ValueError, match="2 gradients for 1 variables"):
        opt.apply(grads(), [w])
    with pytest.raises(ValueError, match=r"variable 'w' has shape \(2, 3\).*\(3, 2\)"):
        opt.apply([np.ones((2, 3), "float32"), np.ones(2, "float32")], [w, b])
    assert int(opt.iterations.numpy()) == 0
    opt.apply(grads(), [w, b])
    other = keras.Variable(np.ones((3, 2), "float32"), name="other")
    with pytest.raises(ValueError, match="Unknown variable: 'other'"):
        opt.apply(grads(), [other, b])
    with pytest.raises(ValueError, match="No gradients provided"):
        opt.apply([None, None], [w, b])
    with pytest.raises(TypeError, match="element 0"):
        O.SGD().apply([np.ones(2)], [np.ones(2)])


def test_empty_gradients_are_a_no_op():
    opt = O.Adam()
    opt.apply([], [])
    opt.apply_gradients([])
    assert int(opt.iterations.numpy()) == 0 and not opt.built


def test_missing_gradient_warns_and_leaves_that_variable_alone():
    opt = O.Adam(0.1)
    w, b = variables()
    b_before = b.numpy().copy()
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['b'\]"):
        opt.apply([grads()[0], None], [w, b])
    np.testing.assert_array_equal(b.numpy(), b_before)
    assert int(opt.iterations.numpy()) == 1


def test_apply_works_in_place_and_leaves_the_gradients_alone():
    for cls in CLASSES:
        opt = getattr(O, cls)(clipnorm=0.5)
        vs = variables()
        arrays = [v.value for v in vs]
        gs = grads()
        copies = [g.copy() for g in gs]
        for _ in range(3):
            opt.apply(gs, vs)
        assert all(v.value is a for v, a in zip(vs, arrays)), cls
        assert all(np.array_equal(g, c) for g, c in zip(gs, copies)), cls
        assert all(v.dtype == np.float32 for v in vs + opt.variables[1:]), cls


def test_gradients_as_tensors_lists_and_float64_are_converted():
    opt = O.SGD(0.5)
    w, b = variables()
    w0 = w.numpy().copy()
    opt.apply_gradients([(Tensor(np.ones((3, 2))), w), ([1.0, 2.0], b)])
    np.testing.assert_allclose(w.numpy(), w0 - 0.5, rtol=1e-6)
    assert w.dtype == np.float32


def test_float64_variables(float64):
    w = keras.Variable(np.ones((2, 2)), name="w")
    assert w.dtype == np.float64
    for cls in CLASSES:
        opt = getattr(O, cls)(use_ema=True)
        opt.apply([np.full((2, 2), 0.5)], [w])
        assert all(v.dtype == np.float64 for v in opt.variables[1:]), cls
        assert w.dtype == np.float64


def test_sgd_is_w_minus_lr_g():
    opt = O.SGD(0.25)
    w, b = variables()
    w0, b0 = w.numpy().copy(), b.numpy().copy()
    gw, gb = grads()
    opt.apply([gw, gb], [w, b])
    np.testing.assert_allclose(w.numpy(), w0 - np.float32(0.25) * gw, rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), b0 - np.float32(0.25) * gb, rtol=1e-6)


def test_clipnorm_clips_each_gradient_and_global_clipnorm_all_together():
    w, b = variables()
    w0, b0 = w.numpy().copy(), b.numpy().copy()
    gw, gb = grads(scale=10.0)
    O.SGD(1.0, clipnorm=1.0).apply([gw, gb], [w, b])
    assert np.linalg.norm(w.numpy() - w0) == pytest.approx(1.0, rel=1e-5)
    assert np.linalg.norm(b.numpy() - b0) == pytest.approx(1.0, rel=1e-5)
    w, b = variables()
    O.SGD(1.0, global_clipnorm=1.0).apply([gw, gb], [w, b])
    step = np.concatenate([(w.numpy() - w0).ravel(), (b.numpy() - b0).ravel()])
    assert np.linalg.norm(step) == pytest.approx(1.0, rel=1e-5)
    w, b = variables()
    O.SGD(1.0, clipvalue=0.5).apply([gw, gb], [w, b])
    assert np.abs(w.numpy() - w0).max() == pytest.approx(0.5)
    # small gradients pass unchanged
    w, b = variables()
    small = grads(scale=1e-3)
    O.SGD(1.0, global_clipnorm=1.0).apply(small, [w, b])
    np.testing.assert_allclose(w.numpy(), w0 - small[0], rtol=1e-6)


def test_loss_scale_factor_divides_the_gradients():
    w, b = variables()
    w0 = w.numpy().copy()
    gw, gb = grads()
    opt = O.SGD(1.0, loss_scale_factor=4.0)
    assert float(opt.scale_loss(2.0)) == 8.0
    opt.apply([gw, gb], [w, b])
    np.testing.assert_allclose(w.numpy(), w0 - gw / 4, rtol=1e-6)


def test_weight_decay_is_decoupled_and_can_exclude_variables():
    w, b = variables()
    w0, b0 = w.numpy().copy(), b.numpy().copy()
    opt = O.SGD(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["b"])
    zero = [np.zeros((3, 2), "float32"), np.zeros(2, "float32")]
    opt.apply(zero, [w, b])
    np.testing.assert_allclose(w.numpy(), w0 * (1 - 0.5 * 0.1), rtol=1e-6)
    np.testing.assert_array_equal(b.numpy(), b0)
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["w"])
    # names are regular expressions searched in the variable's name, as in Keras
    w, b = variables()
    opt = O.SGD(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["^w$"], var_list=[b])
    opt.apply(zero, [w, b])
    np.testing.assert_array_equal(w.numpy(), w0)
    np.testing.assert_array_equal(b.numpy(), b0)


def test_constraints_apply_after_the_update():
    w, b = variables()
    w.constraint = lambda v: np.clip(np.asarray(v.numpy()), 0.0, None)
    O.SGD(1.0).apply(grads(scale=5.0), [w, b])
    assert (w.numpy() >= 0).all() and (b.numpy() < 0).any()


def test_ema_keeps_an_average_and_finalize_writes_it():
    w, b = variables()
    opt = O.SGD(0.1, use_ema=True, ema_momentum=0.5)
    history = []
    for i in range(4):
        opt.apply(grads(seed=i), [w, b])
        history.append(w.numpy().copy())
    avg = history[0]  # the first step copies the weights
    for h in history[1:]:
        avg = 0.5 * avg + 0.5 * h
    names = [v.name for v in opt.variables]
    assert names[:4] == ["iteration", "learning_rate", "w_average", "b_average"]
    np.testing.assert_allclose(opt.variables[2].numpy(), avg, rtol=1e-6)
    np.testing.assert_array_equal(w.numpy(), history[-1])
    opt.finalize_variable_values([w, b])
    np.testing.assert_allclose(w.numpy(), avg, rtol=1e-6)
    with pytest.raises(ValueError, match="length of model variables"):
        opt.finalize_variable_values([w])
    plain = O.SGD(0.1)
    plain.apply(grads(), [w, b])
    before = w.numpy().copy()
    plain.finalize_variable_values([w, b])
    np.testing.assert_array_equal(w.numpy(), before)


def test_ema_overwrite_frequency_replaces_the_weights_every_n_steps():
    w, b = variables()
    opt = O.Adam(0.1, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=2)
    opt.apply(grads(seed=1), [w, b])
    opt.apply(grads(seed=2), [w, b])
    np.testing.assert_array_equal(w.numpy(), opt.variables[2].numpy())
    opt.apply(grads(seed=3), [w, b])
    assert not np.array_equal(w.numpy(), opt.variables[2].numpy())


def test_fit_with_ema_ends_on_the_averaged_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    model = keras.Sequential([keras.layers.Dense(1, input_dim=3)])
    opt = O.SGD(0.1, use_ema=True, ema_momentum=0.9)
    model.compile(opt, "mse")
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    averages = [v for v in opt.variables if v.name.endswith("_average")]
    assert len(averages) == 2
    for weight, avg in zip(model.trainable_weights, averages):
        np.testing.assert_array_equal(weight.numpy(), avg.numpy())


# --- learning rate -------------------------------------------------------------------------

def test_keras2_decay_formula_lr_over_one_plus_decay_t():
    """Keras 2: lr_t = lr / (1 + decay * t), t = updates done so far."""
    opt = O.SGD(lr=0.1, decay=0.5)
    w, b = variables()
    for t in range(6):
        lr_t = float(opt._current_learning_rate())
        assert lr_t == pytest.approx(0.1 / (1 + 0.5 * t), rel=1e-6)
        w0 = w.numpy().copy()
        gw, gb = grads(seed=t)
        opt.apply([gw, gb], [w, b])
        np.testing.assert_allclose(w.numpy(), w0 - np.float32(lr_t) * gw, rtol=1e-5)
        # `learning_rate` (Keras 2's `optimizer.lr`) stays the undecayed rate
        assert float(opt.learning_rate.numpy()) == pytest.approx(0.1)
        assert opt.lr is opt.learning_rate


def test_keras2_decay_combines_with_a_schedule_and_with_every_optimizer():
    sched = keras.optimizers.schedules.ExponentialDecay(0.1, 1, 0.5)
    opt = O.SGD(learning_rate=sched, decay=1.0)
    w, b = variables()
    for t in range(3):
        assert float(opt._current_learning_rate()) == \
            pytest.approx(0.1 * 0.5 ** t / (1 + t), rel=1e-6)
        opt.apply(grads(), [w, b])
    for cls in CLASSES:
        opt = getattr(O, cls)(lr=0.2, decay=0.25)
        vs = variables()
        opt.apply(grads(), vs)
        opt.apply(grads(), vs)
        assert float(opt._current_learning_rate()) == pytest.approx(0.2 / 1.5, rel=1e-6), cls


def test_keras2_spelling_selects_keras2_rules_only_where_they_differ():
    """RMSprop without momentum: Keras 2 divides by sqrt(v) + eps, Keras 3 by
    sqrt(v + eps); with tiny gradients the two differ visibly."""
    tiny = grads(scale=1e-4)
    results = {}
    for key, opt in {"k3": O.RMSprop(0.01), "k2": O.RMSprop(lr=0.01),
                     "legacy": O.legacy.RMSprop(0.01)}.items():
        w, b = variables()
        opt.apply(tiny, [w, b])
        results[key] = w.numpy()
    np.testing.assert_array_equal(results["k2"], results["legacy"])
    assert np.abs(results["k2"] - results["k3"]).max() > 1e-4
    # with momentum the rules agree
    w1, b1 = variables()
    w2, b2 = variables()
    O.RMSprop(0.01, momentum=0.5).apply(tiny, [w1, b1])
    O.RMSprop(lr=0.01, momentum=0.5).apply(tiny, [w2, b2])
    np.testing.assert_array_equal(w1.numpy(), w2.numpy())


def test_learning_rate_is_settable_in_place():
    opt = O.Adam(0.01)
    var = opt.learning_rate
    opt.learning_rate = 0.5
    assert opt.learning_rate is var and float(var.numpy()) == 0.5
    opt.lr = np.float32(0.25)
    assert float(var.numpy()) == 0.25
    keras.backend.set_value(opt.lr, 0.125)  # Keras 2's K.set_value(model.optimizer.lr, ...)
    assert float(opt._current_learning_rate()) == 0.125
    assert var in opt.variables
    with pytest.raises(ValueError, match="learning_rate"):
        opt.learning_rate = "fast"
    # an int is accepted as Keras 2 did (Keras 3 requires a float)
    assert float(O.SGD(1).learning_rate.numpy()) == 1.0


def test_schedule_learning_rate():
    sched = keras.optimizers.schedules.InverseTimeDecay(0.1, 1, 1.0)
    opt = O.SGD(sched)
    assert [v.name for v in opt.variables] == ["iteration"]
    w, b = variables()
    for t in range(4):
        assert float(np.asarray(opt.learning_rate)) == pytest.approx(0.1 / (1 + t), rel=1e-6)
        w0 = w.numpy().copy()
        gw, gb = grads(seed=t)
        opt.apply([gw, gb], [w, b])
        np.testing.assert_allclose(w.numpy(), w0 - np.float32(0.1 / (1 + t)) * gw, rtol=1e-5)
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        opt.learning_rate = 0.1
    # replacing a float rate by a schedule drops the rate variable
    opt = O.SGD(0.1)
    opt.learning_rate = sched
    assert [v.name for v in opt.variables] == ["iteration"]


def test_callable_learning_rate_is_called_each_step():
    calls = []

    def rate():
        calls.append(1)
        return 0.5

    opt = O.SGD(rate)
    w, b = variables()
    w0 = w.numpy().copy()
    gw, gb = grads()
    opt.apply([gw, gb], [w, b])
    np.testing.assert_allclose(w.numpy(), w0 - 0.5 * gw, rtol=1e-6)
    assert calls and opt.get_config()["learning_rate"] == 0.5
    bad = O.SGD(lambda: [0.1, 0.2])
    with pytest.raises(ValueError, match="scalar"):
        bad.apply(grads(), variables())


def test_users_schedule_subclass_receives_the_step():
    seen = []

    class Halving(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            seen.append(int(step))
            return keras.ops.cast(0.4 / (2.0 ** step), "float32")

        def get_config(self):
            return {}

    opt = O.SGD(Halving())
    w, b = variables()
    for t in range(3):
        w0 = w.numpy().copy()
        gw, gb = grads(seed=t)
        opt.apply([gw, gb], [w, b])
        np.testing.assert_allclose(w.numpy(), w0 - np.float32(0.4 / 2 ** t) * gw, rtol=1e-5)
    assert seen == [0, 1, 2]
    config = O.serialize(opt)
    with pytest.raises(ValueError, match="Halving.*custom_objects"):
        O.deserialize(config)
    clone = O.deserialize(config, custom_objects={"Halving": Halving})
    assert isinstance(clone._learning_rate, Halving)


def test_custom_optimizer_written_with_keras_ops():
    class SignSGD(O.Optimizer):
        def __init__(self, learning_rate=0.1, **kwargs):
            super().__init__(learning_rate=learning_rate, **kwargs)

        def update_step(self, gradient, variable, learning_rate):
            self.assign_sub(variable, keras.ops.multiply(learning_rate,
                                                         keras.ops.sign(gradient)))

    opt = SignSGD(0.1)
    w, b = variables()
    w0 = w.numpy().copy()
    gw, gb = grads()
    opt.apply([gw, gb], [w, b])
    np.testing.assert_allclose(w.numpy(), w0 - 0.1 * np.sign(gw), rtol=1e-6)
    assert opt.name == "sign_sgd" and opt.get_config()["learning_rate"] == pytest.approx(0.1)


# --- variables and configs -----------------------------------------------------------------

def test_variables_names_paths_and_order():
    keras.backend.clear_session()
    opt = O.Adam(amsgrad=True)
    assert [v.name for v in opt.variables] == ["iteration", "learning_rate"]
    w, b = variables()
    opt.apply(grads(), [w, b])
    assert [v.name for v in opt.variables] == [
        "iteration", "learning_rate", "w_momentum", "w_velocity", "b_momentum", "b_velocity",
        "w_velocity_hat", "b_velocity_hat"]
    assert opt.variables[2].path == "adam/w_momentum"
    assert not any(v.trainable for v in opt.variables)
    nadam = O.Nadam()
    nadam.apply(grads(), [w, b])
    assert nadam.variables[-1].name == "variable" and nadam.variables[-1].shape == ()


def test_get_and_set_weights():
    w, b = variables()
    opt = O.RMSprop(momentum=0.5, centered=True)
    opt.apply(grads(), [w, b])
    state = opt.get_weights()
    fresh = O.RMSprop(momentum=0.5, centered=True)
    fresh.build([w, b])
    fresh.set_weights(state)
    for x, y in zip(fresh.get_weights(), state):
        np.testing.assert_array_equal(x, y)
    with pytest.raises(ValueError, match="8 variables.*3 arrays"):
        fresh.set_weights(state[:3])
    bad = list(state)
    bad[2] = np.zeros((4, 4))
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(4, 4\)"):
        fresh.set_weights(bad)


NON_DEFAULT = {
    "SGD": {"momentum": 0.8, "nesterov": True},
    "RMSprop": {"rho": 0.8, "momentum": 0.3, "epsilon": 1e-6, "centered": True},
    "Adam": {"beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-6, "amsgrad": True},
    "AdamW": {"weight_decay": 0.1, "amsgrad": True},
    "Adagrad": {"initial_accumulator_value": 0.5, "epsilon": 1e-6},
    "Adadelta": {"rho": 0.8, "epsilon": 1e-6},
    "Adamax": {"beta_1": 0.8, "beta_2": 0.95},
    "Nadam": {"beta_1": 0.8, "beta_2": 0.95},
    "Lion": {"beta_1": 0.8, "beta_2": 0.95},
    "Ftrl": {"learning_rate_power": -0.3, "l1_regularization_strength": 0.1, "beta": 0.5,
             "l2_regularization_strength": 0.2, "l2_shrinkage_regularization_strength": 0.05,
             "initial_accumulator_value": 0.2},
}


@pytest.mark.parametrize("cls", CLASSES)
def test_config_round_trip(cls):
    common = {"learning_rate": 0.03, "clipvalue": 0.7, "use_ema": True, "ema_momentum": 0.9,
              "ema_overwrite_frequency": 5, "name": "mine"}
    opt = getattr(O, cls)(**common, **NON_DEFAULT[cls])
    config = opt.get_config()
    for key, value in NON_DEFAULT[cls].items():
        assert config[key] == value
    assert "decay" not in config
    clone = getattr(O, cls).from_config(config)
    assert clone.get_config() == config
    # the clone makes the same steps
    w1, b1 = variables()
    w2, b2 = variables()
    for i in range(3):
        opt.apply(grads(seed=i), [w1, b1])
        clone.apply(grads(seed=i), [w2, b2])
    np.testing.assert_array_equal(w1.numpy(), w2.numpy())
    serialized = O.serialize(opt)
    assert serialized["class_name"] == cls and serialized["module"] == "keras.optimizers"
    assert type(O.deserialize(serialized)) is type(opt)


def test_config_round_trip_keeps_keras2_decay_and_schedules():
    opt = O.SGD(lr=0.1, decay=1e-2, momentum=0.9)
    config = opt.get_config()
    assert config["decay"] == 1e-2 and config["learning_rate"] == pytest.approx(0.1)
    clone = O.SGD.from_config(config)
    assert clone.decay == 1e-2 and clone._keras2
    sched = keras.optimizers.schedules.CosineDecay(0.1, 100, warmup_target=0.2, warmup_steps=5)
    config = O.Adam(sched).get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    clone = O.Adam.from_config(config)
    assert isinstance(clone._learning_rate, keras.optimizers.schedules.CosineDecay)
    assert clone._learning_rate.get_config() == sched.get_config()


def test_keras2_configs_load():
    # Keras 2.3 (`lr`), tf.keras legacy (`decay`, tf's Nadam `decay` = schedule_decay)
    sgd = O.deserialize({"class_name": "SGD", "config": {
        "lr": 0.05, "momentum": 0.9, "decay": 1e-6, "nesterov": False}})
    assert sgd.decay == 1e-6 and float(sgd.learning_rate.numpy()) == pytest.approx(0.05)
    nadam = O.deserialize({"class_name": "Nadam", "config": {
        "name": "Nadam", "learning_rate": 0.001, "decay": 0.004, "beta_1": 0.9,
        "beta_2": 0.999, "epsilon": 1e-07}})
    assert nadam.decay == 0.0 and nadam.schedule_decay == 0.004 and nadam._keras2
    with pytest.raises(ValueError, match="Unknown optimizer: 'Adamm'.*Did you mean 'Adam'"):
        O.deserialize({"class_name": "Adamm", "config": {}})


def test_no_warnings_in_a_normal_step():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for cls in CLASSES:
            opt = getattr(O, cls)(use_ema=True, weight_decay=0.01)
            vs = variables()
            for i in range(2):
                opt.apply(grads(seed=i), vs)
