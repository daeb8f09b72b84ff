"""Write the fixtures for nested inputs, outputs, losses, metrics and loss weights by running
REAL Keras 3 (jax) on the cases of `cases_nested.py`.

    KERAS_BACKEND=jax /work/venvs/k3/bin/python compat_tests/generate_nested_fixtures.py

Never run this with minikeras. The run is deterministic (shuffle=False, fixed weights).

npz keys: `<case>/w0_<i>`, `<case>/w1_<i>` (weights before and after fit),
`<case>/pred/<path>` (predict's arrays, by their path in the returned structure),
`optional/with`, `optional/without` (the optional-input model called with and without
its optional input).
json: {"provenance", "cases": {name: {"case", "history_keys", "history", "evaluate",
"evaluate_dict", "predict_structure", "train_batches", "batch_log_keys"}},
"errors": {name: {"case", "where", "type"}}, "unbuilt": {model: {attribute: ["raises",
type] or ["value", what]}}, "steps_per_execution_hooks": [[hook, batch index], ...]}.
"""

import json
import os
import platform
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from generate_training_fixtures import import_keras  # noqa: E402

import cases_nested  # noqa: E402


def case_seed(name):
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


def _py(v):
    if isinstance(v, dict):
        return {k: _py(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_py(x) for x in v]
    if hasattr(v, "item") and np.ndim(v) == 0:
        return float(v)
    if isinstance(v, np.ndarray):
        return v.tolist()
    return v


def describe(struct, npz, prefix):
    """The structure of predict's result, its arrays stored under their paths."""
    if isinstance(struct, dict):
        return {"dict": {k: describe(v, npz, f"{prefix}/{k}") for k, v in struct.items()}}
    if isinstance(struct, (list, tuple)):
        return {type(struct).__name__: [describe(v, npz, f"{prefix}/{i}")
                                        for i, v in enumerate(struct)]}
    npz[prefix] = np.asarray(struct)
    return "array"


def run_case(keras, case, arr, npz):
    name = case["name"]
    model = cases_nested.build_model(keras, case["model"])
    w0 = cases_nested.initial_weights(model, case_seed(name))
    model.set_weights(w0)
    for i, w in enumerate(w0):
        npz[f"{name}/w0_{i}"] = w
    model.compile(**cases_nested.compile_kwargs(keras, case))
    seen = []

    class Batches(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append((batch, sorted(logs)))

    x = cases_nested.x_data(case["x"], arr)
    y = cases_nested.y_data(case["y"], arr)
    fit_kw = {"batch_size": 8, "epochs": 2, "shuffle": False, "verbose": 0}
    fit_kw.update(case.get("fit", {}))
    if case.get("sample_weight"):
        fit_kw["sample_weight"] = arr["sw"]
    history = model.fit(x, y, callbacks=[Batches()], **fit_kw)
    rec = {"case": case, "history_keys": list(history.history),
           "history": _py(history.history),
           "train_batches": [b for b, _ in seen], "batch_log_keys": seen[0][1]}
    ev_kw = {"sample_weight": arr["sw"]} if case.get("sample_weight") else {}
    rec["evaluate"] = _py(model.evaluate(x, y, batch_size=8, verbose=0, **ev_kw))
    rec["evaluate_dict"] = _py(model.evaluate(x, y, batch_size=8, verbose=0,
                                              return_dict=True, **ev_kw))
    rec["evaluate_dict_keys"] = list(rec["evaluate_dict"])
    rec["predict_structure"] = describe(model.predict(x, verbose=0), npz, f"{name}/pred")
    for i, w in enumerate(model.get_weights()):
        npz[f"{name}/w1_{i}"] = w
    return rec


def run_error(keras, case, arr):
    model = cases_nested.build_model(keras, case["model"])
    where = "compile"
    try:
        model.compile(**cases_nested.compile_kwargs(keras, case))
        where = "fit"
        model.fit(cases_nested.x_data(case["x"], arr), cases_nested.y_data(case["y"], arr),
                  epochs=1, batch_size=8, verbose=0)
    except Exception as e:  # noqa: BLE001 - the type is what is recorded
        return {"case": case, "where": where, "type": type(e).__name__,
                "message": str(e)[:300]}
    return {"case": case, "where": None, "type": None, "message": None}


def run_hooks(keras, arr):
    """The batch indices every callback hook gets with steps_per_execution=3 (8 batches of
    2 samples: executions of 3, 3 and 2 steps), in fit, evaluate and predict."""
    model = cases_nested.build_model(keras, "single")
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=3)
    calls = []

    class Hooks(keras.callbacks.Callback):
        pass

    for hook in ("train", "test", "predict"):
        for when in ("begin", "end"):
            setattr(Hooks, f"on_{hook}_batch_{when}",
                    lambda self, batch, logs=None, _n=f"{hook}_{when}": calls.append([_n, batch]))
    model.fit(arr["a"], arr["y"], batch_size=2, epochs=1, shuffle=False, verbose=0,
              callbacks=[Hooks()])
    model.evaluate(arr["a"], arr["y"], batch_size=2, verbose=0, callbacks=[Hooks()])
    model.predict(arr["a"], batch_size=2, verbose=0, callbacks=[Hooks()])
    return calls


def main():
    keras = import_keras(3)
    keras.utils.set_random_seed(0)
    arr = cases_nested.make_arrays()
    npz = {}
    out = {"provenance": {"keras": keras.__version__, "backend": keras.backend.backend(),
                          "python": platform.python_version(), "numpy": np.__version__},
           "cases": {}, "errors": {}}
    for case in cases_nested.CASES:
        out["cases"][case["name"]] = run_case(keras, case, arr, npz)
    for case in cases_nested.ERROR_CASES:
        out["errors"][case["name"]] = run_error(keras, case, arr)
    out["unbuilt"] = {name: {a: cases_nested.describe_attribute(m, a)
                             for a in cases_nested.UNBUILT_ATTRIBUTES}
                      for name, m in cases_nested.unbuilt_models(keras)}
    out["steps_per_execution_hooks"] = run_hooks(keras, arr)
    model = cases_nested.build_optional(keras)
    x1 = np.arange(8, dtype=np.float32).reshape(4, 2)
    npz["optional/with"] = np.asarray(model([x1, x1 * 10]))
    npz["optional/without"] = np.asarray(model([x1, None]))
    stem = os.path.join(HERE, "fixtures", "nested_k3")
    with open(stem + ".json", "w") as f:
        json.dump(out, f, indent=1, sort_keys=False)
    np.savez(stem + ".npz", **npz)
    print("wrote", stem, len(out["cases"]), "cases,", len(out["errors"]), "error cases")


if __name__ == "__main__":
    main()
