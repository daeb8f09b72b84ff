"""Callback scenarios run identically on real Keras 3 and on minikeras.

Each `drive_*` function takes a `callbacks` module (or the `keras` package) and returns
plain data (and what the callbacks printed). `tests/test_callbacks.py` compares minikeras'
results with `tests/callbacks_keras3_reference.json`, which real Keras 3 (jax backend)
produced from these same functions:

    KERAS_BACKEND=jax /work/venvs/k3/bin/python tests/callback_scenarios.py \
        > tests/callbacks_keras3_reference.json

This module must import neither minikeras nor pytest (it runs under real Keras).
"""

import contextlib
import io
import os

RLR_SCENARIOS = {
    "patience_cooldown_minlr": dict(
        lr=0.1, kwargs=dict(monitor="val_loss", factor=0.5, patience=2, min_delta=0.01,
                            cooldown=1, min_lr=0.01),
        values=[1.0, 0.995, 0.99, 0.98, 0.97, 0.97, 0.97, 0.97, 0.5, 0.5, 0.5, 0.5, 0.5,
                0.5, 0.5, 0.5]),
    "max_mode_patience0": dict(
        lr=0.01, kwargs=dict(monitor="acc", mode="max", factor=0.1, patience=0),
        values=[0.5, 0.6, 0.6, 0.55, 0.7, 0.7, 0.70005]),
    "defaults": dict(lr=0.001, kwargs=dict(), values=[0.3] * 25),
    "verbose": dict(
        lr=0.1, kwargs=dict(monitor="val_loss", factor=0.5, patience=1, verbose=1),
        values=[1.0, 1.0, 1.0, 0.5]),
    "min_lr_floor": dict(
        lr=0.1, kwargs=dict(monitor="loss", factor=0.3, patience=1, min_lr=0.05),
        values=[2.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0]),
}


class DummyModel:
    def __init__(self, optimizer=None):
        self.optimizer = optimizer
        self.metrics = []
        self.saved = []
        self.stop_training = False

    def save(self, filepath, overwrite=True, **kwargs):
        self.saved.append(("save", filepath))

    def save_weights(self, filepath, overwrite=True, **kwargs):
        self.saved.append(("save_weights", filepath))


def drive_rlr(cbs, make_sgd, name):
    sc = RLR_SCENARIOS[name]
    model = DummyModel(make_sgd(sc["lr"]))
    cb = cbs.ReduceLROnPlateau(**sc["kwargs"])
    cb.set_model(model)
    cb.set_params({"epochs": len(sc["values"]), "steps": 1, "verbose": 0})
    cb.on_train_begin({})
    monitor = sc["kwargs"].get("monitor", "val_loss")
    out = []
    for epoch, v in enumerate(sc["values"]):
        logs = {monitor: v}
        cb.on_epoch_end(epoch, logs)
        out.append([logs["learning_rate"], float(model.optimizer.learning_rate),
                    cb.wait, cb.cooldown_counter])
    return out


MC_SCENARIOS = {
    "best_min": dict(kwargs=dict(filepath="m-{epoch:02d}-{val_loss:.2f}.keras",
                                 save_best_only=True),
                     logs=[{"loss": 1.0, "val_loss": v} for v in
                           [1.0, 0.8, 0.9, 0.7, 0.7, 0.123456]]),
    "best_max_threshold": dict(
        kwargs=dict(filepath="best.keras", monitor="val_accuracy", mode="max",
                    save_best_only=True, initial_value_threshold=0.6),
        logs=[{"val_accuracy": v} for v in [0.5, 0.65, 0.6, 0.9]]),
    "every_epoch_weights": dict(
        kwargs=dict(filepath="w-{epoch}-{loss:.3f}.weights.h5", save_weights_only=True),
        logs=[{"loss": v} for v in [0.5, 0.25, 0.125]]),
    "verbose_best": dict(kwargs=dict(filepath="v-{epoch}.keras", save_best_only=True,
                                     verbose=1),
                         logs=[{"val_loss": v} for v in [1.0, 0.5, 0.75]]),
    "verbose_every": dict(kwargs=dict(filepath="e.h5", verbose=1),
                          logs=[{"loss": 0.5}, {"loss": 0.25}]),
    "missing_monitor": dict(kwargs=dict(filepath="x.keras", save_best_only=True,
                                        monitor="val_loss"),
                            logs=[{"loss": 1.0}, {"loss": 0.5}]),
    "batches": dict(kwargs=dict(filepath="b-{epoch}-{batch}.keras", save_freq=3),
                    batches=4, epochs=3),
    "batches_best": dict(kwargs=dict(filepath="bb-{epoch}-{batch}.keras", save_freq=2,
                                     save_best_only=True, monitor="loss"),
                         batches=3, epochs=2,
                         batch_loss=[0.9, 0.8, 0.85, 0.7, 0.75, 0.72]),
}


