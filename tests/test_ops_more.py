"""The NumPy-like `keras.ops` functions added after the first set (tan ... meshgrid): float64
gradient checks (random direction, random upstream) for every differentiable one, and the
behaviours the reference fixtures do not show (errors, dtypes, the zero branches).
Values against real Keras 3 are in compat_tests/test_function_compat_ops.py."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from minikeras import ops
from minikeras.autodiff.tensor import gradients, watch
from tests.gradcheck import check_gradients

rng = np.random.default_rng(7)


def arr(*shape, low=-2.0, high=2.0):
    return rng.uniform(low, high, size=shape)


def away_from_zero(*shape, low=0.3, high=2.0):
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def flat(tensors):
    """Several outputs as one tensor, so that one check covers them all."""
    return ops.concatenate([ops.reshape(t, (-1,)) for t in tensors], axis=0)


NONFINITE = np.array([[np.nan, np.inf, -np.inf, 1.5], [-2.5, 0.25, np.nan, 3.0]])
DEN_WITH_ZEROS = np.array([[0.0, 1.5, -0.7], [2.0, 0.0, 0.9]])

GRADIENT_CASES = {
    "tan": (lambda a: ops.tan(a), [arr(3, 4, low=-1.3, high=1.3)]),
    "sinh": (lambda a: ops.sinh(a), [arr(3, 4)]),
    "cosh": (lambda a: ops.cosh(a), [arr(3, 4)]),
    "rsqrt": (lambda a: ops.rsqrt(a), [arr(3, 4, low=0.2, high=3.0)]),
    "logaddexp": (lambda a, b: ops.logaddexp(a, b), [arr(3, 4), arr(3, 4)]),
    "logaddexp_broadcast": (lambda a, b: ops.logaddexp(a, b), [arr(3, 4), arr(4)]),
    "logaddexp_scalar": (lambda a: ops.logaddexp(a, 0.5), [arr(3, 4)]),
    "nan_to_num": (lambda a: ops.nan_to_num(a, nan=-1.0, posinf=10.0, neginf=-10.0),
                   [NONFINITE]),
    "divide_no_nan": (lambda a, b: ops.divide_no_nan(a, b), [arr(2, 3), away_from_zero(2, 3)]),
    "divide_no_nan_zero_denominators": (lambda a: ops.divide_no_nan(a, DEN_WITH_ZEROS),
                                        [arr(2, 3)]),
    "mod": (lambda a, b: ops.mod(a, b), [arr(3, 4, low=-5, high=5), away_from_zero(3, 4)]),
    "mod_broadcast": (lambda a, b: ops.mod(a, b), [arr(3, 4, low=-5, high=5),
                                                   away_from_zero(4)]),
    "flip": (lambda a: ops.flip(a), [arr(3, 4)]),
    "flip_axes": (lambda a: ops.flip(a, axis=(0, 2)), [arr(2, 3, 4)]),
    "roll": (lambda a: ops.roll(a, 5), [arr(3, 4)]),
    "roll_axes": (lambda a: ops.roll(a, (1, -2), axis=(0, 2)), [arr(2, 3, 4)]),
    "repeat": (lambda a: ops.repeat(a, 2), [arr(3, 4)]),
    "repeat_counts": (lambda a: ops.repeat(a, [2, 0, 1], axis=0), [arr(3, 4)]),
    "tril": (lambda a: ops.tril(a, -1), [arr(2, 4, 4)]),
    "triu": (lambda a: ops.triu(a, 1), [arr(3, 5)]),
    "outer": (lambda a, b: ops.outer(a, b), [arr(3), arr(2, 2)]),
    "sort": (lambda a: ops.sort(a), [arr(3, 5)]),
    "sort_axis0": (lambda a: ops.sort(a, axis=0), [arr(4, 3)]),
    "hstack": (lambda a, b: ops.hstack([a, b]), [arr(3, 2), arr(3, 4)]),
    "hstack_1d": (lambda a, b: ops.hstack([a, b]), [arr(3), arr(2)]),
    "vstack": (lambda a, b: ops.vstack([a, b]), [arr(2, 3), arr(3)]),
    "split": (lambda a: flat(ops.split(a, 2, axis=1)), [arr(3, 4)]),
    "split_indices": (lambda a: flat(ops.split(a, [1, 3])), [arr(5, 2)]),
    "moments": (lambda a: flat(ops.moments(a, axes=[0])), [arr(5, 3)]),
    "moments_keepdims": (lambda a: flat(ops.moments(a, axes=[0, 2], keepdims=True)),
                         [arr(3, 2, 4)]),
    "normalize": (lambda a: ops.normalize(a), [arr(3, 4)]),
    "normalize_axes": (lambda a: ops.normalize(a, axis=(1, 2)), [arr(2, 3, 4)]),
    "normalize_order1": (lambda a: ops.normalize(a, axis=0, order=1), [away_from_zero(3, 4)]),
    "normalize_order3": (lambda a: ops.normalize(a, order=3), [away_from_zero(3, 4)]),
    "normalize_epsilon": (lambda a: ops.normalize(a, epsilon=0.5), [arr(3, 4) * 0.05]),
    "copy": (lambda a: ops.copy(a), [arr(3, 4)]),
    "diag": (lambda a: ops.diag(a, k=1), [arr(3)]),
    "diag_extract": (lambda a: ops.diag(a, k=-1), [arr(4, 3)]),
    "trace": (lambda a: ops.trace(a), [arr(4, 4)]),
    "trace_axes": (lambda a: ops.trace(a, offset=1, axis1=2, axis2=0), [arr(3, 2, 4)]),
    "meshgrid": (lambda a, b: flat(ops.meshgrid(a, b)), [arr(3), arr(4)]),
    "meshgrid_ij": (lambda a, b, c: flat(ops.meshgrid(a, b, c, indexing="ij")),
                    [arr(2), arr(3), arr(4)]),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_ops_gradient(name, float64):
    fn, inputs = GRADIENT_CASES[name]
    check_gradients(fn, inputs)


def test_divide_no_nan_is_zero_with_zero_gradients_where_the_denominator_is_zero():
    a, b = watch(np.array([1.0, 2.0, 3.0])), watch(np.array([0.0, 4.0, 0.0]))
    y = ops.divide_no_nan(a, b)
    np.testing.assert_array_equal(y.numpy(), [0.0, 0.5, 0.0])
    ga, gb = gradients(y, [a, b], upstream=np.ones(3, dtype="float32"))
    np.testing.assert_allclose(ga, [0.0, 0.25, 0.0])
    np.testing.assert_allclose(gb, [0.0, -2.0 / 16, 0.0])


def test_float_valued_ops_turn_integers_into_floatx():
    for fn in (ops.tan, ops.sinh, ops.cosh, ops.ceil, ops.rsqrt):
        assert fn(np.array([1, 2])).dtype == np.float32, fn.__name__
    assert ops.logaddexp(np.array([1, 2]), 3).dtype == np.float32
    assert ops.divide_no_nan(np.array([1, 2]), np.array([0, 4])).dtype == np.float32
    assert ops.logaddexp(np.ones(2, "float32"), 0.5).dtype == np.float32


def test_integer_ops_keep_integers():
    x, d = np.array([7, -7, 9], "int32"), np.array([2, 2, -4], "int32")
    assert ops.floor_divide(x, d).dtype == np.int32
    np.testing.assert_array_equal(ops.floor_divide(x, d).numpy(), [3, -4, -3])
    np.testing.assert_array_equal(ops.mod(x, d).numpy(), [1, 1, -3])
    assert ops.argsort(np.array([3.0, 1.0])).dtype == np.int32
    assert ops.trace(np.ones((3, 3), bool)).dtype == np.int32
    assert ops.trace(np.ones((3, 3), "int64")).dtype == np.int64
    assert ops.tril(np.ones((2, 2), bool)).dtype == bool


def test_constructors_and_shapes():
    assert ops.size(np.zeros((2, 3, 4))) == 24
    assert ops.identity(3).dtype == np.float32 and ops.identity(2, "int32").dtype == np.int32
    np.testing.assert_array_equal(ops.full_like(np.zeros((2, 2), "float32"), 7).numpy(), 7)
    samples, step = ops.linspace(0, 1, 5, retstep=True)
    assert samples.dtype == np.float32 and float(step) == 0.25
    assert ops.allclose([1.0, 2.0], [1.0, 2.0 + 1e-9]).shape == ()
    c = ops.copy(np.ones(3))
    assert c.numpy().base is None


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="sections"):
        ops.split(np.zeros((5, 2)), 2)
    with pytest.raises(ValueError, match="order"):
        ops.normalize(np.ones(3), order=0)
    with pytest.raises(ValueError, match="matrix norm"):
        ops.normalize(np.ones((2, 3)), axis=(0, 1), order=1)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        ops.diag(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="rank >= 2"):
        ops.tril(np.zeros(3))
    with pytest.raises(ValueError, match="indexing"):
        ops.meshgrid(np.zeros(2), indexing="xyz")



# the functions of this set, and whether they are differentiable
ADDED_OPS = {
    "tan": True, "sinh": True, "cosh": True, "ceil": False, "rsqrt": True,
    "logaddexp": True, "nan_to_num": True, "divide_no_nan": True, "floor_divide": False,
    "mod": True, "isclose": False, "allclose": False, "flip": True, "roll": True,
    "repeat": True, "tril": True, "triu": True, "outer": True, "linspace": False,
    "sort": True, "argsort": False, "hstack": True, "vstack": True, "split": True,
    "moments": True, "normalize": True, "size": False, "copy": True, "full_like": False,
    "identity": False, "diag": True, "trace": True, "meshgrid": True,
}


def test_every_added_op_has_keras3_reference_cases_and_gradient_checks():
    """Each function of this set is exercised by a Keras 3 fixture case (values, and
    gradients when it is differentiable) and, if differentiable, by a check above."""
    fixture = Path(__file__).resolve().parents[1] / "compat_tests/fixtures/functions_k3.json"
    cases = json.loads(fixture.read_text())["sections"]["ops"]["cases"]
    covered, with_gradients = set(), set()
    for case in cases.values():
        called = set(re.findall(r"ops\.([a-z_]+)\(", case["expr"]))
        covered |= called
        if case["differentiable"]:
            with_gradients |= called
    checked_here = {case.split("_")[0] for case in GRADIENT_CASES}
    for name, differentiable in ADDED_OPS.items():
        assert callable(getattr(ops, name)), name
        assert name in covered, f"no Keras 3 fixture case calls ops.{name}"
        if differentiable:
            assert name in with_gradients, f"no Keras 3 gradient recorded for ops.{name}"
            assert name.split("_")[0] in checked_here, f"no float64 gradient check of {name}"
