"""The replayed training step (minikeras/trainers/step_plan.py) must leave bit-for-bit the
weights, optimizer slots, losses and metrics of the layer-by-layer step over whole training
runs; whatever it does not cover must fall back to that step."""

import numpy as np
import pytest

import minikeras as keras
from minikeras.trainers import step_plan, trainer

L = keras.layers

_OPTIMIZERS = {
    "sgd": lambda: keras.optimizers.SGD(0.05),
    "momentum": lambda: keras.optimizers.SGD(0.05, momentum=0.9),
    "nesterov": lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "adam": lambda: keras.optimizers.Adam(0.01),
    "schedule": lambda: keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(
        0.01, 3, 0.5)),
    "rmsprop": lambda: keras.optimizers.RMSprop(0.01),  # not replayed: optimizer.apply
    "keras2_decay": lambda: keras.optimizers.SGD(lr=0.05, decay=0.1),
}
_OUTPUTS = {"mse": "linear", "categorical_crossentropy": "softmax",
            "sparse_categorical_crossentropy": "softmax", "binary_crossentropy": "sigmoid"}


def _data(loss, n=45, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    if loss == "sparse_categorical_crossentropy":
        y = rng.integers(0, 3, n)
    elif loss == "mse":
        y = rng.normal(size=(n, 3)).astype("float32")
    elif loss == "binary_crossentropy":
        y = (rng.uniform(size=(n, 3)) > 0.5).astype("float32")
    else:
        y = np.eye(3, dtype="float32")[rng.integers(0, 3, n)]
    return x, y


def _model(hidden, loss, functional=False, extra=()):
    layers = [keras.Input(shape=(6,)), L.Dense(9, hidden), *extra, L.Dense(7, hidden),
              L.Dense(3, _OUTPUTS[loss])]
    if not functional:
        return keras.Sequential(layers)
    x = layers[0]
    for layer in layers[1:]:
        x = layer(x)
    return keras.Model(layers[0], x)


def _train(replay, hidden, loss, opt, functional=False, extra=(), metrics=None,
           monkeypatch=None, **fit):
    keras.utils.set_random_seed(0)
    model = _model(hidden, loss, functional, [f() for f in extra])
    model.compile(_OPTIMIZERS[opt](), loss, metrics=metrics)
    x, y = _data(loss)
    with monkeypatch.context() as m:
        if not replay:
            m.setattr(trainer, "plan_train_step", lambda *a: None)
        history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, **fit)
    return model, history.history


def _same(a, b):
    (ma, ha), (mb, hb) = a, b
    assert ha == hb
    for u, v in zip(ma.get_weights() + ma.optimizer.variables,
                    mb.get_weights() + mb.optimizer.variables):
        u = u.value if hasattr(u, "value") else u
        v = v.value if hasattr(v, "value") else v
        assert np.array_equal(u, v)


@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("loss", list(_OUTPUTS))
@pytest.mark.parametrize("opt", ["sgd", "momentum", "nesterov", "adam"])
def test_replay_is_bit_identical(hidden, loss, opt, monkeypatch):
    replayed = _train(True, hidden, loss, opt, monkeypatch=monkeypatch, shuffle=True)
    assert replayed[0]._replay, "the step was not replayed"
    _same(replayed, _train(False, hidden, loss, opt, monkeypatch=monkeypatch, shuffle=True))


@pytest.mark.parametrize("opt", ["schedule", "rmsprop", "keras2_decay"])
def test_other_optimizers_and_rates(opt, monkeypatch):
    replayed = _train(True, "relu", "categorical_crossentropy", opt, metrics=["accuracy"],
                      monkeypatch=monkeypatch)
    assert replayed[0]._replay
    assert (replayed[0]._replay.flat is None) == (opt == "rmsprop")
    _same(replayed, _train(False, "relu", "categorical_crossentropy", opt,
                           metrics=["accuracy"], monkeypatch=monkeypatch))


def test_functional_metrics_validation_and_soft_labels(monkeypatch):
    kw = dict(functional=True, metrics=["mae", "accuracy"], validation_split=0.2,
              monkeypatch=monkeypatch)
    replayed = _train(True, "relu", "categorical_crossentropy", "adam", **kw)
    assert replayed[0]._replay and replayed[0]._replay.rows_sum_to_one
    _same(replayed, _train(False, "relu", "categorical_crossentropy", "adam", **kw))
    # soft labels: the gradient keeps its `p * sum(y)` term
    x, y = _data("categorical_crossentropy")
    y = (y * 0.6 + 0.1).astype("float32")  # rows sum to 0.9
    runs = []
    for replay in (True, False):
        keras.utils.set_random_seed(0)
        model = _model("relu", "categorical_crossentropy")
        model.compile("sgd", "categorical_crossentropy")
        with monkeypatch.context() as m:
            if not replay:
                m.setattr(trainer, "plan_train_step", lambda *a: None)
            runs.append((model, model.fit(x, y, batch_size=8, epochs=2, verbose=0).history))
    assert runs[0][0]._replay and not runs[0][0]._replay.rows_sum_to_one
    _same(*runs)


