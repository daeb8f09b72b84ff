"""The inference plan (minikeras/trainers/inference_plan.py) and the BLAS thread choice
(minikeras/trainers/threads.py): predict and evaluate through the plan must give bit-for-bit
the outputs, losses and metrics of calling the layers; anything the plan does not know
falls back to the model's call."""

import numpy as np
import pytest

import minikeras as keras
from minikeras.trainers import inference_plan
from minikeras.trainers import threads, trainer

L = keras.layers


def _layers(kind):
    if kind == "relu_softmax":
        return [keras.Input(shape=(6,)), L.Dense(16, "relu"), L.Dropout(0.5),
                L.Dense(3, "softmax")]
    if kind == "tanh_sigmoid":
        return [keras.Input(shape=(6,)), L.Dense(8, "tanh"), L.Dense(5, use_bias=False),
                L.Activation("relu"), L.Dense(3, "sigmoid")]
    if kind == "linear":
        return [keras.Input(shape=(6,)), L.Dense(5), L.Dense(7), L.Dense(3)]
    if kind == "activation_layer":
        return [keras.Input(shape=(6,)), L.Dense(9, "relu"), L.Dense(3), L.Activation("softmax")]
    raise AssertionError(kind)


def _model(kind, functional):
    layers = _layers(kind)
    if not functional:
        return keras.Sequential(layers)
    x = layers[0]
    for layer in layers[1:]:
        x = layer(x)
    return keras.Model(layers[0], x)


def _no_plan(monkeypatch):
    monkeypatch.setattr(trainer, "plan_inference", lambda model: None)


@pytest.mark.parametrize("functional", [False, True], ids=["sequential", "functional"])
@pytest.mark.parametrize("kind", ["relu_softmax", "tanh_sigmoid", "linear",
                                  "activation_layer"])
def test_predict_and_evaluate_are_bit_identical(kind, functional, monkeypatch):
    keras.utils.set_random_seed(1)
    model = _model(kind, functional)
    loss = "binary_crossentropy" if kind == "tanh_sigmoid" else "categorical_crossentropy"
    model.compile("sgd", loss, metrics=["accuracy"])
    assert inference_plan.plan_inference(model) is not None
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(70, 6)) * 3).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 70)]
    calls = [dict(batch_size=32), dict(batch_size=1), dict(batch_size=128)]
    planned = [model.predict(x, verbose=0, **c) for c in calls]
    planned.append(model.predict(x[:1], verbose=0))
    planned.append(model.predict(x, verbose=0, steps=2, batch_size=16))  # capped by steps
    planned_eval = model.evaluate(x, y, batch_size=32, verbose=0)
    with monkeypatch.context() as m:
        _no_plan(m)
        plain = [model.predict(x, verbose=0, **c) for c in calls]
        plain.append(model.predict(x[:1], verbose=0))
        plain.append(model.predict(x, verbose=0, steps=2, batch_size=16))
        m.setattr(trainer.Trainer, "_infer_plan", None)
        m.setattr(trainer, "plan_inference", lambda model: None)
        plain_eval = model.evaluate(x, y, batch_size=32, verbose=0)
    for a, b in zip(planned, plain):
        assert a.shape == b.shape and a.dtype == b.dtype
        assert np.array_equal(a, b)
    assert planned[-1].shape == (32, 3)
    assert planned_eval == plain_eval


def test_training_with_validation_is_bit_identical(monkeypatch):
    def run(plan):
        keras.utils.set_random_seed(2)
        model = _model("relu_softmax", False)
        model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
        rng = np.random.default_rng(0)
        x = rng.normal(size=(48, 6)).astype("float32")
        y = np.eye(3, dtype="float32")[rng.integers(0, 3, 48)]
        with monkeypatch.context() as m:
            if not plan:
                m.setattr(trainer, "plan_inference", lambda model: None)
            h = model.fit(x, y, batch_size=8, epochs=2, validation_split=0.25, verbose=0)
        return h.history

    assert run(True) == run(False)


