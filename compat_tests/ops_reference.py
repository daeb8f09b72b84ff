"""The checks shared by the `keras.ops` reference tests: a fixture section of cases (an
expression, its input arrays, its outputs `y`, a random upstream gradient `g` per output and
jax.grad's `grad_<input>`), recorded from Keras 3 by generate_function_fixtures.py and
generate_policy_fixtures.py in the same layout."""

from __future__ import annotations

import numpy as np

from minikeras import ops
from minikeras.autodiff.tensor import gradients, watch


class OpsReference:
    """One fixture section. `value_tol`/`grad_tol`: (rtol, atol); `dtype_differs`: cases
    whose dtype is knowingly not Keras' (their values are still compared)."""

    def __init__(self, section: dict, data, value_tol: tuple, grad_tol: tuple,
                 dtype_differs: frozenset = frozenset()) -> None:
        self.cases, self.data = section["cases"], data
        self.value_tol, self.grad_tol, self.dtype_differs = value_tol, grad_tol, dtype_differs

    def run(self, name: str) -> tuple:
        """(case, gradient leaves, output key suffixes, outputs) of the case's expression."""
        case, data = self.cases[name], self.data
        assert "error" not in case, case
        arrays = {k: data[f"ops/{name}/{k}"] for k in case["inputs"]}
        # float inputs of differentiable cases are leaves we ask gradients for
        leaves = {k: watch(v) for k, v in arrays.items()
                  if case["differentiable"] and v.dtype.kind == "f"}
        env = {"ops": ops, "np": np, **arrays, **leaves}
        result = eval(case["expr"], env)  # noqa: S307 - the fixture's own expressions
        if case["outputs"] is None:
            return case, leaves, [""], [result]
        assert isinstance(result, (list, tuple)) and len(result) == case["outputs"]
        return case, leaves, [f"_{i}" for i in range(case["outputs"])], list(result)

    def check_values(self, name: str) -> None:
        case, _, suffixes, outs = self.run(name)
        for s, out in zip(suffixes, outs):
            want = self.data[f"ops/{name}/y{s}"]
            got = np.asarray(out.value if hasattr(out, "value") else out)
            assert got.shape == want.shape, (s, got.shape, want.shape)
            if case["expr"].startswith("ops.size("):  # a Python int, as Keras' JAX backend
                assert isinstance(out, int) and out == int(want)
                continue
            if name not in self.dtype_differs:
                assert got.dtype == want.dtype, (s, got.dtype, want.dtype)
            if want.dtype.kind in "biu":
                np.testing.assert_array_equal(got, want)
            else:
                rtol, atol = self.value_tol
                np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)

    def check_gradients(self, name: str) -> None:
        """d sum_i(y_i * g_i) / d input, for every float input, against jax.grad's."""
        _, leaves, suffixes, outs = self.run(name)
        total = None
        for s, out in zip(suffixes, outs):
            term = ops.sum(ops.multiply(out, self.data[f"ops/{name}/g{s}"]))
            total = term if total is None else ops.add(total, term)
        names = sorted(leaves)
        assert names, "a differentiable case needs a float input"
        rtol, atol = self.grad_tol
        for k, grad in zip(names, gradients(total, [leaves[k] for k in names])):
            want = self.data[f"ops/{name}/grad_{k}"]
            got = np.zeros_like(want) if grad is None else np.asarray(grad)
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=k)
