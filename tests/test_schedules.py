"""Learning-rate schedules: argument errors, the shape of each schedule (invariants that follow
from its documented definition), step types, dtypes, and (de)serialization.

Values are checked against real Keras in compat_tests/test_function_compat_optimizers.py.
"""

import math

import numpy as np
import pytest

import minikeras as keras
from minikeras.autodiff.tensor import Tensor

S = keras.optimizers.schedules


def values(schedule, steps):
    return np.array([float(schedule(s)) for s in steps])


ALL = [
    S.ExponentialDecay(0.1, 10, 0.5),
    S.ExponentialDecay(0.1, 10, 0.5, staircase=True),
    S.InverseTimeDecay(0.1, 5, 0.5),
    S.InverseTimeDecay(0.1, 5, 0.5, staircase=True),
    S.PiecewiseConstantDecay([10, 20], [0.1, 0.05, 0.01]),
    S.PolynomialDecay(0.1, 20, end_learning_rate=0.01, power=2.0),
    S.PolynomialDecay(0.1, 20, end_learning_rate=0.01, cycle=True),
    S.CosineDecay(0.1, 30, alpha=0.1),
    S.CosineDecay(0.0, 30, warmup_target=0.2, warmup_steps=10),
    S.CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.5, alpha=0.1),
]


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_accepts_int_numpy_and_tensor_steps_and_returns_floatx(schedule):
    a = schedule(7)
    assert isinstance(a, np.ndarray) and a.shape == () and a.dtype == np.float32
    assert float(schedule(np.int64(7))) == float(a)
    assert float(schedule(Tensor(np.asarray(7, dtype=np.int32)))) == float(a)
    assert float(schedule(7.0)) == float(a)


def test_follows_floatx(float64):
    assert S.CosineDecay(0.1, 30)(3).dtype == np.float64


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_config_round_trip(schedule):
    config = schedule.get_config()
    clone = type(schedule).from_config(config)
    assert clone.get_config() == config
    steps = range(0, 60, 3)
    np.testing.assert_array_equal(values(clone, steps), values(schedule, steps))
    ser = S.serialize(schedule)
    assert ser == {"module": "keras.optimizers.schedules", "class_name": type(schedule).__name__,
                   "config": config, "registered_name": None}
    again = S.deserialize(ser)
    assert type(again) is type(schedule) and again.get_config() == config
    # Keras 2's form, without module/registered_name
    assert type(S.deserialize({"class_name": type(schedule).__name__, "config": config})) \
        is type(schedule)


@pytest.mark.parametrize("make,match", [
    (lambda: S.ExponentialDecay(0.1, 0, 0.5), "decay_steps"),
    (lambda: S.ExponentialDecay(0.1, -5, 0.5), "decay_steps"),
    (lambda: S.ExponentialDecay("0.1", 10, 0.5), "initial_learning_rate"),
    (lambda: S.InverseTimeDecay(0.1, 0, 0.5), "decay_steps"),
    (lambda: S.InverseTimeDecay(0.1, 5, None), "decay_rate"),
    (lambda: S.PiecewiseConstantDecay([10, 20], [0.1, 0.01]), "length of `boundaries`"),
    (lambda: S.PiecewiseConstantDecay([20, 10], [0.1, 0.05, 0.01]), "increasing"),
    (lambda: S.PiecewiseConstantDecay(10, [0.1]), "lists"),
    (lambda: S.PiecewiseConstantDecay([10], ["a", 0.1]), r"values\[0\]"),
    (lambda: S.PolynomialDecay(0.1, 0), "decay_steps"),
    (lambda: S.PolynomialDecay(0.1, 10, power="2"), "power"),
    (lambda: S.CosineDecay(0.1, 0), "decay_steps"),
    (lambda: S.CosineDecay(0.1, 10, warmup_steps=-1, warmup_target=0.2), "warmup_steps"),
    (lambda: S.CosineDecay(0.1, 10, warmup_target="x"), "warmup_target"),
    (lambda: S.CosineDecayRestarts(0.1, 0), "first_decay_steps"),
    (lambda: S.CosineDecayRestarts(0.1, 10, t_mul=0.0), "t_mul"),
])
def test_bad_arguments_name_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_exponential_decay():
    s = S.ExponentialDecay(0.1, 10, 0.5)
    assert float(s(0)) == pytest.approx(0.1)
    assert float(s(10)) == pytest.approx(0.05, rel=1e-6)
    assert float(s(5)) == pytest.approx(0.1 * 0.5 ** 0.5, rel=1e-6)
    stair = S.ExponentialDecay(0.1, 10, 0.5, staircase=True)
    v = values(stair, range(30))
    assert (v[:10] == v[0]).all() and (v[10:20] == v[10]).all() and v[10] < v[9]


