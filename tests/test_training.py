"""The training API's behaviour: fit/evaluate/predict semantics, validation split, shuffling,
weights, reproducibility, on_batch methods, summary and configs."""

import io
import json
from contextlib import redirect_stdout

import numpy as np
import pytest

import minikeras as keras
from tests.conftest import regression_data


def small_model(seed_layer_names=True, **compile_kwargs):
    model = keras.Sequential([keras.layers.Dense(6, activation="tanh", input_dim=4),
                              keras.layers.Dense(3)])
    model.compile(**({"optimizer": "sgd", "loss": "mse"} | compile_kwargs))
    return model


def test_two_seeded_runs_with_shuffle_and_dropout_are_bit_identical():
    def run(seed_fn):
        seed_fn(7)
        x, y = regression_data(n=96)
        model = keras.Sequential([keras.layers.Dense(16, activation="relu", input_dim=4),
                                  keras.layers.Dropout(0.3),
                                  keras.layers.GaussianNoise(0.1),
                                  keras.layers.Dense(3)])
        model.compile(keras.optimizers.Adam(0.01), "mse")
        model.fit(x, y, batch_size=16, epochs=3, shuffle=True, verbose=0)
        return model.get_weights()

    for seed_fn in (keras.utils.set_random_seed, np.random.seed):
        a, b = run(seed_fn), run(seed_fn)
        for wa, wb in zip(a, b):
            assert np.array_equal(wa, wb)
    c = run(lambda s: keras.utils.set_random_seed(s + 1))
    assert not all(np.array_equal(wa, wc) for wa, wc in zip(a, c))


def test_validation_split_takes_the_last_fraction_before_shuffling():
    x, y = regression_data(n=50)
    model = small_model()
    seen = []

    class Spy(keras.callbacks.Callback):
        def on_test_batch_begin(self, batch, logs=None):
            seen.append(batch)

    history = model.fit(x, y, validation_split=0.2, epochs=1, batch_size=100, verbose=0,
                        shuffle=True, callbacks=[Spy()])
    # the validation loss is the loss on exactly the last 10 samples (floor(50*0.8) = 40)
    val_loss = model.evaluate(x[40:], y[40:], verbose=0)
    np.testing.assert_allclose(history.history["val_loss"][0], val_loss, rtol=1e-6)
    assert seen == [0]


def test_validation_data_takes_precedence_over_validation_split():
    x, y = regression_data(n=40)
    model = small_model()
    xv, yv = regression_data(n=8, seed=3)
    history = model.fit(x, y, validation_split=0.5, validation_data=(xv, yv), epochs=1,
                        verbose=0, batch_size=40)
    np.testing.assert_allclose(history.history["val_loss"][0],
                               model.evaluate(xv, yv, verbose=0), rtol=1e-6)


def test_shuffle_false_visits_batches_in_order():
    x = np.arange(10, dtype="float32").reshape(10, 1)
    seen = []

    class Record(keras.layers.Layer):
        def call(self, inputs):
            seen.append(inputs.numpy()[:, 0].tolist())
            return inputs

    model = keras.Sequential([keras.Input(shape=(1,)), Record(), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    seen.clear()
    model.fit(x, x, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert seen == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    seen.clear()
    model.fit(x, x, batch_size=4, epochs=1, shuffle=True, verbose=0)
    assert sorted(sum(seen, [])) == list(range(10)) and sum(seen, []) != list(range(10))


def test_epoch_loss_is_the_batch_size_weighted_mean_of_batch_losses():
    x, y = regression_data(n=10)
    model = small_model()
    weights = model.get_weights()
    batch_losses = []

    class Spy(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batch_losses.append(logs["loss"])

    history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0,
                        callbacks=[Spy()])
    # the running means after each batch are reported; recover the per-batch losses
    model.set_weights(weights)
    single = [model.train_on_batch(x[s:s + 4], y[s:s + 4]) for s in (0, 4, 8)]
    expected = (single[0] * 4 + single[1] * 4 + single[2] * 2) / 10
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-5)
    np.testing.assert_allclose(batch_losses[0], single[0], rtol=1e-5)


def test_loss_includes_regularization_penalties():
    x, y = regression_data(n=8)
    model = keras.Sequential([keras.layers.Dense(3, input_dim=4,
                                                 kernel_regularizer=keras.regularizers.L2(0.5))])
    model.compile("sgd", "mse")
    pred = model.predict(x, verbose=0)
    mse = np.mean((pred - y) ** 2)
    penalty = 0.5 * np.sum(model.layers[0].kernel.numpy() ** 2)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), mse + penalty, rtol=1e-5)


