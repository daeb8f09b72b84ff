"""dtype policies, mixed_float16 training and gradient accumulation against values
recorded from real Keras 3.15 (jax): compat_tests/fixtures/policy_k3.*, written by
generate_policy_fixtures.py."""

import json
from pathlib import Path

import numpy as np
import pytest

import minikeras as keras
from minikeras import dtype_policies
from minikeras.autodiff.tensor import Variable

FIXTURES = Path(__file__).parent / "fixtures"
META = json.loads((FIXTURES / "policy_k3.json").read_text())["sections"]
DATA = np.load(FIXTURES / "policy_k3.npz")
FILES = Path(__file__).parent / "files" / "policy_k3"


@pytest.fixture(autouse=True)
def _reset_policy():
    yield
    dtype_policies.set_dtype_policy("float32")
    dtype_policies._global_policy = None


# --- policies ------------------------------------------------------------------------
_REFUSED_HERE = {"'bfloat16'", "'mixed_bfloat16'"}  # NumPy has no bfloat16 (decisions.md)


@pytest.mark.parametrize("key", sorted(k for k in META["policies"]["cases"]
                                       if k.startswith("policy/")))
def test_dtype_policy_attributes_and_config_as_keras(key):
    # Keras rule: DTypePolicy(name) -> compute/variable dtypes, get_config {"name"},
    # serialize -> {"module": "keras", "class_name": "DTypePolicy", ...}; bad names raise
    # ValueError (TypeError for a non-string)
    want = META["policies"]["cases"][key]
    name = eval(key.split("/", 1)[1])  # noqa: S307 - the fixture's repr of a literal
    if key.split("/", 1)[1] in _REFUSED_HERE:
        with pytest.raises(ValueError, match="bfloat16.*ml_dtypes"):
            keras.DTypePolicy(name)
        return
    if "error" in want:
        with pytest.raises(getattr(__builtins__, want["type"], None) or Exception) as e:
            keras.DTypePolicy(name)
        assert type(e.value).__name__ == want["type"]
        assert want["error"].split(": ", 1)[1][:40] in str(e.value)
        return
    p = keras.DTypePolicy(name)
    assert (p.name, p.compute_dtype, p.variable_dtype) == \
        (want["name"], want["compute_dtype"], want["variable_dtype"])
    assert p.get_config() == want["config"]
    assert keras.dtype_policies.serialize(p) == want["serialized"]
    assert repr(p) == want["repr"]
    assert keras.dtype_policies.deserialize(want["serialized"]) == p


@pytest.mark.parametrize("key", sorted(k for k in META["policies"]["cases"]
                                       if k.startswith("get/")))
def test_dtype_policies_get_as_keras(key):
    # Keras rule: get(None) is the global policy; names, config dicts, policies accepted;
    # anything else is a ValueError "Cannot interpret `dtype` argument"
    want = META["policies"]["cases"][key]
    ident = json.loads(key.split("/", 1)[1])
    if "error" in want:
        with pytest.raises(ValueError, match="Cannot interpret `dtype` argument"):
            keras.dtype_policies.get(ident)
        return
    p = keras.dtype_policies.get(ident)
    assert (type(p).__name__, p.name) == (want["class"], want["name"])


@pytest.mark.parametrize("pol", ["float16", "mixed_float16", "None"])
def test_dense_dtype_attributes_and_config_entry_as_keras(pol):
    # Keras rule: layer.dtype is the variable dtype, compute_dtype the policy's; the config's
    # `dtype` entry is the serialized DTypePolicy; outputs come in the compute dtype
    want = META["policies"]["cases"][f"dense/{pol}"]
    d = keras.layers.Dense(3, dtype=None if pol == "None" else pol)
    y = d(np.ones((2, 4), "float32"))
    assert (d.dtype, d.compute_dtype, d.variable_dtype, d.dtype_policy.name) == \
        (want["dtype"], want["compute_dtype"], want["variable_dtype"], want["policy"])
    assert d.get_config()["dtype"] == want["config_dtype"]
    assert (str(y.dtype), str(d.kernel.dtype)) == (want["output_dtype"], want["kernel_dtype"])


