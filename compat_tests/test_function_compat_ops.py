"""`keras.ops` functions against values and gradients recorded from real Keras 3
(compat_tests/fixtures/functions_k3.*, section "ops", written by
generate_function_fixtures.py with the jax backend)."""

import json
from pathlib import Path

import numpy as np
import pytest

from ops_reference import OpsReference

FIXTURES = Path(__file__).parent / "fixtures"
SECTION = json.loads((FIXTURES / "functions_k3.json").read_text())["sections"]["ops"]
DATA = np.load(FIXTURES / "functions_k3.npz")


REFERENCE = OpsReference(SECTION, DATA, value_tol=(1e-5, 1e-6), grad_tol=(1e-4, 1e-6))
_check_values, _check_gradients = REFERENCE.check_values, REFERENCE.check_gradients


# (the checks live in the helpers above, so that docs/make_compatibility.py, which reads
# test bodies, credits these tests with the ops of the fixture and not with ops.sum & co.)
@pytest.mark.parametrize("name", sorted(SECTION["cases"]))
def test_ops_function_values_match_keras3(name):
    _check_values(name)


@pytest.mark.parametrize("name", sorted(n for n, c in SECTION["cases"].items()
                                        if c["differentiable"]))
def test_ops_function_gradients_match_keras3(name):
    _check_gradients(name)
