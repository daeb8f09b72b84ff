"""Initializers, regularizers and the optimizers Adafactor, Lamb and LossScaleOptimizer
against real Keras 3 (fixtures/extras_k3.*, written by generate_extras_fixtures.py).

Keras rules checked: optimizer update rules step for step (values, variable list, config);
LossScaleOptimizer's skip-and-halve / grow-after-N rule; training with a loss scale;
initializer configs, seeds, errors, deterministic values, and the orthogonality of
Orthogonal draws (Keras' random values come from jax's generator and cannot be reproduced:
the properties Keras' own draws have are checked on ours); regularizer values, gradients,
argument validation and name resolution."""

import json
import math
import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import minikeras as keras  # noqa: E402
from minikeras.autodiff.tensor import gradients, watch  # noqa: E402

import generate_extras_fixtures as gen  # noqa: E402  (the case tables; Keras not imported)

with open(os.path.join(HERE, "fixtures", "extras_k3.json")) as _f:
    META = json.load(_f)
DATA = np.load(os.path.join(HERE, "fixtures", "extras_k3.npz"))
SEC = META["sections"]
OPT = SEC["optimizers"]
INIT = SEC["initializers"]
REG = SEC["regularizers"]
RTOL, ATOL = 1e-5, 1e-6  # ATOL: one float32 rounding of values of order 1
NAMES = ("w", "b", "k", "z")


def arrays(prefix):
    return {k[len(prefix):]: DATA[k] for k in DATA.files if k.startswith(prefix)}


