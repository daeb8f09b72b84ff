"""Cases for data fed from Python: generators, iterators, PyDataset / Sequence.

Shared by `generate_gen_fixtures.py` (run with real Keras 3 or tf_keras) and
`test_gen_compat.py` (run with minikeras), so that both sides build the same model and feed
the same batches in the same order. Every case is plain data; `make_source(keras, spec,
arrays)` turns a source spec into a generator or a `PyDataset` (`Sequence` for tf_keras)
subclass built from whichever `keras` module is passed.

A source spec: {"kind": "generator" | "cycle" | "dataset", "data": "train" | "val",
"batch": 8, "sample_weight": bool, "x_only": bool, "reverse_on_epoch_end": bool}.
- "generator": a finite generator, one pass over the data in order;
- "cycle": an infinite generator that cycles over the batches;
- "dataset": a PyDataset/Sequence of ceil(n / batch) batches; with "reverse_on_epoch_end",
  its `on_epoch_end` reverses the batch order (this pins how often Keras calls it).
"""

import math

import numpy as np

N_TRAIN, N_VAL, INPUT_DIM = 40, 24, 4


def _src(kind, data="train", batch=8, **kw):
    return dict({"kind": kind, "data": data, "batch": batch}, **kw)


# mode: "fit" (compare the whole trajectory), "fit_k2_stop" (see ran_out below),
# "evaluate", "predict". `task`: "regression" (mse, 2 units) or "sparse" (3 classes,
# softmax, sparse_categorical_crossentropy + accuracy).
CASES = [
    {"name": "cycle_steps", "keras": [3, 2], "task": "regression", "optimizer": "sgd",
     "x": _src("cycle"), "fit": {"epochs": 3, "steps_per_epoch": 3}},
    {"name": "generator_one_epoch", "keras": [3], "task": "regression", "optimizer": "adam",
     "x": _src("generator"), "fit": {"epochs": 1}},
    {"name": "generator_steps_continue", "keras": [3], "task": "regression",
     "optimizer": "sgd", "x": _src("generator"), "fit": {"epochs": 2, "steps_per_epoch": 2}},
    {"name": "generator_sample_weight", "keras": [3, 2], "task": "regression",
     "optimizer": "adam", "x": _src("cycle", sample_weight=True),
     "fit": {"epochs": 2, "steps_per_epoch": 5}},
    {"name": "generator_sparse_accuracy", "keras": [3, 2], "task": "sparse",
     "optimizer": "adam", "x": _src("cycle"), "fit": {"epochs": 3, "steps_per_epoch": 4}},
    {"name": "generator_validation_generator", "keras": [3], "task": "sparse",
     "optimizer": "sgd", "x": _src("cycle"), "validation": _src("cycle", "val"),
     "fit": {"epochs": 3, "steps_per_epoch": 2, "validation_steps": 2}},
    {"name": "generator_validation_arrays", "keras": [3, 2], "task": "regression",
     "optimizer": "sgd", "x": _src("cycle"), "validation": "arrays",
     "fit": {"epochs": 2, "steps_per_epoch": 5}},
    {"name": "dataset_plain", "keras": [3, 2], "task": "regression", "optimizer": "sgd",
     "x": _src("dataset"), "fit": {"epochs": 3, "shuffle": False}},
    {"name": "dataset_partial_last_batch", "keras": [3, 2], "task": "sparse",
     "optimizer": "adam", "x": _src("dataset", batch=12),
     "fit": {"epochs": 2, "shuffle": False}},
    {"name": "dataset_steps_wrap", "keras": [3], "task": "regression", "optimizer": "sgd",
     "x": _src("dataset"), "fit": {"epochs": 3, "steps_per_epoch": 3, "shuffle": False}},
    {"name": "dataset_steps_ran_out", "keras": [3], "task": "regression", "optimizer": "sgd",
     "x": _src("dataset"), "fit": {"epochs": 3, "steps_per_epoch": 2, "shuffle": False}},
    {"name": "dataset_on_epoch_end", "keras": [3], "task": "regression", "optimizer": "sgd",
     "x": _src("dataset", reverse_on_epoch_end=True),
     "fit": {"epochs": 3, "shuffle": False}},
    {"name": "dataset_validation_dataset", "keras": [3, 2], "task": "sparse",
     "optimizer": "sgd", "x": _src("dataset", sample_weight=True),
     "validation": _src("dataset", "val"), "fit": {"epochs": 2, "shuffle": False}},
    # a finite generator asked for more epochs than it holds: Keras 3 warns and replays the
    # two batches it peeked at each later epoch; minikeras warns and stops (as Keras 2)
    {"name": "generator_runs_out", "keras": [3, 2], "task": "regression", "optimizer": "sgd",
     "x": _src("generator"), "fit": {"epochs": 3}, "ran_out": True},
    {"name": "evaluate_generator_steps", "keras": [3, 2], "task": "sparse", "mode": "evaluate",
     "x": _src("cycle"), "steps": 3},
    {"name": "evaluate_dataset", "keras": [3, 2], "task": "sparse", "mode": "evaluate",
     "x": _src("dataset", batch=12)},
    {"name": "predict_generator_x_only", "keras": [3, 2], "task": "sparse", "mode": "predict",
     "x": _src("generator", x_only=True)},
    {"name": "predict_dataset_steps", "keras": [3, 2], "task": "regression",
     "mode": "predict", "x": _src("dataset"), "steps": 3},
]


