"""Write the fixtures for data fed from Python (generators, PyDataset/Sequence) by running
REAL Keras on the cases of `cases_gen.py`.

    KERAS_BACKEND=jax /work/venvs/k3/bin/python compat_tests/generate_gen_fixtures.py --keras 3
    /work/venvs/k2/bin/python compat_tests/generate_gen_fixtures.py --keras 2

--keras 3 runs `fit`/`evaluate`/`predict` of Keras 3 and writes fixtures/gen_k3.{json,npz};
--keras 2 runs tf_keras' `fit_generator`/`evaluate_generator`/`predict_generator` (Keras 2's
API, on a `tf_keras.utils.Sequence` for datasets) and writes fixtures/gen_k2.{json,npz}.
Never run this with minikeras. The run is deterministic.

npz keys: `data/<array>` (the arrays of `cases_gen.make_arrays`), `<case>/w0_<i>`,
`<case>/w1_<i>` (weights before and after fit), `<case>/pred` (predict of the final model on
x_train for fit cases; the predict result for predict cases).
json: {"provenance": {...}, "cases": {name: {"case", "history", "epochs", "ran_out_warnings",
"epoch_ends", "evaluate"}}}.
"""

import argparse
import json
import os
import platform
import sys
import warnings
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from generate_training_fixtures import import_keras  # noqa: E402

import cases_gen  # noqa: E402

RAN_OUT = "ran out of data"


def case_seed(name):
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


def _py(v):
    if isinstance(v, dict):
        return {k: _py(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_py(x) for x in v]
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    return v


def run_case(keras, major, case, arrays, npz):
    name = case["name"]
    model = cases_gen.build_model(keras, case)
    w0 = cases_gen.initial_weights(model, case_seed(name))
    model.set_weights(w0)
    for i, w in enumerate(w0):
        npz[f"{name}/w0_{i}"] = w
    record = {"case": case, "history": None, "epochs": None, "evaluate": None,
              "epoch_ends": None}
    mode = case.get("mode", "fit")
    src = cases_gen.make_source(keras, case, case["x"], arrays)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if mode == "fit":
            kw = cases_gen.fit_kwargs(keras, case, arrays)
            fit = model.fit if major == 3 else model.fit_generator
            if major == 2:
                kw.setdefault("shuffle", False)
            history = fit(src, verbose=0, **kw)
            record["history"] = _py(history.history)
            record["epochs"] = list(history.epoch)
            x, y = cases_gen.eval_arrays(case, arrays)
            npz[f"{name}/pred"] = model.predict(x, verbose=0)
            record["evaluate"] = _py(model.evaluate(x, y, verbose=0, return_dict=True))
            for i, w in enumerate(model.get_weights()):
                npz[f"{name}/w1_{i}"] = w
        elif mode == "evaluate":
            if major == 3:
                result = model.evaluate(src, steps=case.get("steps"), verbose=0,
                                        return_dict=True)
            else:
                values = model.evaluate_generator(src, steps=case.get("steps"), verbose=0)
                values = values if isinstance(values, list) else [values]
                result = dict(zip(model.metrics_names, values))
            record["evaluate"] = _py(result)
        else:
            predict = model.predict if major == 3 else model.predict_generator
            npz[f"{name}/pred"] = predict(src, steps=case.get("steps"), verbose=0)
    record["ran_out_warnings"] = sum(RAN_OUT in str(w.message) for w in caught)
    if hasattr(src, "epoch_ends"):
        record["epoch_ends"] = src.epoch_ends
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keras", type=int, choices=(2, 3), required=True)
    parser.add_argument("--out", default=os.path.join(HERE, "fixtures"))
    args = parser.parse_args(argv)
    keras = import_keras(args.keras)
    arrays = cases_gen.make_arrays()
    npz = {f"data/{k}": v for k, v in arrays.items()}
    cases = {}
    for case in cases_gen.CASES:
        if args.keras not in case["keras"]:
            continue
        keras.utils.set_random_seed(0)
        cases[case["name"]] = run_case(keras, args.keras, case, arrays, npz)
        print("ok", case["name"], flush=True)
    provenance = {"keras_version": keras.__version__, "keras_module": keras.__name__,
                  "backend": os.environ.get("KERAS_BACKEND", "tensorflow")
                  if args.keras == 3 else "tensorflow",
                  "numpy_version": np.__version__, "python_version": platform.python_version(),
                  "generator": "compat_tests/generate_gen_fixtures.py"}
    stem = os.path.join(args.out, f"gen_k{args.keras}")
    np.savez_compressed(stem + ".npz", **npz)
    with open(stem + ".json", "w") as f:
        json.dump({"provenance": provenance, "cases": cases}, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", stem + ".{json,npz}", len(cases), "cases")


if __name__ == "__main__":
    main()
