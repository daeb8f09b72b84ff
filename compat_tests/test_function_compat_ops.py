"""`keras.ops` functions against values and gradients recorded from real Keras 3
(compat_tests/fixtures/functions_k3.*, section "ops", written by
generate_function_fixtures.py with the jax backend)."""

import json
from pathlib import Path

import numpy as np
import pytest

from minikeras import ops
from minikeras.autodiff.tensor import gradients, watch

FIXTURES = Path(__file__).parent / "fixtures"
SECTION = json.loads((FIXTURES / "functions_k3.json").read_text())["sections"]["ops"]
DATA = np.load(FIXTURES / "functions_k3.npz")


def _outputs(case, result):
    """The result as a list, with the fixture's key suffix of each output."""
    if case["outputs"] is None:
        return [""], [result]
    assert isinstance(result, (list, tuple)) and len(result) == case["outputs"]
    return [f"_{i}" for i in range(case["outputs"])], list(result)


def _run(name):
    case = SECTION["cases"][name]
    assert "error" not in case, case
    arrays = {k: DATA[f"ops/{name}/{k}"] for k in case["inputs"]}
    # float inputs of differentiable cases are leaves we ask gradients for
    leaves = {k: watch(v) for k, v in arrays.items()
              if case["differentiable"] and v.dtype.kind == "f"}
    env = {"ops": ops, "np": np, **arrays, **leaves}
    result = eval(case["expr"], env)  # noqa: S307 - the fixture's own expressions
    return case, leaves, _outputs(case, result)


def _check_values(name):
    case, _, (suffixes, outs) = _run(name)
    for s, out in zip(suffixes, outs):
        want = DATA[f"ops/{name}/y{s}"]
        got = np.asarray(out.value if hasattr(out, "value") else out)
        assert got.shape == want.shape, (s, got.shape, want.shape)
        if case["expr"].startswith("ops.size("):  # a Python int, as Keras' JAX backend gives
            assert isinstance(out, int) and out == int(want)
            continue
        assert got.dtype == want.dtype, (s, got.dtype, want.dtype)
        if want.dtype.kind in "biu":
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, equal_nan=True)


def _check_gradients(name):
    """d sum_i(y_i * g_i) / d input, for every float input, against jax.grad's."""
    _, leaves, (suffixes, outs) = _run(name)
    total = None
    for s, out in zip(suffixes, outs):
        term = ops.sum(ops.multiply(out, DATA[f"ops/{name}/g{s}"]))
        total = term if total is None else ops.add(total, term)
    names = sorted(leaves)
    assert names, "a differentiable case needs a float input"
    for k, grad in zip(names, gradients(total, [leaves[k] for k in names])):
        want = DATA[f"ops/{name}/grad_{k}"]
        got = np.zeros_like(want) if grad is None else np.asarray(grad)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6, err_msg=k)


# (the checks live in the helpers above, so that docs/make_compatibility.py, which reads
# test bodies, credits these tests with the ops of the fixture and not with ops.sum & co.)
@pytest.mark.parametrize("name", sorted(SECTION["cases"]))
def test_ops_function_values_match_keras3(name):
    _check_values(name)


@pytest.mark.parametrize("name", sorted(n for n, c in SECTION["cases"].items()
                                        if c["differentiable"]))
def test_ops_function_gradients_match_keras3(name):
    _check_gradients(name)
