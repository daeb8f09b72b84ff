"""Write the training-trajectory fixtures by running REAL Keras.

    KERAS_BACKEND=jax /path/to/k3/bin/python compat_tests/generate_training_fixtures.py --keras 3
    /path/to/k2/bin/python compat_tests/generate_training_fixtures.py --keras 2
    ... [--only CASE_NAME] [--only OTHER] [--out DIR]

--keras 3 imports `keras` (Keras 3, jax backend) and writes compat_tests/fixtures/k3/;
--keras 2 imports `tf_keras` (Keras 2) and writes compat_tests/fixtures/k2/.
Never run this with minikeras: a reference value must come from real Keras.
See compat_tests/README.md for the fixture schema.
"""

import argparse
import json
import os
import platform
import sys
import traceback
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

FIXTURE_KIND = "training_trajectory"
FIXTURE_FORMAT = 1
INIT_LOW, INIT_HIGH = -0.5, 0.5  # every weight ...
POS_LOW, POS_HIGH = 0.5, 1.5  # ... except every `gamma` and moving_variance


def import_keras(major):
    if major == 3:
        os.environ["KERAS_BACKEND"] = "jax"
        import keras

        if not keras.__version__.startswith("3."):
            raise SystemExit(f"--keras 3 needs Keras 3, got {keras.__version__}")
        if keras.backend.backend() != "jax":
            raise SystemExit("--keras 3 needs the jax backend")
        return keras
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tf_keras as keras

    if not keras.__version__.startswith("2."):
        raise SystemExit(f"--keras 2 needs tf_keras 2.x, got {keras.__version__}")
    return keras


# --------------------------------------------------------------------------- data
def case_seed(case):
    if "seed" in case:
        return int(case["seed"])
    return zlib.crc32(case["name"].encode("utf-8")) & 0x7FFFFFFF


def _out_units(case):
    if case.get("model") == "subclassed":
        return case["output"]["units"]
    for _, cfg in reversed(case["layers"]):
        if "units" in cfg:
            return cfg["units"]
    raise ValueError("no Dense output layer in {}".format(case["name"]))


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _target_maker(kind, units, d, rng):
    """Draw the task's parameters once; return f(x) -> targets (train and val share it)."""
    a = rng.normal(0.0, 1.0, (d, units)) * 0.7
    noise_scale = 0.3

    def make(x):
        z = x.astype(np.float64) @ a + noise_scale * rng.normal(0.0, 1.0, (x.shape[0], units))
        if kind == "regression":
            return z.astype(np.float32)
        if kind == "regression_pos":
            return np.exp(0.5 * z).astype(np.float32)
        if kind in ("binary", "signed"):
            if units != 1:
                raise ValueError(f"{kind} targets need 1 output unit")
            y = (z > 0).astype(np.float32)
            return (2 * y - 1) if kind == "signed" else y
        if kind == "multilabel":
            return (z > 0).astype(np.float32)
        if kind == "softlabels":
            return _softmax(1.5 * z).astype(np.float32)
        labels = z.argmax(axis=1).astype(np.int32)
        if kind == "multiclass":
            return np.eye(units, dtype=np.float32)[labels]
        if kind == "sparse":
            return labels
        if kind == "sparse_col":
            return labels[:, None]
        raise ValueError(f"unknown data kind {kind!r}")

    return make


