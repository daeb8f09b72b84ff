"""Fixes for behaviours found by running course scripts against minikeras and real Keras."""
import json
import os
import warnings

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers


# --- 1. a missing or extra trailing size-1 input axis --------------------------------------
# Keras 3 (Functional._adjust_input_rank, used by Sequential too) and Keras 2 (Functional's
# input standardisation) add a missing trailing axis of size 1 ((N, 6, 6) data for
# Input((6, 6, 1)), (N,) for Input((1,))) and squeeze an extra one ((N, 4, 1) for Input((4,))),
# in fit, evaluate, predict and model(x). Any other rank mismatch is an error.

def test_missing_trailing_axis_added_in_fit_evaluate_predict_call():
    rng = np.random.RandomState(0)
    x3 = rng.rand(8, 6, 6).astype("float32")
    y = np.eye(2)[rng.randint(0, 2, 8)]
    cnn = keras.Sequential([keras.Input((6, 6, 1)), layers.Conv2D(2, 3), layers.Flatten(),
                            layers.Dense(2, activation="softmax")])
    cnn.compile("sgd", "categorical_crossentropy")
    cnn.fit(x3, y, epochs=1, verbose=0)
    cnn.evaluate(x3, y, verbose=0)
    want = cnn.predict(x3[..., None], verbose=0)
    np.testing.assert_allclose(cnn.predict(x3, verbose=0), want, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(cnn(x3)), want, rtol=1e-5)


def test_one_d_data_into_input_of_one_unit():
    x1 = np.linspace(0, 1, 10).astype("float32")
    for model in (keras.Sequential([keras.Input((1,)), layers.Dense(1)]),
                  keras.Sequential([layers.Dense(1, input_shape=(1,))])):
        model.compile("sgd", "mse")
        model.fit(x1, 2 * x1 + 1, epochs=1, verbose=0)
        assert model.predict(x1[:3], verbose=0).shape == (3, 1)


def test_extra_trailing_axis_squeezed_functional():
    inp = keras.Input((4,))
    m = keras.Model(inp, layers.Dense(2)(inp))
    x = np.random.RandomState(1).rand(3, 4, 1)
    np.testing.assert_allclose(m.predict(x, verbose=0), m.predict(x[..., 0], verbose=0))
    np.testing.assert_allclose(np.asarray(m(x)), m.predict(x[..., 0], verbose=0), rtol=1e-5)
    inp = keras.Input((5, 1))
    f = keras.Model(inp, layers.LSTM(2)(inp))
    assert f.predict(np.zeros((3, 5)), verbose=0).shape == (3, 2)


def test_other_rank_mismatch_still_an_error():
    m = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
    with pytest.raises(ValueError, match="shape"):
        m.predict(np.zeros((3, 4, 2)), verbose=0)
    m2 = keras.Sequential([keras.Input((4, 2)), layers.Dense(2)])
    with pytest.raises(ValueError, match="shape"):
        m2.predict(np.zeros((3, 4)), verbose=0)


# --- 2. a layer whose call takes several positional tensors ---------------------------------
# keras.io's "Training & evaluation with the built-in methods" guide: LogisticEndpoint's
# `call(self, targets, logits, sample_weights=None)` called as `layer(targets, logits)` on
# KerasTensors. Keras 3 infers the output from a call with every positional tensor, builds the
# graph and trains with the add_loss loss only (history {'loss': [...]}).

class _LogisticEndpoint(keras.layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, targets, logits, sample_weights=None):
        self.add_loss(self.loss_fn(targets, logits, sample_weights))
        return keras.ops.softmax(logits)


def test_layer_called_with_two_keras_tensors():
    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    dense = layers.Dense(10)
    predictions = _LogisticEndpoint(name="predictions")(targets, dense(inputs))
    assert predictions.shape == (None, 10)
    model = keras.Model(inputs=[inputs, targets], outputs=predictions)
    model.compile(optimizer="adam")
    rng = np.random.RandomState(0)
    data = {"inputs": rng.random_sample((3, 3)), "targets": rng.random_sample((3, 10))}
    history = model.fit(data, verbose=0, epochs=2)
    assert list(history.history) == ["loss"] and len(history.history["loss"]) == 2
    # the loss is the endpoint's binary cross-entropy of the targets and the logits (numpy)
    w, b = (np.asarray(v, dtype=np.float64) for v in dense.get_weights())
    z = data["inputs"] @ w + b
    t = data["targets"]
    bce = np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))
    np.testing.assert_allclose(model.evaluate(data, verbose=0), bce, rtol=1e-5)


# --- 3. predict_generator on a generator of bare input arrays -------------------------------
# tf_keras (Keras 2) takes a batch that is not a tuple as the inputs alone, so
# `predict_generator(x_batch for ...)` works there. Keras 3's `predict(generator)` refuses a bare
# array ("the generator must return a tuple, either (input,) or ..."); so does ours.

