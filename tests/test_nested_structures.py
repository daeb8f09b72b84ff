"""Cases of Keras 3's own tests (keras/src/models/functional_test.py, trainers/trainer_test.py)
for nested inputs and outputs, optional inputs, evaluate's order and steps_per_execution.
Each test names the Keras rule it checks; values recorded from Keras are in
compat_tests/test_nested_compat.py."""

import warnings

import numpy as np
import pytest

import minikeras as keras
from minikeras import Input, Model, layers
from minikeras.layers.layer import flatten_structure
from minikeras.utils import naming


@pytest.fixture(autouse=True, scope="module")
def _keep_automatic_names():
    # other modules compare automatic names recorded from Keras
    saved = dict(naming._UIDS)
    yield
    naming._UIDS.clear()
    naming._UIDS.update(saved)


class OptionalInputLayer(layers.Layer):
    def call(self, x, y=None):
        return x + y if y is not None else x

    def compute_output_shape(self, x_shape, y_shape=None):
        return x_shape


def _optional_model(optional=True):
    i1 = Input((2,), name="input1")
    i2 = Input((2,), name="input2", optional=optional)
    return Model({"input1": i1, "input2": i2}, OptionalInputLayer()(i1, i2))


def test_optional_dict_inputs():
    # Keras: an optional input of a dict-input model may be None (test_optional_dict_inputs)
    model = _optional_model()
    out = model({"input1": np.ones((2, 2)), "input2": None})
    np.testing.assert_allclose(np.asarray(out), np.ones((2, 2)))
    out = model({"input1": np.ones((2, 2)), "input2": np.ones((2, 2))})
    np.testing.assert_allclose(np.asarray(out), 2 * np.ones((2, 2)))


def test_optional_and_required_mixed_structures():
    # Keras: a dict-input model also takes its inputs as a list, None for the optional one
    model = _optional_model()
    np.testing.assert_allclose(np.asarray(model([np.ones((2, 2)), None])), np.ones((2, 2)))


def test_required_input_none_raises():
    # Keras: None for a required input is a ValueError "... is not optional ..."
    model = _optional_model(optional=False)
    with pytest.raises(ValueError, match="not optional"):
        model({"input1": np.ones((2, 2)), "input2": None})


def test_optional_input_round_trips_in_config():
    model = _optional_model()
    layer = next(x for x in model.layers if x.name == "input2")
    assert layer.optional and layer.get_config()["optional"] is True
    again = layers.InputLayer.from_config(layer.get_config())
    assert again.optional


def test_input_dict_with_extra_field_warns_and_ignores_it():
    # Keras: extra keys are ignored, with a warning about the structure of `inputs`
    a = Input(shape=(3,), name="a")
    model = Model({"a": a}, layers.Dense(2)(a))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        out = model({"a": np.ones((2, 3)), "b": np.ones((2, 1))})
    assert out.shape == (2, 2)
    assert any(str(w.message).startswith("The structure of `inputs` doesn't match") for w in
               record)


def test_dict_input_keys_that_differ_from_tensor_names_warn():
    # Keras: "When providing `inputs` as a dict, all keys in the dict must match the names
    # of the corresponding tensors" (a warning; the model works by the dict's keys)
    a = Input((3,), name="tensor_a")
    with pytest.warns(UserWarning, match="must match the names"):
        model = Model({"a": a}, layers.Dense(1)(a))
    assert model({"a": np.ones((2, 3))}).shape == (2, 1)


def test_unmodified_inputs_and_dict_outputs():
    # Keras: dict inputs and dict outputs, called eagerly, return a dict
    i1, i2 = Input((2,), name="input1"), Input((2,), name="input2")
    model = Model({"input1": i1, "input2": i2},
                  {"output1": layers.Dense(2, name="d")(i1), "output2": layers.Identity()(i2)})
    out = model({"input1": np.ones((2, 2)), "input2": np.zeros((2, 2))})
    assert isinstance(out, dict) and set(out) == {"output1", "output2"}
    np.testing.assert_allclose(np.asarray(out["output2"]), np.zeros((2, 2)))
    pred = model.predict({"input1": np.ones((5, 2)), "input2": np.zeros((5, 2))}, verbose=0,
                         batch_size=2)
    assert isinstance(pred, dict) and pred["output1"].shape == (5, 2)


