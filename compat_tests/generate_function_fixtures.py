#!/usr/bin/env python
"""Generate function-level reference fixtures by running REAL Keras.

Nothing in the fixtures is typed by hand or computed with minikeras: every
number comes from Keras 3 (``keras``, jax backend) or Keras 2 (``tf_keras``).

Usage (from the repository root)::

    KERAS_BACKEND=jax /path/to/k3-venv/bin/python compat_tests/generate_function_fixtures.py
    /path/to/k2-venv/bin/python compat_tests/generate_function_fixtures.py --keras 2

Outputs (next to this script, in ``fixtures/``):

* ``functions_k3.npz`` / ``functions_k3.json``
* ``functions_k2.npz`` / ``functions_k2.json``

npz keys are ``<section>/<case>/<array>``; the json holds metadata (configs,
names, kwargs, key lists, observed behaviours).  See README_functions.md.
"""

import argparse
import json
import math
import os
import sys
import traceback
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIXDIR = os.path.join(HERE, "fixtures")
F32 = np.float32


# --------------------------------------------------------------------------
# storage helpers
# --------------------------------------------------------------------------
class Store:
    def __init__(self):
        self.arrays = {}
        self.meta = {"sections": {}}

    def put(self, key, value, dtype=None):
        assert key not in self.arrays, key
        assert key.count("/") == 2, key
        arr = np.asarray(value)
        if dtype is not None:
            arr = arr.astype(dtype)
        elif arr.dtype == np.float64:
            arr = arr.astype(F32)
        self.arrays[key] = arr

    def section(self, name):
        return self.meta["sections"].setdefault(name, {"cases": {}})

    def save(self, stem):
        os.makedirs(FIXDIR, exist_ok=True)
        npz = os.path.join(FIXDIR, stem + ".npz")
        js = os.path.join(FIXDIR, stem + ".json")
        # deterministic ordering
        arrays = {k: self.arrays[k] for k in sorted(self.arrays)}
        tmp = npz + ".tmp.npz"
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, npz)
        tmpj = js + ".tmp"
        with open(tmpj, "w") as f:
            json.dump(self.meta, f, indent=1, sort_keys=True, default=jsonable)
            f.write("\n")
        os.replace(tmpj, js)
        print(f"wrote {npz} ({os.path.getsize(npz)} bytes, {len(arrays)} arrays)")
        print(f"wrote {js} ({os.path.getsize(js)} bytes)")


def jsonable(o):
    if isinstance(o, (np.floating,)):
        v = float(o)
        return v if math.isfinite(v) else repr(v)
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (set, tuple)):
        return list(o)
    if hasattr(o, "numpy"):
        return jsonable(np.asarray(o))
    if hasattr(o, "__array__"):
        return np.asarray(o).tolist()
    return repr(o)


def clean_config(cfg):
    """Make a Keras config JSON-safe (numpy scalars, nested dicts)."""
    return json.loads(json.dumps(cfg, default=jsonable))


def np_(x):
    return np.asarray(x)


def err_str(e):
    return f"{type(e).__name__}: {e}"


def f32(a):
    return np.asarray(a, dtype=F32)


# ==========================================================================
# Keras 3
# ==========================================================================
def k3_main(st):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import jax
    import keras

    assert keras.backend.backend() == "jax", keras.backend.backend()
    st.meta.update(
        {
            "keras_version": keras.__version__,
            "backend": keras.backend.backend(),
            "jax_version": jax.__version__,
            "numpy_version": np.__version__,
            "floatx": keras.backend.floatx(),
            "epsilon": keras.backend.epsilon(),
            "generator": "compat_tests/generate_function_fixtures.py",
        }
    )
    k3_activations(st)
    k3_losses(st)
    k3_metrics(st)
    k3_compile_names(st)
    k3_schedules(st)
    k3_optimizers(st)
    k3_initializers(st)
    k3_ops(st)


# --------------------------------------------------------------------------
ACT_X_EDGE = [
    -100.0, -50.0, -20.0, -6.0, -3.0, -2.5, -1.0, -0.5, -1e-3, 0.0,
    1e-3, 0.5, 1.0, 2.5, 3.0, 6.0, 20.0, 50.0, 100.0, 1.0,
]  # 20 values: kinks (0, +-0.5, +-1, +-3, 6) and saturation; even length for glu


def k3_activations(st):
    import jax
    import jax.numpy as jnp
    from keras import activations

    sec = st.section("activations")
    sec["doc"] = (
        "x: (6,5) uniform[-4,4]; x_edge: (1,20) kinks/saturation points. "
        "y=f(x); grad = d sum(y*g)/dx via jax.grad (g random, same shape as y)."
    )
    rng = np.random.default_rng(1)
    x = f32(rng.uniform(-4, 4, (6, 5)))
    x4 = f32(rng.uniform(-4, 4, (6, 4)))  # glu needs an even last dim
    x_edge = f32([ACT_X_EDGE])

    public = [
        n for n in dir(activations)
        if not n.startswith("_") and n not in ("get", "serialize", "deserialize")
    ]
    sec["public_names"] = public
    cases = {}
    for n in public:
        cases[n] = (n, {})
    cases["threshold"] = ("threshold", {"threshold": 0.5, "default_value": -1.0})
    cases.update(
        {
            "relu_negative_slope": ("relu", {"negative_slope": 0.1}),
            "relu_max_value": ("relu", {"max_value": 2.0}),
            "relu_threshold": ("relu", {"threshold": 1.0}),
            "relu_all": ("relu", {"negative_slope": 0.1, "max_value": 2.5, "threshold": 0.5}),
            "relu_threshold_neg_slope": ("relu", {"negative_slope": 0.3, "threshold": -1.0}),
            "elu_alpha": ("elu", {"alpha": 0.5}),
            "celu_alpha": ("celu", {"alpha": 0.5}),
            "leaky_relu_0.1": ("leaky_relu", {"negative_slope": 0.1}),
            "gelu_approximate": ("gelu", {"approximate": True}),
            "gelu_exact": ("gelu", {"approximate": False}),
            "softmax_axis0": ("softmax", {"axis": 0}),
            "log_softmax_axis0": ("log_softmax", {"axis": 0}),
            "sparsemax_axis0": ("sparsemax", {"axis": 0}),
            "hard_shrink_1": ("hard_shrink", {"threshold": 1.0}),
            "soft_shrink_1": ("soft_shrink", {"threshold": 1.0}),
            "squareplus_b1": ("squareplus", {"b": 1.0}),
        }
    )
    for case, (fname, kw) in sorted(cases.items()):
        fn = getattr(activations, fname)
        info = {"fn": fname, "kwargs": kw}
        try:
            for suffix, xin in (("", x4 if fname == "glu" else x), ("_edge", x_edge)):
                y = np_(fn(jnp.asarray(xin), **kw))
                g = f32(rng.normal(size=y.shape))
                grad = np_(jax.grad(lambda t: jnp.sum(fn(t, **kw) * g))(jnp.asarray(xin)))
                st.put(f"activations/{case}/x{suffix}", xin)
                st.put(f"activations/{case}/y{suffix}", y)
                st.put(f"activations/{case}/g{suffix}", g)
                st.put(f"activations/{case}/grad{suffix}", grad)
        except Exception as e:  # pragma: no cover - record, don't die
            info["error"] = err_str(e)
        cases_meta = sec["cases"]
        cases_meta[case] = info

    # what keras.activations.get resolves
    res = {}
    for name in public + ["swish", "silu", "hard_swish", "hard_silu", None, "Relu", "ReLU"]:
        try:
            f = activations.get(name)
            res[str(name)] = getattr(f, "__name__", repr(f))
        except Exception as e:
            res[str(name)] = err_str(e)
    sec["get_resolution"] = res
    # does relu accept the Keras 2 'alpha' kwarg?
    try:
        activations.relu(jnp.asarray(x), alpha=0.1)
        sec["relu_accepts_alpha"] = True
    except Exception as e:
        sec["relu_accepts_alpha"] = err_str(e)
    try:
        sec["serialize_relu"] = clean_config(activations.serialize(activations.relu))
    except Exception as e:
        sec["serialize_relu"] = err_str(e)


# --------------------------------------------------------------------------
LOSS_REDUCTIONS = ["sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight"]


def red_key(r):
    return "None" if r is None else r


def loss_inputs():
    """All y_true / y_pred inputs for the loss cases (float32)."""
    rng = np.random.default_rng(2)
    B, C = 8, 4
    d = {}
    d["reg_t"] = f32(rng.normal(size=(B, C)))
    d["reg_p"] = f32(rng.normal(size=(B, C)))
    d["reg1d_t"] = d["reg_t"][:, 0].copy()
    d["reg1d_p"] = d["reg_p"][:, 0].copy()
    d["reg2d1_p"] = d["reg_p"][:, :1].copy()
    # huber / log_cosh: errors in both regimes, one big error
    t = f32(rng.normal(size=(B, C)) * 2)
    p = f32(t + rng.normal(size=(B, C)) * 1.5)
    p[0, 0] = t[0, 0] + 60.0
    p[1, 1] = t[1, 1] - 0.3
    d["hub_t"], d["hub_p"] = t, p
    # mape: y_true with exact zeros and negatives
    t = f32(rng.normal(size=(B, C)) * 3)
    t[0, 0] = 0.0
    t[2, 3] = 0.0
    d["mape_t"], d["mape_p"] = t, f32(rng.normal(size=(B, C)) * 3)
    # msle: negatives and -1 in y_pred, zero in y_true
    t = f32(rng.uniform(0, 3, (B, C)))
    t[0, 0] = 0.0
    p = f32(rng.uniform(-0.5, 3, (B, C)))
    p[1, 0] = -2.0
    p[1, 1] = -1.0
    d["msle_t"], d["msle_p"] = t, p
    # poisson: counts, y_pred positive with an exact 0
    t = f32(rng.poisson(1.5, (B, C)))
    p = f32(rng.uniform(0.05, 3, (B, C)))
    p[0, 0] = 0.0
    t[0, 0] = 2.0
    d["pois_t"], d["pois_p"] = t, p
    # binary probabilities with exact 0 and 1
    t = f32(rng.integers(0, 2, (B, 1)))
    p = f32(rng.uniform(0, 1, (B, 1)))
    t[0, 0], p[0, 0] = 1.0, 0.0  # worst case: clipped
    t[1, 0], p[1, 0] = 1.0, 1.0
    t[2, 0], p[2, 0] = 0.0, 0.0
    t[3, 0], p[3, 0] = 0.0, 1.0  # worst case: clipped
    d["bin_t"], d["bin_p"] = t, p
    t = f32(rng.integers(0, 2, (B, C)))
    p = f32(rng.uniform(0, 1, (B, C)))
    p[0, :2] = [0.0, 1.0]
    t[0, :2] = [1.0, 0.0]
    p[1, :2] = [0.0, 1.0]
    t[1, :2] = [0.0, 1.0]
    d["mbin_t"], d["mbin_p"] = t, p
    d["bin1d_t"] = d["bin_t"][:, 0].copy()
    d["bin1d_p"] = d["bin_p"][:, 0].copy()
    lg = f32(rng.normal(size=(B, 1)) * 3)
    lg[0, 0], lg[1, 0], lg[2, 0], lg[3, 0] = -100.0, 100.0, -100.0, 100.0
    d["binlog_p"] = lg
    # categorical
    labels = rng.integers(0, C, B)
    onehot = f32(np.eye(C)[labels])
    z = rng.normal(size=(B, C)) * 1.5
    probs = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    probs = f32(probs)
    probs[0] = np.eye(C)[labels[0]]  # exact one-hot, correct
    probs[1] = np.eye(C)[(labels[1] + 1) % C]  # exact one-hot, wrong -> true class prob 0
    probs[2] = probs[2] * 2.0  # unnormalized row (sum 2)
    probs[3] = f32([0.5, 0.25, 0.0, 0.25])
    d["cat_t"], d["cat_p"] = onehot, probs
    lg = f32(z * 2)
    lg[0] = 0.0
    lg[0, labels[0]] = 100.0
    lg[1] = 0.0
    lg[1, (labels[1] + 1) % C] = 100.0
    d["catlog_p"] = lg
    d["sparse_t"] = f32(labels)
    d["sparse_t2d"] = f32(labels[:, None])
    ig = f32(labels.copy())
    ig[[2, 5]] = -1.0
    d["sparse_ign_t"] = ig
    # kl: probability vectors containing zeros
    a = rng.uniform(0, 1, (B, C))
    a[0, 0] = 0.0
    a = a / a.sum(-1, keepdims=True)
    b = rng.uniform(0, 1, (B, C))
    b[1, 1] = 0.0
    b = b / b.sum(-1, keepdims=True)
    d["kl_t"], d["kl_p"] = f32(a), f32(b)
    # hinge
    d["hinge_pm1_t"] = f32(rng.choice([-1.0, 1.0], (B, C)))
    d["hinge_01_t"] = f32(rng.integers(0, 2, (B, C)))
    d["hinge_p"] = f32(rng.normal(size=(B, C)))
    # cosine with a zero row
    t = f32(rng.normal(size=(B, C)))
    p = f32(rng.normal(size=(B, C)))
    p[0] = 0.0
    d["cos_t"], d["cos_p"] = t, p
    return d