def test_predict_generator_accepts_bare_arrays_predict_does_not():
    x = np.random.RandomState(0).rand(32, 4).astype("float32")
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3)])

    def gen():
        while True:
            for i in range(0, 32, 16):
                yield x[i:i + 16]

    out = model.predict_generator(gen(), steps=2)
    np.testing.assert_allclose(out, model.predict(x, verbose=0), rtol=1e-6)
    with pytest.raises(ValueError, match="tuple"):
        model.predict(gen(), steps=2, verbose=0)


# --- 4. fit(arrays, steps_per_epoch=k) with k below the number of batches -------------------
# Keras 3 (and tf_keras) keep one pass over the data across epochs: with 70 samples, batch 32
# (3 batches) and steps_per_epoch=2, epoch 1 takes batches 0-1, epoch 2 only batch 2 (it ran
# out: warning), epoch 3 batches 0-1 again. Reference: compat_tests/generate_fixes_fixtures.py.

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "compat_tests", "fixtures",
                       "fixes_k3.json")


def test_steps_per_epoch_carries_the_pass_across_epochs():
    with open(FIXTURE) as f:
        ref = json.load(f)["steps_per_epoch"]
    x, y = np.asarray(ref["x"], "float32"), np.asarray(ref["y"], "float32")
    for key, case in ref["cases"].items():
        m = keras.Sequential([keras.Input((4,)), layers.Dense(3)])
        m.set_weights([np.asarray(ref["kernel0"], "float32"), np.zeros(3, "float32")])
        m.compile(keras.optimizers.SGD(0.1), "mse")
        seen: list = []
        cb = keras.callbacks.LambdaCallback(
            on_train_batch_end=lambda b, logs, seen=seen: seen.append(float(logs["loss"])))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            h = m.fit(x, y, batch_size=32, epochs=case["epochs"], verbose=0, shuffle=False,
                      steps_per_epoch=case["steps_per_epoch"], callbacks=[cb])
        np.testing.assert_allclose(h.history["loss"], case["loss"], rtol=1e-5, err_msg=key)
        np.testing.assert_allclose(seen, case["batch_logs"], rtol=1e-5, err_msg=key)
        np.testing.assert_allclose(m.get_weights()[0], case["kernel"], rtol=1e-5, atol=1e-6)
        assert sum("ran out of data" in str(w.message) for w in caught) == \
            case["ran_out_warnings"], key


# --- 5. Normalization(axis=None) adapted on a 1-D array -------------------------------------
# Keras 3.15 (jax): adapt(x of shape (4,)) gives mean.shape (1,), and the layer maps (4,) to
# (4,), (4, 1) to (4, 1) and (2, 3, 5) to (2, 3, 5) (one scalar mean and variance).

def test_normalization_axis_none_keeps_one_d_inputs_one_d():
    x = np.array([1.0, 2.0, 3.0, 4.0], "float32")
    n = layers.Normalization(axis=None)
    n.adapt(x)
    assert tuple(n.mean.shape) == (1,)
    np.testing.assert_allclose(np.asarray(n(x)), (x - x.mean()) / x.std(), rtol=1e-5)
    assert tuple(n(x[:, None]).shape) == (4, 1)
    assert tuple(n(np.ones((2, 3, 5))).shape) == (2, 3, 5)


# --- 6. Keras 2 spellings: keras.utils.np_utils, Sequential.predict_classes/predict_proba ---
# Keras 2.3's Sequential.predict_classes: argmax over the last axis of `predict`, or
# (p > 0.5).astype('int32') for a one-unit output; predict_proba: `predict` (warning when
# values leave [0, 1]). keras.utils.np_utils held to_categorical and normalize.

def test_keras2_np_utils_and_predict_classes():
    from minikeras.utils import np_utils

    np.testing.assert_array_equal(np_utils.to_categorical([0, 2], 3), [[1, 0, 0], [0, 0, 1]])
    np.testing.assert_allclose(np_utils.normalize(np.array([[3.0, 4.0]])), [[0.6, 0.8]])
    x = np.random.RandomState(0).rand(5, 4).astype("float32")
    multi = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    p = multi.predict(x, verbose=0)
    np.testing.assert_array_equal(multi.predict_classes(x), p.argmax(axis=-1))
    np.testing.assert_array_equal(multi.predict_proba(x), p)
    one = keras.Sequential([keras.Input((4,)), layers.Dense(1, activation="sigmoid",
                                                            bias_initializer="ones")])
    classes = one.predict_classes(x)
    assert classes.dtype == np.int32 and classes.shape == (5, 1)
    np.testing.assert_array_equal(classes, (one.predict(x, verbose=0) > 0.5).astype("int32"))
    linear = keras.Sequential([keras.Input((4,)), layers.Dense(1, kernel_initializer="ones")])
    with pytest.warns(UserWarning, match="invalid probability"):
        linear.predict_proba(x + 1)