def test_evaluate_return_forms():
    x, y = regression_data(n=8)
    model = small_model(metrics=["mae"])
    loss, mae = model.evaluate(x, y, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "mae"}
    np.testing.assert_allclose([loss, mae], [logs["loss"], logs["mae"]])
    assert isinstance(small_model().evaluate(x, y, verbose=0), float)


def test_predict_accepts_lists_and_any_numeric_dtype():
    model = small_model()
    a = model.predict([[1, 2, 3, 4]], verbose=0)
    b = model.predict(np.array([[1, 2, 3, 4]], dtype=np.int64), verbose=0)
    c = model.predict(np.array([[1, 2, 3, 4]], dtype=np.float64), verbose=0)
    assert a.dtype == np.float32 and a.shape == (1, 3)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_lazy_build_on_first_data():
    model = keras.Sequential([keras.layers.Dense(5), keras.layers.Dense(2)])
    assert model.weights == []
    model.compile("sgd", "mse")
    model.fit(np.ones((8, 3)), np.ones((8, 2)), verbose=0)
    assert [w.shape for w in model.weights] == [(3, 5), (5,), (5, 2), (2,)]
    with pytest.raises(ValueError, match="incompatible"):
        model.predict(np.ones((2, 4)), verbose=0)


def test_input_shape_spellings_are_equivalent():
    models = [
        keras.Sequential([keras.layers.Dense(2, input_dim=3)]),
        keras.Sequential([keras.layers.Dense(2, input_shape=(3,))]),
        keras.Sequential([keras.layers.Dense(2, batch_input_shape=(None, 3))]),
        keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)]),
        keras.Sequential([keras.layers.InputLayer(input_shape=(3,)), keras.layers.Dense(2)]),
    ]
    for m in models:
        assert m.built and [w.shape for w in m.weights] == [(3, 2), (2,)]


def test_automatic_names():
    a, b = keras.layers.Dense(1), keras.layers.Dense(1)
    s1, s2 = keras.Sequential(), keras.Sequential()
    assert (a.name, b.name, s1.name, s2.name) == ("dense", "dense_1", "sequential",
                                                  "sequential_1")
    assert keras.layers.GaussianNoise(0.1).name == "gaussian_noise"


def test_initial_epoch_and_history():
    x, y = regression_data(n=8)
    model = small_model()
    history = model.fit(x, y, epochs=5, initial_epoch=3, verbose=0)
    assert history.epoch == [3, 4] and len(history.history["loss"]) == 2
    assert model.history is history


def test_stop_training_from_a_callback():
    x, y = regression_data(n=8)
    model = small_model()

    class StopAtTwo(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[StopAtTwo()])
    assert len(history.history["loss"]) == 2


def test_on_batch_methods():
    x, y = regression_data(n=8)
    model = small_model(metrics=["mae"])
    before = model.get_weights()
    loss, mae = model.train_on_batch(x, y)
    assert not np.array_equal(before[0], model.get_weights()[0])
    test_loss = model.test_on_batch(x, y)
    np.testing.assert_allclose(test_loss, model.evaluate(x, y, verbose=0, batch_size=8))
    np.testing.assert_allclose(model.predict_on_batch(x), model.predict(x, verbose=0))


def test_sample_weight_zero_ignores_samples():
    x, y = regression_data(n=8)
    model = small_model()
    sw = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype="float32")
    weighted = model.evaluate(x, y, sample_weight=sw, verbose=0, batch_size=8)
    pred = model.predict(x, verbose=0)
    per_sample = np.mean((pred - y) ** 2, axis=-1)
    np.testing.assert_allclose(weighted, np.sum(per_sample * sw) / 8, rtol=1e-5)


