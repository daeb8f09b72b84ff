#!/usr/bin/env python
"""Reference values for initializers, regularizers and the optimizers Adafactor, Lamb and
LossScaleOptimizer, from REAL Keras 3 (jax backend).

    KERAS_BACKEND=jax /work/venvs/k3/bin/python compat_tests/generate_extras_fixtures.py

Writes fixtures/extras_k3.npz and fixtures/extras_k3.json (about 15 s). npz keys are
`<section>/<case>/<array>`:

* `optimizers/_inputs/{w0,b0,k0,z0,gw,gb,gk,gz}`: four variables w (3, 2), b (2,),
  k (2, 3, 4) and z (4,) (all zeros: Lamb's ||w|| = 0 branch) and STEPS gradients for each;
  `optimizers/<case>/{w,b,k,z}` the values after each step, `opt_var_<j>` the optimizer's
  variables at the end. LossScaleOptimizer cases run through `stateless_apply` (Keras' jax
  path; its stateful `apply` does not run eagerly on jax) with inf/NaN gradients at the
  steps listed in the json.
* `training/<case>/...`: small fits with a LossScaleOptimizer and with `loss_scale_factor`.
* `initializers/<case>/...`: deterministic values (Identity, Constant), and for Orthogonal
  draws the properties Keras' values have (W^T W = gain^2 I for tall, W W^T for wide).
* `regularizers/<case>/{x,value,grad}`: penalty and jax.grad of it.

The json holds configs (`serialize_keras_object`), the exceptions Keras raises for bad
arguments (type and message), and name resolution.
"""

import os
import sys
import zlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from generate_function_fixtures import Store, clean_config  # noqa: E402

STEPS = 6
F32 = np.float32


