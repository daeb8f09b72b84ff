"""Float64 gradient checks (central differences along random directions, random upstream
gradient: tests/gradcheck.py) of every differentiable keras.ops function added for
issue 11, plus their argument errors. Keras rule: each op is differentiable where Keras'
JAX backend is (the values and jax.grad gradients themselves are pinned by
compat_tests/test_policy_ops_compat.py)."""

import numpy as np
import pytest

from minikeras import ops
from tests.gradcheck import check_gradients

rng = np.random.default_rng(0)
A = rng.uniform(-2, 2, (4, 5))
B = rng.uniform(-2, 2, (4, 5))
UNIT = rng.uniform(-0.9, 0.9, (3, 4))
GT1 = rng.uniform(1.2, 3.0, (3, 4))
C = rng.uniform(-2, 2, (2, 3, 4))
V43 = rng.uniform(-2, 2, (4, 3))
W43 = rng.uniform(-2, 2, (4, 3))
Q = rng.normal(size=(4, 4))
SPD = Q @ Q.T + 4 * np.eye(4)
TALL = rng.uniform(-2, 2, (5, 3))
NANS = A.copy()
NANS[0, 1] = NANS[2, 3] = np.nan
MASKED = np.isnan(NANS)


def _with_nans(x):  # NaNs put back at fixed places of a float64 leaf
    return ops.where(MASKED, np.nan, x)


