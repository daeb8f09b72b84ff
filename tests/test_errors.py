"""Bad input gets a clear ValueError/TypeError that names the argument and the shapes, before
any weight changes."""

import numpy as np
import pytest

import minikeras as keras


def model_and_data(n=20):
    model = keras.Sequential([keras.layers.Dense(5, input_dim=4), keras.layers.Dense(3)])
    model.compile("sgd", "mse")
    rng = np.random.default_rng(0)
    return model, rng.normal(size=(n, 4)), rng.normal(size=(n, 3))


def unchanged(model, before):
    return all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


def test_x_and_y_of_different_lengths():
    model, x, y = model_and_data()
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"x: 20 samples.*y: 19 samples"):
        model.fit(x, y[:19], verbose=0)
    assert unchanged(model, before)


def test_wrong_feature_count():
    model, x, y = model_and_data()
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"shape \(None, 4\).*\(20, 5\)"):
        model.fit(np.ones((20, 5)), y, verbose=0)
    with pytest.raises(ValueError, match="incompatible"):
        model.predict(np.ones((2, 3)), verbose=0)
    assert unchanged(model, before)


def test_wrong_target_shape_fails_before_any_update():
    model, x, y = model_and_data()
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"shape.*\(20, 2\).*\(20, 3\)"):
        model.fit(x, np.ones((20, 2)), verbose=0)
    assert unchanged(model, before)


@pytest.mark.parametrize("what,kwargs,hint", [
    ("loss", {"optimizer": "sgd", "loss": "mean_sqared_error"}, "mean_squared_error"),
    ("optimizer", {"optimizer": "adma", "loss": "mse"}, "adam"),
])
def test_unknown_names_suggest_the_closest(what, kwargs, hint):
    model, _, _ = model_and_data()
    with pytest.raises(ValueError, match=f"Unknown {what}.*Did you mean '{hint}'"):
        model.compile(**kwargs)


def test_unknown_activation_suggests_the_closest():
    with pytest.raises(ValueError, match="Unknown activation: 'rellu'.*'relu'"):
        keras.layers.Dense(3, activation="rellu")


def test_unknown_metric_suggests_the_closest():
    model, _, _ = model_and_data()
    with pytest.raises(ValueError, match="Unknown metric.*'mae'"):
        model.compile("sgd", "mse", metrics=["maee"])


def test_unknown_layer_keyword_suggests_the_closest():
    with pytest.raises(ValueError, match="'activaton'.*'activation'"):
        keras.layers.Dense(3, activaton="relu")


@pytest.mark.parametrize("split", [-0.1, 1.0, 1.5, "0.2"])
def test_validation_split_outside_range(split):
    model, x, y = model_and_data()
    before = model.get_weights()
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(x, y, validation_split=split, verbose=0)
    assert unchanged(model, before)


def test_validation_split_leaving_an_empty_side():
    model, x, y = model_and_data(n=1)
    with pytest.raises(ValueError, match="empty training"):
        model.fit(x, y, validation_split=0.5, verbose=0)


@pytest.mark.parametrize("batch_size,exc", [(0, ValueError), (-4, ValueError),
                                            (2.5, TypeError), ("32", TypeError)])
def test_bad_batch_size(batch_size, exc):
    model, x, y = model_and_data()
    before = model.get_weights()
    with pytest.raises(exc, match="batch_size"):
        model.fit(x, y, batch_size=batch_size, verbose=0)
    with pytest.raises(exc, match="batch_size"):
        model.predict(x, batch_size=batch_size, verbose=0)
    assert unchanged(model, before)


def test_fit_before_compile():
    model = keras.Sequential([keras.layers.Dense(3, input_dim=4)])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.ones((4, 4)), np.ones((4, 3)), verbose=0)
    with pytest.raises(RuntimeError, match="compile"):
        model.evaluate(np.ones((4, 4)), np.ones((4, 3)), verbose=0)


def test_nan_in_inputs_is_refused():
    model, x, y = model_and_data()
    x[3, 1] = np.nan
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"`x` contains 1 NaN"):
        model.fit(x, y, verbose=0)
    assert unchanged(model, before)


def test_non_numeric_inputs():
    model, x, y = model_and_data()
    with pytest.raises(TypeError, match="numeric"):
        model.fit(np.array([["a"] * 4] * 20), y, verbose=0)


def test_bad_layer_arguments():
    with pytest.raises(ValueError, match="units"):
        keras.layers.Dense(0)
    with pytest.raises(ValueError, match="rate"):
        keras.layers.Dropout(1.5)
    with pytest.raises(ValueError, match="input_dim"):
        keras.layers.Dense(3, input_dim=-1)


def test_set_weights_names_the_shapes():
    model, _, _ = model_and_data()
    with pytest.raises(ValueError, match=r"expects 2 weight arrays"):
        model.layers[0].set_weights([np.ones((4, 5))])
    with pytest.raises(ValueError, match=r"\(4, 5\).*\(5, 4\)"):
        model.layers[0].set_weights([np.ones((5, 4)), np.ones(5)])


def test_bad_optimizer_arguments():
    with pytest.raises(ValueError, match="momentum"):
        keras.optimizers.SGD(momentum=2.0)
    with pytest.raises(ValueError, match="'learnig_rate'.*'learning_rate'"):
        keras.optimizers.Adam(learnig_rate=0.1)
    with pytest.raises(ValueError, match="learning_rate"):
        keras.optimizers.SGD(learning_rate=-1.0)


def test_bad_regularizer_value():
    with pytest.raises(ValueError, match="l2"):
        keras.regularizers.L2(-0.1)


def test_validation_data_of_the_wrong_form():
    model, x, y = model_and_data()
    with pytest.raises(ValueError, match="validation_data"):
        model.fit(x, y, validation_data=[x], verbose=0)


def test_sparse_labels_out_of_range():
    model = keras.Sequential([keras.layers.Dense(3, activation="softmax", input_dim=4)])
    model.compile("sgd", "sparse_categorical_crossentropy")
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        model.fit(np.ones((4, 4)), np.array([0, 1, 2, 3]), verbose=0)
    assert unchanged(model, before)
