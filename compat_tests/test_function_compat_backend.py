"""Keras 2 backend functions (`K.*`) against values and gradients recorded from real
Keras 2 (tf_keras; compat_tests/fixtures/functions_k2.*, section "backend", written by
generate_function_fixtures.py --keras 2)."""

import json
from pathlib import Path

import numpy as np
import pytest

from minikeras import backend as K
from minikeras.autodiff.tensor import gradients, watch

FIXTURES = Path(__file__).parent / "fixtures"
SECTION = json.loads((FIXTURES / "functions_k2.json").read_text())["sections"]["backend"]
DATA = np.load(FIXTURES / "functions_k2.npz")


@pytest.mark.parametrize("name", sorted(SECTION["cases"]))
def test_backend_function_matches_keras2(name, capsys):
    case = SECTION["cases"][name]
    assert "error" not in case, case
    want = DATA[f"backend/{name}/y"]
    if case["input"] is None:
        y = eval(case["expr"], {"K": K})  # noqa: S307 - the fixture's own expressions
        assert np.asarray(y.value).dtype == want.dtype
        np.testing.assert_array_equal(np.asarray(y.value), want)
        return
    x = DATA[f"backend/{name}/x"]
    t = watch(x)
    y = eval(case["expr"], {"K": K, "t": t})  # noqa: S307
    got = np.asarray(y.value)
    assert got.shape == want.shape
    if want.dtype == np.bool_:
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    if case["differentiable"]:
        (grad,) = gradients(y, [t], upstream=DATA[f"backend/{name}/g"])
        want_grad = DATA[f"backend/{name}/grad"]
        if name.startswith("cumprod"):
            # TensorFlow's cumprod gradient is 0 where an input is 0; minikeras gives the
            # true derivative there, as JAX (Keras 3) does (docs/decisions.md)
            keep = x != 0
            grad, want_grad = grad[keep], want_grad[keep]
        np.testing.assert_allclose(grad, want_grad, rtol=1e-5, atol=1e-6)
    if name == "print_tensor":
        assert capsys.readouterr().out.startswith("t:")
