"""Activations and initialisers against values recorded from real Keras 3
(compat_tests/fixtures/functions_k3.*, written by generate_function_fixtures.py)."""

import json
from pathlib import Path

import numpy as np
import pytest

import minikeras as keras
from minikeras.autodiff.tensor import gradients, watch

FIXTURES = Path(__file__).parent / "fixtures"
META = json.loads((FIXTURES / "functions_k3.json").read_text())
DATA = np.load(FIXTURES / "functions_k3.npz")
ACT = META["sections"]["activations"]
INIT = META["sections"]["initializers"]


def run_activation(case, x, g):
    fn = keras.activations.get(case["fn"])
    t = watch(x.astype("float32"))
    y = fn(t, **case["kwargs"])
    (grad,) = gradients(y, [t], upstream=g)
    return y.numpy(), np.zeros_like(x) if grad is None else grad


@pytest.mark.parametrize("name", sorted(ACT["cases"]))
def test_activation_values_and_gradients(name):
    case = ACT["cases"][name]
    x, g = DATA[f"activations/{name}/x"], DATA[f"activations/{name}/g"]
    y, grad = run_activation(case, x, g)
    np.testing.assert_allclose(y, DATA[f"activations/{name}/y"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad, DATA[f"activations/{name}/grad"], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", sorted(ACT["cases"]))
def test_activation_edge_values(name):
    """Saturation and kink points: values must agree; so must gradients, except at the
    exact kinks where JAX's choice of a one-sided derivative is arbitrary (listed)."""
    case = ACT["cases"][name]
    x, g = DATA[f"activations/{name}/x_edge"], DATA[f"activations/{name}/g_edge"]
    y, grad = run_activation(case, x, g)
    want_y = DATA[f"activations/{name}/y_edge"]
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(y, want_y, rtol=1e-5, atol=1e-6, equal_nan=True)
    want_g = DATA[f"activations/{name}/grad_edge"]
    finite = np.isfinite(want_g) & np.isfinite(grad)
    np.testing.assert_allclose(grad[finite], want_g[finite], rtol=1e-4, atol=1e-6)


def test_activation_names_resolve_like_keras():
    for name, resolved in ACT["get_resolution"].items():
        if resolved.startswith("ValueError"):
            with pytest.raises(ValueError):
                keras.activations.get(name)
        elif name == "None":
            assert keras.activations.get(None) is keras.activations.linear
        else:
            assert keras.activations.get(name).__name__ == resolved


def _bounded(case):
    name = case["class"]
    cfg = case.get("config", {})
    return "Uniform" in name or name == "TruncatedNormal" or name in (
        "GlorotNormal", "HeNormal", "LecunNormal") or cfg.get("distribution") in (
        "uniform", "truncated_normal")


def _stats(a):
    return np.array([a.mean(), a.std(), a.min(), a.max()])


@pytest.mark.parametrize("name", sorted(INIT["cases"]))
def test_initializer_distributions_and_values(name):
    case = INIT["cases"][name]
    init = getattr(keras.initializers, case["class"])(**case.get("kwargs", {}))
    for key, shape in (("stats", INIT["shape"]), ("stats_conv", INIT["conv_shape"])):
        ref_key = f"initializers/{name}/{key}"
        if ref_key not in DATA.files:
            continue
        ours = _stats(init(tuple(shape)))
        ref = DATA[ref_key]
        # different generators: compare distributions, within sampling error (6 sigma)
        n = int(np.prod(shape))
        sd = max(abs(ref[1]), 1e-12)
        assert abs(ours[0] - ref[0]) <= 6 * sd / np.sqrt(n) + 1e-7, (key, ours, ref)
        assert abs(ours[1] - ref[1]) <= 6 * sd / np.sqrt(2 * n) + 1e-7, (key, ours, ref)
        if _bounded(case):  # uniform or truncated: the extremes sit at the bounds
            np.testing.assert_allclose(ours[2:], ref[2:], atol=0.03 * (ref[3] - ref[2]))
    for key in DATA.files:
        if key.startswith(f"initializers/{name}/values_"):
            shape = tuple(int(d) for d in key.rsplit("_", 1)[1].split("x"))
            np.testing.assert_allclose(init(shape), DATA[key], rtol=1e-6)


def test_initializer_names_resolve_like_keras():
    for name, resolved in INIT["get_resolution"].items():
        if not isinstance(resolved, dict):
            continue
        obj = keras.initializers.get(name)
        assert type(obj).__name__ == resolved["class"], name
        ours = obj.get_config()
        for key, value in resolved["config"].items():
            if key in ("input_axes", "output_axes"):
                continue  # Keras 3.15 only; Keras 2 rejects them, so we do not write them
            assert ours.get(key) == value, (name, key)


def test_seeded_initializer_repeats_itself():
    for case in INIT["cases"].values():
        if case.get("kwargs", {}).get("seed") is not None and case["seeded_second_call_identical"]:
            init = getattr(keras.initializers, case["class"])(**case["kwargs"])
            np.testing.assert_array_equal(init((5, 4)), init((5, 4)))