def drive_mc(cbs, name):
    sc = MC_SCENARIOS[name]
    model = DummyModel()
    cb = cbs.ModelCheckpoint(**sc["kwargs"])
    cb.set_model(model)
    cb.set_params({"epochs": 3, "steps": sc.get("batches", 1), "verbose": 0})
    cb.on_train_begin({})
    if "logs" in sc:
        for epoch, logs in enumerate(sc["logs"]):
            cb.on_epoch_begin(epoch, {})
            cb.on_epoch_end(epoch, dict(logs))
    else:
        losses = iter(sc.get("batch_loss", []))
        for epoch in range(sc["epochs"]):
            cb.on_epoch_begin(epoch, {})
            for b in range(sc["batches"]):
                cb.on_train_batch_begin(b, {})
                cb.on_train_batch_end(b, {"loss": next(losses, 0.5)})
            cb.on_epoch_end(epoch, {"loss": 0.5})
    cb.on_train_end({})
    return [list(s) for s in model.saved]


CSV_SCENARIOS = {
    "no_val": dict(runs=[[{"mae": 0.25, "loss": 0.5}, {"mae": 0.125, "loss": 0.375}]]),
    "val_freq": dict(runs=[[{"loss": 0.5}, {"loss": 0.25, "val_loss": 0.75},
                            {"loss": 0.125}]]),
    "with_val_semicolon": dict(kwargs=dict(separator=";"),
                               runs=[[{"loss": 0.5, "val_loss": 0.75,
                                       "learning_rate": 0.009999999776482582}]]),
    "append": dict(kwargs=dict(append=True),
                   runs=[[{"loss": 0.5, "val_loss": 0.7}], [{"loss": 0.25, "val_loss": 0.6}]]),
    "overwrite": dict(runs=[[{"loss": 0.5}], [{"loss": 0.25}]]),
    "list_value": dict(runs=[[{"loss": 0.5, "val_loss": 1.5, "extra": [1, 2],
                               "name": "a,b"}]]),
}


def drive_csv(cbs, folder, name):
    sc = CSV_SCENARIOS[name]
    path = os.path.join(folder, f"{name}.csv")
    if os.path.exists(path):
        os.remove(path)
    cb = cbs.CSVLogger(path, **sc.get("kwargs", {}))
    cb.set_model(DummyModel())
    for run in sc["runs"]:
        cb.on_train_begin({})
        for epoch, logs in enumerate(run):
            cb.on_epoch_end(epoch, dict(logs))
        cb.on_train_end({})
    with open(path, newline="") as f:
        return f.read()


def drive_lrs(cbs, make_sgd):
    model = DummyModel(make_sgd(0.1))
    out = []
    for schedule in (lambda epoch, lr: lr * 0.5, lambda epoch: 0.1 / (epoch + 1)):
        cb = cbs.LearningRateScheduler(schedule, verbose=1)
        cb.set_model(model)
        for epoch in range(4):
            cb.on_epoch_begin(epoch, {})
            logs = {"loss": 1.0}
            cb.on_epoch_end(epoch, logs)
            out.append(logs["learning_rate"])
    return out