def loss_cases(d):
    """case -> (fn, Class, kwargs, y_true, y_pred)."""
    C = []

    def add(case, fn, cls, kw, t, p):
        C.append((case, fn, cls, kw, d[t], d[p]))

    add("mean_squared_error", "mean_squared_error", "MeanSquaredError", {}, "reg_t", "reg_p")
    # rank traps: 1-D targets (per-sample loss becomes a scalar) and (8,) vs (8,1)
    add("mean_squared_error_1d", "mean_squared_error", "MeanSquaredError", {}, "reg1d_t", "reg1d_p")
    add("mean_squared_error_t1d_p2d", "mean_squared_error", "MeanSquaredError", {},
        "reg1d_t", "reg2d1_p")
    add("binary_crossentropy_t1d_p2d", "binary_crossentropy", "BinaryCrossentropy", {},
        "bin1d_t", "bin_p")
    add("mean_absolute_error", "mean_absolute_error", "MeanAbsoluteError", {}, "reg_t", "reg_p")
    add("mean_absolute_percentage_error", "mean_absolute_percentage_error",
        "MeanAbsolutePercentageError", {}, "mape_t", "mape_p")
    add("mean_squared_logarithmic_error", "mean_squared_logarithmic_error",
        "MeanSquaredLogarithmicError", {}, "msle_t", "msle_p")
    add("log_cosh", "log_cosh", "LogCosh", {}, "hub_t", "hub_p")
    add("huber", "huber", "Huber", {}, "hub_t", "hub_p")
    add("huber_delta0.5", "huber", "Huber", {"delta": 0.5}, "hub_t", "hub_p")
    add("huber_delta2", "huber", "Huber", {"delta": 2.0}, "hub_t", "hub_p")
    add("cosine_similarity", "cosine_similarity", "CosineSimilarity", {}, "cos_t", "cos_p")
    add("cosine_similarity_axis0", "cosine_similarity", "CosineSimilarity", {"axis": 0}, "cos_t", "cos_p")
    add("poisson", "poisson", "Poisson", {}, "pois_t", "pois_p")
    add("kl_divergence", "kl_divergence", "KLDivergence", {}, "kl_t", "kl_p")
    add("hinge_pm1", "hinge", "Hinge", {}, "hinge_pm1_t", "hinge_p")
    add("hinge_01", "hinge", "Hinge", {}, "hinge_01_t", "hinge_p")
    add("squared_hinge_pm1", "squared_hinge", "SquaredHinge", {}, "hinge_pm1_t", "hinge_p")
    add("squared_hinge_01", "squared_hinge", "SquaredHinge", {}, "hinge_01_t", "hinge_p")
    add("categorical_hinge", "categorical_hinge", "CategoricalHinge", {}, "cat_t", "hinge_p")
    # binary crossentropy
    add("binary_crossentropy", "binary_crossentropy", "BinaryCrossentropy", {}, "bin_t", "bin_p")
    add("binary_crossentropy_multilabel", "binary_crossentropy", "BinaryCrossentropy", {},
        "mbin_t", "mbin_p")
    add("binary_crossentropy_1d", "binary_crossentropy", "BinaryCrossentropy", {},
        "bin1d_t", "bin1d_p")
    add("binary_crossentropy_logits", "binary_crossentropy", "BinaryCrossentropy",
        {"from_logits": True}, "bin_t", "binlog_p")
    add("binary_crossentropy_smooth0.1", "binary_crossentropy", "BinaryCrossentropy",
        {"label_smoothing": 0.1}, "bin_t", "bin_p")
    add("binary_crossentropy_logits_smooth0.2", "binary_crossentropy", "BinaryCrossentropy",
        {"from_logits": True, "label_smoothing": 0.2}, "bin_t", "binlog_p")
    add("binary_crossentropy_axis0", "binary_crossentropy", "BinaryCrossentropy",
        {"axis": 0}, "mbin_t", "mbin_p")
    # binary focal
    add("binary_focal_crossentropy", "binary_focal_crossentropy", "BinaryFocalCrossentropy", {},
        "mbin_t", "mbin_p")
    add("binary_focal_crossentropy_gamma0", "binary_focal_crossentropy",
        "BinaryFocalCrossentropy", {"gamma": 0.0}, "mbin_t", "mbin_p")
    add("binary_focal_crossentropy_balanced", "binary_focal_crossentropy",
        "BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5},
        "mbin_t", "mbin_p")
    add("binary_focal_crossentropy_logits", "binary_focal_crossentropy",
        "BinaryFocalCrossentropy", {"from_logits": True}, "bin_t", "binlog_p")
    add("binary_focal_crossentropy_smooth0.1", "binary_focal_crossentropy",
        "BinaryFocalCrossentropy", {"label_smoothing": 0.1}, "mbin_t", "mbin_p")
    # categorical
    add("categorical_crossentropy", "categorical_crossentropy", "CategoricalCrossentropy", {},
        "cat_t", "cat_p")
    add("categorical_crossentropy_logits", "categorical_crossentropy", "CategoricalCrossentropy",
        {"from_logits": True}, "cat_t", "catlog_p")
    add("categorical_crossentropy_smooth0.1", "categorical_crossentropy",
        "CategoricalCrossentropy", {"label_smoothing": 0.1}, "cat_t", "cat_p")
    add("categorical_crossentropy_logits_smooth0.1", "categorical_crossentropy",
        "CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1},
        "cat_t", "catlog_p")
    add("categorical_crossentropy_axis0", "categorical_crossentropy", "CategoricalCrossentropy",
        {"axis": 0}, "cat_t", "cat_p")
    add("sparse_categorical_crossentropy", "sparse_categorical_crossentropy",
        "SparseCategoricalCrossentropy", {}, "sparse_t", "cat_p")
    add("sparse_categorical_crossentropy_2d", "sparse_categorical_crossentropy",
        "SparseCategoricalCrossentropy", {}, "sparse_t2d", "cat_p")
    add("sparse_categorical_crossentropy_logits", "sparse_categorical_crossentropy",
        "SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_t", "catlog_p")
    add("sparse_categorical_crossentropy_ignore", "sparse_categorical_crossentropy",
        "SparseCategoricalCrossentropy", {"ignore_class": -1}, "sparse_ign_t", "cat_p")
    add("categorical_focal_crossentropy", "categorical_focal_crossentropy",
        "CategoricalFocalCrossentropy", {}, "cat_t", "cat_p")
    add("categorical_focal_crossentropy_opts", "categorical_focal_crossentropy",
        "CategoricalFocalCrossentropy", {"alpha": 0.5, "gamma": 1.0, "label_smoothing": 0.1},
        "cat_t", "cat_p")
    add("categorical_focal_crossentropy_logits", "categorical_focal_crossentropy",
        "CategoricalFocalCrossentropy", {"from_logits": True}, "cat_t", "catlog_p")
    add("categorical_generalized_cross_entropy", "categorical_generalized_cross_entropy",
        "CategoricalGeneralizedCrossEntropy", {"q": 0.5}, "sparse_t", "cat_p")
    add("categorical_generalized_cross_entropy_q0.2", "categorical_generalized_cross_entropy",
        "CategoricalGeneralizedCrossEntropy", {"q": 0.2}, "sparse_t", "cat_p")
    add("dice", "dice", "Dice", {}, "mbin_t", "mbin_p")
    add("tversky", "tversky", "Tversky", {}, "mbin_t", "mbin_p")
    add("tversky_opts", "tversky", "Tversky", {"alpha": 0.7, "beta": 0.3}, "mbin_t", "mbin_p")
    return C