@pytest.mark.parametrize("case", ["dropout", "batchnorm", "regularizer", "constraint",
                                  "sample_weight", "clipnorm", "label_smoothing"])
def test_what_the_replay_does_not_cover_falls_back(case, monkeypatch):
    extra, loss_kw, fit, opt_kw = (), {}, {}, {}
    if case == "dropout":
        extra = (lambda: L.Dropout(0.3),)
    elif case == "batchnorm":
        extra = (lambda: L.BatchNormalization(),)
    elif case == "regularizer":
        extra = (lambda: L.Dense(9, kernel_regularizer="l2"),)
    elif case == "constraint":
        extra = (lambda: L.Dense(9, kernel_constraint="non_neg"),)
    elif case == "sample_weight":
        fit = dict(sample_weight=np.linspace(0.5, 1.5, 45).astype("float32"))
    elif case == "clipnorm":
        opt_kw = dict(clipnorm=0.5)
    else:
        loss_kw = dict(label_smoothing=0.1)

    def run(replay):
        keras.utils.set_random_seed(0)
        model = _model("relu", "categorical_crossentropy", extra=[f() for f in extra])
        model.compile(keras.optimizers.SGD(0.05, **opt_kw),
                      keras.losses.CategoricalCrossentropy(**loss_kw))
        x, y = _data("categorical_crossentropy")
        with monkeypatch.context() as m:
            if not replay:
                m.setattr(trainer, "plan_train_step", lambda *a: None)
            h = model.fit(x, y, batch_size=8, epochs=2, verbose=0, **fit)
        return model, h.history

    replayed = run(True)
    assert not replayed[0]._replay
    _same(replayed, run(False))


def test_variables_stay_live_and_rebinding_ends_the_flat_update(monkeypatch):
    keras.utils.set_random_seed(0)
    model = _model("relu", "mse")
    model.compile(keras.optimizers.Adam(0.01), "mse")
    x, y = _data("mse")
    seen = []

    class Poke(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            layer = self.model.layers[0]
            if batch == 1:  # set_weights/assign write into the live arrays
                layer.set_weights([w * 0.5 for w in layer.get_weights()])
            if batch == 3:  # a replaced array: the optimizer's apply takes over
                layer.kernel.value = layer.kernel.value.copy()
            seen.append(layer.kernel.value.copy())

    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[Poke()])
    replay = model._replay
    assert replay and replay.flat is None
    # the same run, layer by layer
    keras.utils.set_random_seed(0)
    other = _model("relu", "mse")
    other.compile(keras.optimizers.Adam(0.01), "mse")
    seen_other = seen
    seen = []
    with monkeypatch.context() as m:
        m.setattr(trainer, "plan_train_step", lambda *a: None)
        other.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[Poke()])
    for a, b in zip(seen_other, seen):
        assert np.array_equal(a, b)
    _same((model, {}), (other, {}))
    # a later fit plans again over the current arrays
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert model._replay.flat is not None


def test_bad_labels_still_raise_and_leave_the_weights(monkeypatch):
    keras.utils.set_random_seed(0)
    model = _model("relu", "sparse_categorical_crossentropy")
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = _data("sparse_categorical_crossentropy")
    y = y.copy()
    y[20] = 7  # in the third batch: the replay hands it to the regular step
    with pytest.raises(ValueError, match="sparse labels"):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert model._replay
    assert step_plan.plan_train_step is trainer.plan_train_step


@pytest.mark.parametrize("opt", ["momentum", "adam"])
def test_large_models_update_per_variable(opt, monkeypatch):
    monkeypatch.setattr(step_plan, "FLAT_LIMIT", 10)  # as if the model were large
    replayed = _train(True, "relu", "mse", opt, monkeypatch=monkeypatch)
    assert replayed[0]._replay and replayed[0]._replay.flat is None
    _same(replayed, _train(False, "relu", "mse", opt, monkeypatch=monkeypatch))


@pytest.mark.parametrize("change", ["clipnorm", "rebind"])
def test_epoch_callbacks_end_a_trusted_flat_update(change, monkeypatch):
    """Without batch hooks the flat update's checks run once per epoch: a change made in
    `on_epoch_begin` (a clipping optimizer, a replaced array) must still end it there."""

    class Change(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                if change == "clipnorm":
                    self.model.optimizer.clipnorm = 0.01
                else:
                    layer = self.model.layers[0]
                    layer.kernel.value = layer.kernel.value.copy()

    runs = []
    for replay in (True, False):
        keras.utils.set_random_seed(0)
        model = _model("relu", "mse")
        model.compile(keras.optimizers.SGD(0.05), "mse")
        x, y = _data("mse")
        with monkeypatch.context() as m:
            if not replay:
                m.setattr(trainer, "plan_train_step", lambda *a: None)
            history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[Change()])
        runs.append((model, history.history))
    assert runs[0][0]._replay and runs[0][0]._replay.flat is None
    assert not runs[0][0]._trust_flat  # (reset at the end of fit)
    _same(*runs)