def test_inverse_time_decay():
    s = S.InverseTimeDecay(0.1, 5, 0.5)
    for step in (0, 3, 10):
        assert float(s(step)) == pytest.approx(0.1 / (1 + 0.5 * step / 5), rel=1e-6)
    stair = S.InverseTimeDecay(0.1, 5, 0.5, staircase=True)
    assert float(stair(9)) == pytest.approx(0.1 / 1.5, rel=1e-6)


def test_piecewise_constant_boundaries_belong_to_the_earlier_piece():
    s = S.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [float(s(t)) for t in (0, 10, 11, 20, 21, 1000)] == \
        pytest.approx([1.0, 1.0, 0.5, 0.5, 0.1, 0.1])


def test_polynomial_decay_reaches_the_end_rate_and_cycles():
    s = S.PolynomialDecay(0.1, 20, end_learning_rate=0.01, power=2.0)
    assert float(s(0)) == pytest.approx(0.1)
    assert float(s(20)) == pytest.approx(0.01) and float(s(100)) == pytest.approx(0.01)
    assert float(s(10)) == pytest.approx(0.09 * 0.25 + 0.01, rel=1e-6)
    c = S.PolynomialDecay(0.1, 10, end_learning_rate=0.01, cycle=True)
    v = values(c, range(31))
    assert v[10] == pytest.approx(0.01)
    assert v[11] > v[10]  # a new, twice as long, cycle starts from the top again
    assert v[20] == pytest.approx(0.01) and v[0] == pytest.approx(0.1)


def test_cosine_decay_and_warmup():
    s = S.CosineDecay(0.1, 30, alpha=0.2)
    assert float(s(0)) == pytest.approx(0.1)
    assert float(s(15)) == pytest.approx(0.1 * (0.8 * 0.5 + 0.2), rel=1e-6)
    assert float(s(30)) == pytest.approx(0.02, rel=1e-5) == float(s(300))
    w = S.CosineDecay(0.05, 20, warmup_target=0.1, warmup_steps=5)
    v = values(w, range(40))
    np.testing.assert_allclose(v[:6], 0.05 + 0.01 * np.arange(6), rtol=1e-5)
    assert v[5] == pytest.approx(0.1) and v[25] == pytest.approx(0.0, abs=1e-8)
    assert (np.diff(v[5:26]) <= 0).all()


def test_cosine_decay_restarts():
    s = S.CosineDecayRestarts(0.1, 10, t_mul=2.0, m_mul=0.5)
    v = values(s, range(31))
    assert v[0] == pytest.approx(0.1)
    assert v[10] == pytest.approx(0.05)  # restart after 10 steps, at m_mul times the top
    assert v[30] == pytest.approx(0.025)  # the second period lasts 20 steps
    assert (np.diff(v[:10]) < 0).all() and (np.diff(v[10:30]) < 0).all()
    same = S.CosineDecayRestarts(0.1, 7, t_mul=1.0)
    np.testing.assert_allclose(values(same, range(7)), values(same, range(7, 14)), rtol=1e-6)
    assert s.t_mul == 2.0 and s.m_mul == 0.5


def test_base_class_must_be_overridden():
    class Incomplete(S.LearningRateSchedule):
        pass

    with pytest.raises(NotImplementedError, match="Incomplete.*__call__"):
        Incomplete()(0)
    with pytest.raises(NotImplementedError, match="get_config"):
        Incomplete().get_config()


def test_users_schedule_serializes_with_custom_objects_or_registration():
    class StepDown(S.LearningRateSchedule):
        def __init__(self, start, every):
            self.start, self.every = start, every

        def __call__(self, step):
            return self.start * 0.1 ** math.floor(float(step) / self.every)

        def get_config(self):
            return {"start": self.start, "every": self.every}

    s = StepDown(1.0, 3)
    ser = S.serialize(s)
    assert ser["class_name"] == "StepDown" and ser["config"] == {"start": 1.0, "every": 3}
    with pytest.raises(ValueError, match="StepDown"):
        S.deserialize(ser)
    clone = S.deserialize(ser, custom_objects={"StepDown": StepDown})
    assert isinstance(clone, StepDown) and clone.every == 3
    Registered = keras.saving.register_keras_serializable("Course")(
        type("RegisteredStepDown", (StepDown,), {}))
    clone = S.deserialize(S.serialize(Registered(2.0, 5)))
    assert type(clone) is Registered
    # and it drives an optimizer
    opt = keras.optimizers.SGD(StepDown(1.0, 2))
    w = keras.Variable(np.zeros(1, "float32"), name="w")
    for _ in range(4):
        opt.apply([np.ones(1, "float32")], [w])
    np.testing.assert_allclose(w.numpy(), [-(1.0 + 1.0 + 0.1 + 0.1)], rtol=1e-6)


def test_unknown_schedule_name_suggests_the_closest():
    with pytest.raises(ValueError, match="CosineDecay"):
        S.deserialize({"class_name": "CosineDecy", "config": {}})


def test_serialized_schedule_names_keras_public_module():
    from minikeras.saving import serialize_keras_object

    cfg = serialize_keras_object(keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9))
    assert cfg["module"] == "keras.optimizers.schedules"