def k3_losses(st):
    import jax
    import jax.numpy as jnp
    from keras import losses

    sec = st.section("losses")
    sec["reductions"] = [red_key(r) for r in LOSS_REDUCTIONS]
    sec["doc"] = (
        "fn = keras.losses.<fn>(y_true, y_pred, **kwargs) (per-sample); "
        "cls_<reduction>[_sw] = keras.losses.<Class>(reduction=..., **kwargs)(y_true, y_pred"
        "[, sample_weight]); grad = d cls_default(y_true, y_pred)/d y_pred (jax.grad), "
        "grad_sw likewise with sample_weight; reduction 'None' is the Python None."
    )
    d = loss_inputs()
    rng = np.random.default_rng(3)
    sw = f32(rng.uniform(0.2, 2.0, 8))
    sw[4] = 0.0
    for case, fname, cname, kw, yt, yp in loss_cases(d):
        info = {"fn": fname, "class": cname, "kwargs": kw, "errors": {}}
        fn = getattr(losses, fname)
        cls = getattr(losses, cname)
        st.put(f"losses/{case}/y_true", yt)
        st.put(f"losses/{case}/y_pred", yp)
        st.put(f"losses/{case}/sample_weight", sw)
        try:
            st.put(f"losses/{case}/fn", np_(fn(yt, yp, **kw)))
        except Exception as e:
            info["errors"]["fn"] = err_str(e)
        for r in LOSS_REDUCTIONS:
            for use_sw in (False, True):
                key = f"losses/{case}/cls_{red_key(r)}" + ("_sw" if use_sw else "")
                try:
                    obj = cls(reduction=r, **kw)
                    out = obj(yt, yp, sample_weight=sw) if use_sw else obj(yt, yp)
                    st.put(key, np_(out))
                except Exception as e:
                    info["errors"][key.split("/")[-1]] = err_str(e)
        for use_sw in (False, True):
            obj = cls(**kw)
            try:
                if use_sw:
                    gr = jax.grad(lambda p: obj(yt, p, sample_weight=sw))(jnp.asarray(yp))
                else:
                    gr = jax.grad(lambda p: obj(yt, p))(jnp.asarray(yp))
                st.put(f"losses/{case}/grad" + ("_sw" if use_sw else ""), np_(gr))
            except Exception as e:
                info["errors"]["grad" + ("_sw" if use_sw else "")] = err_str(e)
        cfg = cls(**kw).get_config()
        info["config"] = clean_config(cfg)
        if not info["errors"]:
            del info["errors"]
        sec["cases"][case] = info

    # keras.losses.get resolution of strings
    names = [
        "mse", "MSE", "mean_squared_error", "MeanSquaredError", "mae", "MAE",
        "mean_absolute_error", "mape", "MAPE", "msle", "MSLE", "kld", "KLD",
        "kl_divergence", "kullback_leibler_divergence", "logcosh", "log_cosh", "huber",
        "huber_loss", "Huber", "binary_crossentropy", "bce", "BinaryCrossentropy",
        "categorical_crossentropy", "cce", "sparse_categorical_crossentropy",
        "categorical_hinge", "hinge", "squared_hinge", "poisson", "cosine_similarity",
        "cosine_proximity", "binary_focal_crossentropy", "categorical_focal_crossentropy",
        "crossentropy", "ce",
    ]
    res = {}
    for n in names:
        try:
            o = losses.get(n)
            res[n] = getattr(o, "__name__", type(o).__name__)
            if not hasattr(o, "__name__"):
                res[n] = "instance of " + type(o).__name__
        except Exception as e:
            res[n] = err_str(e)
    sec["get_resolution"] = res
    sec["default_class_configs"] = {}
    for cname in sorted({c[2] for c in loss_cases(d)}):
        sec["default_class_configs"][cname] = clean_config(getattr(losses, cname)().get_config())


# --------------------------------------------------------------------------
def metric_batches():
    """kind -> list of 3 (y_true, y_pred) batches; float32."""
    rng = np.random.default_rng(4)
    B, C = 8, 4
    out = {}

    def softmax(z):
        e = np.exp(z - z.max(-1, keepdims=True))
        return f32(e / e.sum(-1, keepdims=True))

    out["binary"] = [
        (f32(rng.integers(0, 2, (B, 1))), f32(rng.uniform(0, 1, (B, 1)))) for _ in range(3)
    ]
    out["multilabel"] = [
        (f32(rng.integers(0, 2, (B, 3))), f32(rng.uniform(0, 1, (B, 3)))) for _ in range(3)
    ]
    cat = []
    sp = []
    for _ in range(3):
        lab = rng.integers(0, C, B)
        p = softmax(rng.normal(size=(B, C)) * 1.5)
        cat.append((f32(np.eye(C)[lab]), p))
        sp.append((f32(lab[:, None]), p))
    out["categorical"] = cat
    out["sparse"] = sp
    out["sparse1d"] = [(t[:, 0].copy(), p) for t, p in sp]
    out["regression"] = [
        (f32(rng.normal(size=(B, 3))), f32(rng.normal(size=(B, 3)))) for _ in range(3)
    ]
    out["positive"] = [
        (f32(rng.uniform(0.1, 3, (B, 3))), f32(rng.uniform(0.1, 3, (B, 3)))) for _ in range(3)
    ]
    out["hinge"] = [
        (f32(rng.choice([-1.0, 1.0], (B, 1))), f32(rng.normal(size=(B, 1)))) for _ in range(3)
    ]
    out["exact"] = [
        (f32(rng.integers(0, 3, (B, 1))), f32(rng.integers(0, 3, (B, 1)))) for _ in range(3)
    ]
    out["values"] = [(None, f32(rng.normal(size=(B,)))) for _ in range(3)]
    return out


def my_metric_fn(y_true, y_pred):
    from keras import ops

    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


def metric_cases():
    """case -> (class name, kwargs, batch kind)."""
    return {
        "Accuracy": ("Accuracy", {}, "exact"),
        "BinaryAccuracy": ("BinaryAccuracy", {}, "binary"),
        "BinaryAccuracy_threshold0.7": ("BinaryAccuracy", {"threshold": 0.7}, "binary"),
        "CategoricalAccuracy": ("CategoricalAccuracy", {}, "categorical"),
        "SparseCategoricalAccuracy": ("SparseCategoricalAccuracy", {}, "sparse"),
        "SparseCategoricalAccuracy_1d": ("SparseCategoricalAccuracy", {}, "sparse1d"),
        "TopKCategoricalAccuracy_k2": ("TopKCategoricalAccuracy", {"k": 2}, "categorical"),
        "SparseTopKCategoricalAccuracy_k2": ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse1d"),
        "SparseTopKCategoricalAccuracy_k2_2d": ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
        "Precision": ("Precision", {}, "binary"),
        "Precision_thresholds": ("Precision", {"thresholds": [0.3, 0.5, 0.7]}, "binary"),
        "Precision_multilabel": ("Precision", {}, "multilabel"),
        "Recall": ("Recall", {}, "binary"),
        "Recall_thresholds": ("Recall", {"thresholds": [0.3, 0.5, 0.7]}, "binary"),
        "AUC": ("AUC", {}, "binary"),
        "AUC_PR": ("AUC", {"curve": "PR"}, "binary"),
        "AUC_majoring": ("AUC", {"summation_method": "majoring"}, "binary"),
        "AUC_thresholds10": ("AUC", {"num_thresholds": 10}, "binary"),
        "TruePositives": ("TruePositives", {}, "binary"),
        "TrueNegatives": ("TrueNegatives", {}, "binary"),
        "FalsePositives": ("FalsePositives", {}, "binary"),
        "FalseNegatives": ("FalseNegatives", {}, "binary"),
        "TruePositives_thresholds": ("TruePositives", {"thresholds": [0.3, 0.7]}, "binary"),
        "F1Score": ("F1Score", {}, "multilabel"),
        "F1Score_threshold0.5": ("F1Score", {"threshold": 0.5}, "multilabel"),
        "F1Score_micro": ("F1Score", {"average": "micro", "threshold": 0.5}, "multilabel"),
        "F1Score_macro": ("F1Score", {"average": "macro", "threshold": 0.5}, "multilabel"),
        "F1Score_weighted": ("F1Score", {"average": "weighted", "threshold": 0.5}, "multilabel"),
        "F1Score_categorical": ("F1Score", {}, "categorical"),
        "FBetaScore_beta2": ("FBetaScore", {"beta": 2.0, "threshold": 0.5}, "multilabel"),
        "FBetaScore_beta0.5_macro": ("FBetaScore", {"beta": 0.5, "average": "macro",
                                                    "threshold": 0.5}, "multilabel"),
        "MeanSquaredError": ("MeanSquaredError", {}, "regression"),
        "MeanAbsoluteError": ("MeanAbsoluteError", {}, "regression"),
        "RootMeanSquaredError": ("RootMeanSquaredError", {}, "regression"),
        "MeanAbsolutePercentageError": ("MeanAbsolutePercentageError", {}, "positive"),
        "MeanSquaredLogarithmicError": ("MeanSquaredLogarithmicError", {}, "positive"),
        "LogCoshError": ("LogCoshError", {}, "regression"),
        "CosineSimilarity": ("CosineSimilarity", {}, "regression"),
        "R2Score": ("R2Score", {}, "regression"),
        "R2Score_variance_weighted": ("R2Score", {"class_aggregation": "variance_weighted_average"},
                                      "regression"),
        "R2Score_raw": ("R2Score", {"class_aggregation": None}, "regression"),
        "BinaryCrossentropy": ("BinaryCrossentropy", {}, "binary"),
        "BinaryCrossentropy_logits": ("BinaryCrossentropy", {"from_logits": True}, "regression1"),
        "CategoricalCrossentropy": ("CategoricalCrossentropy", {}, "categorical"),
        "SparseCategoricalCrossentropy": ("SparseCategoricalCrossentropy", {}, "sparse"),
        "KLDivergence": ("KLDivergence", {}, "categorical"),
        "Poisson": ("Poisson", {}, "positive"),
        "Hinge": ("Hinge", {}, "hinge"),
        "SquaredHinge": ("SquaredHinge", {}, "hinge"),
        "CategoricalHinge": ("CategoricalHinge", {}, "categorical"),
        "Mean": ("Mean", {}, "values"),
        "Sum": ("Sum", {}, "values"),
        "Precision_top_k2": ("Precision", {"top_k": 2}, "multilabel"),
        "Precision_class_id1": ("Precision", {"class_id": 1}, "multilabel"),
        "Recall_class_id2": ("Recall", {"class_id": 2}, "multilabel"),
        "Recall_top_k1": ("Recall", {"top_k": 1}, "multilabel"),
        "AUC_multi_label": ("AUC", {"multi_label": True}, "multilabel"),
        "AUC_PR_multi_label": ("AUC", {"curve": "PR", "multi_label": True}, "multilabel"),
        "SensitivityAtSpecificity": ("SensitivityAtSpecificity", {"specificity": 0.5},
                                     "binary"),
        "SpecificityAtSensitivity": ("SpecificityAtSensitivity", {"sensitivity": 0.5},
                                     "binary"),
        "PrecisionAtRecall": ("PrecisionAtRecall", {"recall": 0.5}, "binary"),
        "RecallAtPrecision": ("RecallAtPrecision", {"precision": 0.5}, "binary"),
        "BinaryIoU": ("BinaryIoU", {"target_class_ids": [0, 1], "threshold": 0.5}, "binary"),
        "OneHotMeanIoU": ("OneHotMeanIoU", {"num_classes": 4}, "categorical"),
        "OneHotIoU": ("OneHotIoU", {"num_classes": 4, "target_class_ids": [0, 2]},
                      "categorical"),
        "PearsonCorrelation": ("PearsonCorrelation", {}, "regression"),
        "ConcordanceCorrelation": ("ConcordanceCorrelation", {}, "regression"),
        "MeanMetricWrapper_plain_fn": ("MeanMetricWrapper", {"fn": "my_metric_fn",
                                                             "name": "my_metric"}, "regression"),
        "MeanMetricWrapper_mse_fn": ("MeanMetricWrapper", {"fn": "keras.losses.mean_squared_error"},
                                     "regression"),
    }