def seed_of(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def err(fn):
    try:
        fn()
    except Exception as e:  # recorded for the test
        return {"type": type(e).__name__, "message": str(e)}
    return None


# --- optimizers --------------------------------------------------------------------------

OPT_CASES = {
    "Adafactor.default": ("Adafactor", {}),
    "Adafactor.lr0.5_relative": ("Adafactor", {"learning_rate": 0.5}),
    "Adafactor.not_relative": ("Adafactor", {"learning_rate": 0.5, "relative_step": False}),
    "Adafactor.clip_threshold": ("Adafactor", {"learning_rate": 0.1, "clip_threshold": 0.1}),
    "Adafactor.decay_eps": ("Adafactor", {"learning_rate": 0.2, "beta_2_decay": -0.5,
                                          "epsilon_1": 1e-20, "epsilon_2": 0.01}),
    "Adafactor.schedule": ("Adafactor", {"learning_rate": ["ExponentialDecay", {
        "initial_learning_rate": 0.3, "decay_steps": 2, "decay_rate": 0.5}]}),
    "Adafactor.weight_decay": ("Adafactor", {"learning_rate": 0.1, "weight_decay": 0.05}),
    "Adafactor.clipnorm": ("Adafactor", {"learning_rate": 0.1, "clipnorm": 0.5}),
    "Lamb.default": ("Lamb", {}),
    "Lamb.betas": ("Lamb", {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.9,
                            "epsilon": 1e-5}),
    "Lamb.weight_decay": ("Lamb", {"learning_rate": 0.05, "weight_decay": 0.1}),
    "Lamb.global_clipnorm": ("Lamb", {"learning_rate": 0.05, "global_clipnorm": 1.0}),
    "Lamb.ema": ("Lamb", {"learning_rate": 0.05, "use_ema": True, "ema_momentum": 0.5}),
    "Lamb.schedule": ("Lamb", {"learning_rate": ["InverseTimeDecay", {
        "initial_learning_rate": 0.1, "decay_steps": 1, "decay_rate": 0.5}]}),
}
# inner optimizer, LossScaleOptimizer kwargs, steps whose gradients are inf / nan
LSO_CASES = {
    "LossScaleOptimizer.sgd_momentum": (["SGD", {"learning_rate": 0.1, "momentum": 0.5}],
                                        {"initial_scale": 4.0, "dynamic_growth_steps": 2},
                                        {"inf": [1], "nan": [4]}),
    "LossScaleOptimizer.adam_default_scale": (["Adam", {"learning_rate": 0.01}], {},
                                              {"inf": [2], "nan": []}),
}


def opt_inputs():
    rng = np.random.default_rng(21)
    shapes = {"w": (3, 2), "b": (2,), "k": (2, 3, 4), "z": (4,)}
    init = {n: rng.normal(size=s).astype(F32) for n, s in shapes.items()}
    init["z"] = np.zeros(4, F32)
    grads = {n: rng.normal(size=(STEPS,) + s).astype(F32) for n, s in shapes.items()}
    grads["b"][2, 0] = 0.0
    return shapes, init, grads


def make_opt(optimizers, cname, kw):
    kw = dict(kw)
    lr = kw.get("learning_rate")
    if isinstance(lr, list):
        kw["learning_rate"] = getattr(optimizers.schedules, lr[0])(**lr[1])
    return getattr(optimizers, cname)(**kw)


def var_info(opt):
    return [{"index": j, "name": v.name, "path": v.path, "shape": list(v.shape),
             "dtype": str(v.dtype)} for j, v in enumerate(opt.variables)]


def optimizers_section(st, keras):
    from keras import optimizers

    sec = st.section("optimizers")
    shapes, init, grads = opt_inputs()
    for n in shapes:
        st.put(f"optimizers/_inputs/{n}0", init[n])
        st.put(f"optimizers/_inputs/g{n}", grads[n])
    for case, (cname, kw) in OPT_CASES.items():
        keras.backend.clear_session()
        opt = make_opt(optimizers, cname, kw)
        vs = [keras.Variable(init[n].copy(), name=n) for n in shapes]
        hist = {n: [] for n in shapes}
        lrs = []
        for i in range(STEPS):
            lrs.append(float(np.asarray(opt.learning_rate)))
            opt.apply([grads[n][i] for n in shapes], vs)
            for n, v in zip(shapes, vs):
                hist[n].append(np.asarray(v.value).copy())
        for n in shapes:
            st.put(f"optimizers/{case}/{n}", np.stack(hist[n]))
        st.put(f"optimizers/{case}/lr", np.asarray(lrs, F32))
        for j, v in enumerate(opt.variables):
            st.put(f"optimizers/{case}/opt_var_{j}", np.asarray(v.value))
        info = {"class": cname, "kwargs": kw, "variables": var_info(opt),
                "config": clean_config(opt.get_config()),
                "iterations": int(np.asarray(opt.iterations))}
        if kw.get("use_ema"):
            opt.finalize_variable_values(vs)
            for n, v in zip(shapes, vs):
                st.put(f"optimizers/{case}/{n}_finalized", np.asarray(v.value))
        sec["cases"][case] = info
    for case, (inner, kw, bad) in LSO_CASES.items():
        keras.backend.clear_session()
        opt = optimizers.LossScaleOptimizer(make_opt(optimizers, *inner), **kw)
        vs = [keras.Variable(init[n].copy(), name=n) for n in shapes]
        opt.build(vs)
        opt_vals = [v.value for v in opt.variables]
        tvals = [v.value for v in vs]
        hist = {n: [] for n in shapes}
        for i in range(STEPS):
            gs = [grads[n][i].copy() for n in shapes]
            if i in bad["inf"]:
                gs[0][0, 0] = np.inf
            if i in bad["nan"]:
                gs[2][1, 2, 3] = np.nan
            tvals, opt_vals = opt.stateless_apply(opt_vals, gs, tvals)
            for n, t in zip(shapes, tvals):
                hist[n].append(np.asarray(t).copy())
        for n in shapes:
            st.put(f"optimizers/{case}/{n}", np.stack(hist[n]))
        for j, v in enumerate(opt_vals):
            st.put(f"optimizers/{case}/opt_var_{j}", np.asarray(v))
        sec["cases"][case] = {"class": "LossScaleOptimizer", "inner": inner, "kwargs": kw,
                              "bad_steps": bad, "variables": var_info(opt),
                              "config": clean_config(opt.get_config()),
                              "serialized": clean_config(optimizers.serialize(opt))}
    sec["default_configs"] = {}
    for cname in ("Adafactor", "Lamb"):
        keras.backend.clear_session()
        sec["default_configs"][cname] = clean_config(getattr(optimizers, cname)().get_config())
    sec["errors"] = {
        "lso_dynamic_false": err(lambda: optimizers.LossScaleOptimizer(optimizers.SGD(),
                                                                       dynamic=False)),
        "lso_clipnorm": err(lambda: optimizers.LossScaleOptimizer(optimizers.SGD(),
                                                                  clipnorm=1.0)),
        "lso_unknown": err(lambda: optimizers.LossScaleOptimizer(optimizers.SGD(), foo=1)),
    }


TRAIN_CASES = {
    "lso_adam": {"optimizer": ["LossScaleOptimizer", {"initial_scale": 64.0,
                                                      "dynamic_growth_steps": 3},
                               ["Adam", {"learning_rate": 0.02}]]},
    "loss_scale_factor_sgd": {"optimizer": ["SGD", {"learning_rate": 0.05,
                                                    "loss_scale_factor": 8.0}]},
    "adafactor_fit": {"optimizer": ["Adafactor", {"learning_rate": 0.05}]},
    "lamb_fit": {"optimizer": ["Lamb", {"learning_rate": 0.02}]},
}


def build_training(keras, case):
    name, kw = case["optimizer"][:2]
    if name == "LossScaleOptimizer":
        inner = getattr(keras.optimizers, case["optimizer"][2][0])(**case["optimizer"][2][1])
        opt = keras.optimizers.LossScaleOptimizer(inner, **kw)
    else:
        opt = getattr(keras.optimizers, name)(**kw)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="tanh"),
                              keras.layers.Dense(2)])
    model.compile(opt, "mse", metrics=["mae"])
    return model