def make_arrays(seed=1234):
    """Deterministic data for every case (the fixture stores it, the test reads it back)."""
    rng = np.random.default_rng(seed)
    out = {}
    for part, n in (("train", N_TRAIN), ("val", N_VAL)):
        x = rng.normal(size=(n, INPUT_DIM)).astype(np.float32)
        out[f"x_{part}"] = x
        out[f"yreg_{part}"] = (x @ rng.normal(size=(INPUT_DIM, 2)) +
                               0.3 * rng.normal(size=(n, 2))).astype(np.float32)
        out[f"ysparse_{part}"] = np.argmax(
            x @ rng.normal(size=(INPUT_DIM, 3)) + 0.5 * rng.normal(size=(n, 3)),
            axis=1).astype(np.int32)
        out[f"sw_{part}"] = rng.uniform(0.2, 2.0, size=n).astype(np.float32)
    return out


def _targets(case, arrays, part):
    return arrays[("yreg_" if case["task"] == "regression" else "ysparse_") + part]


def _batches(case, spec, arrays):
    part = spec["data"]
    x, y, sw = arrays[f"x_{part}"], _targets(case, arrays, part), arrays[f"sw_{part}"]
    b = spec["batch"]
    out = []
    for i in range(math.ceil(len(x) / b)):
        s = slice(i * b, (i + 1) * b)
        if spec.get("x_only"):
            out.append((x[s],))
        elif spec.get("sample_weight"):
            out.append((x[s], y[s], sw[s]))
        else:
            out.append((x[s], y[s]))
    return out


def _dataset_base(keras):
    utils = keras.utils
    return getattr(utils, "PyDataset", None) or utils.Sequence


def make_source(keras, case, spec, arrays):
    """The generator or dataset a spec describes (a fresh one at each call)."""
    batches = _batches(case, spec, arrays)
    if spec["kind"] == "generator":
        return (b for b in batches)
    if spec["kind"] == "cycle":
        def cycle():
            while True:
                yield from batches
        return cycle()

    base = _dataset_base(keras)

    class Batches(base):
        def __init__(self):
            super().__init__()
            self.order = list(range(len(batches)))
            self.epoch_ends = 0

        def __len__(self):
            return len(batches)

        def __getitem__(self, index):
            return batches[self.order[index]]

        def on_epoch_end(self):
            self.epoch_ends += 1
            if spec.get("reverse_on_epoch_end"):
                self.order.reverse()

    return Batches()


def build_model(keras, case):
    if case["task"] == "regression":
        out = keras.layers.Dense(2)
        loss, metrics = "mse", []
    else:
        out = keras.layers.Dense(3, activation="softmax")
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    model = keras.Sequential([keras.Input(shape=(INPUT_DIM,)),
                              keras.layers.Dense(5, activation="tanh"), out])
    opt = {"sgd": lambda: keras.optimizers.SGD(learning_rate=0.05),
           "adam": lambda: keras.optimizers.Adam(learning_rate=0.01)}[
        case.get("optimizer", "sgd")]()
    model.compile(optimizer=opt, loss=loss, metrics=metrics)
    return model


def initial_weights(model, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-0.5, 0.5, size=w.shape).astype(np.float32)
            for w in model.get_weights()]


def fit_kwargs(keras, case, arrays):
    kw = dict(case["fit"])
    val = case.get("validation")
    if val == "arrays":
        kw["validation_data"] = (arrays["x_val"], _targets(case, arrays, "val"))
    elif val is not None:
        kw["validation_data"] = make_source(keras, case, val, arrays)
    return kw


def eval_arrays(case, arrays):
    """Arrays for the final `evaluate`/`predict` check of a fit case."""
    return arrays["x_train"], _targets(case, arrays, "train")
