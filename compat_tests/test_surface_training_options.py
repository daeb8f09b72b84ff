"""Keras rules checked here (issue 11 items 4, 9, 10):

- `compile()` without a loss trains on the losses the model adds (`add_loss`), and `fit`
  and `evaluate` then need no `y` (Keras 3); a model with no loss at all gets Keras' "No
  loss to compute" ValueError.
- `model.metrics` as Keras 3 lists it: the loss tracker, the compiled metrics as one entry
  named "compile_metrics", then the per-output loss trackers (so `len(model.metrics)` is
  Keras 3's). `metrics_names` keeps the flat names of the logs (Keras 2's meaning; see
  docs/decisions.md).
- `Model.add_variable(shape, initializer, ...)` adds a variable with the model's path.
- `SomeModelSubclass(inputs=..., outputs=...)` is a functional model of that class.
- `TerminateOnNaN` acts: NaN targets are refused up front unless a TerminateOnNaN is in
  the callbacks (the user's opt-in); then training gives a NaN loss and stops, as Keras.
- `keras.config`: `set_max_epochs`/`set_max_steps_per_epoch` cap fit (and the steps of
  evaluate/predict); interactive logging switches send progress to `logging`.

Reference values: `fixtures/configs_k3.json` (`model_api`, `terminate_on_nan`), recorded
from real Keras 3 with the same code (generate_config_fixtures.py).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os

import numpy as np
import pytest

import minikeras as keras

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = json.load(open(os.path.join(HERE, "fixtures", "configs_k3.json")))
API = FIXTURE["model_api"]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "generate_config_fixtures", os.path.join(HERE, "generate_config_fixtures.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compile_without_loss_trains_on_added_losses_as_keras():
    gen = _generator()
    x, _, w = gen.model_api_data()
    model = gen._AddLossModel.make(keras)
    model(x[:1])
    model.set_weights(w)
    model.compile(keras.optimizers.SGD(0.1))
    hist = model.fit(x, batch_size=8, epochs=3, shuffle=False, verbose=0)
    ref = API["add_loss_no_y"]
    np.testing.assert_allclose(hist.history["loss"], ref["history"]["loss"], rtol=1e-5)
    for ours, theirs in zip(model.get_weights(), ref["weights"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.evaluate(x, verbose=0), ref["evaluate"], rtol=1e-5)


def test_compile_without_any_loss_fails_at_fit_with_keras_message():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd")
    before = [v.copy() for v in model.get_weights()]
    with pytest.raises(ValueError, match="No loss to compute"):
        model.fit(np.zeros((4, 3)), np.zeros((4, 1)), verbose=0)
    assert all((a == b).all() for a, b in zip(before, model.get_weights()))


def test_model_metrics_listed_as_keras3():
    gen = _generator()
    x, y, _ = gen.model_api_data()
    for label, kwargs in {"none": {}, "two": {"metrics": ["mae", "mse"]},
                          "weighted": {"metrics": ["mae"],
                                       "weighted_metrics": ["mse"]}}.items():
        ref = API["metrics"][label]
        m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        m.compile("sgd", "mse", **kwargs)
        assert [v.name for v in m.metrics] == ref["before_fit"], label
        m.fit(x, y, verbose=0)
        assert [v.name for v in m.metrics] == ref["after_fit"], label
        assert sorted(m.evaluate(x, y, verbose=0, return_dict=True)) == ref["evaluate_keys"]
    a = keras.Input((3,), name="a")
    h = keras.layers.Dense(2, name="h")(a)
    two = keras.Model(a, [keras.layers.Dense(1, name="o1")(h),
                          keras.layers.Dense(1, name="o2")(h)])
    two.compile("sgd", {"o1": "mse", "o2": "mae"}, metrics={"o1": ["mae"]})
    two.fit(x, [y, y], verbose=0)
    assert [v.name for v in two.metrics] == API["metrics"]["two_outputs"]["after_fit"]
    # the compiled metrics' entry holds them and gives their results
    entry = two.metrics[1]
    assert [m.name for m in entry.metrics] and set(entry.result()) == \
        {m.name for m in entry.metrics}


def test_add_variable_on_a_model():
    ref = API["add_variable"]
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)], name="seq")
    v = m.add_variable((2, 3), initializer="ones", name="extra", trainable=False)
    assert v.path == ref["path"]
    assert (len(m.weights), len(m.non_trainable_weights)) == (ref["n_weights"],
                                                             ref["n_non_trainable"])
    np.testing.assert_array_equal(np.asarray(v.value), ref["value"])


def test_subclass_built_from_inputs_and_outputs_is_functional():
    ref = API["subclass_functional"]

    class Sub(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.tag = "sub"

    inp = keras.Input((3,))
    sub = Sub(inputs=inp, outputs=keras.layers.Dense(2)(inp))
    assert isinstance(sub, Sub) and isinstance(sub, keras.models.Functional)
    assert type(sub).__name__ == ref["type_name"] and sub.tag == "sub"
    assert len(sub.layers) == ref["n_layers"]
    assert sorted(sub.get_config()) == ref["config_keys"]
    assert sub.predict(np.zeros((2, 3)), verbose=0).shape == (2, 2)


def _nan_case():
    x = np.linspace(-1, 1, 64, dtype="float32").reshape(32, 2)
    y = np.ones((32, 1), dtype="float32")
    y[20] = np.nan
    return x, y


def test_nan_targets_are_refused_without_terminate_on_nan():
    x, y = _nan_case()
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="NaN"):
        model.fit(x, y, verbose=0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf/NaN arithmetic
def test_terminate_on_nan_stops_training_on_nan_loss_as_keras():
    ref = FIXTURE["terminate_on_nan"]
    x, y = _nan_case()
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    hist = model.fit(x, y, batch_size=8, epochs=3, verbose=0,
                     callbacks=[keras.callbacks.TerminateOnNaN()])
    assert hist.epoch == ref["epochs"]
    assert sorted(hist.history) == sorted(ref["history"])
    assert np.isnan(hist.history["loss"][-1]) == ref["loss_is_nan"]


def test_max_epochs_and_max_steps_per_epoch_cap_training():
    x = np.zeros((40, 2), dtype="float32")
    y = np.zeros((40, 1), dtype="float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    steps: list = []
    counter = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: steps.append(b))
    keras.config.set_max_epochs(2)
    keras.config.set_max_steps_per_epoch(3)
    try:
        assert keras.config.max_epochs() == 2 and keras.config.max_steps_per_epoch() == 3
        with pytest.warns(UserWarning, match="Limiting epochs to 2"):
            hist = model.fit(x, y, epochs=5, batch_size=4, verbose=0, callbacks=[counter])
        assert hist.epoch == [0, 1] and steps == [0, 1, 2, 0, 1, 2]
        seen: list = []
        pred_counter = keras.callbacks.LambdaCallback(
            on_predict_batch_end=lambda b, logs: seen.append(b))
        model.predict(x, batch_size=4, verbose=0, callbacks=[pred_counter])
        assert seen == [0, 1, 2]
    finally:
        keras.config.set_max_epochs(None)
        keras.config.set_max_steps_per_epoch(None)
    hist = model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert hist.epoch == [0, 1, 2]
    with pytest.raises(ValueError, match="max_epochs"):
        keras.config.set_max_epochs(0)


def test_interactive_logging_switches(capsys, caplog):
    x = np.zeros((8, 2), dtype="float32")
    y = np.zeros((8, 1), dtype="float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    assert keras.config.is_interactive_logging_enabled()
    keras.config.disable_interactive_logging()
    try:
        assert not keras.config.is_interactive_logging_enabled()
        with caplog.at_level(logging.INFO, logger="minikeras"):
            model.fit(x, y, epochs=1, verbose=2)
        assert capsys.readouterr().out == ""
        assert any("loss" in r.getMessage() for r in caplog.records)
    finally:
        keras.config.enable_interactive_logging()
    model.fit(x, y, epochs=1, verbose=2)
    assert "loss" in capsys.readouterr().out


def test_config_getters_and_setters():
    for getter, setter, value in [("floatx", "set_floatx", "float64"),
                                  ("epsilon", "set_epsilon", 1e-5),
                                  ("image_data_format", "set_image_data_format",
                                   "channels_first")]:
        old = getattr(keras.config, getter)()
        getattr(keras.config, setter)(value)
        try:
            assert getattr(keras.config, getter)() == value
            assert getattr(keras.backend, getter)() == value
        finally:
            getattr(keras.config, setter)(old)


# --- cases of Keras 3's keras/src/callbacks/terminate_on_nan_test.py ----------------------

@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf/NaN arithmetic
def test_keras_spec_terminate_on_nan_graceful_stop_with_inf_targets():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.array([[1.0], [2.0]])
    y = np.array([[np.inf], [np.inf]])
    history = model.fit(x, y, epochs=2, batch_size=1, verbose=0,
                        callbacks=[keras.callbacks.TerminateOnNaN(raise_error=False)])
    assert len(history.history["loss"]) < 4


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf/NaN arithmetic
def test_keras_spec_terminate_on_nan_raise_error_skips_on_train_end():
    class Tracking(keras.callbacks.Callback):
        train_end_called = False

        def on_train_end(self, logs=None):
            self.train_end_called = True

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    tracking = Tracking()
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered"):
        model.fit(np.array([[1.0]]), np.array([[np.inf]]), epochs=1, verbose=0,
                  callbacks=[tracking, keras.callbacks.TerminateOnNaN(raise_error=True)])
    assert not tracking.train_end_called


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf/NaN arithmetic
def test_keras_spec_terminate_on_nan_diverging_weights():
    rng = np.random.RandomState(1337)
    x = rng.random_sample((10, 3))
    y = keras.utils.to_categorical(rng.choice(2, size=10), 2)
    model = keras.Sequential([keras.Input((3,))] + [
        keras.layers.Dense(2, activation="relu",
                           kernel_initializer=keras.initializers.Constant(1e5))
        for _ in range(5)] + [keras.layers.Dense(2)])
    model.compile(loss="mean_squared_error", optimizer="sgd")
    history = model.fit(x, y, batch_size=4, validation_data=(x, y), epochs=20, verbose=0,
                        callbacks=[keras.callbacks.TerminateOnNaN()])
    loss = history.history["loss"]
    assert len(loss) == 1 and not np.isfinite(loss[0])


# --- cases of Keras 3's keras/src/trainers/trainer_test.py -------------------------------

def test_keras_spec_metric_tracking():
    class ModelWithMetric(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(3, use_bias=False, kernel_initializer="ones")
            self.my_metric = keras.metrics.MeanSquaredError(name="my_metric")

        def call(self, x):
            return self.dense(x)

    for kwargs in ({"metrics": [keras.metrics.MeanSquaredError()]},
                   {"weighted_metrics": [keras.metrics.MeanSquaredError()]}):
        model = ModelWithMetric()
        model.compile(optimizer=keras.optimizers.SGD(), loss=keras.losses.MeanSquaredError(),
                      **kwargs)
        model.fit(np.ones((2, 4)), np.zeros((2, 3)), batch_size=2, epochs=1, verbose=0)
        assert len(model.metrics) == 3
        assert model.metrics[0] is model._loss_tracker
        assert model.metrics[1] is model.compiled_metrics
        assert model.metrics[2] is model.my_metric
        assert len(model.metrics_variables) == sum(len(m.variables) for m in model.metrics)


@pytest.mark.filterwarnings("ignore:Gradients do not exist")  # the last Dense (as Keras)
def test_keras_spec_internal_only_loss():
    class LossLayer(keras.layers.Layer):
        def call(self, x):
            self.add_loss(keras.ops.sum(x))
            return x

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2), LossLayer(),
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam")
    history = model.fit(np.ones((16, 2)), np.zeros((16, 1)), batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_model_compiled_without_a_loss_saves_and_loads_compiled(tmp_path):
    x = np.ones((8, 3), dtype="float32")
    model = keras.Sequential([keras.Input((3,)),
                              keras.layers.Dense(2, activity_regularizer="l2")])
    model.compile("sgd")
    model.fit(x, epochs=1, verbose=0)
    for suffix in (".keras", ".h5"):
        model.save(tmp_path / f"m{suffix}")
        again = keras.saving.load_model(tmp_path / f"m{suffix}")
        assert again.compiled
        np.testing.assert_allclose(again.evaluate(x, verbose=0),
                                   model.evaluate(x, verbose=0), rtol=1e-6)
