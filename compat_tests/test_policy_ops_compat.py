"""The keras.ops math functions added for issue 11 (arccos ... nan* reductions, einsum,
quantiles, pad, scatters, keras.ops.linalg) against values and jax.grad gradients
recorded from Keras 3.15 (compat_tests/fixtures/policy_k3.*, section "ops", written by
generate_policy_fixtures.py with the same code and layout as functions_k3's ops).

Keras rule checked by every case: the op's value (shape, dtype, numbers) equals Keras',
and d sum(y * g) / d input for a random upstream g equals jax.grad's."""

import json
from pathlib import Path

import numpy as np
import pytest

from minikeras import ops
from minikeras.autodiff.tensor import gradients, watch

FIXTURES = Path(__file__).parent / "fixtures"
SECTION = json.loads((FIXTURES / "policy_k3.json").read_text())["sections"]["ops"]
DATA = np.load(FIXTURES / "policy_k3.npz")
# JAX runs without 64-bit types (float64 is silently float32 there); minikeras keeps
# the float64 the user asked for
DTYPE_DIFFERS = {"array_dtype"}


def _run(name):
    case = SECTION["cases"][name]
    assert "error" not in case, case
    arrays = {k: DATA[f"ops/{name}/{k}"] for k in case["inputs"]}
    leaves = {k: watch(v) for k, v in arrays.items()
              if case["differentiable"] and v.dtype.kind == "f"}
    env = {"ops": ops, "np": np, **arrays, **leaves}
    result = eval(case["expr"], env)  # noqa: S307 - the fixture's own expressions
    if case["outputs"] is None:
        return case, leaves, [""], [result]
    assert isinstance(result, (list, tuple)) and len(result) == case["outputs"]
    return case, leaves, [f"_{i}" for i in range(case["outputs"])], list(result)


def _check_values(name):
    case, _, suffixes, outs = _run(name)
    for s, out in zip(suffixes, outs):
        want = DATA[f"ops/{name}/y{s}"]
        got = np.asarray(out.value if hasattr(out, "value") else out)
        assert got.shape == want.shape, (s, got.shape, want.shape)
        if name not in DTYPE_DIFFERS:
            assert got.dtype == want.dtype, (s, got.dtype, want.dtype)
        if want.dtype.kind in "biu":
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5, equal_nan=True)


def _check_gradients(name):
    _, leaves, suffixes, outs = _run(name)
    total = None
    for s, out in zip(suffixes, outs):
        term = ops.sum(ops.multiply(out, DATA[f"ops/{name}/g{s}"]))
        total = term if total is None else ops.add(total, term)
    names = sorted(leaves)
    for k, grad in zip(names, gradients(total, [leaves[k] for k in names])):
        want = DATA[f"ops/{name}/grad_{k}"]
        got = np.zeros_like(want) if grad is None else np.asarray(grad)
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-5, err_msg=k)


@pytest.mark.parametrize("name", sorted(SECTION["cases"]))
def test_policy_ops_values_match_keras3(name):
    _check_values(name)


@pytest.mark.parametrize("name", sorted(n for n, c in SECTION["cases"].items()
                                        if c["differentiable"]))
def test_policy_ops_gradients_match_keras3(name):
    _check_gradients(name)
