"""Gradient checks: analytic gradients against central differences, in float64.

The check projects on a random direction with a random upstream gradient:
    f(x) = sum(upstream * op(x)),   d/dt f(x + t*v) at t=0  ==  <grad f(x), v>
A random upstream makes checks of softmax-like ops meaningful (with a sum of ones, the
gradient of softmax is zero whatever the implementation).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from minikeras.autodiff.tensor import Tensor, gradients, watch


def check_gradients(fn: Callable, inputs: Sequence[np.ndarray], seed: int = 0,
                    eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-8,
                    directions: int = 3) -> None:
    """Assert that `fn(*tensors)` has correct gradients with respect to every input."""
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(a, dtype=np.float64) for a in inputs]
    leaves = [watch(a) for a in arrays]
    out = fn(*leaves)
    assert isinstance(out, Tensor), "the function must return a Tensor"
    assert out.dtype == np.float64, f"expected float64 output, got {out.dtype}"
    upstream = rng.normal(size=out.shape)
    analytic = gradients(out, leaves, upstream=upstream)
    for i, (a, g) in enumerate(zip(arrays, analytic)):
        g = np.zeros_like(a) if g is None else np.asarray(g)
        assert g.shape == a.shape, f"gradient {i} has shape {g.shape}, input {a.shape}"
        for _ in range(directions):
            v = rng.normal(size=a.shape)

            def f(t, i=i, v=v):
                shifted = [x if j != i else x + t * v for j, x in enumerate(arrays)]
                return float(np.sum(upstream * np.asarray(fn(*[Tensor(s) for s in shifted]))))

            numeric = (f(eps) - f(-eps)) / (2 * eps)
            exact = float(np.sum(g * v))
            assert np.isclose(exact, numeric, rtol=rtol, atol=atol), (
                f"input {i}: analytic directional derivative {exact!r} != numeric {numeric!r}")


def _rebind(out, variables, replacements):
    """Route the gradient of `out` to `replacements` instead of the layer's variables."""
    mapping = {id(v): r for v, r in zip(variables, replacements)}
    seen, stack = set(), [out]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.parents:
            node.parents = tuple(mapping.get(id(p), p) for p in node.parents)
            stack.extend(node.parents)
    return out


def layer_fn(layer, n_inputs=1, training=False, call=None):
    """f(*inputs, *trainable weights) running `layer` with those values, so that
    `check_gradients` can check a layer with respect to its inputs and its weights.
    `call(layer, *inputs)` calls the layer another way; several outputs are mixed into one
    (a sum and a sum of squares with fixed weights)."""
    variables = list(layer.trainable_weights)

    def fn(*args):
        xs, ws = args[:n_inputs], args[n_inputs:]
        saved = [v.value for v in variables]
        for v, w in zip(variables, ws):
            v.value = w.value
        try:
            if call is None:
                out = layer(list(xs) if n_inputs > 1 else xs[0], training=training)
            else:
                out = call(layer, *xs)
                if isinstance(out, (list, tuple)):
                    out = out[0].sum() * 0.7 + (out[1] * out[1]).sum() * 1.3
            return _rebind(out, variables, ws) if ws else out
        finally:
            for v, s in zip(variables, saved):
                v.value = s
    return fn