def close_config(ours, theirs, where=""):
    """Equal as JSON, floats to 1e-6 (Keras stores some factors as float32)."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and set(ours) == set(theirs), (where, ours, theirs)
        for k in theirs:
            close_config(ours[k], theirs[k], f"{where}.{k}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), (where, ours, theirs)
        for i, (a, b) in enumerate(zip(ours, theirs)):
            close_config(a, b, f"{where}[{i}]")
    elif isinstance(theirs, float) and not isinstance(ours, bool):
        assert isinstance(ours, (int, float)) and math.isclose(ours, theirs, rel_tol=1e-6), \
            (where, ours, theirs)
    else:
        assert ours == theirs, (where, ours, theirs)


def plain(obj):
    return json.loads(json.dumps(obj))


def test_every_case_has_a_fixture():
    assert set(OPT["cases"]) == set(gen.OPT_CASES) | set(gen.LSO_CASES)
    assert set(SEC["training"]["cases"]) == set(gen.TRAIN_CASES)
    assert set(REG["cases"]) == set(gen.REG_CASES)


# --- optimizers --------------------------------------------------------------------------

def _inputs():
    a = arrays("optimizers/_inputs/")
    return {n: a[f"{n}0"] for n in NAMES}, {n: a[f"g{n}"] for n in NAMES}


@pytest.mark.parametrize("case", sorted(gen.OPT_CASES))
def test_optimizer_steps_match_keras3(case):
    info = OPT["cases"][case]
    keras.backend.clear_session()
    opt = gen.make_opt(keras.optimizers, info["class"], info["kwargs"])
    init, grads = _inputs()
    vs = [keras.Variable(init[n].copy(), name=n) for n in NAMES]
    ref = arrays(f"optimizers/{case}/")
    lrs = []
    for i in range(META["steps"]):
        lrs.append(float(np.asarray(opt.learning_rate)))
        opt.apply([grads[n][i] for n in NAMES], vs)
        for n, v in zip(NAMES, vs):
            np.testing.assert_allclose(v.numpy(), ref[n][i], rtol=RTOL, atol=ATOL,
                                       err_msg=f"{n} after step {i + 1}")
    np.testing.assert_allclose(lrs, ref["lr"], rtol=RTOL)
    assert [(v.name, v.path, list(v.shape)) for v in opt.variables] == \
        [(v["name"], v["path"], v["shape"]) for v in info["variables"]]
    for j, v in enumerate(opt.variables):
        np.testing.assert_allclose(v.numpy(), ref[f"opt_var_{j}"], rtol=RTOL, atol=ATOL)
    if info["kwargs"].get("use_ema"):
        opt.finalize_variable_values(vs)
        for n, v in zip(NAMES, vs):
            np.testing.assert_allclose(v.numpy(), ref[f"{n}_finalized"], rtol=RTOL, atol=ATOL)
    close_config(plain(opt.get_config()), info["config"], case)
    clone = keras.optimizers.deserialize(keras.optimizers.serialize(opt))
    assert type(clone) is type(opt)
    close_config(plain(clone.get_config()), info["config"], case)


@pytest.mark.parametrize("cname", ["Adafactor", "Lamb"])
def test_default_config_matches_keras3(cname):
    keras.backend.clear_session()
    close_config(plain(getattr(keras.optimizers, cname)().get_config()),
                 OPT["default_configs"][cname])


@pytest.mark.parametrize("case", sorted(gen.LSO_CASES))
def test_loss_scale_optimizer_matches_keras3(case):
    info = OPT["cases"][case]
    keras.backend.clear_session()
    inner = getattr(keras.optimizers, info["inner"][0])(**info["inner"][1])
    opt = keras.optimizers.LossScaleOptimizer(inner, **info["kwargs"])
    init, grads = _inputs()
    vs = [keras.Variable(init[n].copy(), name=n) for n in NAMES]
    ref = arrays(f"optimizers/{case}/")
    for i in range(META["steps"]):
        gs = [grads[n][i].copy() for n in NAMES]
        if i in info["bad_steps"]["inf"]:
            gs[0][0, 0] = np.inf
        if i in info["bad_steps"]["nan"]:
            gs[2][1, 2, 3] = np.nan
        opt.apply(gs, vs)
        for n, v in zip(NAMES, vs):
            np.testing.assert_allclose(v.numpy(), ref[n][i], rtol=RTOL, atol=ATOL,
                                       err_msg=f"{n} after step {i + 1}")
    assert [(v.name, v.path, list(v.shape)) for v in opt.variables] == \
        [(v["name"], v["path"], v["shape"]) for v in info["variables"]]
    for j, v in enumerate(opt.variables):
        np.testing.assert_allclose(v.numpy(), ref[f"opt_var_{j}"], rtol=RTOL, atol=ATOL,
                                   err_msg=v.path)
    close_config(plain(keras.optimizers.serialize(opt)), info["serialized"])
    clone = keras.optimizers.deserialize(info["serialized"])
    assert type(clone.inner_optimizer) is type(inner)
    close_config(plain(clone.get_config()), info["config"])


@pytest.mark.parametrize("name", sorted(OPT["errors"]))
def test_loss_scale_optimizer_refuses_what_keras_refuses(name):
    sgd = keras.optimizers.SGD()
    make = {"lso_dynamic_false": lambda: keras.optimizers.LossScaleOptimizer(sgd, dynamic=False),
            "lso_clipnorm": lambda: keras.optimizers.LossScaleOptimizer(sgd, clipnorm=1.0),
            "lso_unknown": lambda: keras.optimizers.LossScaleOptimizer(sgd, foo=1)}[name]
    with pytest.raises(ValueError) as e:
        make()
    assert str(e.value) == OPT["errors"][name]["message"]


@pytest.mark.parametrize("name", sorted(gen.TRAIN_CASES))
def test_training_with_these_optimizers(name):
    meta = SEC["training"]["cases"][name]
    a = arrays(f"training/{name}/")
    keras.backend.clear_session()
    model = gen.build_training(keras, meta["case"])
    model.set_weights([a[f"w0_{i}"] for i in range(len(model.weights))])
    hist = model.fit(a["x"], a["y"], epochs=3, batch_size=8, shuffle=False, verbose=0)
    assert set(hist.history) == set(meta["history"])
    for key, values in meta["history"].items():
        np.testing.assert_allclose(hist.history[key], values, rtol=1e-4, atol=1e-6,
                                   err_msg=key)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, a[f"w1_{i}"], rtol=1e-4, atol=1e-6)
    ours = model.optimizer.variables
    # same variables in the same order (minikeras names the slots of a model's weights
    # "dense_kernel_momentum" where Keras 3 writes "sequential_dense_kernel_momentum")
    assert [list(v.shape) for v in ours] == [v["shape"] for v in meta["optimizer_variables"]]
    for j, v in enumerate(ours):
        np.testing.assert_allclose(v.numpy(), a[f"opt_var_{j}"], rtol=1e-4, atol=1e-6,
                                   err_msg=v.path)


# --- initializers ------------------------------------------------------------------------

def _make_initializer(name):
    I = keras.initializers  # noqa: E741
    return {
        "Constant": lambda: I.Constant(0.5),
        "Constant_array": lambda: I.Constant(np.array([1.0, 2.0, 3.0], "float32")),
        "Identity": lambda: I.Identity(gain=2.0),
        "IdentityInitializer": lambda: I.IdentityInitializer(),
        "Orthogonal": lambda: I.Orthogonal(gain=1.5, seed=3),
        "OrthogonalInitializer": lambda: I.OrthogonalInitializer(),
        "VarianceScaling": lambda: I.VarianceScaling(2.0, "fan_out", "uniform", seed=7),
        "VarianceScaling_axes": lambda: I.VarianceScaling(input_axes=[0], output_axes=[1, 2]),
        "VarianceScaling_normal": lambda: I.VarianceScaling(distribution="normal"),
        "GlorotUniform_seed": lambda: I.GlorotUniform(seed=4),
        "HeNormal_axes": lambda: I.HeNormal(input_axes=[0, 1], output_axes=[2]),
        "RandomNormal_seedgen": lambda: I.RandomNormal(seed=keras.random.SeedGenerator(5)),
        "TruncatedNormal": lambda: I.TruncatedNormal(0.1, 0.2, seed=9),
        "RandomUniform": lambda: I.RandomUniform(-1.0, 2.0),
    }[name]()


# Keras 3.15 drops Identity's gain from its config (so a reloaded Identity(2.0) has gain 1);
# minikeras keeps it. Everything else must be equal.
_KNOWN_CONFIG_DIFFERENCES = {"Identity": {"gain": 2.0}, "IdentityInitializer": {"gain": 1.0}}


@pytest.mark.parametrize("name", sorted(INIT["configs"]))
def test_initializer_configs_match_keras3(name):
    keras.backend.clear_session()
    ours = plain(keras.saving.serialize_keras_object(_make_initializer(name)))
    theirs = json.loads(json.dumps(INIT["configs"][name]))
    theirs["config"].update(_KNOWN_CONFIG_DIFFERENCES.get(name, {}))
    close_config(ours, theirs, name)
    again = keras.initializers.deserialize(ours)
    close_config(plain(keras.saving.serialize_keras_object(again)), theirs, name)


def test_initializer_names_resolve_like_keras3():
    for name, want in INIT["resolution"].items():
        if "error" in want:
            # Keras 3.15 fails on get("constant") (KeyError: 'value'); minikeras gives
            # Constant(0.0), the class's default
            assert name == "constant"
            assert keras.initializers.get(name).get_config() == {"value": 0.0}
            continue
        obj = keras.initializers.get(name)
        assert type(obj).__name__ == want["class"], name
        theirs = dict(want["config"])
        if want["class"] == "Identity":
            theirs["gain"] = 1.0
        close_config(plain(obj.get_config()), theirs, name)


@pytest.mark.parametrize("name", sorted(INIT["errors"]))
def test_initializer_errors_like_keras3(name):
    I = keras.initializers  # noqa: E741
    make = {
        "vs_scale": lambda: I.VarianceScaling(scale=-1.0),
        "vs_mode": lambda: I.VarianceScaling(mode="fan_middle"),
        "vs_distribution": lambda: I.VarianceScaling(distribution="gaussian"),
        "seed_str": lambda: I.RandomNormal(seed="abc"),
        "seed_float": lambda: I.GlorotUniform(seed=1.5),
        "identity_3d": lambda: I.Identity()((2, 2, 2)),
        "orthogonal_1d": lambda: I.Orthogonal()((5,)),
        "get_typo": lambda: I.get("glorot_unifrom"),
        "get_number": lambda: I.get(5),
        "get_array_shape": lambda: I.get(np.ones((2, 3), "float32"))((3, 2)),
    }[name]
    want = INIT["errors"][name]
    with pytest.raises(ValueError) as e:
        make()
    assert want["type"] == "ValueError"
    message = str(e.value)
    if name in ("get_typo", "get_number", "seed_str"):
        # minikeras names the closest known initializer / shows the repr of the value
        assert message.split(":")[0] in want["message"] or "Unknown initializer" in message
    else:
        # Keras' sentence, up to the point where it lists sets (whose order varies)
        assert message.startswith(want["message"].split(" Please use")[0].split(".Please")[0])


def test_initializer_deterministic_values_match_keras3():
    I = keras.initializers  # noqa: E741
    np.testing.assert_array_equal(I.Identity(0.5)((3, 4)),
                                  DATA["initializers/identity_3x4_gain0.5/values"])
    np.testing.assert_array_equal(I.Identity()((4, 3)), DATA["initializers/identity_4x3/values"])
    np.testing.assert_array_equal(I.Constant(np.array([1.0, 2.0, 3.0], "float32"))((2, 3)),
                                  DATA["initializers/constant_array/values"])
    c = I.Constant(np.array([[1.0], [2.0]], "float32"))
    np.testing.assert_array_equal(I.Constant.from_config(plain(c.get_config()))((2, 4)),
                                  DATA["initializers/constant_from_config/values"])
    np.testing.assert_array_equal(I.get(np.arange(6, dtype="float32").reshape(2, 3))((2, 3)),
                                  DATA["initializers/get_array/values"])


@pytest.mark.parametrize("key", sorted(INIT["orthogonal"]))
def test_orthogonal_draws_have_keras3s_properties(key):
    info = INIT["orthogonal"][key]
    shape, gain = tuple(info["shape"]), info["gain"]
    init = keras.initializers.Orthogonal(gain=gain, seed=11)
    w = np.asarray(init(shape), dtype=np.float64)
    assert w.shape == shape and w.dtype == np.float64
    flat = w.reshape(-1, shape[-1])
    gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    err = np.abs(gram - gain ** 2 * np.eye(len(gram))).max()
    assert err <= max(10 * info["gram_max_err"], 1e-5)  # float32 rounding, as Keras'
    assert np.array_equal(w, init(shape)) == info["second_call_identical"]
    if w.size >= 2000:  # entries of a random orthogonal matrix: the same spread as Keras'
        assert abs(w.std() - info["std"]) < 0.05 * info["std"]


def test_orthogonal_sign_correction_makes_r_diagonal_positive():
    """Keras' algorithm: Q of the QR of a normal matrix, columns multiplied by sign(diag R):
    then Q^T A has a positive diagonal for the same normal matrix A."""
    seed = 5
    a = keras.random.normal((7, 4), seed=seed).numpy().astype(np.float64)
    q = keras.initializers.Orthogonal(seed=seed)((7, 4), dtype="float64")
    r = np.asarray(q).T @ a
    assert (np.diag(r) > 0).all()
    np.testing.assert_allclose(np.triu(r), r, atol=1e-5)


def test_seeds_behave_like_keras3():
    I = keras.initializers  # noqa: E741
    seeds = INIT["seeds"]
    a = I.RandomNormal(seed=3)
    assert np.array_equal(a((4, 4)), a((4, 4))) == seeds["int_seed_repeats"]
    g = I.RandomNormal(seed=keras.random.SeedGenerator(3))
    assert np.array_equal(g((4, 4)), g((4, 4))) == seeds["seed_generator_repeats"]
    clone = I.RandomNormal.from_config(a.get_config())
    assert np.array_equal(a((4, 4)), clone((4, 4))) == seeds["clone_of_int_seeded_repeats"]


def test_variance_scaling_axes_set_the_fans_like_keras3():
    ref = INIT["variance_scaling_axes"]
    w = keras.initializers.VarianceScaling(2.0, "fan_in", seed=5, input_axes=[0],
                                           output_axes=[1, 2])((32, 4, 16))
    w2 = keras.initializers.VarianceScaling(2.0, "fan_in", seed=5)((32, 4, 16))
    assert abs(w.std() - ref["std_with_axes"]) < 0.1 * ref["std_with_axes"]
    assert abs(w2.std() - ref["std_without_axes"]) < 0.1 * ref["std_without_axes"]
    assert keras.initializers.compute_fans((512, 8, 64), [0], [1, 2]) == (512, 512)


# --- regularizers ------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the zero row: rsqrt(0), as Keras
@pytest.mark.parametrize("name", sorted(gen.REG_CASES))
def test_regularizer_values_gradients_configs(name):
    info = REG["cases"][name]
    a = arrays(f"regularizers/{name}/")
    reg = getattr(keras.regularizers, info["class"])(**info["kwargs"])
    x = watch(a["x"])
    value = reg(x)
    np.testing.assert_allclose(np.asarray(value.numpy()), a["value"], rtol=1e-5, atol=1e-7)
    (grad,) = gradients(value, [x])
    np.testing.assert_allclose(grad, a["grad"], rtol=1e-4, atol=1e-6)
    close_config(plain(keras.saving.serialize_keras_object(reg)), info["config"], name)


@pytest.mark.parametrize("name", sorted(REG["errors"]))
def test_regularizer_argument_validation_like_keras3(name):
    R = keras.regularizers
    make = {
        "l1_str": lambda: R.L1("0.1"), "l1_nan": lambda: R.L1(float("nan")),
        "l2_inf": lambda: R.L2(float("inf")), "l2_negative": lambda: R.L2(-0.1),
        "l1l2_list": lambda: R.L1L2(l1=[0.1]), "l1l2_negative": lambda: R.L1L2(l2=-1),
        "orth_factor_none": lambda: R.OrthogonalRegularizer(factor=None),
        "orth_mode": lambda: R.OrthogonalRegularizer(mode="diagonal"),
        "orth_rank3": lambda: R.OrthogonalRegularizer()(np.ones((2, 2, 2), "float32")),
        "get_typo": lambda: R.get("l3"),
        "get_number": lambda: R.get(0.1),
    }[name]
    want = REG["errors"][name]
    with pytest.raises(ValueError) as e:
        make()
    assert want["type"] == "ValueError"
    message = str(e.value)
    if want["message"].startswith("Invalid value for argument") and "`mode`" not in \
            want["message"]:
        # Keras writes "float.Received"; minikeras puts a space after the full stop
        assert message.split(". Received")[0] == want["message"].split(".Received")[0]
    elif name == "get_typo":
        assert "l3" in message
    else:
        assert message.startswith(want["message"])


def test_regularizers_accept_what_keras3_accepts():
    R = keras.regularizers
    made = {"l1_none": R.L1(None), "l2_none": R.L2(None), "l1l2_none": R.L1L2(None, None),
            "l1_int": R.L1(1), "l1_bool": R.L1(True)}
    for name, reg in made.items():
        close_config(plain(reg.get_config()), REG["accepted"][name], name)


def test_regularizer_names_resolve_like_keras3():
    for name, want in REG["resolution"].items():
        obj = keras.regularizers.get(name)
        assert type(obj).__name__ == want["class"], name
        close_config(plain(obj.get_config()), want["config"], name)
