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

from ops_reference import OpsReference

FIXTURES = Path(__file__).parent / "fixtures"
SECTION = json.loads((FIXTURES / "policy_k3.json").read_text())["sections"]["ops"]
DATA = np.load(FIXTURES / "policy_k3.npz")
# JAX runs without 64-bit types (float64 is silently float32 there); minikeras keeps
# the float64 the user asked for
DTYPE_DIFFERS = {"array_dtype"}


REFERENCE = OpsReference(SECTION, DATA, value_tol=(2e-5, 2e-5), grad_tol=(2e-4, 2e-5),
                         dtype_differs=DTYPE_DIFFERS)
_check_values, _check_gradients = REFERENCE.check_values, REFERENCE.check_gradients


@pytest.mark.parametrize("name", sorted(SECTION["cases"]))
def test_policy_ops_values_match_keras3(name):
    _check_values(name)


@pytest.mark.parametrize("name", sorted(n for n, c in SECTION["cases"].items()
                                        if c["differentiable"]))
def test_policy_ops_gradients_match_keras3(name):
    _check_gradients(name)
