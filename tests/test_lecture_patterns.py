"""Every course pattern (shared/reference/course-patterns.md) runs, and does what it claims.

Each pattern is a script in examples/lecture/; here each is run in fast mode and its claim is
checked with a condition that fails if the claim is false.
"""

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

import minikeras as keras

LECTURE = Path(__file__).resolve().parents[1] / "examples" / "lecture"


@pytest.fixture(autouse=True)
def _lecture_path(monkeypatch):
    monkeypatch.setenv("MINIKERAS_FAST", "1")
    monkeypatch.syspath_prepend(str(LECTURE))
    for name in list(sys.modules):
        if name.startswith("p0") or name.startswith("p1"):
            del sys.modules[name]


def run(name):
    return importlib.import_module(name).main()


def test_p01_layer_constructors():
    relu, linear, no_bias = run("p01_layer_constructors")
    assert relu.activation is keras.activations.relu
    assert linear.activation is keras.activations.linear
    assert [w.name for w in no_bias.weights] == ["kernel"]
    assert len(linear.weights) == 2


def test_p02_predict_on_a_python_list():
    network, prediction = run("p02_sequential_add_predict")
    assert isinstance(prediction, np.ndarray) and prediction.shape == (1, 3)
    assert [w.shape for w in network.weights] == [(4, 5), (5,), (5, 7), (7,), (7, 3), (3,)]


def test_p03_compile_positional_and_fit_learns():
    history = run("p03_compile_fit")
    losses = history.history["loss"]
    assert len(losses) == 5
    assert losses[-1] < 0.5 * losses[0]


def test_p04_validation_split_gives_val_loss():
    history = run("p04_validation_split")
    assert set(history.history) == {"loss", "val_loss"}
    assert len(history.history["val_loss"]) == 5


def test_p05_early_stopping_stops_early():
    history, stopper = run("p05_early_stopping")
    assert 0 < stopper.stopped_epoch < 199
    assert len(history.history["loss"]) == stopper.stopped_epoch + 1


def test_p06_custom_loss_trains_like_builtin_mse():
    model, history = run("p06_custom_loss")
    assert history.history["loss"][-1] < history.history["loss"][0]
    from p06_custom_loss import my_mean_squared_error

    y_true = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    y_pred = np.random.default_rng(1).normal(size=(8, 3)).astype("float32")
    np.testing.assert_allclose(keras.backend.eval(my_mean_squared_error(y_true, y_pred)),
                               keras.backend.eval(keras.losses.mean_squared_error(y_true,
                                                                                  y_pred)),
                               rtol=1e-6)


def test_p07_custom_regularizer_equals_builtin():
    history, mine, builtin = run("p07_custom_regularizer")
    assert mine > 0
    np.testing.assert_allclose(mine, builtin, rtol=1e-6)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_p08_custom_dense_layer_trains():
    model, history = run("p08_custom_dense_layer")
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    assert [w.shape for w in model.trainable_weights] == [(4, 8), (8,), (8, 3), (3,)]


def test_p09_autograd_example():
    value, grad = run("p09_autograd")
    np.testing.assert_array_equal(value, [16.0])
    np.testing.assert_array_equal(grad, [8.0])


def test_p10_sgd_decay_acts():
    sgd, steps, other = run("p10_sgd_decay")
    assert steps == 5 * 10  # 5 epochs of 320 samples in batches of 32
    assert isinstance(other.optimizer, keras.optimizers.SGD)
    assert sgd.decay == pytest.approx(1e-2)
    np.testing.assert_allclose(float(np.asarray(sgd.learning_rate)), 0.05, rtol=1e-6)
    np.testing.assert_allclose(float(sgd._current_learning_rate()), 0.05 / (1 + 1e-2 * steps),
                               rtol=1e-6)


def test_p11_initialisers():
    layer, glorot, default = run("p11_initialisers")
    kernel = layer.kernel.numpy()
    assert abs(kernel.mean()) < 0.02 and abs(kernel.std() - 1.0) < 0.02
    assert np.all(layer.bias.numpy() == 0)
    limit = np.sqrt(6 / (300 + 200))
    assert np.abs(glorot).max() <= limit and np.abs(glorot).max() > 0.95 * limit
    assert isinstance(default.kernel_initializer, keras.initializers.GlorotUniform)
    assert isinstance(default.bias_initializer, keras.initializers.Zeros)


def test_p12_builtin_regularizers():
    model, history = run("p12_builtin_regularizers")
    assert len(model.losses) == 3 and all(float(p.numpy()) > 0 for p in model.losses)


def test_p13_dropout_only_in_training():
    inference_1, inference_2, training = run("p13_dropout")
    np.testing.assert_array_equal(inference_1, inference_2)
    assert not np.allclose(training, inference_1)


def test_p14_noise_normalisation_rescaling():
    history, z, scaled = run("p14_noise_and_normalisation")
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(z.std(axis=0), 1, atol=1e-3)
    np.testing.assert_allclose(scaled, [[0.0, 0.5, 1.0]], atol=1e-7)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_p15_history_keys():
    history = run("p15_history")
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_p16_save_and_reload(tmp_path):
    model, loaded, path = importlib.import_module("p16_save_load_h5").main(str(tmp_path))
    assert Path(path).exists()
    assert loaded.optimizer is not None
