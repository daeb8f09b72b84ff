"""Issue 10's bug fixes against real Keras (fixtures/gen_misc_k2.*, gen_misc_k3.*, and the
tf_keras file files/gen_k2/custom_metric.h5; generator: generate_gen_misc_fixtures.py)."""

import json
import os

import numpy as np
import pytest

import minikeras as keras

import cases_gen_misc as cases

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(major):
    stem = os.path.join(HERE, "fixtures", f"gen_misc_k{major}")
    with open(stem + ".json") as f:
        meta = json.load(f)
    with np.load(stem + ".npz") as z:
        return meta, {k: z[k] for k in z.files}


K2, K3 = _load(2), _load(3)


@pytest.mark.parametrize("major", [2, 3])
def test_h5_with_a_custom_metric_reloads_and_evaluates_as_keras(major):
    # Keras resolves the metric from custom_objects while loading; we did it at the first
    # batch, after custom_objects were gone ("Unknown metric: 'my_metric'")
    meta, _ = K2 if major == 2 else K3
    folder = f"gen_k{major}"
    model = keras.models.load_model(os.path.join(HERE, "files", folder, "custom_metric.h5"),
                                    custom_objects={"my_metric": cases.make_my_metric(keras)})
    x, y = cases.data()
    got = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    want = meta["custom_metric_evaluate"]
    assert set(got) == set(want)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-5, err_msg=k)


def test_own_h5_with_a_custom_metric_reloads_and_evaluates(tmp_path):
    x, y = cases.data()
    model = cases.metric_model(keras)
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.h5")
    loaded = keras.models.load_model(tmp_path / "m.h5", custom_objects={
        "my_metric": cases.make_my_metric(keras)})
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == \
        model.evaluate(x, y, verbose=0, return_dict=True)


def test_keras22_adam_signature_trains_as_keras2():
    # Keras 2.2's documented Adam(lr, beta_1, beta_2, epsilon=None, decay=0.0, amsgrad=False):
    # epsilon=None means the backend epsilon (Keras 3 refuses None)
    meta, arrays = K2
    ref = meta["adam_keras22"]
    optimizer = cases.adam_keras22(keras.optimizers)
    assert optimizer.epsilon == ref["epsilon"]
    x, y = cases.data()
    model = keras.Sequential([keras.layers.Dense(4, activation="tanh", input_shape=(3,)),
                              keras.layers.Dense(1)])
    model.set_weights([arrays[f"adam_keras22/w0_{i}"] for i in range(4)])
    model.compile(optimizer=optimizer, loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], ref["history"]["loss"], rtol=1e-4)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, arrays[f"adam_keras22/w1_{i}"], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
                                  "Nadam"])
def test_epsilon_none_is_the_backend_epsilon_for_every_optimizer(name):
    old = keras.backend.epsilon()
    try:
        keras.backend.set_epsilon(1e-4)
        assert getattr(keras.optimizers, name)(epsilon=None).epsilon == 1e-4
    finally:
        keras.backend.set_epsilon(old)
    assert getattr(keras.optimizers, name)(epsilon=None).epsilon == old


@pytest.mark.parametrize("name", sorted(cases.NORMALIZATION))
def test_normalization_mean_and_variance_after_adapt(name):
    meta, arrays = K3
    spec = meta["normalization"][name]
    layer = keras.layers.Normalization(**cases.NORMALIZATION[name]["kwargs"])
    layer.adapt(cases.normalization_data(name))
    for what in ("mean", "variance"):
        got = np.asarray(getattr(layer, what))
        want = arrays[f"normalization/{name}/{what}"]
        assert got.shape == tuple(spec[f"{what}_shape"]) and got.dtype == spec["mean_dtype"]
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert hasattr(layer.mean, "numpy")  # the TensorFlow tutorials print .mean.numpy()


def test_normalization_mean_before_adapt_and_given():
    meta, arrays = K3
    layer = keras.layers.Normalization()
    assert repr(layer.mean) == meta["normalization_unbuilt_mean"]
    layer.build((None, 3))
    for what in ("mean", "variance"):
        np.testing.assert_array_equal(np.asarray(getattr(layer, what)),
                                      arrays[f"normalization/built/{what}"])
    layer = keras.layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 5.0, 6.0])
    layer.build((None, 3))
    for what in ("mean", "variance"):
        np.testing.assert_array_equal(np.asarray(getattr(layer, what)),
                                      arrays[f"normalization/given/{what}"])
