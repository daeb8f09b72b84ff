"""Losses and metrics against values recorded from real Keras 3 (jax backend).

Reference numbers come only from compat_tests/fixtures/functions_k3.{npz,json}, written by
generate_function_fixtures.py (see README_functions.md): every loss in every reduction with
and without sample weights, the gradient of each class-form loss with respect to y_pred,
and every metric's `result()` after three `update_state` calls and after `reset_state()`.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import minikeras as keras
from minikeras.autodiff.tensor import Tensor, gradients, watch

FIXTURES = Path(__file__).parent / "fixtures"
META = json.loads((FIXTURES / "functions_k3.json").read_text())
DATA = np.load(FIXTURES / "functions_k3.npz")
LOSSES = META["sections"]["losses"]
METRICS = META["sections"]["metrics"]

# float32 throughout; Keras (XLA) and NumPy sum in different orders, which moves results by
# a few ulps: rtol 1e-4 with a small atol for values that are (nearly) zero.
RTOL, ATOL = 1e-4, 1e-6

# Loss cases where the *function* form fails in Keras but succeeds here, on purpose: Keras'
# binary_crossentropy function rejects y_true (8,) against y_pred (8, 1), while its class form
# (and ours, for both forms) aligns the ranks first. Our function gives the class form's values.
FUNCTION_ACCEPTS_WHAT_KERAS_REJECTS = {"binary_crossentropy_t1d_p2d"}

# Keras-2 spellings that Keras 3's `get` rejects and minikeras accepts (DESIGN: Keras 2's
# meaning applies where Keras 3 dropped a name a course uses).
KERAS2_LOSS_NAMES = {"kullback_leibler_divergence": "kl_divergence", "logcosh": "log_cosh",
                     "huber_loss": "huber"}
KERAS2_METRIC_NAMES = {"kld": "kl_divergence", "logcosh": "log_cosh"}

# Config keys minikeras adds where Keras 3's get_config drops a constructor argument (so a
# saved and reloaded loss keeps it); every key Keras writes must still be equal.
EXTRA_LOSS_CONFIG_KEYS = {"Huber": {"delta"}, "CosineSimilarity": {"axis"},
                          "SparseCategoricalCrossentropy": {"axis"}}


def arr(key):
    return DATA[key]


def loss_case(name):
    case = LOSSES["cases"][name]
    prefix = f"losses/{name}/"
    return case, arr(prefix + "y_true"), arr(prefix + "y_pred"), arr(prefix + "sample_weight")


def reduction_of(key):
    return None if key == "None" else key


LOSS_NAMES = sorted(LOSSES["cases"])


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_loss_function_form(name):
    case, yt, yp, _ = loss_case(name)
    fn = getattr(keras.losses, case["fn"])
    got = fn(yt, yp, **case["kwargs"])
    if "fn" in case.get("errors", {}):
        assert name in FUNCTION_ACCEPTS_WHAT_KERAS_REJECTS, case["errors"]["fn"]
        want = arr(f"losses/{name}/cls_none")
    else:
        want = arr(f"losses/{name}/fn")
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", LOSS_NAMES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_loss_class_every_reduction(name, weighted):
    case, yt, yp, sw = loss_case(name)
    cls = getattr(keras.losses, case["class"])
    checked = 0
    for red in LOSSES["reductions"]:
        key = f"cls_{red}" + ("_sw" if weighted else "")
        loss = cls(reduction=reduction_of(red), **case["kwargs"])
        if key in case.get("errors", {}):
            # e.g. per-sample weights (8,) against per-"sample" values of shape (4,) (axis=0)
            with pytest.raises((ValueError, TypeError)):
                loss(yt, yp, sample_weight=sw if weighted else None)
            continue
        got = loss(yt, yp, sample_weight=sw if weighted else None)
        want = arr(f"losses/{name}/{key}")
        assert got.shape == want.shape, (red, got.shape, want.shape)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got.numpy(), want, rtol=RTOL, atol=ATOL, err_msg=red)
        checked += 1
    assert checked or weighted


@pytest.mark.parametrize("name", LOSS_NAMES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_loss_gradient_wrt_y_pred(name, weighted):
    case, yt, yp, sw = loss_case(name)
    key = "grad_sw" if weighted else "grad"
    loss = getattr(keras.losses, case["class"])(**case["kwargs"])
    p = watch(yp)
    if key in case.get("errors", {}):
        with pytest.raises((ValueError, TypeError)):
            loss(yt, p, sample_weight=sw if weighted else None)
        return
    # Keras' own gradient is NaN/inf at a few purpose-made edges of the inputs (a zero vector
    # in cosine similarity, d(x**0)/dx at 0 in the focal loss, p**q at p = 0); ours must be
    # too, so NumPy's warnings about them are expected here.
    with np.errstate(divide="ignore", invalid="ignore"):
        value = loss(yt, p, sample_weight=sw if weighted else None)
        (grad,) = gradients(value, [p])
        want = arr(f"losses/{name}/{key}")
        grad = np.zeros_like(yp) if grad is None else np.asarray(grad)
        np.testing.assert_allclose(grad, want, rtol=RTOL, atol=ATOL, equal_nan=True)


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_loss_config(name):
    case = LOSSES["cases"][name]
    cfg = getattr(keras.losses, case["class"])(**case["kwargs"]).get_config()
    want = case["config"]
    extra = set(cfg) - set(want)
    assert extra <= EXTRA_LOSS_CONFIG_KEYS.get(case["class"], set()), extra
    assert {k: cfg[k] for k in want} == want


def test_loss_default_configs():
    for cls_name, want in LOSSES["default_class_configs"].items():
        cfg = getattr(keras.losses, cls_name)().get_config()
        assert {k: cfg[k] for k in want} == want, cls_name
        assert set(cfg) - set(want) <= EXTRA_LOSS_CONFIG_KEYS.get(cls_name, set())


def test_loss_names_resolve_like_keras():
    # "crossentropy"/"ce" are resolved by compile from the shapes, not by `get`
    for name, resolved in LOSSES["get_resolution"].items():
        if name in KERAS2_LOSS_NAMES:
            assert keras.losses.get(name).__name__ == KERAS2_LOSS_NAMES[name]
        elif resolved.startswith("ValueError"):
            with pytest.raises(ValueError):
                keras.losses.get(name)
        elif resolved.startswith("instance of "):
            assert type(keras.losses.get(name)).__name__ == resolved[len("instance of "):]
        else:
            assert keras.losses.get(name).__name__ == resolved


# --- metrics ---------------------------------------------------------------------------

def my_metric_fn(y_true, y_pred):
    """The user function of the MeanMetricWrapper case, written with minikeras ops."""
    return keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=-1)


def make_metric(case):
    kwargs = dict(case["kwargs"])
    if case["class"] == "MeanMetricWrapper":
        kwargs["fn"] = {"my_metric_fn": my_metric_fn,
                        "keras.losses.mean_squared_error": keras.losses.mean_squared_error}[
            kwargs["fn"]]
    keras.backend.clear_session()
    return getattr(keras.metrics, case["class"])(**kwargs)


METRIC_NAMES = sorted(METRICS["cases"])


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_metric_results_after_updates_and_reset(name):
    case = METRICS["cases"][name]
    assert "error" not in case
    m = make_metric(case)
    prefix = f"metrics/{name}/"
    y_pred = arr(prefix + "y_pred")
    y_true = DATA[prefix + "y_true"] if prefix + "y_true" in DATA.files else None
    sw = arr(prefix + "sample_weight")
    results = []
    for i in range(len(y_pred)):
        w = sw if i == METRICS["sample_weight_batch"] else None
        if y_true is None:
            m.update_state(y_pred[i], sample_weight=w)
        else:
            m.update_state(y_true[i], y_pred[i], sample_weight=w)
        r = m.result()
        assert isinstance(r, Tensor)
        results.append(np.asarray(r))
    m.reset_state()
    results.append(np.asarray(m.result()))
    want = arr(prefix + "results")
    got = np.stack(results)
    assert got.shape == want.shape
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, equal_nan=True)


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_metric_name_config_and_variables(name):
    case = METRICS["cases"][name]
    m = make_metric(case)
    assert m.name == case["name"]
    config = m.get_config()
    if name == "CosineSimilarity":  # minikeras keeps `axis`, which Keras 3 drops
        assert config.pop("axis") == -1
    assert config == case["config"]
    paths = [v.path for v in m.variables]
    if case["class"] in ("R2Score", "F1Score", "FBetaScore") or \
            case["kwargs"].get("multi_label"):
        # built on the first batch, as in Keras
        prefix = f"metrics/{name}/"
        m.update_state(arr(prefix + "y_true")[0], arr(prefix + "y_pred")[0])
        paths = [v.path for v in m.variables]
    assert paths == case["variables"]


def test_metric_names_resolve_like_keras():
    for name, resolved in METRICS["get_resolution"].items():
        if name in KERAS2_METRIC_NAMES:
            assert keras.metrics.get(name).__name__ == KERAS2_METRIC_NAMES[name]
        elif resolved.startswith("ValueError"):
            with pytest.raises(ValueError):
                keras.metrics.get(name)
        else:
            assert resolved.startswith("instance of ")
            assert type(keras.metrics.get(name)).__name__ == resolved[len("instance of "):]


# --- metric names in History (compile resolves the spec; the metric supplies its name) ----

COMPILE = META["sections"]["compile"]


def _history_keys(metric_specs, loss="mse"):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = (rng.normal(size=(16, 1)) > 0).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", loss, metrics=metric_specs)
    return model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y)).history


HISTORY_SPECS = {
    "mse": lambda: "mse", "MSE": lambda: "MSE", "mae": lambda: "mae",
    "mean_squared_error": lambda: "mean_squared_error",
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


@pytest.mark.parametrize("spec", sorted(HISTORY_SPECS))
def test_history_keys_name_metrics_as_keras(spec):
    keras.backend.clear_session()
    assert sorted(_history_keys([HISTORY_SPECS[spec]()])) == COMPILE["history_keys"][spec]


def test_metric_auto_names_count_per_session_in_history():
    keras.backend.clear_session()
    got = [sorted(k for k in _history_keys([keras.metrics.AUC(), keras.metrics.Precision()])
                  if not k.startswith("val_")) for _ in range(2)]
    assert got == COMPILE["history_keys"][
        "two models in one session, metrics=[AUC(), Precision()] each"]