# --- 7. saving a model with a Lambda layer ---------------------------------------------------
# Keras 2 and 3 save a Lambda: a Python lambda as its marshalled bytecode, a named function (in
# Keras 3) as {"module": "builtins", "class_name": "function", "config": <name>,
# "registered_name": "function"} (Keras 3.15's Lambda.get_config, recorded). minikeras writes
# Keras 3's form (compat_tests/check_lambda_files_in_keras.py: Keras 3 loads both files),
# resolves a named function through custom_objects, and never reads bytecode back.

def _double_it(x):
    return x * 2


def test_lambda_of_named_function_saves_and_loads(tmp_path):
    m = keras.Sequential([keras.Input((3,)), layers.Lambda(_double_it), layers.Dense(2)])
    assert m.layers[0].get_config()["function"] == {
        "module": "builtins", "class_name": "function", "config": "_double_it",
        "registered_name": "function"}
    x = np.arange(6, dtype="float32").reshape(2, 3)
    for name in ("m.keras", "m.h5"):
        m.save(tmp_path / name)
        back = keras.models.load_model(tmp_path / name, custom_objects={"_double_it": _double_it})
        np.testing.assert_allclose(back.predict(x, verbose=0), m.predict(x, verbose=0))
        with pytest.raises((ValueError, TypeError), match="_double_it"):
            keras.models.load_model(tmp_path / name)


def test_lambda_of_python_lambda_saves_but_never_loads(tmp_path):
    m = keras.Sequential([keras.Input((3,)), layers.Lambda(lambda t: t + 1.0),
                          layers.Dense(1)])
    m.compile("sgd", "mse")
    x = np.ones((4, 3), "float32")
    ckpt = keras.callbacks.ModelCheckpoint(str(tmp_path / "ck.keras"))
    m.fit(x, np.ones((4, 1)), epochs=1, verbose=0, callbacks=[ckpt])
    assert m.layers[0].get_config()["function"]["class_name"] == "__lambda__"
    m.save(tmp_path / "m.h5")
    for name in ("ck.keras", "m.h5"):
        for safe_mode in (True, False):
            with pytest.raises(ValueError, match="(?s)Lambda.*never executes code.*"
                                                 "custom_objects"):
                keras.models.load_model(tmp_path / name, safe_mode=safe_mode)


def test_no_minikeras_source_unmarshals():
    root = os.path.join(os.path.dirname(__file__), "..", "minikeras")
    for folder, _, files in os.walk(root):
        for f in files:
            if f.endswith(".py"):
                with open(os.path.join(folder, f)) as fh:
                    assert "marshal.load" not in fh.read(), f


# --- 8. layers.Dot / layers.dot ---------------------------------------------------------------
# Reference: Keras 3.15 (jax) Dot(axes, normalize) outputs and compute_output_shape, recorded by
# compat_tests/generate_fixes_fixtures.py.

def _dot_cases():
    with open(FIXTURE) as f:
        return json.load(f)["dot"]


def test_dot_matches_keras3():
    for case in _dot_cases():
        x, y = np.asarray(case["x"], "float32"), np.asarray(case["y"], "float32")
        axes = case["axes"]
        layer = layers.Dot(axes=axes, normalize=case["normalize"])
        out = np.asarray(layer([x, y]))
        assert list(out.shape) == case["out_shape"], case["axes"]
        np.testing.assert_allclose(out, case["out"], rtol=1e-5, atol=1e-6)
        sym = layer.compute_output_shape([(None,) + x.shape[1:], (None,) + y.shape[1:]])
        assert list(sym) == case["symbolic_shape"]
        a, b = keras.Input(x.shape[1:]), keras.Input(y.shape[1:])
        model = keras.Model([a, b], layers.dot([a, b], axes=axes, normalize=case["normalize"]))
        np.testing.assert_allclose(model.predict([x, y], verbose=0), case["out"], rtol=1e-5,
                                   atol=1e-6)
    back = layers.Dot.from_config(layers.Dot(axes=(2, 1), normalize=True).get_config())
    assert back.axes == (2, 1) and back.normalize


def test_dot_gradients_and_errors():
    from tests.gradcheck import check_gradients, layer_fn

    rng = np.random.RandomState(3)
    for axes, sx, sy, normalize in [((2, 1), (2, 3, 4), (2, 4, 5), False),
                                    (-1, (2, 4), (2, 4), True),
                                    ([3, 1], (2, 2, 3, 4), (2, 4, 5), True)]:
        layer = layers.Dot(axes=axes, normalize=normalize, dtype="float64")
        check_gradients(layer_fn(layer, n_inputs=2), [rng.randn(*sx), rng.randn(*sy)])
    with pytest.raises(ValueError, match=r"axis values 4 \(at axis 2\) != 5"):
        layers.Dot(axes=2)([np.ones((2, 3, 4)), np.ones((2, 3, 5))])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Dot(axes=1)([np.ones((2, 3))] * 3)
    with pytest.raises(TypeError, match="axes"):
        layers.Dot(axes="last")
