"""Write the sequence-layer fixtures by running REAL Keras (never minikeras).

    KERAS_BACKEND=jax /work/venvs/k3/bin/python compat_tests/generate_rnn_fixtures.py --keras 3
    /work/venvs/k2/bin/python compat_tests/generate_rnn_fixtures.py --keras 2

--keras 3 writes compat_tests/fixtures/rnn_k3.{npz,json}: every LAYER_CASE of
`cases_rnn.py` (forward values; `jax.grad` of sum(upstream * outputs) w.r.t. the input,
the initial states and every trainable weight, with a random upstream per output) and
every TRAIN_CASE (History, final weights, predict, evaluate after `fit` from the same
initial weights). --keras 2 (tf_keras) writes fixtures/rnn_k2.* with the TRAIN_CASES whose
"keras" list holds 2 (no layer cases: their gradients come from jax).

npz keys: `layer/<case>/<what>` and `train/<case>/<what>`; the json holds, per case, the
case itself, the output/weight names and shapes, History and evaluate, and provenance.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cases_rnn as C  # noqa: E402


def import_keras(major):
    if major == 3:
        os.environ["KERAS_BACKEND"] = "jax"
        import keras

        assert keras.backend.backend() == "jax"
        return keras
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tf_keras

    return tf_keras


def _flat(out):
    if isinstance(out, (list, tuple)):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return [out]


def layer_case(keras, case, arrays, meta):
    import jax
    import jax.numpy as jnp

    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    layer = C.build_layer(keras, case)
    x, mask, states = C.layer_case_data(case)
    kwargs = {}
    if mask is not None:
        kwargs["mask"] = mask
    if states:
        kwargs["initial_state"] = states
    layer(x, **kwargs)  # build
    rng = np.random.default_rng(C.case_seed(case) + 1)
    w = C.initial_weights(rng, [tuple(v.shape) for v in layer.weights])
    layer.set_weights(w)
    out = _flat(layer(x, **kwargs))
    outs = [np.asarray(o) for o in out]
    ups = [rng.normal(size=o.shape).astype("float32") for o in outs]
    tv = [v.value for v in layer.trainable_variables]
    ntv = [v.value for v in layer.non_trainable_variables]
    is_float = case["inputs"] != "ids"

    def f(tv_, x_, states_):
        kw = dict(kwargs)
        if states:
            kw["initial_state"] = list(states_)
        o, _ = layer.stateless_call(tv_, ntv, x_, **kw)
        return sum(jnp.sum(u * oo) for u, oo in zip(ups, _flat(o)))

    st = [jnp.asarray(s) for s in states]
    if is_float:
        gtv, gx, gst = jax.grad(f, argnums=(0, 1, 2))(tv, jnp.asarray(x), st)
    else:
        gtv, gx, gst = jax.grad(f, argnums=0)(tv, x, st), None, []
    p = f"layer/{case['name']}/"
    arrays[p + "x"] = x
    if mask is not None:
        arrays[p + "mask"] = mask
    for i, s in enumerate(states):
        arrays[p + f"state{i}"] = s
        arrays[p + f"grad_state{i}"] = np.asarray(gst[i])
    for i, a in enumerate(w):
        arrays[p + f"w{i}"] = a
    for i, (o, u) in enumerate(zip(outs, ups)):
        arrays[p + f"out{i}"] = o
        arrays[p + f"up{i}"] = u
    for i, g in enumerate(gtv):
        arrays[p + f"grad_w{i}"] = np.asarray(g)
    if gx is not None:
        arrays[p + "grad_x"] = np.asarray(gx)
    meta[case["name"]] = {
        "case": case, "n_weights": len(w), "n_outputs": len(outs), "n_states": len(states),
        "weight_paths": [v.path for v in layer.weights],
        "trainable_paths": [v.path for v in layer.trainable_variables],
        "config": json.loads(json.dumps(layer.get_config(), default=str)),
    }


def train_case(keras, case, arrays, meta):
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = C.build_model(keras, case)
    x, y, sw = C.make_data(case)
    rng = np.random.default_rng(C.case_seed(case) + 1)
    w0 = C.initial_weights(rng, [w.shape for w in model.get_weights()])
    model.set_weights(w0)
    fit = dict(case["fit"])
    hist = model.fit(x, y, sample_weight=sw, verbose=0, **fit)
    w1 = model.get_weights()
    bs = case["batch_shape"][0] if case["batch_shape"] else 32
    pred = model.predict(x, batch_size=bs, verbose=0)
    ev = model.evaluate(x, y, batch_size=bs, verbose=0, return_dict=True)
    p = f"train/{case['name']}/"
    arrays[p + "x"] = x
    arrays[p + "y"] = y
    if sw is not None:
        arrays[p + "sample_weight"] = sw
    for i, a in enumerate(w0):
        arrays[p + f"w0_{i}"] = a
    for i, a in enumerate(w1):
        arrays[p + f"w1_{i}"] = np.asarray(a)
    arrays[p + "pred"] = np.asarray(pred)
    meta[case["name"]] = {
        "case": case, "n_weights": len(w0),
        "history": {k: [float(v) for v in vals] for k, vals in hist.history.items()},
        "evaluate": {k: float(v) for k, v in ev.items()},
        "weight_names": [getattr(w, "path", w.name) for w in model.weights],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keras", type=int, choices=(2, 3), required=True)
    ap.add_argument("--out", default=os.path.join(HERE, "fixtures"))
    args = ap.parse_args()
    keras = import_keras(args.keras)
    arrays: dict = {}
    meta: dict = {"layer_cases": {}, "train_cases": {}}
    failed = []
    if args.keras == 3:
        for case in C.LAYER_CASES:
            try:
                layer_case(keras, case, arrays, meta["layer_cases"])
                print("layer", case["name"], "ok")
            except Exception as e:  # noqa: BLE001 - report and go on
                failed.append((case["name"], repr(e)))
                print("layer", case["name"], "FAILED", repr(e))
    for case in C.TRAIN_CASES:
        if args.keras not in case["keras"]:
            continue
        try:
            train_case(keras, case, arrays, meta["train_cases"])
            print("train", case["name"], "ok")
        except Exception as e:  # noqa: BLE001
            failed.append((case["name"], repr(e)))
            print("train", case["name"], "FAILED", repr(e))
    versions = {"keras_version": keras.__version__, "numpy_version": np.__version__,
                "python_version": platform.python_version(),
                "backend": keras.backend.backend() if args.keras == 3 else "tensorflow"}
    if args.keras == 3:
        import jax

        versions["jax_version"] = jax.__version__
    meta["provenance"] = versions
    meta["failed"] = failed
    name = f"rnn_k{args.keras}"
    np.savez_compressed(os.path.join(args.out, name + ".npz"), **arrays)
    with open(os.path.join(args.out, name + ".json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    print(f"wrote {name}: {len(meta['layer_cases'])} layer cases, "
          f"{len(meta['train_cases'])} training cases, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