def test_global_mixed_policy_as_keras():
    # Keras rule: set_dtype_policy("mixed_float16") leaves floatx and Input dtypes alone,
    # layers and models take the policy, compile wraps the optimizer in a
    # LossScaleOptimizer named "loss_scale_optimizer" unless auto_scale_loss=False
    want = META["policies"]["global_mixed"]
    with pytest.raises(ValueError, match="Invalid `policy` argument"):
        keras.config.set_dtype_policy(3)
    keras.config.set_dtype_policy("mixed_float16")
    inp = keras.Input((4,))
    d = keras.layers.Dense(2)
    out = d(inp)
    m = keras.Model(inp, out)
    m.compile(keras.optimizers.SGD(0.1), "mse")
    got = {"config_dtype_policy": keras.config.dtype_policy().name,
           "floatx": keras.config.floatx(), "input_dtype": inp.dtype,
           "output_dtype": out.dtype, "layer_policy": d.dtype_policy.name,
           "model_policy": m.dtype_policy.name, "optimizer_class": type(m.optimizer).__name__,
           "optimizer_name": m.optimizer.name,
           "layer_config_dtype": d.get_config()["dtype"]}
    assert got == {k: want[k] for k in got}
    cfg = m.optimizer.get_config()
    assert (cfg["initial_scale"], cfg["dynamic_growth_steps"]) == \
        (want["optimizer_config"]["initial_scale"],
         want["optimizer_config"]["dynamic_growth_steps"])
    m2 = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    m2.compile("sgd", "mse", auto_scale_loss=False)
    assert type(m2.optimizer).__name__ == want["optimizer_class_auto_scale_loss_false"]


# --- mixed_float16 training ----------------------------------------------------------
def _mixed_model(case):
    pol = "mixed_float16" if case != "global" else None
    head = "float32" if case == "float32_head" else pol
    return keras.Sequential([keras.Input((4,)),
                             keras.layers.Dense(8, activation="relu", dtype=pol),
                             keras.layers.Dense(1, dtype=head)])


@pytest.mark.parametrize("case", ["per_layer", "global", "float32_head"])
def test_mixed_float16_training_matches_keras(case):
    # Keras rule: mixed_float16 layers compute in float16 with float32 variables (cast in
    # call), outputs come out in float16 (float32 with a float32 head); the gradients reach
    # the float32 variables; a globally mixed model trains through a LossScaleOptimizer
    # (float16 rounding differs between XLA and NumPy: 1e-2 relative)
    want = META["mixed"]["cases"][case]
    if case == "global":
        keras.config.set_dtype_policy("mixed_float16")
    m = _mixed_model(case)
    m.set_weights([DATA[f"mixed/_inputs/w_{i}"] for i in range(4)])
    m.compile(keras.optimizers.SGD(0.05), "mse")
    assert type(m.optimizer).__name__ == want["optimizer_class"]
    x, y = DATA["mixed/_inputs/x"], DATA["mixed/_inputs/y"]
    losses = []
    for e in range(3):
        losses.append(m.fit(x, y, batch_size=8, epochs=1, shuffle=False,
                            verbose=0).history["loss"][0])
        for i, w in enumerate(m.get_weights()):
            ref = DATA[f"mixed/{case}/e{e}_w{i}"]
            assert w.dtype == ref.dtype
            np.testing.assert_allclose(w, ref, rtol=1e-2, atol=2e-3, err_msg=f"e{e} w{i}")
    np.testing.assert_allclose(losses, DATA[f"mixed/{case}/losses"], rtol=1e-2)
    pred = m.predict(x, verbose=0)
    assert str(pred.dtype) == want["pred_dtype"]
    assert str(np.asarray(m(x).value).dtype) == want["call_dtype"]
    np.testing.assert_allclose(pred.astype("float32"), DATA[f"mixed/{case}/pred"]
                               .astype("float32"), rtol=1e-2, atol=1e-2)
    if case == "global":
        assert float(m.optimizer.dynamic_scale.value) == float(DATA["mixed/global/opt_var_3"])


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_mixed_files_load_with_their_policy(suffix):
    # Keras rule: the layer config's dtype entry (a DTypePolicy dict in .keras, the same
    # dict in Keras 3's .h5) restores the mixed policy
    m = keras.models.load_model(FILES / f"mixed_per_layer{suffix}")
    assert [layer.dtype_policy.name for layer in m.layers] == ["mixed_float16"] * 2
    pred = m.predict(DATA["mixed/files/x"], verbose=0)
    assert pred.dtype == np.float16
    np.testing.assert_allclose(pred.astype("float32"), DATA["mixed/files/pred"],
                               rtol=1e-2, atol=1e-2)