CASES = {
    "arccos": (lambda x: ops.arccos(x), [UNIT]),
    "arcsin": (lambda x: ops.arcsin(x), [UNIT]),
    "arctan": (lambda x: ops.arctan(x), [A]),
    "arccosh": (lambda x: ops.arccosh(x), [GT1]),
    "arcsinh": (lambda x: ops.arcsinh(x), [A]),
    "arctanh": (lambda x: ops.arctanh(x), [UNIT]),
    "arctan2": (lambda x, y: ops.arctan2(x, y), [A, B]),
    "hypot": (lambda x, y: ops.hypot(x, y), [A, B]),
    "fmod": (lambda x, y: ops.fmod(x, y), [A, np.abs(B) + 0.5]),
    "cbrt": (lambda x: ops.cbrt(x), [A]),
    "deg2rad": (lambda x: ops.deg2rad(x), [A]),
    "rad2deg": (lambda x: ops.rad2deg(x), [A]),
    "cross": (lambda x, y: ops.cross(x, y), [V43, W43]),
    "cross_2d": (lambda x, y: ops.cross(x, y), [V43[:, :2], W43[:, :2]]),
    "diff": (lambda x: ops.diff(x, n=2, axis=0), [A]),
    "einsum": (lambda x, y: ops.einsum("ij,kj->ik", x, y), [A, B]),
    "einsum_trace": (lambda x: ops.einsum("ii->i", x), [Q]),
    "einsum_sum": (lambda x, y: ops.einsum("ijk,j->k", x, y), [C, V43[0]]),
    "einsum_ellipsis": (lambda x: ops.einsum("...j->j...", x), [C]),
    "tensordot": (lambda x, y: ops.tensordot(x, y, axes=1), [C, V43]),
    "inner": (lambda x, y: ops.inner(x, y), [A, B]),
    "kron": (lambda x, y: ops.kron(x, y), [V43, Q[:2]]),
    "median": (lambda x: ops.median(x, axis=0), [A]),
    "quantile": (lambda x: ops.quantile(x, [0.2, 0.7], axis=1, keepdims=True), [A]),
    "percentile": (lambda x: ops.percentile(x, 35.0, method="midpoint"), [A]),
    "nansum": (lambda x: ops.nansum(_with_nans(x), axis=1), [A]),
    "nanmean": (lambda x: ops.nanmean(_with_nans(x), axis=0), [A]),
    "nanvar": (lambda x: ops.nanvar(_with_nans(x), axis=1), [A]),
    "nanstd": (lambda x: ops.nanstd(_with_nans(x)), [A]),
    "nanprod": (lambda x: ops.nanprod(_with_nans(x), axis=1), [A]),
    "nanmax": (lambda x: ops.nanmax(_with_nans(x), axis=1), [A]),
    "nanmin": (lambda x: ops.nanmin(_with_nans(x), axis=0), [A]),
    "swapaxes": (lambda x: ops.swapaxes(x, 0, 2), [C]),
    "moveaxis": (lambda x: ops.moveaxis(x, [0, 1], [2, 0]), [C]),
    "ravel": (lambda x: ops.ravel(x), [C]),
    "pad_constant": (lambda x: ops.pad(x, ((1, 0), (2, 1)), constant_values=1.5), [A]),
    "pad_reflect": (lambda x: ops.pad(x, ((2, 1), (1, 3)), mode="reflect"), [A]),
    "pad_symmetric": (lambda x: ops.pad(x, 2, mode="symmetric"), [A]),
    "pad_wrap": (lambda x: ops.pad(x, ((3, 1), (0, 2)), mode="wrap"), [A]),
    "pad_edge": (lambda x: ops.pad(x, 1, mode="edge"), [A]),
    "slice": (lambda x: ops.slice(x, (1, 0, 1), (1, 2, 3)), [C]),
    "slice_update": (lambda x, u: ops.slice_update(x, (1, 2), u), [A, Q[:2, :3]]),
    "scatter": (lambda v: ops.scatter(np.array([[0, 1], [2, 2], [0, 1]]), v, (3, 4)),
                [V43[0]]),
    "scatter_update": (lambda x, v: ops.scatter_update(x, np.array([[0, 1], [3, 4]]), v),
                       [A, V43[0, :2]]),
    "unstack": (lambda x: ops.stack(ops.unstack(x, axis=2)[1:], axis=0), [C]),
    "trunc": (lambda x: ops.trunc(x), [A]),
    "inv": (lambda x: ops.linalg.inv(x), [SPD]),
    "det": (lambda x: ops.linalg.det(x), [Q]),
    "solve": (lambda a, b: ops.linalg.solve(a, b), [SPD, A]),
    "cholesky": (lambda x: ops.linalg.cholesky(0.5 * (x + ops.transpose(x))), [SPD]),
    "qr_q": (lambda x: ops.linalg.qr(x)[0], [TALL]),
    "qr_r": (lambda x: ops.linalg.qr(x)[1], [TALL]),
    "svd_values": (lambda x: ops.linalg.svd(x, compute_uv=False), [A]),
    "norm_fro": (lambda x: ops.linalg.norm(x, ord="fro"), [A]),
    "norm_nuc": (lambda x: ops.linalg.norm(x, ord="nuc"), [A]),
    "norm_2": (lambda x: ops.linalg.norm(x, ord=2, keepdims=True), [A]),
    "norm_inf": (lambda x: ops.linalg.norm(x, ord=np.inf), [A]),
    "norm_1": (lambda x: ops.linalg.norm(x, ord=1, axis=(1, 0)), [A]),
    "norm_p3": (lambda x: ops.linalg.norm(x, ord=3, axis=1), [A]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_new_ops_gradients_float64(name):
    fn, inputs = CASES[name]
    check_gradients(fn, inputs, rtol=1e-5, atol=1e-7)


def test_new_ops_argument_errors_name_the_argument():
    # Keras rule: bad arguments are a ValueError naming them
    with pytest.raises(ValueError, match="mode"):
        ops.pad(A, 1, mode="reflec")
    with pytest.raises(ValueError, match="constant_values"):
        ops.pad(A, 1, mode="edge", constant_values=1.0)
    with pytest.raises(ValueError, match="q"):
        ops.quantile(A, 1.5)
    with pytest.raises(ValueError, match="method"):
        ops.quantile(A, 0.5, method="nearestt")
    with pytest.raises(ValueError, match="side"):
        ops.searchsorted([1.0, 2.0], A, side="middle")
    with pytest.raises(ValueError, match="non-negative"):
        ops.bincount(np.array([1, -1]))
    with pytest.raises(ValueError, match="num"):
        ops.unstack(C, num=3, axis=0)
    with pytest.raises(ValueError, match="components"):
        ops.cross(A, B)


def test_new_ops_on_keras_tensors_build_graph_nodes():
    # Keras builds them into the graph as Operation nodes (their classes recorded from
    # Keras 3 in configs_k3.json's ops_table, compat_tests/make_op_classes.py); the linalg
    # namespace is not recorded yet: a TypeError that says what to do, not a NumPy failure
    import minikeras as keras

    x = keras.Input((3,))
    model = keras.Model(x, ops.arcsin(x * 0.5) + ops.cbrt(x))
    d = np.linspace(0.1, 0.9, 6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(model.predict(d, verbose=0), np.arcsin(d * 0.5) + np.cbrt(d),
                               rtol=1e-6)
    names = {entry["class_name"] for entry in model.get_config()["layers"]}
    assert {"Arcsin", "Cbrt"} <= names  # Keras' own node names, so Keras 3 reads the file
    with pytest.raises(TypeError, match="linalg.inv cannot be applied to a KerasTensor"):
        ops.linalg.inv(x)