def k3_metrics(st):
    import keras
    from keras import metrics

    sec = st.section("metrics")
    sec["doc"] = (
        "For each case: update_state(y_true[i], y_pred[i]) for i=0,1,2 (batch "
        "`sample_weight_batch` gets sample_weight), results[i] = result() after each update, "
        "results[3] = result() after reset_state(). Mean/Sum: update_state(values[i]) where "
        "values is stored as y_pred and y_true is absent."
    )
    batches = metric_batches()
    # a logits batch for BinaryCrossentropy(from_logits=True)
    rng = np.random.default_rng(5)
    batches["regression1"] = [
        (t, f32(rng.normal(size=(8, 1)) * 3)) for t, _ in batches["binary"]
    ]
    sw = f32(np.random.default_rng(6).uniform(0.2, 2.0, 8))
    sw[3] = 0.0
    SW_BATCH = 1
    sec["sample_weight_batch"] = SW_BATCH
    for case, (cname, kw, kind) in metric_cases().items():
        kw = dict(kw)
        info = {"class": cname, "kwargs": dict(kw), "batch_kind": kind}
        if cname == "MeanMetricWrapper":
            kw["fn"] = {"my_metric_fn": my_metric_fn,
                        "keras.losses.mean_squared_error": keras.losses.mean_squared_error}[kw["fn"]]
        keras.backend.clear_session()  # pristine auto-names ("precision", not "precision_3")
        m = getattr(metrics, cname)(**kw)
        info["name"] = m.name
        results = []
        bt = batches[kind]
        try:
            for i, (yt, yp) in enumerate(bt):
                w = sw if i == SW_BATCH else None
                if yt is None:
                    m.update_state(yp, sample_weight=w)
                else:
                    m.update_state(yt, yp, sample_weight=w)
                results.append(np_(m.result()))
            m.reset_state()
            results.append(np_(m.result()))
            st.put(f"metrics/{case}/results", np.stack(results))
        except Exception as e:
            info["error"] = err_str(e)
            traceback.print_exc()
        if bt[0][0] is not None:
            st.put(f"metrics/{case}/y_true", np.stack([b[0] for b in bt]))
        st.put(f"metrics/{case}/y_pred", np.stack([b[1] for b in bt]))
        st.put(f"metrics/{case}/sample_weight", sw)
        try:
            info["config"] = clean_config(m.get_config())
        except Exception as e:
            info["config"] = err_str(e)
        info["variables"] = [v.path for v in m.variables]
        sec["cases"][case] = info

    res = {}
    for n in ["accuracy", "acc", "binary_accuracy", "categorical_accuracy",
              "sparse_categorical_accuracy", "top_k_categorical_accuracy", "mse", "MSE",
              "mean_squared_error", "mae", "mape", "msle", "AUC", "auc", "precision",
              "Precision", "recall", "cosine_similarity", "binary_crossentropy",
              "categorical_crossentropy", "kld", "logcosh", "RootMeanSquaredError", "rmse"]:
        try:
            o = metrics.get(n)
            res[n] = getattr(o, "__name__", None) or "instance of " + type(o).__name__
        except Exception as e:
            res[n] = err_str(e)
    sec["get_resolution"] = res


# --------------------------------------------------------------------------
def k3_compile_names(st):
    """'accuracy' resolution and History key names, from real compile/fit."""
    import keras

    sec = st.section("compile")
    sec["doc"] = (
        "accuracy_resolution[target]: classes of model metrics after fit+evaluate with "
        "metrics=['accuracy'] (and 'acc'); history_keys[spec]: sorted History keys after "
        "fit(..., validation_data) with metrics=[spec]; evaluate_keys: evaluate(return_dict=True)."
    )
    rng = np.random.default_rng(7)
    x = f32(rng.normal(size=(16, 4)))

    def flat_metric_objs(model):
        out = []
        for m in model.metrics:
            sub = getattr(m, "metrics", None)
            if sub is not None and not isinstance(m, keras.metrics.Mean):
                for s in sub:
                    out.append({"name": s.name, "class": type(s).__name__,
                                "fn": getattr(getattr(s, "_fn", None), "__name__", None)})
            else:
                out.append({"name": m.name, "class": type(m).__name__})
        return out

    lab = rng.integers(0, 3, 16)
    targets = {
        "binary_sigmoid_y2d": (1, "sigmoid", "binary_crossentropy", f32(rng.integers(0, 2, (16, 1)))),
        "binary_sigmoid_y1d": (1, "sigmoid", "binary_crossentropy", f32(rng.integers(0, 2, 16))),
        "categorical_onehot": (3, "softmax", "categorical_crossentropy", f32(np.eye(3)[lab])),
        "sparse_y1d": (3, "softmax", "sparse_categorical_crossentropy", f32(lab)),
        "sparse_y2d": (3, "softmax", "sparse_categorical_crossentropy", f32(lab[:, None])),
        "regression_linear_dim1": (1, None, "mse", f32(rng.normal(size=(16, 1)))),
        "regression_linear_dim3": (3, None, "mse", f32(rng.normal(size=(16, 3)))),
    }
    res = {}
    for tname, (units, act, loss, y) in targets.items():
        for spec in ("accuracy", "acc"):
            keras.backend.clear_session()
            keras.utils.set_random_seed(0)
            model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation=act)])
            model.compile("sgd", loss, metrics=[spec])
            h = model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y))
            ev = model.evaluate(x, y, verbose=0, return_dict=True)
            res[f"{tname}/{spec}"] = {
                "metrics": flat_metric_objs(model),
                "history_keys": sorted(h.history),
                "evaluate_keys": sorted(ev),
                "metrics_names": list(model.metrics_names),
            }
    sec["accuracy_resolution"] = res

    # 'crossentropy' / 'ce' loss string auto-resolution
    ce = {}
    for tname, (units, act, _, y) in targets.items():
        if act is None:
            continue
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation=act)])
        model.compile("sgd", "crossentropy")
        model.fit(x, y, epochs=1, verbose=0)
        lo = model._compile_loss
        fns = []
        for attr in ("_flat_losses", "flat_losses"):
            if hasattr(lo, attr):
                for l in getattr(lo, attr):
                    inner = getattr(l, "fn", None) or getattr(l, "_fn", None) or getattr(l, "loss", None)
                    fns.append(getattr(getattr(inner, "fn", inner), "__name__", repr(inner)))
                break
        ce[tname] = fns
    sec["crossentropy_string_resolution"] = ce

    y = f32(rng.normal(size=(16, 1)))
    specs = {
        "acc": lambda: "acc",
        "accuracy": lambda: "accuracy",
        "mse": lambda: "mse",
        "MSE": lambda: "MSE",
        "mean_squared_error": lambda: "mean_squared_error",
        "mae": lambda: "mae",
        "mean_absolute_error": lambda: "mean_absolute_error",
        "MeanSquaredError()": lambda: keras.metrics.MeanSquaredError(),
        "MeanSquaredError(name='my_mse')": lambda: keras.metrics.MeanSquaredError(name="my_mse"),
        "keras.metrics.MeanSquaredError (class)": lambda: keras.metrics.MeanSquaredError,
        "keras.losses.mean_squared_error (fn)": lambda: keras.losses.mean_squared_error,
        "plain function my_metric_fn": lambda: my_metric_fn,
        "AUC()": lambda: keras.metrics.AUC(),
        "Precision()": lambda: keras.metrics.Precision(),
        "RootMeanSquaredError()": lambda: keras.metrics.RootMeanSquaredError(),
    }
    hk = {}
    for sname, mk in specs.items():
        keras.backend.clear_session()  # fresh auto-naming, as in a new process
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
        try:
            model.compile("sgd", "mse", metrics=[mk()])
            h = model.fit(x, (y > 0).astype(F32), epochs=1, verbose=0,
                          validation_data=(x, (y > 0).astype(F32)))
            hk[sname] = sorted(h.history)
        except Exception as e:
            hk[sname] = err_str(e)
    # all in one list (fresh session)
    try:
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
        model.compile("sgd", "mse", metrics=["acc", "mse", "mae", keras.metrics.MeanSquaredError(),
                                             my_metric_fn, keras.metrics.AUC()])
        h = model.fit(x, (y > 0).astype(F32), epochs=1, verbose=0,
                      validation_data=(x, (y > 0).astype(F32)))
        hk["combined list ['acc','mse','mae',MeanSquaredError(),my_metric_fn,AUC()]"] = list(h.history)
    except Exception as e:
        hk["combined list"] = err_str(e)
    # auto-naming is per process/session: a second AUC() in the same session
    try:
        keras.backend.clear_session()
        names = []
        for _ in range(2):
            model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
            model.compile("sgd", "mse", metrics=[keras.metrics.AUC(), keras.metrics.Precision()])
            h = model.fit(x, (y > 0).astype(F32), epochs=1, verbose=0)
            names.append(list(h.history))
        hk["two models in one session, metrics=[AUC(), Precision()] each"] = names
    except Exception as e:
        hk["two models in one session"] = err_str(e)
    # a loss given as a plain function / class instance: loss key name
    keras.backend.clear_session()
    for lname, lmk in {"loss=keras.losses.MeanSquaredError()": lambda: keras.losses.MeanSquaredError(),
                       "loss=my_metric_fn": lambda: my_metric_fn,
                       "optimizer=SGD(learning_rate=schedule)":
                           None}.items():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        try:
            if lmk is None:
                opt = keras.optimizers.SGD(
                    keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))
                model.compile(opt, "mse")
            else:
                model.compile("sgd", lmk())
            h = model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y))
            hk[lname] = sorted(h.history)
        except Exception as e:
            hk[lname] = err_str(e)
    sec["history_keys"] = hk


# --------------------------------------------------------------------------
def schedule_cases():
    return {
        "ExponentialDecay": ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 10,
                                                  "decay_rate": 0.5}),
        "ExponentialDecay_staircase": ("ExponentialDecay", {"initial_learning_rate": 0.1,
                                                            "decay_steps": 10, "decay_rate": 0.5,
                                                            "staircase": True}),
        "InverseTimeDecay": ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 5,
                                                  "decay_rate": 0.5}),
        "InverseTimeDecay_staircase": ("InverseTimeDecay", {"initial_learning_rate": 0.1,
                                                            "decay_steps": 5, "decay_rate": 0.5,
                                                            "staircase": True}),
        "PiecewiseConstantDecay": ("PiecewiseConstantDecay", {"boundaries": [10, 25, 40],
                                                              "values": [1.0, 0.5, 0.1, 0.01]}),
        "PolynomialDecay": ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 20}),
        "PolynomialDecay_power2": ("PolynomialDecay", {"initial_learning_rate": 0.1,
                                                       "decay_steps": 20, "end_learning_rate": 0.01,
                                                       "power": 2.0}),
        "PolynomialDecay_power0.5_cycle": ("PolynomialDecay", {"initial_learning_rate": 0.1,
                                                               "decay_steps": 15,
                                                               "end_learning_rate": 0.01,
                                                               "power": 0.5, "cycle": True}),
        "CosineDecay": ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 30}),
        "CosineDecay_alpha": ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 30,
                                              "alpha": 0.2}),
        "CosineDecay_warmup": ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 30,
                                               "alpha": 0.1, "warmup_target": 0.2,
                                               "warmup_steps": 10}),
        "CosineDecay_warmup_from0.05": ("CosineDecay", {"initial_learning_rate": 0.05,
                                                        "decay_steps": 20, "warmup_target": 0.1,
                                                        "warmup_steps": 5}),
        "CosineDecayRestarts": ("CosineDecayRestarts", {"initial_learning_rate": 0.1,
                                                        "first_decay_steps": 10}),
        "CosineDecayRestarts_opts": ("CosineDecayRestarts", {"initial_learning_rate": 0.1,
                                                             "first_decay_steps": 8, "t_mul": 1.5,
                                                             "m_mul": 0.7, "alpha": 0.1}),
        "CosineDecayRestarts_tmul1": ("CosineDecayRestarts", {"initial_learning_rate": 0.1,
                                                              "first_decay_steps": 7, "t_mul": 1.0,
                                                              "m_mul": 0.5}),
    }


