"""The training step's plan for Sequential models and functional chains
(minikeras/models/train_plan.py): runs of plain Dense layers become one `dense_chain` node.
It must give bit-for-bit the weights, losses and errors of calling the layers one by one."""

import numpy as np
import pytest

import minikeras as keras
from minikeras.models.functional import Functional
from minikeras.models.sequential import Sequential
from minikeras.models.train_plan import _DenseRun, _LayerStep


def _layers(kind):
    L = keras.layers
    if kind == "linear":  # the lecture network
        return [keras.Input(shape=(4,)), L.Dense(5), L.Dense(7), L.Dense(3)]
    if kind == "relu_softmax":
        return [keras.Input(shape=(4,)), L.Dense(16, "relu"), L.Dense(3, "softmax")]
    if kind == "sigmoid":
        return [keras.Input(shape=(4,)), L.Dense(8, "sigmoid"), L.Dense(6, "tanh"),
                L.Dense(3, "sigmoid")]
    if kind == "mixed":  # layers that are not chained, between runs
        return [keras.Input(shape=(4,)), L.Dense(8, "relu", use_bias=False), L.Dropout(0.25),
                L.Dense(8, "elu"), L.Dense(6, lambda t: keras.ops.square(t)),
                L.Dense(5, activity_regularizer="l2"), L.BatchNormalization(),
                L.Dense(3, kernel_regularizer="l1")]
    if kind == "rank3":  # Dense on the last axis of 3-D inputs: op by op
        return [keras.Input(shape=(2, 4)), L.Dense(5, "relu"), L.Flatten(), L.Dense(3)]
    raise AssertionError(kind)


def _model(kind, functional=False):
    layers = _layers(kind)
    if not functional:
        return keras.Sequential(layers)
    x = layers[0]
    for layer in layers[1:]:
        x = layer(x)
    return keras.Model(layers[0], x)


def _train(kind, plan, loss, monkeypatch=None, functional=False):
    keras.utils.set_random_seed(3)
    model = _model(kind, functional)
    model.compile(keras.optimizers.SGD(0.05, momentum=0.5), loss)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40,) + model.input_shape[1:]).astype("float32")
    y = rng.uniform(size=(40, 3)).astype("float32")
    if loss == "categorical_crossentropy":
        y = np.eye(3, dtype="float32")[rng.integers(0, 3, 40)]
    if not plan:
        monkeypatch.setattr(Sequential, "_make_train_plan", lambda self: None)
        monkeypatch.setattr(Functional, "_make_train_plan", lambda self: None)
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=True, verbose=0)
    return model, history.history["loss"]


@pytest.mark.parametrize("functional", [False, True], ids=["sequential", "functional"])
@pytest.mark.parametrize("kind,loss", [("linear", "mse"),
                                       ("relu_softmax", "categorical_crossentropy"),
                                       ("sigmoid", "binary_crossentropy"),
                                       ("mixed", "mse"), ("rank3", "mse")])
def test_plan_trains_exactly_as_layer_by_layer(kind, loss, functional, monkeypatch):
    planned, planned_losses = _train(kind, True, loss, functional=functional)
    assert planned._train_plan is not None
    with monkeypatch.context() as m:
        plain, plain_losses = _train(kind, False, loss, m, functional=functional)
        assert plain._train_plan is None
    assert planned_losses == plain_losses
    for a, b in zip(planned.get_weights(), plain.get_weights()):
        assert np.array_equal(a, b)


def test_plan_groups_runs_and_keeps_the_output_activation_apart():
    model = keras.Sequential(_layers("mixed"))
    model.compile("sgd", "mse")
    model._plan_step()
    steps = model._train_plan.steps
    kinds = [type(s).__name__ if isinstance(s, (_DenseRun, _LayerStep)) else "activation"
             for s in steps]
    # relu Dense | Dropout | elu Dense (matmul chained, elu apart) | lambda Dense (same)
    # | Dense with activity regulariser | BatchNormalization | Dense
    assert kinds == ["_DenseRun", "_LayerStep", "_DenseRun", "activation", "_DenseRun",
                     "activation", "_LayerStep", "_LayerStep", "_DenseRun"]
    sigmoid = keras.Sequential(_layers("sigmoid"))
    sigmoid._plan_step()
    steps = sigmoid._train_plan.steps
    assert [spec[2] for spec in steps[0].spec] == ["sigmoid", "tanh", None]
    assert steps[1] is keras.activations.sigmoid  # the output keeps its logits for BCE


def test_wrong_feature_count_names_the_layer_with_the_plan():
    model = keras.Sequential(_layers("linear"))
    model.compile("sgd", "mse")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"incompatible.*\(2, 5\)"):
        model.train_on_batch(np.zeros((2, 5), "float32"), np.zeros((2, 3), "float32"))
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_plan_follows_layers_added_between_fits():
    model = keras.Sequential(_layers("linear"))
    model.compile("sgd", "mse")
    x, y = np.ones((4, 4), "float32"), np.ones((4, 3), "float32")
    model.fit(x, y, verbose=0)
    model.pop()
    model.add(keras.layers.Dense(3, "relu"))
    model.compile("sgd", "mse")
    model.fit(x, y, verbose=0)
    assert model.predict(x, verbose=0).min() >= 0.0


def test_functional_graphs_that_are_not_chains_have_no_plan():
    L = keras.layers
    x = keras.Input(shape=(4,))
    h = L.Dense(5)(x)
    branching = keras.Model(x, L.Add()([L.Dense(5)(h), h]))
    two_outputs = keras.Model(x, [L.Dense(2)(h), L.Dense(3)(h)])
    shared = L.Dense(4)
    reused = keras.Model(x, shared(shared(x)))
    for model in (branching, two_outputs, reused):
        model._plan_step()
        assert model._train_plan is None
    chain = keras.Model(x, L.Dense(3, "softmax")(L.Dense(8, "relu")(h)))
    chain._plan_step()
    assert [type(s).__name__ for s in chain._train_plan.steps] == ["_DenseRun", "function"]
