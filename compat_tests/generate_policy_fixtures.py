"""Reference values for dtype policies, gradient accumulation, the remaining keras.ops
math functions and BatchNormalization renorm/masks, recorded from real Keras 3 (jax).

    KERAS_BACKEND=jax /work/venvs/k3/bin/python compat_tests/generate_policy_fixtures.py

writes compat_tests/fixtures/policy_k3.{npz,json} and compat_tests/files/policy_k3/*.
Sections (npz keys `<section>/<case>/<array>`):
- `policies` (json): DTypePolicy names -> compute/variable dtype, config, serialize,
  repr; errors; layer dtype attributes and the `dtype` entry of layer configs; global
  policy effects (Input dtype, outputs, the optimizer compile wraps).
- `mixed`: a float16-computing model (per-layer and global mixed_float16) trained with
  fixed weights: weights after each epoch, losses, predictions (dtype recorded),
  the LossScaleOptimizer's variables.
- `accumulation`: optimizer trajectories with gradient_accumulation_steps (weights after
  each step, `_iterations`, `iterations`, accumulators, variable names).
- `ops`: as functions_k3's `ops` section (same layout and generator code), for the ops
  added here; `g`/`grad_*` from jax.grad with a random upstream gradient.
- `bn`: BatchNormalization renorm and masked statistics: outputs, gradients, moving
  statistics after a few training calls.
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_function_fixtures as gf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, "files", "policy_k3")
f32 = gf.f32


def err(e):
    return f"{type(e).__name__}: {e}"


# --------------------------------------------------------------------------- policies
def policies(st, keras):
    sec = st.section("policies")
    sec["doc"] = "DTypePolicy facts (json only)."
    for name in ["float16", "float32", "float64", "mixed_float16", "mixed_bfloat16",
                 "bfloat16", "str", "mixed_int8", "int32", 3, None]:
        key = repr(name)
        info = {}
        try:
            p = keras.DTypePolicy(name)
            info = {"name": p.name, "compute_dtype": p.compute_dtype,
                    "variable_dtype": p.variable_dtype, "config": p.get_config(),
                    "serialized": keras.dtype_policies.serialize(p), "repr": repr(p)}
        except Exception as e:
            info = {"error": err(e), "type": type(e).__name__}
        sec["cases"][f"policy/{key}"] = info
    for ident in ["float64", {"class_name": "DTypePolicy", "config": {"name": "mixed_float16"}},
                  {"module": "keras", "class_name": "FloatDTypePolicy",
                   "config": {"name": "float16"}, "registered_name": None}, None, 3.5]:
        try:
            p = keras.dtype_policies.get(ident)
            info = {"name": p.name, "class": type(p).__name__}
        except Exception as e:
            info = {"error": err(e), "type": type(e).__name__}
        sec["cases"][f"get/{json.dumps(ident)}"] = info
    for pol in ["float16", "float64", "mixed_float16", None]:
        d = keras.layers.Dense(3, dtype=pol)
        y = d(np.ones((2, 4), "float32"))
        sec["cases"][f"dense/{pol}"] = {
            "dtype": d.dtype, "compute_dtype": d.compute_dtype,
            "variable_dtype": d.variable_dtype, "policy": d.dtype_policy.name,
            "config_dtype": d.get_config()["dtype"], "output_dtype": str(y.dtype),
            "kernel_dtype": str(d.kernel.dtype)}
    try:
        keras.config.set_dtype_policy(3)
    except Exception as e:
        sec["set_dtype_policy_error"] = {"error": err(e), "type": type(e).__name__}
    keras.config.set_dtype_policy("mixed_float16")
    try:
        inp = keras.Input((4,))
        d = keras.layers.Dense(2)
        out = d(inp)
        m = keras.Model(inp, out)
        m.compile(keras.optimizers.SGD(0.1), "mse")
        sec["global_mixed"] = {
            "config_dtype_policy": keras.config.dtype_policy().name,
            "floatx": keras.config.floatx(), "input_dtype": str(inp.dtype),
            "output_dtype": str(out.dtype), "layer_policy": d.dtype_policy.name,
            "model_policy": m.dtype_policy.name,
            "optimizer_class": type(m.optimizer).__name__,
            "optimizer_name": m.optimizer.name,
            "optimizer_config": m.optimizer.get_config(),
            "layer_config_dtype": d.get_config()["dtype"]}
        m2 = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
        m2.compile("sgd", "mse", auto_scale_loss=False)
        sec["global_mixed"]["optimizer_class_auto_scale_loss_false"] = \
            type(m2.optimizer).__name__
    finally:
        keras.config.set_dtype_policy("float32")


# --------------------------------------------------------------------------- mixed
def mixed(st, keras):
    sec = st.section("mixed")
    sec["doc"] = ("mixed_float16 training: arrays x, y, w_<i> (initial weights), after "
                  "epoch e weights `e<e>_w<i>`, `losses`, `pred` (+ dtype), the "
                  "LossScaleOptimizer's `opt_var_<j>` at the end.")
    rng = np.random.default_rng(31)
    x = f32(rng.normal(size=(16, 4)))
    y = f32(rng.normal(size=(16, 1)))
    w = [f32(rng.normal(size=(4, 8)) * 0.5), f32(rng.normal(size=(8,)) * 0.1),
         f32(rng.normal(size=(8, 1)) * 0.5), f32(rng.normal(size=(1,)) * 0.1)]
    for case in ["per_layer", "global", "float32_head"]:
        info = {}
        if case == "global":
            keras.config.set_dtype_policy("mixed_float16")
        try:
            pol = "mixed_float16" if case != "global" else None
            head = "float32" if case == "float32_head" else pol
            m = keras.Sequential([keras.Input((4,)),
                                  keras.layers.Dense(8, activation="relu", dtype=pol),
                                  keras.layers.Dense(1, dtype=head)])
            m.set_weights(w)
            m.compile(keras.optimizers.SGD(0.05), "mse")
            info["optimizer_class"] = type(m.optimizer).__name__
            losses = []
            for e in range(3):
                h = m.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
                losses.append(h.history["loss"][0])
                for i, v in enumerate(m.get_weights()):
                    st.put(f"mixed/{case}/e{e}_w{i}", v, dtype=v.dtype)
            st.put(f"mixed/{case}/losses", np.asarray(losses, "float64"), dtype="float64")
            pred = m.predict(x, verbose=0)
            st.put(f"mixed/{case}/pred", pred, dtype=pred.dtype)
            info["pred_dtype"] = str(pred.dtype)
            info["call_dtype"] = str(m(x).dtype)
            info["opt_variables"] = [v.path for v in m.optimizer.variables]
            for j, v in enumerate(m.optimizer.variables[:4]):
                a = np.asarray(v)
                st.put(f"mixed/{case}/opt_var_{j}", a, dtype=a.dtype)
            if case == "per_layer":
                os.makedirs(FILES, exist_ok=True)
                m.save(os.path.join(FILES, "mixed_per_layer.keras"))
                m.save(os.path.join(FILES, "mixed_per_layer.h5"))
                st.put("mixed/files/x", x[:4])
                st.put("mixed/files/pred", m.predict(x[:4], verbose=0), dtype="float32")
        finally:
            keras.config.set_dtype_policy("float32")
        sec["cases"][case] = info
    for i, a in enumerate(w):
        st.put(f"mixed/_inputs/w_{i}", a)
    st.put("mixed/_inputs/x", x)
    st.put("mixed/_inputs/y", y)
    # (the loss scaler's own step rule is pinned by the `reshape` branch's fixtures; its
    # eager `apply` fails under jax in Keras 3.15 with an UnexpectedTracerError)


# --------------------------------------------------------------------------- accumulation
ACC_CASES = {
    "SGD.plain": ("SGD", {"learning_rate": 0.1}),
    "SGD.momentum": ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    "Adam.plain": ("Adam", {"learning_rate": 0.05}),
    "Adam.amsgrad": ("Adam", {"learning_rate": 0.05, "amsgrad": True}),
    "Adam.schedule": ("Adam", {"learning_rate": ["ExponentialDecay", {
        "initial_learning_rate": 0.05, "decay_steps": 2, "decay_rate": 0.5}]}),
    "Adam.ema": ("Adam", {"learning_rate": 0.05, "use_ema": True, "ema_momentum": 0.8,
                          "ema_overwrite_frequency": 2}),
    "AdamW.plain": ("AdamW", {"learning_rate": 0.05, "weight_decay": 0.1}),
    "SGD.clipnorm": ("SGD", {"learning_rate": 0.1, "clipnorm": 0.5}),
    "SGD.global_clipnorm": ("SGD", {"learning_rate": 0.1, "global_clipnorm": 0.5}),
    "RMSprop.plain": ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    "Adagrad.plain": ("Adagrad", {"learning_rate": 0.1}),
    "Adadelta.plain": ("Adadelta", {"learning_rate": 1.0}),
    "Adamax.plain": ("Adamax", {"learning_rate": 0.05}),
    "Nadam.plain": ("Nadam", {"learning_rate": 0.05}),
    "Lion.plain": ("Lion", {"learning_rate": 0.01}),
    "Ftrl.plain": ("Ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.01}),
    "Adafactor.plain": ("Adafactor", {"learning_rate": 0.1}),
    "Lamb.plain": ("Lamb", {"learning_rate": 0.05}),
}


def accumulation(st, keras):
    sec = st.section("accumulation")
    sec["doc"] = ("gradient_accumulation_steps=3 (and 2 for `*.n2`): `_inputs/gw` (7,3,2), "
                  "`_inputs/gb` (7,2), start `w0`, `b0`; per case `w` (7,3,2), `b` (7,2) "
                  "after each step, `raw_iterations`, `iterations` (7,), `acc_w` (7,3,2).")
    rng = np.random.default_rng(41)
    w0, b0 = f32(rng.normal(size=(3, 2))), f32(rng.normal(size=(2,)))
    gw, gb = f32(rng.normal(size=(7, 3, 2))), f32(rng.normal(size=(7, 2)))
    for k, a in (("w0", w0), ("b0", b0), ("gw", gw), ("gb", gb)):
        st.put(f"accumulation/_inputs/{k}", a)
    cases = dict(ACC_CASES)
    cases["Adam.n2"] = ("Adam", {"learning_rate": 0.05})
    for name, (cls, kwargs) in sorted(cases.items()):
        steps = 2 if name.endswith(".n2") else 3
        kw = dict(kwargs)
        if isinstance(kw.get("learning_rate"), list):
            sname, skw = kw["learning_rate"]
            kw["learning_rate"] = getattr(keras.optimizers.schedules, sname)(**skw)
        info = {"class": cls, "kwargs": kwargs, "steps": steps}
        try:
            opt = getattr(keras.optimizers, cls)(gradient_accumulation_steps=steps, **kw)
            w = keras.Variable(w0, name="w")
            b = keras.Variable(b0, name="b")
            ws, bs, raw, its, accs = [], [], [], [], []
            for t in range(7):
                opt.apply([gw[t], gb[t]], [w, b])
                ws.append(w.numpy())
                bs.append(b.numpy())
                raw.append(int(opt._iterations.numpy()))
                its.append(int(np.asarray(opt.iterations)))
                accs.append(np.asarray(opt._accumulated_gradients[0]))
            st.put(f"accumulation/{name}/w", np.stack(ws))
            st.put(f"accumulation/{name}/b", np.stack(bs))
            st.put(f"accumulation/{name}/raw_iterations", np.asarray(raw), dtype="int64")
            st.put(f"accumulation/{name}/iterations", np.asarray(its), dtype="int64")
            st.put(f"accumulation/{name}/acc_w", np.stack(accs))
            info["variables"] = [v.path for v in opt.variables]
            info["config"] = opt.get_config()
            if kwargs.get("use_ema"):
                opt.finalize_variable_values([w, b])
                st.put(f"accumulation/{name}/w_finalized", w.numpy())
        except Exception as e:
            info["error"] = err(e)
        sec["cases"][name] = info
    bad = {}
    for v in [1, 0.5, -2, "3"]:
        try:
            keras.optimizers.SGD(gradient_accumulation_steps=v)
            bad[repr(v)] = None
        except Exception as e:
            bad[repr(v)] = err(e)
    sec["bad_values"] = bad
    # fit with accumulation: a model trained by fit
    rng = np.random.default_rng(42)
    x, y = f32(rng.normal(size=(12, 3))), f32(rng.normal(size=(12, 2)))
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    m.set_weights([w0, b0])
    m.compile(keras.optimizers.Adam(0.05, gradient_accumulation_steps=2), "mse")
    h = m.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    st.put("accumulation/fit/x", x)
    st.put("accumulation/fit/y", y)
    st.put("accumulation/fit/kernel", m.get_weights()[0])
    st.put("accumulation/fit/bias", m.get_weights()[1])
    st.put("accumulation/fit/losses", np.asarray(h.history["loss"], "float64"), dtype="float64")
    sec["fit"] = {"iterations": int(np.asarray(m.optimizer.iterations)),
                  "raw_iterations": int(m.optimizer._iterations.numpy())}


# --------------------------------------------------------------------------- ops
OPS = {
    "arccos": ("ops.arccos(unit)", ["unit"], True),
    "arccosh": ("ops.arccosh(gt1)", ["gt1"], True),
    "arcsin": ("ops.arcsin(unit)", ["unit"], True),
    "arcsinh": ("ops.arcsinh(a)", ["a"], True),
    "arctan": ("ops.arctan(a)", ["a"], True),
    "arctan2": ("ops.arctan2(a, b)", ["a", "b"], True),
    "arctanh": ("ops.arctanh(unit)", ["unit"], True),
    "bincount": ("ops.bincount(nonneg)", ["nonneg"], False),
    "bincount_weights": ("ops.bincount(nonneg, weights=w8, minlength=9)", ["nonneg", "w8"],
                         False),
    "cbrt": ("ops.cbrt(a)", ["a"], True),
    "cross": ("ops.cross(m43a, m43b)", ["m43a", "m43b"], True),
    "deg2rad": ("ops.deg2rad(a)", ["a"], True),
    "rad2deg": ("ops.rad2deg(a)", ["a"], True),
    "diff": ("ops.diff(a)", ["a"], True),
    "diff_n2_axis0": ("ops.diff(a, n=2, axis=0)", ["a"], True),
    "digitize": ("ops.digitize(a, [-1.0, 0.0, 0.5, 1.0])", ["a"], False),
    "einsum_ij_kj": ("ops.einsum('ij,kj->ik', a, b)", ["a", "b"], True),
    "einsum_ijk_kj": ("ops.einsum('ijk->kj', c)", ["c"], True),
    "einsum_trace": ("ops.einsum('ii', square)", ["square"], True),
    "tensordot": ("ops.tensordot(a, b, axes=([1], [1]))", ["a", "b"], True),
    "tensordot_int": ("ops.tensordot(c, m43a, axes=1)", ["c", "m43a"], True),
    "inner": ("ops.inner(a, b)", ["a", "b"], True),
    "kron": ("ops.kron(m43a, square)", ["m43a", "square"], True),
    "median": ("ops.median(a)", ["a"], True),
    "median_axis1": ("ops.median(a, axis=1, keepdims=True)", ["a"], True),
    "quantile": ("ops.quantile(a, 0.3, axis=1)", ["a"], True),
    "quantile_list": ("ops.quantile(a, [0.25, 0.75])", ["a"], True),
    "quantile_nearest": ("ops.quantile(a, 0.4, axis=0, method='nearest')", ["a"], True),
    "quantile_lower": ("ops.quantile(a, 0.4, method='lower')", ["a"], True),
    "quantile_higher": ("ops.quantile(a, 0.4, axis=1, method='higher')", ["a"], True),
    "quantile_midpoint": ("ops.quantile(a, 0.4, axis=1, method='midpoint')", ["a"], True),
    "percentile": ("ops.percentile(a, 40.0, axis=0)", ["a"], True),
    "nanmean": ("ops.nanmean(nanarr, axis=1)", ["nanarr"], True),
    "nansum": ("ops.nansum(nanarr)", ["nanarr"], True),
    "nanmax": ("ops.nanmax(nanarr, axis=0)", ["nanarr"], True),
    "nanmin": ("ops.nanmin(nanarr, axis=1, keepdims=True)", ["nanarr"], True),
    "nanprod": ("ops.nanprod(nanarr, axis=1)", ["nanarr"], True),
    "nanstd": ("ops.nanstd(nanarr, axis=1)", ["nanarr"], True),
    "nanvar": ("ops.nanvar(nanarr)", ["nanarr"], True),
    "swapaxes": ("ops.swapaxes(c, 0, 2)", ["c"], True),
    "moveaxis": ("ops.moveaxis(c, 0, -1)", ["c"], True),
    "moveaxis_list": ("ops.moveaxis(c, [0, 1], [2, 0])", ["c"], True),
    "ravel": ("ops.ravel(c)", ["c"], True),
    "pad": ("ops.pad(a, ((1, 2), (0, 1)))", ["a"], True),
    "pad_value": ("ops.pad(a, 1, constant_values=2.5)", ["a"], True),
    "pad_reflect": ("ops.pad(a, ((1, 1), (2, 2)), mode='reflect')", ["a"], True),
    "pad_symmetric": ("ops.pad(a, ((1, 1), (2, 2)), mode='symmetric')", ["a"], True),
    "pad_edge": ("ops.pad(c, ((0, 0), (1, 1), (2, 0)), mode='edge')", ["c"], True),
    "pad_wrap": ("ops.pad(a, ((1, 2), (0, 3)), mode='wrap')", ["a"], True),
    "slice": ("ops.slice(a, (1, 2), (2, 3))", ["a"], True),
    "slice_update": ("ops.slice_update(a, (1, 1), m23)", ["a", "m23"], True),
    "scatter": ("ops.scatter(np.array([[0, 1], [2, 3], [0, 1]]), vec3, (4, 5))", ["vec3"],
                True),
    "scatter_rows": ("ops.scatter(np.array([[1], [3]]), m23[:, :2], (4, 2))", ["m23"], True),
    "scatter_update": ("ops.scatter_update(a, np.array([[0, 1], [2, 3]]), vec3[:2])",
                       ["a", "vec3"], True),
    "searchsorted": ("ops.searchsorted(sorted_row, a)", ["sorted_row", "a"], False),
    "searchsorted_right": ("ops.searchsorted(sorted_row, ties_row, side='right')",
                           ["sorted_row", "ties_row"], False),
    "unstack": ("ops.unstack(c, axis=1)", ["c"], True),
    "unstack_0": ("ops.unstack(c)", ["c"], True),
    "logspace": ("ops.logspace(0.0, 2.0, 5)", [], False),
    "logspace_base2": ("ops.logspace(1.0, 4.0, 4, base=2, endpoint=False)", [], False),
    "geomspace": ("ops.geomspace(1.0, 100.0, 4)", [], False),
    "hypot": ("ops.hypot(a, b)", ["a", "b"], True),
    "fmod": ("ops.fmod(a, divisor)", ["a", "divisor"], True),
    "isinf": ("ops.isinf(nonfinite)", ["nonfinite"], False),
    "signbit": ("ops.signbit(a)", ["a"], False),
    "trunc": ("ops.trunc(wide)", ["wide"], True),
    "count_nonzero": ("ops.count_nonzero(den)", ["den"], False),
    "count_nonzero_axis": ("ops.count_nonzero(den, axis=0)", ["den"], False),
    "array": ("ops.array([[1, 2], [3, 4]])", [], False),
    "array_float": ("ops.array([1.5, 2.0])", [], False),
    "array_dtype": ("ops.array(a, dtype='float64')", ["a"], False),
    "linalg_inv": ("ops.linalg.inv(spd)", ["spd"], True),
    "linalg_det": ("ops.linalg.det(square)", ["square"], True),
    "linalg_solve": ("ops.linalg.solve(spd, m45)", ["spd", "m45"], True),
    "linalg_cholesky": ("ops.linalg.cholesky(spd)", ["spd"], True),
    "linalg_qr": ("ops.linalg.qr(m54)", ["m54"], True),
    "linalg_qr_complete": ("ops.linalg.qr(square, mode='complete')", ["square"], True),
    "linalg_svd_values": ("ops.linalg.svd(a, compute_uv=False)", ["a"], True),
    "linalg_norm": ("ops.linalg.norm(a)", ["a"], True),
    "linalg_norm_axis": ("ops.linalg.norm(a, axis=1)", ["a"], True),
    "linalg_norm_l1": ("ops.linalg.norm(vec4, ord=1)", ["vec4"], True),
    "linalg_norm_inf": ("ops.linalg.norm(a, ord=np.inf, axis=0)", ["a"], True),
    "linalg_norm_fro": ("ops.linalg.norm(a, ord='fro')", ["a"], True),
    "linalg_norm_nuc": ("ops.linalg.norm(a, ord='nuc')", ["a"], True),
    "linalg_norm_2": ("ops.linalg.norm(a, ord=2)", ["a"], True),
    "linalg_norm_mat1": ("ops.linalg.norm(a, ord=1, axis=(0, 1))", ["a"], True),
}


def extra_inputs():
    rng = np.random.default_rng(51)
    q = rng.normal(size=(4, 4))
    nanarr = f32(rng.uniform(-2, 2, (4, 5)))
    nanarr[0, 1] = nanarr[2, 3] = nanarr[2, 0] = np.nan
    return {
        "unit": f32(rng.uniform(-0.9, 0.9, (4, 5))),
        "gt1": f32(rng.uniform(1.2, 3.0, (4, 5))),
        "nonneg": np.array([0, 3, 1, 3, 5, 0, 3, 7], dtype=np.int32),
        "w8": f32(rng.uniform(0, 2, (8,))),
        "m43a": f32(rng.uniform(-2, 2, (4, 3))),
        "m43b": f32(rng.uniform(-2, 2, (4, 3))),
        "m23": f32(rng.uniform(-2, 2, (2, 3))),
        "m45": f32(rng.uniform(-2, 2, (4, 5))),
        "m54": f32(rng.uniform(-2, 2, (5, 4))),
        "spd": f32(q @ q.T + 4 * np.eye(4)),
        "nanarr": nanarr,
        "sorted_row": f32([-1.5, -0.5, 0.0, 0.25, 1.0, 1.75]),
        "ties_row": f32([-0.5, 0.0, 1.0, 3.0]),
    }


def ops_section(st):
    orig_inputs, orig_cases = gf.ops_inputs, gf.K3_OPS_CASES
    gf.ops_inputs = lambda: {**orig_inputs(), **extra_inputs()}
    gf.K3_OPS_CASES = OPS
    try:
        gf.k3_ops(st)  # the same generator code (and layout) as functions_k3's ops
    finally:
        gf.ops_inputs, gf.K3_OPS_CASES = orig_inputs, orig_cases


# --------------------------------------------------------------------------- bn
BN_CASES = {
    "renorm": {"renorm": True, "momentum": 0.8, "renorm_momentum": 0.7},
    "renorm_clipping": {"renorm": True, "momentum": 0.8, "renorm_momentum": 0.7,
                        "renorm_clipping": {"rmax": 1.2, "rmin": 0.9, "dmax": 0.1}},
    "mask": {"momentum": 0.8},
    "mask_renorm": {"renorm": True, "momentum": 0.8, "renorm_momentum": 0.7,
                    "renorm_clipping": {"rmax": 1.5, "rmin": 0.5, "dmax": 0.3}},
    "synchronized": {"synchronized": True, "momentum": 0.8},
    "mask_axis1": {"axis": 1, "momentum": 0.8},
}


def bn(st, keras):
    import jax

    sec = st.section("bn")
    sec["doc"] = ("BatchNormalization: `x` (4,3,5) and `mask` (4,3) (mask cases), three "
                  "training calls on x, x*1.5+0.3, x*0.5-1: `y<t>`, then `moving_<j>` (the "
                  "non-trainable weights in order), `y_infer` (training=False), and jax "
                  "gradients of sum(y0*g) wrt x, gamma, beta from a fresh layer: "
                  "`grad_x`, `grad_gamma`, `grad_beta`.")
    rng = np.random.default_rng(61)
    x = f32(rng.normal(size=(4, 3, 5)) * 2 + 0.5)
    mask = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 1, 1]], dtype=bool)
    g = f32(rng.normal(size=x.shape))
    st.put("bn/_inputs/x", x)
    st.put("bn/_inputs/mask", mask, dtype=bool)
    st.put("bn/_inputs/g", g)
    for name, kw in sorted(BN_CASES.items()):
        info = {"kwargs": kw}
        masked = name.startswith("mask")
        try:
            layer = keras.layers.BatchNormalization(**kw)
            layer.build(x.shape)
            info["weights"] = [w.path for w in layer.weights]
            info["config"] = layer.get_config()
            # gradients of the first training call (stateless, from the initial weights)
            tv = [v.value for v in layer.trainable_variables]
            ntv = [v.value for v in layer.non_trainable_variables]

            def f(xx, tvs):
                out, _ = layer.stateless_call(tvs, ntv, xx, training=True,
                                              mask=mask if masked else None)
                return jax.numpy.sum(out * g)

            gx, gt = jax.grad(f, argnums=(0, 1))(x, tv)
            st.put(f"bn/{name}/grad_x", np.asarray(gx))
            st.put(f"bn/{name}/grad_gamma", np.asarray(gt[0]))
            st.put(f"bn/{name}/grad_beta", np.asarray(gt[1]))
            for t, xt in enumerate([x, x * 1.5 + 0.3, x * 0.5 - 1]):
                y = layer(f32(xt), training=True, mask=mask if masked else None)
                st.put(f"bn/{name}/y{t}", np.asarray(y))
            for j, v in enumerate(layer.non_trainable_weights):
                st.put(f"bn/{name}/moving_{j}", np.asarray(v.value))
            info["non_trainable"] = [v.path for v in layer.non_trainable_weights]
            st.put(f"bn/{name}/y_infer", np.asarray(layer(x, training=False)))
        except Exception as e:
            info["error"] = err(e)
            import traceback

            traceback.print_exc()
        sec["cases"][name] = info
    bad = {}
    for kw in [{"renorm": True, "renorm_clipping": {"rmax": 1.0, "rmin": 2.0}},
               {"renorm": True, "renorm_clipping": {"dmax": -1.0}},
               {"renorm": True, "renorm_clipping": {"foo": 1.0}}]:
        try:
            keras.layers.BatchNormalization(**kw)
            bad[json.dumps(kw)] = None
        except Exception as e:
            bad[json.dumps(kw)] = err(e)
    sec["bad_kwargs"] = bad


# --------------------------------------------------------------------------- tree
# keras.tree: expressions evaluated with `tree`, `collections`, the namedtuples `Foo`,
# `Bar` and a visit list `v`; the json holds repr(result) and repr(v), or the error type
TREE_CASES = {
    "flatten_nested": "tree.flatten([[1, 2, 3], [4, [5], [[6]]]])",
    "flatten_none": "tree.flatten(None)",
    "flatten_leaf": "tree.flatten(1)",
    "flatten_dict": "tree.flatten({100: 'world!', 6: 'Hello'})",
    "flatten_ordered": "tree.flatten(collections.OrderedDict([('b', 1), ('a', 2)]))",
    "flatten_namedtuple": "tree.flatten(Foo(a=[1, None], b={'y': 2, 'x': (3,)}))",
    "flatten_deque": "tree.flatten(collections.deque([1, [2, 3]]))",
    "flatten_one": "tree.flatten([None])",
    "flatten_with_path": "tree.flatten_with_path([{'foo': 42, 'bar': (1, [2])}, 3])",
    "pack_dict": "tree.pack_sequence_as({'key3': '', 'key1': '', 'key2': ''}, "
                 "['value1', 'value2', 'value3'])",
    "pack_nested": "tree.pack_sequence_as((('a', 'b'), ('c', 'd', 'e'), 'f'), "
                   "[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])",
    "pack_namedtuple": "tree.pack_sequence_as([Foo(1, 2), None], [5, 6, 7])",
    "pack_leaf": "tree.pack_sequence_as('a', [9])",
    "pack_too_few": "tree.pack_sequence_as([1, [2, 3]], [1, 2])",
    "pack_too_many": "tree.pack_sequence_as([1, 2], [1, 2, 3])",
    "map_square": "tree.map_structure(lambda x: x ** 2, [[1], [2], (3, {'a': 4})])",
    "map_two": "tree.map_structure(lambda x, y: x * y, [[1], [2]], [[3], [4]])",
    "map_namedtuple": "tree.map_structure(lambda x: x * 2, Foo(a=1, b=2))",
    "map_none_leaf": "tree.map_structure(lambda x: 0 if x is None else x, [None, 1])",
    "map_none_skip": "tree.map_structure(lambda x: x + 1, [None, 1], none_is_leaf=False)",
    "map_mismatch": "tree.map_structure(lambda x, y: x, [1, 2], [1, [2]])",
    "map_list_tuple": "tree.map_structure(lambda x, y: x, [1, 2], (1, 2))",
    "map_dict_keys": "tree.map_structure(lambda x, y: x, {'a': 1}, {'b': 1})",
    "map_up_to_len": "tree.map_structure_up_to([None, None], len, [[1, 1], [2, 2]])",
    "map_up_to_str": "tree.map_structure_up_to([None, [None, None]], str, [[1, 1], [2, 2]])",
    "same_ok": "tree.assert_same_structure([(0, 1)], [(2, 3)])",
    "same_list_tuple": "tree.assert_same_structure([0, 1], (0, 1))",
    "same_namedtuples": "tree.assert_same_structure(Foo(0, 1), Bar(2, 3))",
    "same_dict_ordered": "tree.assert_same_structure({'a': 1, 'b': 2}, "
                         "collections.OrderedDict([('b', 3), ('a', 4)]))",
    "same_lengths": "tree.assert_same_structure([1, 2], [1, 2, 3])",
    "paths_list_tuple": "tree.assert_same_paths([0, 1], (2, 3))",
    "paths_differ": "tree.assert_same_paths([0, 1], [2, 3, 4])",
    "traverse_top": "tree.traverse(v.append, [(1, 2), [3], {'a': 4}], top_down=True)",
    "traverse_bottom": "tree.traverse(v.append, [(1, 2), [3], {'a': 4}], top_down=False)",
    "traverse_replace": "tree.traverse(lambda x: 'T' if isinstance(x, tuple) else None, "
                        "[(1, 2), [3, (4,)]])",
    "traverse_map_to_none": "tree.traverse(lambda x: tree.MAP_TO_NONE if x == 3 else None, "
                            "[(1, 2), [3]])",
    "traverse_bottom_replace": "tree.traverse(lambda x: sum(x) if isinstance(x, list) else "
                               "None, [1, [2, 3], (4, [5])], top_down=False)",
    "lists_to_tuples": "tree.lists_to_tuples([1, [2, (3, [4])], {'a': [5]}])",
    "map_shape": "tree.map_shape_structure(lambda s: s is not None and len(s), "
                 "[(None, 3), {'a': [2, 4, None], 'b': (1, 'x')}, 7])",
    "is_nested_int": "tree.is_nested(42)",
    "is_nested_dict": "tree.is_nested({'foo': 42})",
    "is_nested_str": "tree.is_nested('abc')",
    "is_nested_namedtuple": "tree.is_nested(Foo(1, 2))",
}


def tree_section(st, keras):
    import collections

    sec = st.section("tree")
    sec["doc"] = "keras.tree: per case `expr`, `result` (repr), `visits` (repr) or `error`."
    Foo = collections.namedtuple("Foo", ["a", "b"])
    Bar = collections.namedtuple("Bar", ["a", "b"])
    for name, expr in sorted(TREE_CASES.items()):
        v = []
        env = {"tree": keras.tree, "collections": collections, "Foo": Foo, "Bar": Bar, "v": v}
        info = {"expr": expr}
        try:
            info["result"] = repr(eval(expr, env))  # noqa: S307 - our own expressions
            info["visits"] = repr(v)
        except Exception as e:
            info["error"] = type(e).__name__
            info["message"] = str(e)[:300]
        sec["cases"][name] = info


def public_names(st, keras):
    """The public names of the namespaces this branch adds (docs/make_compatibility.py
    reads them; public_names_k3.json has no entry for these namespaces)."""
    import keras.dtype_policies
    import keras.mixed_precision
    import keras.tree

    sec = st.section("public_names")
    sec["namespaces"] = {
        label: sorted(n for n in dir(mod) if not n.startswith("_"))
        for label, mod in (("keras.tree", keras.tree), ("keras.dtype_policies",
                                                        keras.dtype_policies),
                           ("keras.ops.linalg", keras.ops.linalg),
                           ("keras.mixed_precision", keras.mixed_precision))}


def main():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    st = gf.Store()
    st.meta.update({"keras_version": keras.__version__, "backend": keras.backend.backend(),
                    "generator": "compat_tests/generate_policy_fixtures.py"})
    policies(st, keras)
    mixed(st, keras)
    accumulation(st, keras)
    ops_section(st)
    bn(st, keras)
    tree_section(st, keras)
    public_names(st, keras)
    st.save("policy_k3")


if __name__ == "__main__":
    main()