def k3_schedules(st):
    from keras.optimizers import schedules

    sec = st.section("schedules")
    sec["doc"] = "values[i] = schedule(steps[i]) for steps 0..50 (int step)."
    steps = np.arange(51)
    for case, (cname, kw) in schedule_cases().items():
        s = getattr(schedules, cname)(**kw)
        vals = [float(np_(s(int(i)))) for i in steps]
        st.put(f"schedules/{case}/steps", steps.astype(np.int32))
        st.put(f"schedules/{case}/values", f32(vals))
        sec["cases"][case] = {"class": cname, "kwargs": kw, "config": clean_config(s.get_config())}


# --------------------------------------------------------------------------
OPT_STEPS = 5


def opt_inputs():
    rng = np.random.default_rng(8)
    w0 = f32(rng.normal(size=(3, 2)))
    b0 = f32(rng.normal(size=(2,)))
    gw = f32(rng.normal(size=(OPT_STEPS, 3, 2)))
    gb = f32(rng.normal(size=(OPT_STEPS, 2)))
    gb[2, 0] = 0.0  # one exact zero gradient entry (sign(0) for Lion, etc.)
    return w0, b0, gw, gb


def opt_cases_k3():
    specific = {
        "SGD": [("lr0.1", {"learning_rate": 0.1}),
                ("momentum", {"learning_rate": 0.1, "momentum": 0.9}),
                ("nesterov", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True})],
        "RMSprop": [("rho0.8", {"learning_rate": 0.01, "rho": 0.8}),
                    ("momentum", {"learning_rate": 0.01, "momentum": 0.5}),
                    ("centered", {"learning_rate": 0.01, "centered": True}),
                    ("centered_momentum", {"learning_rate": 0.01, "centered": True,
                                           "momentum": 0.5}),
                    ("tiny_grads", {"learning_rate": 0.01}, 1e-4)],
        "Adam": [("betas", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.9}),
                 ("amsgrad", {"learning_rate": 0.01, "amsgrad": True}),
                 ("tiny_grads", {"learning_rate": 0.01}, 1e-6)],
        "AdamW": [("wd0.1", {"learning_rate": 0.01, "weight_decay": 0.1}),
                  ("amsgrad", {"learning_rate": 0.01, "amsgrad": True})],
        "Adagrad": [("opts", {"learning_rate": 0.1, "initial_accumulator_value": 0.5}),
                    ("tiny_grads", {"learning_rate": 0.1, "initial_accumulator_value": 0.0}, 1e-4)],
        "Adadelta": [("opts", {"learning_rate": 1.0, "rho": 0.9})],
        "Adamax": [("opts", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.95})],
        "Nadam": [("opts", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.95})],
        "Lion": [("opts", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.95})],
        "Ftrl": [("lr0.1", {"learning_rate": 0.1}),
                 ("l1_l2", {"learning_rate": 0.1, "l1_regularization_strength": 0.05,
                            "l2_regularization_strength": 0.1}),
                 ("shrinkage_beta_power", {"learning_rate": 0.1, "learning_rate_power": -0.3,
                                           "l2_shrinkage_regularization_strength": 0.1,
                                           "beta": 0.5, "initial_accumulator_value": 0.2})],
        "Adafactor": [],
        "Lamb": [("lr0.01", {"learning_rate": 0.01})],
    }
    generic = [
        ("clipnorm", {"clipnorm": 1.0}),
        ("clipvalue", {"clipvalue": 0.5}),
        ("global_clipnorm", {"global_clipnorm": 1.0}),
        ("weight_decay", {"weight_decay": 0.1}),
        ("ema", {"use_ema": True, "ema_momentum": 0.5}),
        ("ema_overwrite3", {"use_ema": True, "ema_momentum": 0.5, "ema_overwrite_frequency": 3}),
    ]
    generic_lr = {"SGD": 0.1, "RMSprop": 0.01, "Adam": 0.01, "AdamW": 0.01, "Adagrad": 0.1,
                  "Adadelta": 1.0, "Adamax": 0.01, "Nadam": 0.01, "Lion": 0.01, "Ftrl": 0.1,
                  "Adafactor": 0.01, "Lamb": 0.01}
    cases = {}
    for cname, lst in specific.items():
        cases[f"{cname}/default"] = (cname, {}, 1.0)
        for item in lst:
            tag, kw = item[0], item[1]
            scale = item[2] if len(item) > 2 else 1.0
            cases[f"{cname}/{tag}"] = (cname, kw, scale)
        if cname in ("Adafactor", "Lamb"):
            continue
        for tag, kw in generic:
            kw = dict(kw)
            kw["learning_rate"] = generic_lr[cname]
            cases[f"{cname}/{tag}"] = (cname, kw, 1.0)
    # schedule as learning rate
    cases["SGD/schedule_exponential"] = ("SGD", {"learning_rate": ("ExponentialDecay", {
        "initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5})}, 1.0)
    cases["Adam/schedule_inverse_time_wd"] = ("Adam", {"learning_rate": ("InverseTimeDecay", {
        "initial_learning_rate": 0.05, "decay_steps": 1, "decay_rate": 0.5}),
        "weight_decay": 0.2}, 1.0)
    return cases


def k3_optimizers(st):
    import keras
    from keras import optimizers

    sec = st.section("optimizers")
    sec["doc"] = (
        "Variables w (3,2) and b (2,) start at w0/b0 (in optimizers/_inputs/...). Step i applies "
        "optimizer.apply([gw[i]*grad_scale, gb[i]*grad_scale], [w, b]). w[i], b[i] = values "
        "after step i+1; lr[i] = optimizer.learning_rate read just before step i+1; "
        "opt_var_<j> = final value of optimizer.variables[j] (names in json). "
        "Case key in npz: optimizers/<Class>.<tag>/<array>."
    )
    w0, b0, gw, gb = opt_inputs()
    st.put("optimizers/_inputs/w0", w0)
    st.put("optimizers/_inputs/b0", b0)
    st.put("optimizers/_inputs/gw", gw)
    st.put("optimizers/_inputs/gb", gb)
    for case, (cname, kw, scale) in opt_cases_k3().items():
        key = case.replace("/", ".")
        kw_real = dict(kw)
        if isinstance(kw_real.get("learning_rate"), tuple):
            sname, skw = kw_real["learning_rate"]
            kw_real["learning_rate"] = getattr(optimizers.schedules, sname)(**skw)
        info = {"class": cname, "kwargs": kw, "grad_scale": scale}
        keras.backend.clear_session()  # pristine auto-names: "adam", "adam/w_momentum"
        try:
            opt = getattr(optimizers, cname)(**kw_real)
            w = keras.Variable(w0.copy(), name="w")
            b = keras.Variable(b0.copy(), name="b")
            ws, bs, lrs = [], [], []
            for i in range(OPT_STEPS):
                lrs.append(float(np_(opt.learning_rate)))
                opt.apply([f32(gw[i] * scale), f32(gb[i] * scale)], [w, b])
                ws.append(np_(w.value).copy())
                bs.append(np_(b.value).copy())
            st.put(f"optimizers/{key}/w", np.stack(ws))
            st.put(f"optimizers/{key}/b", np.stack(bs))
            st.put(f"optimizers/{key}/lr", f32(lrs))
            info["variables"] = []
            for j, v in enumerate(opt.variables):
                info["variables"].append({"index": j, "name": v.name, "path": v.path,
                                          "shape": list(v.shape), "dtype": str(v.dtype)})
                st.put(f"optimizers/{key}/opt_var_{j}", np_(v.value))
            info["iterations"] = int(np_(opt.iterations))
            if kw.get("use_ema"):
                # finalize_variable_values: what fit() does at the end of training
                opt.finalize_variable_values([w, b])
                st.put(f"optimizers/{key}/w_finalized", np_(w.value))
                st.put(f"optimizers/{key}/b_finalized", np_(b.value))
            info["config"] = clean_config(opt.get_config())
        except Exception as e:
            info["error"] = err_str(e)
            traceback.print_exc()
        sec["cases"][key] = info
    # default configs
    sec["default_configs"] = {}
    for cname in ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam",
                  "Lion", "Ftrl", "Adafactor", "Lamb"]:
        keras.backend.clear_session()
        sec["default_configs"][cname] = clean_config(getattr(optimizers, cname)().get_config())
    # string resolution
    sec["get_resolution"] = {}
    for n in ["sgd", "SGD", "rmsprop", "adam", "adamw", "adagrad", "adadelta", "adamax", "nadam",
              "lion", "ftrl"]:
        try:
            o = optimizers.get(n)
            sec["get_resolution"][n] = {"class": type(o).__name__,
                                        "learning_rate": float(np_(o.learning_rate))}
        except Exception as e:
            sec["get_resolution"][n] = err_str(e)
    # Keras 2 style arguments in Keras 3
    legacy = {}
    with warnings.catch_warnings(record=True) as wlist:
        warnings.simplefilter("always")
        for label, mk in {
            "SGD(lr=0.1)": lambda: optimizers.SGD(lr=0.1),
            "SGD(learning_rate=0.1, decay=0.01)": lambda: optimizers.SGD(learning_rate=0.1,
                                                                         decay=0.01),
            "Adam(lr=0.1)": lambda: optimizers.Adam(lr=0.1),
        }.items():
            n0 = len(wlist)
            try:
                o = mk()
                legacy[label] = {"accepted": True,
                                 "learning_rate": float(np_(o.learning_rate)),
                                 "config_has_decay": "decay" in o.get_config()}
            except Exception as e:
                legacy[label] = {"accepted": False, "error": err_str(e)}
            legacy[label]["warnings"] = [str(w.message) for w in wlist[n0:]
                                         if "__array__" not in str(w.message)]
    sec["keras2_kwargs_in_keras3"] = legacy


# --------------------------------------------------------------------------
def init_cases():
    return {
        "Zeros": ("Zeros", {}),
        "Ones": ("Ones", {}),
        "Constant": ("Constant", {"value": 0.3}),
        "Identity": ("Identity", {}),
        "Identity_gain2": ("Identity", {"gain": 2.0}),
        "RandomNormal": ("RandomNormal", {"seed": 1}),
        "RandomNormal_opts": ("RandomNormal", {"mean": 1.0, "stddev": 0.5, "seed": 1}),
        "RandomUniform": ("RandomUniform", {"seed": 1}),
        "RandomUniform_opts": ("RandomUniform", {"minval": -2.0, "maxval": 1.0, "seed": 1}),
        "TruncatedNormal": ("TruncatedNormal", {"seed": 1}),
        "TruncatedNormal_opts": ("TruncatedNormal", {"mean": 1.0, "stddev": 0.5, "seed": 1}),
        "GlorotUniform": ("GlorotUniform", {"seed": 1}),
        "GlorotNormal": ("GlorotNormal", {"seed": 1}),
        "HeUniform": ("HeUniform", {"seed": 1}),
        "HeNormal": ("HeNormal", {"seed": 1}),
        "LecunUniform": ("LecunUniform", {"seed": 1}),
        "LecunNormal": ("LecunNormal", {"seed": 1}),
        "VarianceScaling": ("VarianceScaling", {"seed": 1}),
        "VarianceScaling_fan_out_uniform_s2": ("VarianceScaling", {
            "scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 1}),
        "VarianceScaling_fan_avg_untruncated": ("VarianceScaling", {
            "scale": 3.0, "mode": "fan_avg", "distribution": "untruncated_normal", "seed": 1}),
        "VarianceScaling_fan_in_truncated": ("VarianceScaling", {
            "scale": 0.5, "mode": "fan_in", "distribution": "truncated_normal", "seed": 1}),
        "Orthogonal": ("Orthogonal", {"seed": 1}),
        "Orthogonal_gain2": ("Orthogonal", {"gain": 2.0, "seed": 1}),
    }


def k3_initializers(st):
    import keras
    from keras import initializers

    sec = st.section("initializers")
    shape = (200, 300)
    conv_shape = (3, 3, 16, 32)
    sec["doc"] = (
        f"stats[shape] = [mean, std, min, max] of a draw of shape {list(shape)} "
        f"(stats_conv: shape {list(conv_shape)}); values (deterministic ones) for shape (3,4) "
        "(and square (3,3)). Random draws themselves are not stored."
    )
    sec["shape"] = list(shape)
    sec["conv_shape"] = list(conv_shape)
    for case, (cname, kw) in init_cases().items():
        info = {"class": cname, "kwargs": kw}
        init = getattr(initializers, cname)(**kw)
        info["config"] = clean_config(init.get_config())
        if cname in ("Zeros", "Ones", "Constant", "Identity"):
            st.put(f"initializers/{case}/values_3x4", np_(init((3, 4))))
            st.put(f"initializers/{case}/values_3x3", np_(init((3, 3))))
            if cname != "Identity":
                st.put(f"initializers/{case}/values_2x3x4", np_(init((2, 3, 4))))
        else:
            a = np_(init(shape)).astype(np.float64)
            st.put(f"initializers/{case}/stats", f32([a.mean(), a.std(), a.min(), a.max()]))
            c = np_(init(conv_shape)).astype(np.float64)
            st.put(f"initializers/{case}/stats_conv", f32([c.mean(), c.std(), c.min(), c.max()]))
            if cname == "Orthogonal":
                q = np_(init((300, 200))).astype(np.float64)  # tall: columns orthonormal
                st.put(f"initializers/{case}/gram_err_tall",
                       f32([np.abs(q.T @ q - kw.get("gain", 1.0) ** 2 * np.eye(200)).max()]))
                q = np_(init((200, 300))).astype(np.float64)  # wide: rows orthonormal
                st.put(f"initializers/{case}/gram_err_wide",
                       f32([np.abs(q @ q.T - kw.get("gain", 1.0) ** 2 * np.eye(200)).max()]))
            # seeded initializer called twice: same values?
            b = np_(init(shape))
            info["seeded_second_call_identical"] = bool(np.array_equal(a.astype(F32), b))
        sec["cases"][case] = info
    # unseeded: two calls differ?
    u = initializers.GlorotUniform()
    sec["unseeded_second_call_identical"] = bool(np.array_equal(np_(u((4, 4))), np_(u((4, 4)))))
    # same seed via set_random_seed reproduces unseeded draws?
    keras.utils.set_random_seed(123)
    a1 = np_(initializers.GlorotUniform()((4, 4)))
    keras.utils.set_random_seed(123)
    a2 = np_(initializers.GlorotUniform()((4, 4)))
    sec["set_random_seed_reproduces_unseeded"] = bool(np.array_equal(a1, a2))
    res = {}
    for n in ["zeros", "ones", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
              "lecun_uniform", "lecun_normal", "random_normal", "random_uniform",
              "truncated_normal", "orthogonal", "identity", "constant", "uniform", "normal",
              "variance_scaling", "Zeros", "GlorotUniform"]:
        try:
            o = initializers.get(n)
            res[n] = {"class": type(o).__name__, "config": clean_config(o.get_config())}
        except Exception as e:
            res[n] = err_str(e)
    sec["get_resolution"] = res
    sec["default_configs"] = {
        c: clean_config(getattr(initializers, c)().get_config())
        for c in ["Zeros", "Ones", "Constant", "Identity", "RandomNormal", "RandomUniform",
                  "TruncatedNormal", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal",
                  "LecunUniform", "LecunNormal", "VarianceScaling", "Orthogonal"]
    }


# --------------------------------------------------------------------------
# keras.ops functions: case -> (expression with `ops`, `np` and the named inputs, the
# inputs it uses, whether to record the gradient). Inputs are made in ops_inputs().
K3_OPS_CASES = {
    "tan": ("ops.tan(angle)", ["angle"], True),
    "sinh": ("ops.sinh(a)", ["a"], True),
    "cosh": ("ops.cosh(a)", ["a"], True),
    "ceil": ("ops.ceil(a)", ["a"], True),
    "ceil_int": ("ops.ceil(ints)", ["ints"], False),
    "rsqrt": ("ops.rsqrt(pos)", ["pos"], True),
    "logaddexp": ("ops.logaddexp(a, b)", ["a", "b"], True),
    "logaddexp_broadcast": ("ops.logaddexp(a, row)", ["a", "row"], True),
    "logaddexp_scalar": ("ops.logaddexp(a, 0.5)", ["a"], True),
    "nan_to_num": ("ops.nan_to_num(nonfinite)", ["nonfinite"], True),
    "nan_to_num_values": ("ops.nan_to_num(nonfinite, nan=-1.0, posinf=100.0, neginf=-100.0)",
                          ["nonfinite"], True),
    "divide_no_nan": ("ops.divide_no_nan(a, den)", ["a", "den"], True),
    "divide_no_nan_broadcast": ("ops.divide_no_nan(a, row_zero)", ["a", "row_zero"], True),
    "floor_divide": ("ops.floor_divide(wide, divisor)", ["wide", "divisor"], True),
    "floor_divide_int": ("ops.floor_divide(ints, int_divisor)", ["ints", "int_divisor"], False),
    "mod": ("ops.mod(wide, divisor)", ["wide", "divisor"], True),
    "mod_scalar": ("ops.mod(wide, 1.5)", ["wide"], True),
    "mod_int": ("ops.mod(ints, int_divisor)", ["ints", "int_divisor"], False),
    "isclose": ("ops.isclose(a, close)", ["a", "close"], False),
    "isclose_tol": ("ops.isclose(a, close, rtol=1e-2, atol=1e-2)", ["a", "close"], False),
    "isclose_equal_nan": ("ops.isclose(nonfinite, nonfinite, equal_nan=True)",
                          ["nonfinite"], False),
    "allclose": ("ops.allclose(a, close)", ["a", "close"], False),
    "allclose_tol": ("ops.allclose(a, close, rtol=1e-2, atol=1e-2)", ["a", "close"], False),
    "flip": ("ops.flip(a)", ["a"], True),
    "flip_axis": ("ops.flip(c, axis=1)", ["c"], True),
    "flip_axes": ("ops.flip(c, axis=(0, 2))", ["c"], True),
    "roll": ("ops.roll(a, 3)", ["a"], True),
    "roll_axis": ("ops.roll(a, -2, axis=1)", ["a"], True),
    "roll_axes": ("ops.roll(c, (1, 2), axis=(0, 2))", ["c"], True),
    "repeat": ("ops.repeat(a, 2)", ["a"], True),
    "repeat_axis": ("ops.repeat(a, 3, axis=1)", ["a"], True),
    "repeat_counts": ("ops.repeat(a, np.array([1, 0, 2, 3]), axis=0)", ["a"], True),
    "tril": ("ops.tril(a)", ["a"], True),
    "tril_k": ("ops.tril(a, -1)", ["a"], True),
    "triu_batch": ("ops.triu(c)", ["c"], True),
    "triu_k": ("ops.triu(a, 2)", ["a"], True),
    "outer": ("ops.outer(vec3, vec4)", ["vec3", "vec4"], True),
    "outer_flattens": ("ops.outer(square, vec3)", ["square", "vec3"], True),
    "linspace": ("ops.linspace(0.0, 1.0, 7)", [], False),
    "linspace_no_endpoint": ("ops.linspace(-2.0, 3.0, 5, endpoint=False)", [], False),
    "linspace_retstep": ("ops.linspace(1.0, 2.0, 4, retstep=True)", [], False),
    "linspace_int": ("ops.linspace(0, 10, 4, dtype='int32')", [], False),
    "linspace_arrays": ("ops.linspace(np.array([0.0, 1.0]), np.array([2.0, 5.0]), 4, axis=1)",
                        [], False),
    "sort": ("ops.sort(a)", ["a"], True),
    "sort_axis0": ("ops.sort(a, axis=0)", ["a"], True),
    "sort_ties": ("ops.sort(ties)", ["ties"], True),
    "sort_flat": ("ops.sort(a, axis=None)", ["a"], True),
    "argsort": ("ops.argsort(a)", ["a"], False),
    "argsort_axis0": ("ops.argsort(a, axis=0)", ["a"], False),
    "argsort_ties": ("ops.argsort(ties)", ["ties"], False),
    "hstack": ("ops.hstack([a, b])", ["a", "b"], True),
    "hstack_1d": ("ops.hstack([vec3, vec4])", ["vec3", "vec4"], True),
    "vstack": ("ops.vstack([a, b])", ["a", "b"], True),
    "vstack_mixed": ("ops.vstack([a, row])", ["a", "row"], True),
    "split": ("ops.split(a, 2)", ["a"], True),
    "split_indices": ("ops.split(a, [1, 3], axis=1)", ["a"], True),
    "split_last_axis": ("ops.split(c, 2, axis=-1)", ["c"], True),
    "moments": ("ops.moments(a, axes=[0])", ["a"], True),
    "moments_keepdims": ("ops.moments(c, axes=[0, 2], keepdims=True)", ["c"], True),
    "moments_all": ("ops.moments(a, axes=[0, 1])", ["a"], True),
    "normalize": ("ops.normalize(a)", ["a"], True),
    "normalize_axis0": ("ops.normalize(a, axis=0)", ["a"], True),
    "normalize_axes": ("ops.normalize(c, axis=(1, 2))", ["c"], True),
    "normalize_order1": ("ops.normalize(a, order=1)", ["a"], True),
    "normalize_order3": ("ops.normalize(a, axis=0, order=3)", ["a"], True),
    "normalize_epsilon": ("ops.normalize(small, epsilon=0.5)", ["small"], True),
    "size": ("ops.size(c)", ["c"], False),
    "copy": ("ops.copy(a)", ["a"], True),
    "full_like": ("ops.full_like(a, 2.5)", ["a"], False),
    "full_like_dtype": ("ops.full_like(a, 3, dtype='int32')", ["a"], False),
    "identity": ("ops.identity(3)", [], False),
    "identity_dtype": ("ops.identity(4, dtype='int32')", [], False),
    "diag": ("ops.diag(vec4)", ["vec4"], True),
    "diag_k": ("ops.diag(vec3, k=1)", ["vec3"], True),
    "diag_k_negative": ("ops.diag(vec3, k=-2)", ["vec3"], True),
    "diag_extract": ("ops.diag(a)", ["a"], True),
    "diag_extract_k": ("ops.diag(a, k=2)", ["a"], True),
    "diag_extract_k_negative": ("ops.diag(a, k=-1)", ["a"], True),
    "trace": ("ops.trace(square)", ["square"], True),
    "trace_offset": ("ops.trace(a, offset=1)", ["a"], True),
    "trace_axes": ("ops.trace(c, offset=-1, axis1=1, axis2=2)", ["c"], True),
    "trace_int": ("ops.trace(int_square)", ["int_square"], False),
    "meshgrid": ("ops.meshgrid(vec3, vec4)", ["vec3", "vec4"], True),
    "meshgrid_ij": ("ops.meshgrid(vec3, vec4, row, indexing='ij')", ["vec3", "vec4", "row"],
                    True),
}


def ops_inputs():
    rng = np.random.default_rng(11)
    a = f32(rng.uniform(-2, 2, (4, 5)))
    b = f32(rng.uniform(-2, 2, (4, 5)))
    den = b.copy()
    den.flat[::3] = 0.0
    row_zero = f32(rng.uniform(-2, 2, (5,)))
    row_zero[2] = 0.0
    divisor = f32(rng.uniform(0.5, 2.0, (4, 5)) * rng.choice([-1.0, 1.0], (4, 5)))
    noise = rng.choice([0.0, 1e-7, 1e-3], (4, 5))
    return {
        "a": a, "b": b, "den": den, "row_zero": row_zero, "divisor": divisor,
        "row": f32(rng.uniform(-2, 2, (5,))),
        "angle": f32(rng.uniform(-1.3, 1.3, (4, 5))),
        "pos": f32(rng.uniform(0.2, 3.0, (4, 5))),
        "wide": f32(rng.uniform(-5, 5, (4, 5))),
        "close": f32(a + noise),
        "nonfinite": f32([[np.nan, np.inf, -np.inf, 1.5], [-2.5, 0.0, np.nan, 3.25]]),
        "ints": np.array([[7, -7, 9, 0, -3], [5, 12, -1, 8, -10]], dtype=np.int32),
        "int_divisor": np.array([[2, 2, -4, 3, 5], [-3, 5, 2, -3, 4]], dtype=np.int32),
        "int_square": np.arange(9, dtype=np.int32).reshape(3, 3),
        "ties": f32([[1, 3, 1, 2, 3], [0.5, 0.5, 0.5, -1, 2], [4, -2, 0, -2, 4]]),
        "square": f32(rng.uniform(-2, 2, (4, 4))),
        "c": f32(rng.uniform(-2, 2, (2, 3, 4))),
        "vec3": f32(rng.uniform(-2, 2, (3,))),
        "vec4": f32(rng.uniform(-2, 2, (4,))),
        "small": f32(rng.uniform(-0.1, 0.1, (4, 5))),
    }


def k3_ops(st):
    import jax
    import jax.numpy as jnp
    from keras import ops

    sec = st.section("ops")
    sec["doc"] = (
        "keras.ops functions: per case the expression `expr` evaluated with `ops`, `np` and "
        "the named inputs (arrays `ops/<case>/<input>`); `y` (or `y_0, y_1, ...` for a "
        "list/tuple result), and for differentiable cases a random upstream `g` (`g_<i>`) "
        "and `grad_<input>` = d sum(y*g)/d input via jax.grad, for every float input."
    )
    rng = np.random.default_rng(12)
    inputs = ops_inputs()
    for name, (expr, used, differentiable) in sorted(K3_OPS_CASES.items()):
        info = {"expr": expr, "inputs": used, "differentiable": differentiable}
        try:
            def run(*arrays):
                env = {"ops": ops, "np": np, **dict(zip(used, arrays))}
                return eval(expr, env)  # noqa: S307 - our own expressions, above

            y = run(*[jnp.asarray(inputs[k]) for k in used])
            many = isinstance(y, (list, tuple))
            outs = list(y) if many else [y]
            info["outputs"] = len(outs) if many else None
            suffix = [f"_{i}" for i in range(len(outs))] if many else [""]
            for k in used:
                st.put(f"ops/{name}/{k}", inputs[k], dtype=inputs[k].dtype)
            for s, out in zip(suffix, outs):
                arr = np.asarray(out)
                st.put(f"ops/{name}/y{s}", arr, dtype=arr.dtype)
            if differentiable:
                gs = [f32(rng.normal(size=np.shape(out))) for out in outs]
                wrt = [i for i, k in enumerate(used) if inputs[k].dtype.kind == "f"]

                def total(*arrays):
                    res = run(*arrays)
                    res = list(res) if many else [res]
                    return sum(jnp.sum(r * g) for r, g in zip(res, gs))

                grads = jax.grad(total, argnums=tuple(wrt))(
                    *[jnp.asarray(inputs[k]) for k in used])
                for s, g in zip(suffix, gs):
                    st.put(f"ops/{name}/g{s}", g)
                for i, grad in zip(wrt, grads):
                    st.put(f"ops/{name}/grad_{used[i]}", np.asarray(grad))
        except Exception as e:  # pragma: no cover - record, don't die
            info["error"] = err_str(e)
            traceback.print_exc()
        sec["cases"][name] = info


# ==========================================================================
# Keras 2 (tf_keras 2.x)
# ==========================================================================
def k2_main(st):
    import tensorflow as tf
    import tf_keras as keras

    st.meta.update(
        {
            "keras_version": keras.__version__,
            "tensorflow_version": tf.__version__,
            "numpy_version": np.__version__,
            "floatx": keras.backend.floatx(),
            "epsilon": keras.backend.epsilon(),
            "generator": "compat_tests/generate_function_fixtures.py --keras 2",
        }
    )
    k2_optimizers(st, tf, keras)
    k2_activations(st, tf, keras)
    k2_compile_names(st, tf, keras)
    k2_backend(st, tf, keras)


# Keras 2 backend functions (`K.*`) of custom layers and losses: name -> (expression with
# K and the input t, input, whether it is differentiable). Inputs are made in k2_backend.
K2_BACKEND_CASES = {
    "sin": ("K.sin(t)", "real", True),
    "cos": ("K.cos(t)", "real", True),
    "cumsum": ("K.cumsum(t)", "real", True),
    "cumsum_axis1": ("K.cumsum(t, axis=1)", "real", True),
    "cumprod": ("K.cumprod(t)", "with_zero", True),
    "cumprod_axis1": ("K.cumprod(t, axis=1)", "with_zero", True),
    "reverse_axis1": ("K.reverse(t, 1)", "real", True),
    "reverse_both": ("K.reverse(t, [0, 1])", "real", True),
    "repeat_elements_axis1": ("K.repeat_elements(t, 2, axis=1)", "real", True),
    "repeat_elements_axis0": ("K.repeat_elements(t, 3, axis=0)", "real", True),
    "gather": ("K.gather(t, [2, 0, 2])", "real", True),
    "print_tensor": ("K.print_tensor(t, message='t:')", "real", True),
    "in_train_phase_1": ("K.in_train_phase(t * 2.0, t * 3.0, training=1)", "real", True),
    "in_train_phase_0": ("K.in_train_phase(t * 2.0, t * 3.0, training=0)", "real", True),
    "in_test_phase_1": ("K.in_test_phase(t * 2.0, t * 3.0, training=1)", "real", True),
    "arange_5": ("K.arange(5)", None, False),
    "arange_1_8_3": ("K.arange(1, 8, 3)", None, False),
    "in_top_k_1": ("K.in_top_k(t, [0, 2, 1, 3], 1)", "ties", False),
    "in_top_k_2": ("K.in_top_k(t, [0, 2, 1, 3], 2)", "ties", False),
}


def k2_backend(st, tf, keras):
    K = keras.backend
    sec = st.section("backend")
    sec["doc"] = ("K.* functions on fixed inputs: value, and the gradient of sum(g * value) "
                  "by tf.GradientTape for a random upstream g (differentiable cases).")
    rng = np.random.default_rng(5)
    inputs = {
        "real": f32(rng.uniform(-2, 2, (4, 3))),
        "with_zero": f32([[1.5, -2.0, 0.5], [0.0, 3.0, -1.0], [2.0, 0.5, 1.5], [-1.0, 2.0, 0.0]]),
        "ties": f32([[0.5, 0.2, 0.5, 0.1], [0.1, 0.3, 0.3, 0.2], [0.9, 0.05, 0.05, 0.0],
                     [0.25, 0.25, 0.25, 0.25]]),
    }
    for name, (expr, kind, differentiable) in sorted(K2_BACKEND_CASES.items()):
        info = {"expr": expr, "input": kind, "differentiable": differentiable}
        try:
            if kind is None:
                y = eval(expr, {"K": K})  # noqa: S307 - our own expressions, above
                st.put(f"backend/{name}/y", np.asarray(y), dtype=np.asarray(y).dtype)
            else:
                x = inputs[kind]
                t = tf.constant(x) if kind == "ties" else tf.Variable(x)
                with tf.GradientTape() as tape:
                    y = eval(expr, {"K": K, "t": t})  # noqa: S307
                    g = f32(rng.normal(size=y.shape)) if differentiable else None
                    s = tf.reduce_sum(tf.cast(y, tf.float32) * g) if differentiable else None
                st.put(f"backend/{name}/x", x)
                yv = y.numpy()
                st.put(f"backend/{name}/y", yv, dtype=yv.dtype)
                if differentiable:
                    st.put(f"backend/{name}/g", g)
                    grad = tf.convert_to_tensor(tape.gradient(s, t))  # (IndexedSlices)
                    st.put(f"backend/{name}/grad", grad.numpy())
        except Exception as e:
            info["error"] = err_str(e)
        sec["cases"][name] = info


def k2_optimizers(st, tf, keras):
    sec = st.section("optimizers")
    sec["doc"] = (
        "Same inputs/steps as Keras 3 (optimizers/_inputs/...), applied with "
        "opt.apply_gradients(zip(grads, [w, b])). lr[i] = the learning rate actually used by "
        "step i+1 (legacy: opt._decayed_lr(float32) = lr / (1 + decay * iterations))."
    )
    w0, b0, gw, gb = opt_inputs()
    st.put("optimizers/_inputs/w0", w0)
    st.put("optimizers/_inputs/b0", b0)
    st.put("optimizers/_inputs/gw", gw)
    st.put("optimizers/_inputs/gb", gb)
    L = keras.optimizers.legacy
    cases = {
        "legacy.SGD.lr_decay": (L.SGD, {"lr": 0.1, "decay": 0.01}, 1.0),
        "legacy.SGD.lr_decay_big": (L.SGD, {"lr": 0.1, "decay": 0.5}, 1.0),
        "legacy.SGD.momentum_decay": (L.SGD, {"lr": 0.1, "decay": 0.01, "momentum": 0.9}, 1.0),
        "legacy.SGD.nesterov_decay": (L.SGD, {"lr": 0.1, "decay": 0.01, "momentum": 0.9,
                                              "nesterov": True}, 1.0),
        "legacy.SGD.lr_only": (L.SGD, {"lr": 0.1}, 1.0),
        "legacy.SGD.default": (L.SGD, {}, 1.0),
        "legacy.RMSprop.lr_decay": (L.RMSprop, {"lr": 0.01, "decay": 0.01}, 1.0),
        "legacy.RMSprop.default": (L.RMSprop, {}, 1.0),
        "legacy.RMSprop.tiny_grads": (L.RMSprop, {"lr": 0.01}, 1e-4),
        "legacy.RMSprop.momentum_tiny_grads": (L.RMSprop, {"lr": 0.01, "momentum": 0.5}, 1e-4),
        "legacy.RMSprop.centered_momentum_decay": (L.RMSprop, {"lr": 0.01, "decay": 0.01,
                                                               "centered": True,
                                                               "momentum": 0.5}, 1.0),
        "legacy.Adam.lr_decay": (L.Adam, {"lr": 0.01, "decay": 0.01}, 1.0),
        "legacy.Adam.default": (L.Adam, {}, 1.0),
        "legacy.Adam.amsgrad_decay": (L.Adam, {"lr": 0.01, "decay": 0.01, "amsgrad": True}, 1.0),
        "legacy.Adam.tiny_grads": (L.Adam, {"lr": 0.01}, 1e-6),
        "legacy.Adagrad.lr_decay": (L.Adagrad, {"lr": 0.1, "decay": 0.01}, 1.0),
        "legacy.Adadelta.lr_decay": (L.Adadelta, {"lr": 1.0, "decay": 0.01}, 1.0),
        "legacy.Adamax.lr_decay": (L.Adamax, {"lr": 0.01, "decay": 0.01}, 1.0),
        "legacy.Nadam.lr_decay": (L.Nadam, {"lr": 0.01, "decay": 0.01}, 1.0),
        "legacy.SGD.clipnorm": (L.SGD, {"lr": 0.1, "clipnorm": 1.0}, 1.0),
        "legacy.SGD.clipvalue": (L.SGD, {"lr": 0.1, "clipvalue": 0.5}, 1.0),
        # non-legacy (what `keras.optimizers.SGD` is in 2.11+)
        "SGD.lr_decay": (keras.optimizers.SGD, {"lr": 0.1, "decay": 0.01}, 1.0),
        "SGD.lr_only": (keras.optimizers.SGD, {"lr": 0.1}, 1.0),
        "SGD.learning_rate": (keras.optimizers.SGD, {"learning_rate": 0.1}, 1.0),
        "SGD.momentum": (keras.optimizers.SGD, {"learning_rate": 0.1, "momentum": 0.9}, 1.0),
        "Adam.lr_only": (keras.optimizers.Adam, {"lr": 0.01}, 1.0),
        "Adam.learning_rate": (keras.optimizers.Adam, {"learning_rate": 0.01}, 1.0),
        "RMSprop.lr_decay": (keras.optimizers.RMSprop, {"lr": 0.01, "decay": 0.01}, 1.0),
    }
    for case, (cls, kw, scale) in cases.items():
        info = {"class": f"{cls.__module__}.{cls.__name__}", "kwargs": kw, "grad_scale": scale}
        try:
            opt = cls(**kw)
        except Exception as e:
            info["accepted"] = False
            info["error"] = err_str(e)
            sec["cases"][case] = info
            continue
        info["accepted"] = True
        try:
            w = tf.Variable(w0.copy(), name="w")
            b = tf.Variable(b0.copy(), name="b")
            ws, bs, lrs = [], [], []
            for i in range(OPT_STEPS):
                if hasattr(opt, "_decayed_lr"):
                    lrs.append(float(opt._decayed_lr(tf.float32).numpy()))
                else:
                    lr = opt.learning_rate
                    lrs.append(float(np.asarray(lr)))
                opt.apply_gradients(zip([tf.constant(gw[i] * scale), tf.constant(gb[i] * scale)],
                                        [w, b]))
                ws.append(w.numpy().copy())
                bs.append(b.numpy().copy())
            st.put(f"optimizers/{case}/w", np.stack(ws))
            st.put(f"optimizers/{case}/b", np.stack(bs))
            st.put(f"optimizers/{case}/lr", f32(lrs))
            info["config"] = clean_config(opt.get_config())
            info["variable_names"] = [v.name for v in opt.variables()] if callable(
                getattr(opt, "variables", None)) else [v.name for v in opt.variables]
        except Exception as e:
            info["error"] = err_str(e)
            traceback.print_exc()
        sec["cases"][case] = info
    sec["get_resolution"] = {}
    for n in ["sgd", "rmsprop", "adam"]:
        o = keras.optimizers.get(n)
        sec["get_resolution"][n] = f"{type(o).__module__}.{type(o).__name__}"


def k2_activations(st, tf, keras):
    from tf_keras import activations

    sec = st.section("activations")
    sec["doc"] = "Like Keras 3's activations section, gradients via tf.GradientTape."
    rng = np.random.default_rng(1)
    x = f32(rng.uniform(-4, 4, (6, 5)))
    x_edge = f32([ACT_X_EDGE])
    public = [n for n in dir(activations)
              if not n.startswith("_") and n not in ("get", "serialize", "deserialize")
              and callable(getattr(activations, n))]
    sec["public_names"] = public
    cases = {n: (n, {}) for n in public}
    cases.update({
        "relu_alpha": ("relu", {"alpha": 0.1}),
        "relu_max_value": ("relu", {"max_value": 2.0}),
        "relu_threshold": ("relu", {"threshold": 1.0}),
        "relu_all": ("relu", {"alpha": 0.1, "max_value": 2.5, "threshold": 0.5}),
        "relu_threshold_alpha": ("relu", {"alpha": 0.3, "threshold": -1.0}),
        "elu_alpha": ("elu", {"alpha": 0.5}),
        "gelu_approximate": ("gelu", {"approximate": True}),
        "softmax_axis0": ("softmax", {"axis": 0}),
    })
    if "leaky_relu" in public:
        cases["leaky_relu_0.1"] = ("leaky_relu", {"alpha": 0.1})
    for case, (fname, kw) in sorted(cases.items()):
        fn = getattr(activations, fname)
        info = {"fn": fname, "kwargs": kw}
        try:
            for suffix, xin in (("", x), ("_edge", x_edge)):
                xt = tf.constant(xin)
                with tf.GradientTape() as tape:
                    tape.watch(xt)
                    y = fn(xt, **kw)
                    g = f32(rng.normal(size=y.shape))
                    s = tf.reduce_sum(y * g)
                grad = tape.gradient(s, xt)
                st.put(f"activations/{case}/x{suffix}", xin)
                st.put(f"activations/{case}/y{suffix}", y.numpy())
                st.put(f"activations/{case}/g{suffix}", g)
                st.put(f"activations/{case}/grad{suffix}", grad.numpy())
        except Exception as e:
            info["error"] = err_str(e)
        sec["cases"][case] = info


def k2_compile_names(st, tf, keras):
    sec = st.section("compile")
    rng = np.random.default_rng(7)
    x = f32(rng.normal(size=(16, 4)))
    y = f32(rng.normal(size=(16, 1)))
    yb = (y > 0).astype(F32)
    specs = {
        "acc": lambda: "acc",
        "accuracy": lambda: "accuracy",
        "mse": lambda: "mse",
        "mean_squared_error": lambda: "mean_squared_error",
        "mae": lambda: "mae",
        "MeanSquaredError()": lambda: keras.metrics.MeanSquaredError(),
        "plain function my_metric_fn": lambda: my_metric_fn_tf(),
    }
    hk = {}
    for sname, mk in specs.items():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid", input_dim=4)])
        try:
            model.compile("sgd", "mse", metrics=[mk()])
            h = model.fit(x, yb, epochs=1, verbose=0, validation_data=(x, yb))
            hk[sname] = sorted(h.history)
        except Exception as e:
            hk[sname] = err_str(e)
    sec["history_keys"] = hk
    lab = rng.integers(0, 3, 16)
    targets = {
        "binary_sigmoid_y2d": (1, "sigmoid", "binary_crossentropy", f32(rng.integers(0, 2, (16, 1)))),
        "categorical_onehot": (3, "softmax", "categorical_crossentropy", f32(np.eye(3)[lab])),
        "sparse_y1d": (3, "softmax", "sparse_categorical_crossentropy", f32(lab)),
        "sparse_y2d": (3, "softmax", "sparse_categorical_crossentropy", f32(lab[:, None])),
    }
    res = {}
    for tname, (units, act, loss, yy) in targets.items():
        for spec in ("accuracy", "acc"):
            model = keras.Sequential([keras.layers.Dense(units, activation=act, input_dim=4)])
            model.compile("sgd", loss, metrics=[spec])
            h = model.fit(x, yy, epochs=1, verbose=0)
            ms = []
            for m in model.metrics:
                fn = getattr(m, "_fn", None)
                ms.append({"name": m.name, "class": type(m).__name__,
                           "fn": getattr(fn, "__name__", None)})
            res[f"{tname}/{spec}"] = {"metrics": ms, "history_keys": sorted(h.history)}
    sec["accuracy_resolution"] = res


def my_metric_fn_tf():
    import tensorflow as tf

    def my_metric_fn(y_true, y_pred):  # same __name__ as the Keras 3 case
        return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)

    return my_metric_fn


# ==========================================================================
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keras", choices=["2", "3"], default="3")
    args = ap.parse_args()
    st = Store()
    warnings.filterwarnings("ignore", category=UserWarning)
    if args.keras == "3":
        os.environ.setdefault("KERAS_BACKEND", "jax")
        k3_main(st)
        st.save("functions_k3")
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        k2_main(st)
        st.save("functions_k2")
    return 0


if __name__ == "__main__":
    sys.exit(main())