# --- gradient accumulation -----------------------------------------------------------
@pytest.mark.parametrize("name", sorted(META["accumulation"]["cases"]))
def test_gradient_accumulation_trajectory_matches_keras(name):
    # Keras rule: gradients are summed in accumulators; every n-th step updates with
    # (sum + g) / n (then clipped, weight decay), the accumulators reset; `iterations`
    # is steps // n, schedules see the raw step count, EMA runs at every step
    case = META["accumulation"]["cases"][name]
    assert "error" not in case, case
    kwargs = dict(case["kwargs"])
    if isinstance(kwargs.get("learning_rate"), list):
        sname, skw = kwargs["learning_rate"]
        kwargs["learning_rate"] = getattr(keras.optimizers.schedules, sname)(**skw)
    opt = getattr(keras.optimizers, case["class"])(
        gradient_accumulation_steps=case["steps"], **kwargs)
    inp = {k: DATA[f"accumulation/_inputs/{k}"] for k in ("w0", "b0", "gw", "gb")}
    w, b = Variable(inp["w0"].copy(), name="w"), Variable(inp["b0"].copy(), name="b")
    w.path, b.path = "w", "b"
    for t in range(7):
        opt.apply([inp["gw"][t], inp["gb"][t]], [w, b])
        np.testing.assert_allclose(w.value, DATA[f"accumulation/{name}/w"][t], rtol=2e-5,
                                   atol=1e-6, err_msg=f"w step {t}")
        np.testing.assert_allclose(b.value, DATA[f"accumulation/{name}/b"][t], rtol=2e-5,
                                   atol=1e-6, err_msg=f"b step {t}")
        assert int(opt._iterations.value) == DATA[f"accumulation/{name}/raw_iterations"][t]
        assert int(opt.iterations.value) == DATA[f"accumulation/{name}/iterations"][t]
        np.testing.assert_allclose(opt._accumulated_gradients[0].value,
                                   DATA[f"accumulation/{name}/acc_w"][t], rtol=1e-5,
                                   atol=1e-6)
    # (the optimizer's auto-name depends on how many were made before: compare the rest)
    assert [v.path.split("/", 1)[1] for v in opt.variables] == \
        [p.split("/", 1)[1] for p in case["variables"]]
    assert opt.get_config()["gradient_accumulation_steps"] == case["steps"]
    if f"accumulation/{name}/w_finalized" in DATA:
        opt.finalize_variable_values([w, b])
        np.testing.assert_allclose(w.value, DATA[f"accumulation/{name}/w_finalized"],
                                   rtol=2e-5, atol=1e-6)


def test_gradient_accumulation_in_fit_matches_keras():
    # Keras rule: fit's steps go through the same accumulation (6 steps, 3 updates)
    rng_w = DATA["accumulation/_inputs/w0"], DATA["accumulation/_inputs/b0"]
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    m.set_weights(list(rng_w))
    m.compile(keras.optimizers.Adam(0.05, gradient_accumulation_steps=2), "mse")
    h = m.fit(DATA["accumulation/fit/x"], DATA["accumulation/fit/y"], batch_size=4,
              epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(m.get_weights()[0], DATA["accumulation/fit/kernel"],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.get_weights()[1], DATA["accumulation/fit/bias"],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h.history["loss"], DATA["accumulation/fit/losses"], rtol=1e-5)
    want = META["accumulation"]["fit"]
    assert (int(m.optimizer.iterations.value), int(m.optimizer._iterations.value)) == \
        (want["iterations"], want["raw_iterations"])


@pytest.mark.parametrize("value", ["1", "0.5", "-2"])
def test_bad_gradient_accumulation_steps_are_refused_as_keras(value):
    # Keras rule: an integer >= 2, else ValueError with Keras' message
    want = META["accumulation"]["bad_values"][value]
    with pytest.raises(ValueError) as e:
        keras.optimizers.SGD(gradient_accumulation_steps=eval(value))  # noqa: S307
    assert str(e.value) == want.split(": ", 1)[1]