_HOOKS = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
          "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
          "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
          "on_predict_batch_begin", "on_predict_batch_end", "on_batch_begin", "on_batch_end"]


def make_recorder(cbs, events, tag, hooks=tuple(_HOOKS)):
    """A Callback subclass that overrides `hooks` and records (tag, hook, index, keys)."""
    def make(hook):
        def method(self, *args, **kwargs):
            logs = kwargs["logs"] if "logs" in kwargs else args[-1]
            index = [a for a in args if isinstance(a, int)]
            events.append([tag, hook] + index + [None if logs is None else sorted(logs)])
        return method
    cls = type(f"Rec{tag}", (cbs.Callback,), {h: make(h) for h in hooks})
    return cls()


def drive_fit_hooks(keras, x, y):
    """Hooks seen by three callbacks during fit (with validation), evaluate and predict,
    and the History keys."""
    cbs = keras.callbacks
    events = []
    full = make_recorder(cbs, events, "full")
    keras2 = make_recorder(cbs, events, "k2", ("on_batch_begin", "on_batch_end"))
    lam = cbs.LambdaCallback(
        on_epoch_end=lambda epoch, logs: events.append(["lam", "on_epoch_end", epoch,
                                                         sorted(logs)]),
        on_test_end=lambda logs: events.append(["lam", "on_test_end", sorted(logs)]),
        on_batch_end=lambda batch, logs: events.append(["lam", "on_batch_end", batch,
                                                        sorted(logs)]))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse", metrics=["mse", "mae"])
    rlr = cbs.ReduceLROnPlateau("loss", patience=0, factor=0.5, min_delta=10.0)
    history = model.fit(x, y, batch_size=4, epochs=2, validation_split=0.2, verbose=0,
                        callbacks=[full, keras2, lam, rlr])
    fit_events = list(events)
    events.clear()
    model.evaluate(x, y, batch_size=8, verbose=0, callbacks=[full, keras2, lam])
    eval_events = list(events)
    events.clear()
    model.predict(x, batch_size=8, verbose=0, callbacks=[full, keras2, lam])
    return {"fit": fit_events, "evaluate": eval_events, "predict": list(events),
            "history_keys": list(history.history), "params": history.params,
            "learning_rate": history.history["learning_rate"]}


def captured(fn, *args):
    """`[fn(*args), what it printed]`."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        result = fn(*args)
    return [result, buf.getvalue()]


def run_all(keras, folder, x, y):
    """Every scenario, as the JSON-able reference dict."""
    import warnings

    sgd = lambda lr: keras.optimizers.SGD(learning_rate=lr)  # noqa: E731
    ref = {"rlr": {}, "mc": {}, "csv": {}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n in RLR_SCENARIOS:
            ref["rlr"][n] = captured(drive_rlr, keras.callbacks, sgd, n)
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            for n in MC_SCENARIOS:
                ref["mc"][n] = captured(drive_mc, keras.callbacks, n)
            for n in CSV_SCENARIOS:
                ref["csv"][n] = drive_csv(keras.callbacks, folder, n)
        finally:
            os.chdir(cwd)
        ref["lrs"] = captured(drive_lrs, keras.callbacks, sgd)
        ref["fit"] = drive_fit_hooks(keras, x, y)
    return ref


def fit_data():
    import numpy as np

    rs = np.random.RandomState(0)
    return rs.rand(10, 3).astype("float32"), rs.rand(10, 2).astype("float32")


if __name__ == "__main__":
    import json
    import sys
    import tempfile

    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    with tempfile.TemporaryDirectory() as folder:
        reference = run_all(keras, folder, *fit_data())
    reference["generator"] = {"keras": keras.__version__, "backend": keras.backend.backend()}
    json.dump(reference, sys.stdout, indent=1)
    sys.stdout.write("\n")