def test_class_weight_scales_each_class():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 3)).astype("float32")
    labels = np.array([0, 1, 2] * 4)
    y = keras.utils.to_categorical(labels, 3)
    model = keras.Sequential([keras.layers.Dense(3, activation="softmax", input_dim=3)])
    model.compile("sgd", "categorical_crossentropy")
    start = model.get_weights()
    model.fit(x, y, class_weight={0: 1.0, 1: 2.0, 2: 0.0}, batch_size=12, epochs=1, verbose=0)
    via_class = model.get_weights()
    model.set_weights(start)
    model.compile("sgd", "categorical_crossentropy")
    model.fit(x, y, sample_weight=np.array([1.0, 2.0, 0.0] * 4), batch_size=12, epochs=1,
              verbose=0)
    for a, b in zip(via_class, model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_summary_table_and_counts():
    model = keras.Sequential([keras.layers.Dense(5, input_dim=4), keras.layers.Dense(7),
                              keras.layers.Dense(3)])
    out = io.StringIO()
    with redirect_stdout(out):
        model.summary()
    text = out.getvalue()
    assert 'Model: "sequential"' in text
    assert "dense (Dense)" in text and "(None, 5)" in text
    assert "Total params: 91" in text and "Trainable params: 91" in text
    assert model.count_params() == 91


def test_to_json_round_trip():
    model = keras.Sequential([keras.layers.Dense(5, activation="relu", input_dim=4,
                                                 kernel_regularizer=keras.regularizers.L1L2(
                                                     0.01, 0.02)),
                              keras.layers.Dropout(0.25), keras.layers.Dense(2)])
    config = json.loads(model.to_json())
    assert config["class_name"] == "Sequential"
    assert config["config"]["layers"][0]["config"]["batch_input_shape"] == [None, 4]
    clone = keras.models.model_from_json(model.to_json())
    assert [type(layer) for layer in clone.layers] == [type(layer) for layer in model.layers]
    assert clone.layers[0].kernel_regularizer.l2 == pytest.approx(0.02)
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]


def test_functional_model_trains_and_round_trips():
    inputs = keras.Input(shape=(4,))
    h = keras.layers.Dense(8, activation="relu")(inputs)
    outputs = keras.layers.Dense(2)(h)
    model = keras.Model(inputs, outputs)
    assert isinstance(model, keras.models.Functional)
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense", "Dense"]
    model.compile("adam", "mse")
    x, y = regression_data(n=32, k=2)
    history = model.fit(x, y, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    clone = keras.models.model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_get_layer():
    model = small_model()
    assert model.get_layer(index=1) is model.layers[1]
    assert model.get_layer(model.layers[0].name) is model.layers[0]
    with pytest.raises(ValueError, match="Did you mean"):
        model.get_layer(model.layers[0].name + "x")


def test_compile_accepts_classes_instances_functions_and_keras2_positional_metrics():
    x, y = regression_data(n=8)
    for loss in ("mse", "MSE", "mean_squared_error", keras.losses.MeanSquaredError,
                 keras.losses.MeanSquaredError(), keras.losses.mean_squared_error):
        for optimizer in ("sgd", keras.optimizers.SGD, keras.optimizers.SGD()):
            model = small_model(optimizer=optimizer, loss=loss)
            model.fit(x, y, verbose=0)
    model = keras.Sequential([keras.layers.Dense(3, input_dim=4)])
    model.compile("sgd", "mse", ["mae"])  # Keras 2 order: metrics third
    assert set(model.evaluate(x, y, verbose=0, return_dict=True)) == {"loss", "mae"}


def test_accuracy_resolves_like_keras():
    x = np.random.default_rng(0).normal(size=(8, 3))
    cases = [(1, np.array([0, 1] * 4, dtype="float32"), "binary_accuracy"),
             (3, keras.utils.to_categorical([0, 1, 2, 0, 1, 2, 0, 1], 3), "categorical"),
             (3, np.array([0, 1, 2, 0, 1, 2, 0, 1]), "sparse")]
    for units, y, kind in cases:
        model = keras.Sequential([keras.layers.Dense(units, input_dim=3, activation="sigmoid")])
        model.compile("sgd", "mse" if kind != "sparse" else "sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.evaluate(x, y, verbose=0)
        metric = model.metrics[-1].metrics[-1]  # Keras 3: compile_metrics holds them
        assert metric.name == "accuracy"
        assert kind.split("_")[0] in type(metric).__name__.lower()


def test_progress_output_in_keras_style(capsys):
    x, y = regression_data(n=8)
    model = small_model()
    model.fit(x, y, epochs=2, batch_size=4, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "2/2 - " in out and "loss:" in out
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""