def test_evaluate_return_list_respects_metrics_order():
    # Keras (trainer_test): one output's metrics come in compile order
    def metrics_zero(y_true, y_pred):
        return keras.ops.zeros(())

    def metrics_one(y_true, y_pred):
        return keras.ops.ones(())

    x, y = np.ones((3, 2)), np.ones((3, 3))
    for order, want in (([metrics_zero, metrics_one], [0.0, 1.0]),
                        ([metrics_one, metrics_zero], [1.0, 0.0])):
        model = keras.Sequential([Input((2,)), layers.Dense(3)])
        model.compile(optimizer="sgd", loss="mse", metrics=order)
        out = model.evaluate(x, y, verbose=0)
        assert len(out) == 3 and out[1:] == want


@pytest.mark.parametrize("steps_per_execution", [1, 3, 8, 32])
def test_steps_per_execution_steps_count(steps_per_execution):
    # Keras (trainer_test): batch hooks 1 + (n - 1) // (spe * batch) times per epoch, and
    # the same numbers as steps_per_execution=1
    data_size, batch_size, epochs = 100, 16, 2
    x, y = np.ones((data_size, 4)), np.ones((data_size, 1))
    counts = {"begin": 0, "end": 0}

    class StepCount(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            counts["begin"] += 1

        def on_train_batch_end(self, batch, logs=None):
            counts["end"] += 1

    def make(spe):
        model = keras.Sequential([Input((4,)), layers.Dense(1, kernel_initializer="ones")])
        model.compile(loss="mse", optimizer="sgd", steps_per_execution=spe)
        return model

    model, model_2 = make(steps_per_execution), make(1)
    h = model.fit(x, y, batch_size=batch_size, epochs=epochs, callbacks=[StepCount()],
                  verbose=0)
    h2 = model_2.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    per_epoch = 1 + (data_size - 1) // (steps_per_execution * batch_size)
    assert counts == {"begin": per_epoch * epochs, "end": per_epoch * epochs}
    np.testing.assert_allclose(h.history["loss"], h2.history["loss"])
    np.testing.assert_allclose(model.predict(x, batch_size=batch_size, verbose=0),
                               model_2.predict(x, batch_size=batch_size, verbose=0))
    assert model.evaluate(x, y, verbose=0) == model_2.evaluate(x, y, verbose=0)


def test_single_output_float_loss_weight():
    # Keras (trainer_test.test_loss_weights): a float weight scales the one loss
    x, y = np.ones((8, 4)), np.zeros((8, 3))
    losses = []
    for w in (None, 0.2):
        model = keras.Sequential([Input((4,)), layers.Dense(3, kernel_initializer="ones")])
        model.compile(optimizer="sgd", loss="mse", loss_weights=w)
        losses.append(model.evaluate(x, y, verbose=0))
    np.testing.assert_allclose(losses[1], 0.2 * losses[0], rtol=1e-6)


@pytest.mark.parametrize("ext", [".keras", ".h5"])
@pytest.mark.parametrize("name", ["dict_dict_loss", "nested_outputs"])
def test_dict_and_nested_outputs_survive_saving(tmp_path, name, ext):
    # Keras 3 writes `input_layers`/`output_layers` in the model's structure (a dict, nested
    # lists), so a loaded model predicts the same structure and compiles with the same
    # losses and metrics (Keras 3 loads these minikeras files too: checked by hand)
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "compat_tests"))
    import cases_nested

    arr = cases_nested.make_arrays()
    case = next(c for c in cases_nested.CASES if c["name"] == name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = cases_nested.build_model(keras, case["model"])
        model.compile(**cases_nested.compile_kwargs(keras, case))
        x, y = cases_nested.x_data(case["x"], arr), cases_nested.y_data(case["y"], arr)
        model.fit(x, y, epochs=1, verbose=0)
        path = str(tmp_path / f"m{ext}")
        model.save(path)
        again = keras.models.load_model(path)
    want, got = model.evaluate(x, y, verbose=0, return_dict=True), \
        again.evaluate(x, y, verbose=0, return_dict=True)
    assert set(want) == set(got)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-6)
    p1, p2 = model.predict(x, verbose=0), again.predict(x, verbose=0)
    assert type(p1) is type(p2)
    flat1, flat2 = flatten_structure(p1), flatten_structure(p2)
    assert len(flat1) == len(flat2) == len(flatten_structure(model.outputs))
    for a, b in zip(flat1, flat2):
        np.testing.assert_allclose(a, b, rtol=1e-6)