def training_section(st, keras):
    sec = st.section("training")
    for name, case in TRAIN_CASES.items():
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        rng = np.random.default_rng(seed_of(name))
        x = rng.normal(size=(40, 4)).astype(F32)
        y = (x @ rng.normal(size=(4, 2))).astype(F32)
        model = build_training(keras, case)
        w0 = [rng.uniform(-0.5, 0.5, size=w.shape).astype(F32) for w in model.weights]
        model.set_weights(w0)
        hist = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
        st.put(f"training/{name}/x", x)
        st.put(f"training/{name}/y", y)
        for i, w in enumerate(w0):
            st.put(f"training/{name}/w0_{i}", w)
        for i, w in enumerate(model.get_weights()):
            st.put(f"training/{name}/w1_{i}", w)
        for j, v in enumerate(model.optimizer.variables):
            st.put(f"training/{name}/opt_var_{j}", np.asarray(v.value))
        sec["cases"][name] = {"case": case,
                              "history": {k: [float(v) for v in vs]
                                          for k, vs in hist.history.items()},
                              "optimizer_variables": var_info(model.optimizer)}


# --- initializers ------------------------------------------------------------------------

def initializers_section(st, keras):
    I = keras.initializers  # noqa: E741
    sec = st.section("initializers")
    configs = {
        "Constant": I.Constant(0.5),
        "Constant_array": I.Constant(np.array([1.0, 2.0, 3.0], F32)),
        "Identity": I.Identity(gain=2.0),
        "IdentityInitializer": I.IdentityInitializer(),
        "Orthogonal": I.Orthogonal(gain=1.5, seed=3),
        "OrthogonalInitializer": I.OrthogonalInitializer(),
        "VarianceScaling": I.VarianceScaling(2.0, "fan_out", "uniform", seed=7),
        "VarianceScaling_axes": I.VarianceScaling(input_axes=[0], output_axes=[1, 2]),
        "VarianceScaling_normal": I.VarianceScaling(distribution="normal"),
        "GlorotUniform_seed": I.GlorotUniform(seed=4),
        "HeNormal_axes": I.HeNormal(input_axes=[0, 1], output_axes=[2]),
        "RandomNormal_seedgen": I.RandomNormal(seed=keras.random.SeedGenerator(5)),
        "TruncatedNormal": I.TruncatedNormal(0.1, 0.2, seed=9),
        "RandomUniform": I.RandomUniform(-1.0, 2.0),
    }
    sec["configs"] = {}
    for name, obj in configs.items():
        keras.backend.clear_session()
        sec["configs"][name] = clean_config(keras.saving.serialize_keras_object(obj))
    # the SeedGenerator's auto-name depends on the session: record it from a fresh one
    keras.backend.clear_session()
    sec["configs"]["RandomNormal_seedgen"] = clean_config(keras.saving.serialize_keras_object(
        I.RandomNormal(seed=keras.random.SeedGenerator(5))))
    sec["resolution"] = {}
    for name in ("constant", "zeros", "identity", "IdentityInitializer", "orthogonal",
                 "OrthogonalInitializer", "variance_scaling", "VarianceScaling",
                 "truncated_normal", "one", "zero", "uniform", "normal"):
        try:
            obj = I.get(name)
            sec["resolution"][name] = {"class": type(obj).__name__,
                                       "config": clean_config(obj.get_config())}
        except Exception as e:
            sec["resolution"][name] = {"error": type(e).__name__, "message": str(e)}
    sec["errors"] = {
        "vs_scale": err(lambda: I.VarianceScaling(scale=-1.0)),
        "vs_mode": err(lambda: I.VarianceScaling(mode="fan_middle")),
        "vs_distribution": err(lambda: I.VarianceScaling(distribution="gaussian")),
        "seed_str": err(lambda: I.RandomNormal(seed="abc")),
        "seed_float": err(lambda: I.GlorotUniform(seed=1.5)),
        "identity_3d": err(lambda: I.Identity()((2, 2, 2))),
        "orthogonal_1d": err(lambda: I.Orthogonal()((5,))),
        "get_typo": err(lambda: I.get("glorot_unifrom")),
        "get_number": err(lambda: I.get(5)),
        "get_array_shape": err(lambda: I.get(np.ones((2, 3), F32))((3, 2))),
    }
    # deterministic values
    st.put("initializers/identity_3x4_gain0.5/values", np.asarray(I.Identity(0.5)((3, 4))))
    st.put("initializers/identity_4x3/values", np.asarray(I.Identity()((4, 3))))
    st.put("initializers/constant_array/values",
           np.asarray(I.Constant(np.array([1.0, 2.0, 3.0], F32))((2, 3))))
    st.put("initializers/constant_from_config/values", np.asarray(
        I.Constant.from_config(I.Constant(np.array([[1.0], [2.0]], F32)).get_config())((2, 4))))
    st.put("initializers/get_array/values", np.asarray(I.get(np.arange(6, dtype=F32)
                                                             .reshape(2, 3))((2, 3))))
    # Orthogonal: properties of Keras' draws (the values themselves come from jax's PRNG)
    sec["orthogonal"] = {}
    for shape, gain in (((6, 4), 1.0), ((4, 6), 1.0), ((3, 2, 5), 2.5), ((50, 80), 1.0),
                        ((200, 300), 1.0), ((3, 3, 8, 4), 0.5)):
        w = np.asarray(I.Orthogonal(gain=gain, seed=11)(shape), dtype=np.float64)
        flat = w.reshape(-1, shape[-1])
        rows, cols = flat.shape
        gram = flat.T @ flat if rows >= cols else flat @ flat.T
        key = "x".join(map(str, shape)) + f"_gain{gain}"
        sec["orthogonal"][key] = {
            "shape": list(shape), "gain": gain,
            "gram_max_err": float(np.abs(gram - gain ** 2 * np.eye(len(gram))).max()),
            "mean": float(w.mean()), "std": float(w.std()),
            "second_call_identical": bool(np.array_equal(
                w, np.asarray(I.Orthogonal(gain=gain, seed=11)(shape), np.float64)))}
    # seeds: int -> same values at each call; SeedGenerator -> new values at each call
    a = I.RandomNormal(seed=3)
    g = I.RandomNormal(seed=keras.random.SeedGenerator(3))
    sec["seeds"] = {
        "int_seed_repeats": bool(np.array_equal(np.asarray(a((4, 4))), np.asarray(a((4, 4))))),
        "seed_generator_repeats": bool(np.array_equal(np.asarray(g((4, 4))),
                                                      np.asarray(g((4, 4))))),
        "clone_of_int_seeded_repeats": bool(np.array_equal(
            np.asarray(a((4, 4))), np.asarray(I.RandomNormal.from_config(
                a.get_config())((4, 4)))))}
    # VarianceScaling with axes: the std follows the fans of the given axes
    w = np.asarray(I.VarianceScaling(2.0, "fan_in", seed=5, input_axes=[0],
                                     output_axes=[1, 2])((32, 4, 16)))
    w2 = np.asarray(I.VarianceScaling(2.0, "fan_in", seed=5)((32, 4, 16)))
    sec["variance_scaling_axes"] = {"std_with_axes": float(w.std()),
                                    "std_without_axes": float(w2.std())}