def make_data(case, rng):
    n, d = case["n"], case["input_dim"]
    fit = case["fit"] or {}
    if case.get("model") == "functional":
        outputs = [(name, kind, dict(case["heads"])[name][1]["units"])
                   for name, kind in case["outputs"]]
    else:
        outputs = [(None, case["data"], _out_units(case))]
    makers = [(name, _target_maker(kind, units, d, rng)) for name, kind, units in outputs]

    def key(prefix, name):
        return prefix if name is None else f"{prefix}_{name}"

    arrays = {"x": rng.normal(0.0, 1.0, (n, d)).astype(np.float32)}
    for name, mk in makers:
        arrays[key("y", name)] = mk(arrays["x"])
    if fit.get("validation_data"):
        n_val = max(8, n // 4)
        arrays["x_val"] = rng.normal(0.0, 1.0, (n_val, d)).astype(np.float32)
        for name, mk in makers:
            arrays[key("y_val", name)] = mk(arrays["x_val"])
        if fit.get("validation_sample_weight"):
            arrays["val_sample_weight"] = rng.uniform(0.5, 1.5, n_val).astype(np.float32)
    if fit.get("sample_weight"):
        arrays["sample_weight"] = rng.uniform(0.2, 2.0, n).astype(np.float32)
    if fit.get("class_weight"):
        arrays["class_weight"] = np.array(
            [[int(k), float(v)] for k, v in sorted(fit["class_weight"].items(),
                                                   key=lambda kv: int(kv[0]))],
            dtype=np.float32)
    return arrays


# --------------------------------------------------------------------------- weights
def layer_weights(model):
    """Every weight, layer by layer in model.layers order (Keras 3's get_weights order)."""
    return [(layer, w) for layer in model.layers for w in layer.weights]


def _weight_name(w):
    return str(getattr(w, "path", None) or w.name)


def initial_weights(model, rng):
    values = []
    for _, w in layer_weights(model):
        shape = tuple(int(s) for s in w.shape)
        short = _weight_name(w).split("/")[-1].split(":")[0]
        if short in ("gamma", "moving_variance"):
            values.append(rng.uniform(POS_LOW, POS_HIGH, shape).astype(np.float32))
        else:
            values.append(rng.uniform(INIT_LOW, INIT_HIGH, shape).astype(np.float32))
    return values


def set_layer_weights(model, values):
    it = iter(values)
    for layer in model.layers:
        n = len(layer.weights)
        if n:
            layer.set_weights([next(it) for _ in range(n)])
    rest = list(it)
    assert not rest, "unused weights"


def get_layer_weights(model):
    return [np.asarray(v) for layer in model.layers for v in layer.get_weights()]


# --------------------------------------------------------------------------- run one case
def _py(value):
    """numpy scalars / arrays -> JSON-able python values."""
    if isinstance(value, dict):
        return {str(k): _py(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_py(v) for v in value]
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    if isinstance(value, np.ndarray):
        return value.tolist() if value.ndim else value.item()
    if isinstance(value, np.generic):
        return value.item()
    return value


def dump_json(meta):
    """One top-level key per line, each value compact: small, diff-friendly files."""
    lines = [f"  {json.dumps(k)}: {json.dumps(meta[k], sort_keys=True, allow_nan=False)}"
             for k in sorted(meta)]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _class_path(obj):
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def run_case(keras, major, case, out_dir):
    from cases_training import build_case, fit_arguments, evaluate_arguments, output_names

    keras.backend.clear_session()
    seed = case_seed(case)
    keras.utils.set_random_seed(seed)  # nothing random should be left; belt and braces
    rng = np.random.default_rng(seed)
    arrays = make_data(case, rng)

    model, callbacks = build_case(keras, case)
    pairs = layer_weights(model)
    model_weights = list(model.weights)
    assert len(pairs) == len(model_weights), "layer weights != model weights"
    assert {id(w) for _, w in pairs} == {id(w) for w in model_weights}
    get_weights_order_is_per_layer = [id(w) for _, w in pairs] == [id(w) for w in model_weights]

    w0 = initial_weights(model, rng)
    set_layer_weights(model, w0)
    for a, b in zip(w0, get_layer_weights(model)):
        np.testing.assert_array_equal(a, b)

    history = None
    stopped = {}
    if case["fit"] is not None:
        kwargs = fit_arguments(case, arrays)
        hist = model.fit(callbacks=callbacks, verbose=0, **kwargs)
        history = {k: [_py(v) for v in vals] for k, vals in hist.history.items()}
        for i, cb in enumerate(callbacks):
            if type(cb).__name__ == "EarlyStopping":
                stopped[str(i)] = {"stopped_epoch": int(cb.stopped_epoch),
                                   "best_epoch": _py(getattr(cb, "best_epoch", None))}
    w1 = get_layer_weights(model)
    pred = model.predict(arrays["x"], verbose=0)
    ex, ey = evaluate_arguments(case, arrays)
    evaluation = _py(model.evaluate(ex, ey, verbose=0, return_dict=True))

    out = dict(arrays)
    for i, w in enumerate(w0):
        out[f"w0_{i}"] = w
    for i, w in enumerate(w1):
        out[f"w1_{i}"] = np.asarray(w, dtype=np.float32)
    names = output_names(case)
    if names is None:
        out["pred"] = np.asarray(pred, dtype=np.float32)
    else:
        if isinstance(pred, dict):
            pred = [pred[nm] for nm in names]
        for nm, p in zip(names, pred):
            out[f"pred_{nm}"] = np.asarray(p, dtype=np.float32)
    np.savez_compressed(os.path.join(out_dir, case["name"] + ".npz"), **out)

    optimizer = model.optimizer
    try:
        opt_config = _py(optimizer.get_config())
    except Exception as e:  # pragma: no cover - informative only
        opt_config = f"get_config failed: {e!r}"
    es_list = list(stopped.values())
    meta = {
        "fixture_kind": FIXTURE_KIND,
        "fixture_format": FIXTURE_FORMAT,
        "case": case,
        "seed": seed,
        "keras_major": major,
        "keras_module": keras.__name__,
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "history": history,
        "epochs_run": None if history is None else len(next(iter(history.values()), [])),
        "stopped_epoch": es_list[0]["stopped_epoch"] if es_list else None,
        "early_stopping": stopped or None,
        "evaluate": evaluation,
        "optimizer_class": _class_path(optimizer),
        "optimizer_config": opt_config,
        "weight_names": [_weight_name(w) for _, w in pairs],
        "weight_shapes": [list(w.shape) for w in w0],
        "n_weights": len(w0),
        "model_get_weights_order_is_per_layer": get_weights_order_is_per_layer,
        "arrays": sorted(out),
    }
    with open(os.path.join(out_dir, case["name"] + ".json"), "w") as f:
        f.write(dump_json(meta))
    return meta


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--keras", type=int, choices=(2, 3), required=True)
    p.add_argument("--only", action="append", default=[], metavar="NAME",
                   help="generate only this case (repeatable)")
    p.add_argument("--out", default=None, help="output dir (default fixtures/k<major>)")
    p.add_argument("--keep-going", action="store_true",
                   help="report a case Keras rejects and continue")
    args = p.parse_args(argv)

    keras = import_keras(args.keras)
    from cases_training import CASES, CASES_BY_NAME

    out_dir = args.out or os.path.join(HERE, "fixtures", f"k{args.keras}")
    os.makedirs(out_dir, exist_ok=True)
    if args.only:
        unknown = [n for n in args.only if n not in CASES_BY_NAME]
        if unknown:
            raise SystemExit("unknown case(s): {}".format(", ".join(unknown)))
        cases = [CASES_BY_NAME[n] for n in args.only]
    else:
        cases = CASES
    cases = [c for c in cases if args.keras in c["keras"]]
    failed = []
    for case in cases:
        try:
            meta = run_case(keras, args.keras, case, out_dir)
        except Exception as e:
            failed.append((case["name"], f"{type(e).__name__}: {e}"))
            print("FAILED {}: {}".format(case["name"], failed[-1][1]), flush=True)
            if not args.keep_going:
                traceback.print_exc()
                raise SystemExit(1) from e
            continue
        hist = meta["history"] or {}
        print(f"ok {case['name']:48s} epochs={meta['epochs_run']} "
              f"keys={','.join(sorted(hist))} stopped={meta['stopped_epoch']}", flush=True)
    if not args.only:  # full run: drop training fixtures of cases that no longer exist
        wanted = {c["name"] for c in cases}
        for fn in sorted(os.listdir(out_dir)):
            stem, ext = os.path.splitext(fn)
            if ext != ".json" or stem in wanted:
                continue
            with open(os.path.join(out_dir, fn)) as f:
                if json.load(f).get("fixture_kind") != FIXTURE_KIND:
                    continue
            for e in (".json", ".npz"):
                if os.path.exists(os.path.join(out_dir, stem + e)):
                    os.remove(os.path.join(out_dir, stem + e))
            print(f"removed stale fixture {stem}")
    print(f"{len(cases) - len(failed)} written, {len(failed)} failed")
    for name, err in failed:
        print(f"  rejected: {name} -- {err}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
