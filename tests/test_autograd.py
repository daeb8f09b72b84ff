"""The engine itself, starting with the course's autograd example."""

import numpy as np
import pytest

from minikeras import backend as K
from minikeras.autodiff.tensor import Tape, Variable, gradients, no_grad


def test_course_autograd_example():
    x = K.variable([5.0])
    y = x ** 2 - 2 * x + 1
    np.testing.assert_array_equal(K.eval(y), [16.0])
    (dx,) = K.gradients(y, [x])
    np.testing.assert_array_equal(K.eval(dx), [8.0])


def test_gradient_accumulates_over_shared_uses():
    x = Variable(np.array([1.0, 2.0]))
    y = x * x + x * 3.0  # x used three times
    (g,) = gradients(y, [x], upstream=np.array([1.0, 10.0]))
    np.testing.assert_allclose(g, [1 * (2 * 1 + 3), 10 * (2 * 2 + 3)])


def test_gradient_with_respect_to_an_intermediate():
    x = Variable(np.array([3.0]))
    z = x * 2.0
    w = z * z
    gz, gx = gradients(w, [z, x])
    np.testing.assert_allclose(gz, [12.0])
    np.testing.assert_allclose(gx, [24.0])


def test_unrelated_source_gets_none():
    x, u = Variable([1.0]), Variable([2.0])
    assert gradients(x * 2.0, [u]) == [None]


def test_no_grad_records_nothing():
    x = Variable([1.0])
    with no_grad():
        y = x * 2.0
    assert not y.needs_grad and y.parents == ()


def test_tape_matches_graph_search():
    rng = np.random.default_rng(0)
    w = Variable(rng.normal(size=(3, 2)))
    x = rng.normal(size=(4, 3))
    with Tape() as tape:
        y = (K.dot(K.constant(x), w) ** 2).sum()
    g_tape = tape.gradient(y, [w])[0]
    y2 = (K.dot(K.constant(x), w) ** 2).sum()
    g_search = gradients(y2, [w])[0]
    np.testing.assert_allclose(g_tape, g_search)


def test_gradients_clear_state_between_calls():
    x = Variable([2.0])
    y = x * x
    first = gradients(y, [x])[0].copy()
    second = gradients(y, [x])[0]
    np.testing.assert_array_equal(first, second)


def test_numpy_array_times_tensor_stays_a_tensor():
    x = Variable([1.0, 2.0])
    y = np.float32(3.0) * x
    z = np.asarray([1.0, 1.0], dtype="float32") * x
    assert type(y).__name__ == "Tensor" and type(z).__name__ == "Tensor"
    assert gradients(y.sum(), [x])[0] is not None


def test_float32_stays_float32_with_python_scalars():
    x = Variable(np.ones(3, dtype="float32"))
    assert (x * 2.5 + 1).dtype == np.float32
    assert (x ** 2).dtype == np.float32


def test_upstream_shape_is_checked():
    x = Variable([1.0, 2.0])
    with pytest.raises(ValueError, match="upstream"):
        gradients(x * 2.0, [x], upstream=np.ones(3))