# --- regularizers ------------------------------------------------------------------------

REG_CASES = {
    "l1": ("L1", {"l1": 0.03}, (4, 5)),
    "l2": ("L2", {"l2": 0.2}, (4, 5)),
    "l1l2": ("L1L2", {"l1": 0.01, "l2": 0.05}, (3, 2, 4)),
    "orth_rows": ("OrthogonalRegularizer", {"factor": 0.1}, (4, 5)),
    "orth_columns": ("OrthogonalRegularizer", {"factor": 0.3, "mode": "columns"}, (6, 3)),
    "orth_rows_zero_row": ("OrthogonalRegularizer", {"factor": 0.1}, (4, 3)),
}


def regularizers_section(st, keras):
    import jax
    import jax.numpy as jnp

    R = keras.regularizers
    sec = st.section("regularizers")
    for name, (cls, kw, shape) in REG_CASES.items():
        rng = np.random.default_rng(seed_of(name))
        x = rng.normal(size=shape).astype(F32)
        if name.endswith("zero_row"):
            x[1] = 0.0
        reg = getattr(R, cls)(**kw)
        st.put(f"regularizers/{name}/x", x)
        st.put(f"regularizers/{name}/value", np.asarray(reg(jnp.asarray(x))))
        st.put(f"regularizers/{name}/grad", np.asarray(jax.grad(lambda v: reg(v))(
            jnp.asarray(x))))
        sec["cases"][name] = {"class": cls, "kwargs": kw,
                              "config": clean_config(keras.saving.serialize_keras_object(reg))}
    bad = {
        "l1_str": lambda: R.L1("0.1"), "l1_nan": lambda: R.L1(float("nan")),
        "l2_inf": lambda: R.L2(float("inf")), "l2_negative": lambda: R.L2(-0.1),
        "l1l2_list": lambda: R.L1L2(l1=[0.1]), "l1l2_negative": lambda: R.L1L2(l2=-1),
        "orth_factor_none": lambda: R.OrthogonalRegularizer(factor=None),
        "orth_mode": lambda: R.OrthogonalRegularizer(mode="diagonal"),
        "orth_rank3": lambda: R.OrthogonalRegularizer()(jnp.ones((2, 2, 2))),
        "get_typo": lambda: R.get("l3"),
        "get_number": lambda: R.get(0.1),
    }
    sec["errors"] = {k: err(f) for k, f in bad.items()}
    ok = {"l1_none": lambda: R.L1(None).get_config(), "l2_none": lambda: R.L2(None).get_config(),
          "l1l2_none": lambda: R.L1L2(None, None).get_config(),
          "l1_int": lambda: R.L1(1).get_config(),
          "l1_bool": lambda: R.L1(True).get_config()}
    sec["accepted"] = {}
    for k, f in ok.items():
        try:
            sec["accepted"][k] = clean_config(f())
        except Exception as e:
            sec["accepted"][k] = {"error": type(e).__name__, "message": str(e)}
    sec["resolution"] = {}
    for name in ("l1", "l2", "l1l2", "L1L2", "orthogonal_regularizer", "OrthogonalRegularizer"):
        try:
            obj = R.get(name)
            sec["resolution"][name] = {"class": type(obj).__name__,
                                       "config": clean_config(obj.get_config())}
        except Exception as e:
            sec["resolution"][name] = {"error": type(e).__name__, "message": str(e)}


def main():
    import jax
    import keras

    st = Store()
    st.meta.update({"fixture_kind": "extras", "keras_version": keras.__version__,
                    "backend": keras.backend.backend(), "jax_version": jax.__version__,
                    "numpy_version": np.__version__, "python_version": sys.version.split()[0],
                    "steps": STEPS})
    optimizers_section(st, keras)
    training_section(st, keras)
    initializers_section(st, keras)
    regularizers_section(st, keras)
    st.save("extras_k3")


if __name__ == "__main__":
    main()