def test_unknown_layers_and_inputs_fall_back():
    model = keras.Sequential([keras.Input(shape=(4,)), L.Dense(5, "elu"), L.Dense(2)])
    assert inference_plan.plan_inference(model) is None  # an activation it does not know
    model = keras.Sequential([keras.Input(shape=(4,)), L.Dense(5), L.BatchNormalization()])
    assert inference_plan.plan_inference(model) is None
    model = keras.Sequential([keras.Input(shape=(4,)), L.Dense(5, activity_regularizer="l2")])
    assert inference_plan.plan_inference(model) is None
    model = keras.Sequential([keras.Input(shape=(4,)), L.Dense(5), L.Dense(2)])
    plan = inference_plan.plan_inference(model)
    assert plan is not None and plan.fits(np.zeros((3, 4), "float32"))
    assert not plan.fits(np.zeros((3, 4), "float64"))
    assert not plan.fits(np.zeros((3, 5), "float32"))
    # a wrong feature count still raises the model's own error
    with pytest.raises(ValueError, match="incompatible"):
        model.predict(np.zeros((3, 5), "float32"), verbose=0)
    # integer and float64 inputs are cast as before
    ints = np.arange(12).reshape(3, 4)
    assert np.array_equal(model.predict(ints, verbose=0),
                          model.predict(ints.astype("float32"), verbose=0))
    # layers added after a predict are seen by the next one
    model.add(L.Dense(1))
    assert model.predict(ints, verbose=0).shape == (3, 1)


def test_predict_with_callbacks_sees_every_batch():
    model = keras.Sequential([keras.Input(shape=(4,)), L.Dense(2)])
    seen = []

    class Spy(keras.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            seen.append((batch, logs["outputs"][0].shape))

    out = model.predict(np.ones((10, 4), "float32"), batch_size=4, verbose=0,
                        callbacks=[Spy()])
    assert out.shape == (10, 2)
    assert seen == [(0, (4, 2)), (1, (4, 2)), (2, (2, 2))]


class _FakeBlas:
    def __init__(self, n):
        self.num_threads = n
        self.calls = []

    def set_num_threads(self, n):
        self.calls.append(n)
        self.num_threads = n


def test_small_products_run_on_one_blas_thread(monkeypatch):
    for var in threads._ENV:
        monkeypatch.delenv(var, raising=False)
    fake = _FakeBlas(2)
    monkeypatch.setattr(threads, "_controllers", [fake])
    with threads.threads_for(32 * 64 * 128):
        assert fake.num_threads == 1
    assert fake.num_threads == 2 and fake.calls == [1, 2]
    with threads.threads_for(256 * 1024 * 1024):  # large: every core
        assert fake.num_threads == 2
    with threads.threads_for(None):  # unknown (a convolution...): left alone
        assert fake.num_threads == 2
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")  # the user's choice wins
    with threads.threads_for(10):
        assert fake.num_threads == 2
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    # fit restores the count even when it fails
    model = keras.Sequential([keras.Input(shape=(4,)), L.Dense(3)])
    model.compile("sgd", "mse")
    assert threads.largest_product(model, 32) == 32 * 12
    model.fit(np.ones((8, 4), "float32"), np.ones((8, 3), "float32"), verbose=0)
    assert fake.num_threads == 2 and fake.calls[-2:] == [1, 2]
    with pytest.raises(ValueError):
        model.fit(np.ones((8, 4), "float32"), np.ones((7, 3), "float32"), verbose=0)
    assert fake.num_threads == 2
    conv = keras.Sequential([keras.Input(shape=(8, 8, 1)), L.Conv2D(2, 3)])
    assert threads.largest_product(conv, 32) is None


@pytest.mark.parametrize("kind,loss", [("linear", "mse"),
                                       ("relu_softmax", "categorical_crossentropy"),
                                       ("activation_layer", "categorical_crossentropy"),
                                       ("tanh_sigmoid", "binary_crossentropy")])
def test_evaluate_loss_alone_is_bit_identical(kind, loss, monkeypatch):
    """Without metrics, evaluate computes only the loss through the plan."""
    keras.utils.set_random_seed(4)
    model = _model(kind, False)
    model.compile("sgd", loss)
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(70, 6)) * 3).astype("float32")
    y = rng.uniform(size=(70, 3)).astype("float32")
    if loss == "categorical_crossentropy":
        y = np.eye(3, dtype="float32")[rng.integers(0, 3, 70)]
    calls = []
    original = inference_plan.InferencePlan.loss_function

    def spy(self, model, y):
        fn = original(self, model, y)
        calls.append(fn is not None)
        return fn

    monkeypatch.setattr(inference_plan.InferencePlan, "loss_function", spy)
    planned = [model.evaluate(x, y, batch_size=b, verbose=0) for b in (32, 7)]
    assert calls == [loss != "binary_crossentropy"] * 2
    with monkeypatch.context() as m:
        m.setattr(trainer.Trainer, "_infer_plan", None)
        m.setattr(trainer, "plan_inference", lambda model: None)
        plain = [model.evaluate(x, y, batch_size=b, verbose=0) for b in (32, 7)]
    assert planned == plain
