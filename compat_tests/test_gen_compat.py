"""minikeras fed from generators and PyDataset/Sequence against real Keras 3 and tf_keras.

Fixtures: fixtures/gen_k3.{json,npz} (Keras 3 `fit`/`evaluate`/`predict`) and
fixtures/gen_k2.{json,npz} (tf_keras `fit_generator`/`evaluate_generator`/
`predict_generator`), written by generate_gen_fixtures.py from the cases in cases_gen.py.
Each case runs here with the same batches, in the same order, from the same initial weights.
"""

import json
import os
import warnings

import numpy as np
import pytest

import minikeras as keras

import cases_gen

HERE = os.path.dirname(os.path.abspath(__file__))
RTOL, ATOL = 1e-4, 1e-6

# Where minikeras deliberately differs from Keras 3 about the "ran out of data" warning:
# Keras 3 warns whenever a generator stops, even at the natural end of a one-epoch fit or
# of a predict; minikeras warns only when more batches were asked for than it got.
_QUIET_WHERE_KERAS3_WARNS = {"generator_one_epoch", "predict_generator_x_only"}


def _load(major):
    stem = os.path.join(HERE, "fixtures", f"gen_k{major}")
    with open(stem + ".json") as f:
        meta = json.load(f)
    with np.load(stem + ".npz") as z:
        arrays = {k: z[k] for k in z.files}
    return meta, arrays


_FIXTURES = {major: _load(major) for major in (3, 2)}
_PARAMS = [pytest.param(major, name, id=f"k{major}-{name}")
           for major in (3, 2) for name in sorted(_FIXTURES[major][0]["cases"])]


def test_every_case_has_a_fixture():
    for major in (3, 2):
        want = {c["name"] for c in cases_gen.CASES if major in c["keras"]}
        have = set(_FIXTURES[major][0]["cases"])
        assert want == have, f"k{major}: regenerate with generate_gen_fixtures.py"
        for name, rec in _FIXTURES[major][0]["cases"].items():
            assert rec["case"] == next(c for c in cases_gen.CASES if c["name"] == name)


def _close(got, want, what):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64),
                               np.asarray(want, dtype=np.float64), rtol=RTOL, atol=ATOL,
                               err_msg=what)


@pytest.mark.parametrize("major,name", _PARAMS)
def test_same_trajectory_as_keras(major, name):
    meta, npz = _FIXTURES[major]
    rec = meta["cases"][name]
    case = rec["case"]
    data = {k[5:]: v for k, v in npz.items() if k.startswith("data/")}
    model = cases_gen.build_model(keras, case)
    n_w = len(model.get_weights())
    model.set_weights([npz[f"{name}/w0_{i}"] for i in range(n_w)])
    src = cases_gen.make_source(keras, case, case["x"], data)
    mode = case.get("mode", "fit")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if mode == "fit":
            kw = cases_gen.fit_kwargs(keras, case, data)
            if major == 2:
                kw.setdefault("shuffle", False)
                history = model.fit_generator(src, verbose=0, **kw)
            else:
                history = model.fit(src, verbose=0, **kw)
        elif mode == "evaluate":
            if major == 3:
                result = model.evaluate(src, steps=case.get("steps"), verbose=0,
                                        return_dict=True)
            else:
                values = model.evaluate_generator(src, steps=case.get("steps"), verbose=0)
                result = dict(zip(model.metrics_names, np.atleast_1d(values)))
        else:
            predict = model.predict if major == 3 else model.predict_generator
            pred = predict(src, steps=case.get("steps"), verbose=0)
    ran_out = sum("ran out of data" in str(w.message) for w in caught)

    if case.get("ran_out"):
        # Keras 3 replays, each later epoch, the two batches it peeked at; tf_keras records
        # an empty epoch (loss 0.0). minikeras warns once and stops: same first epoch.
        assert history.epoch == [0] and ran_out == 1
        assert set(history.history) == set(rec["history"])
        for key, values in rec["history"].items():
            _close(history.history[key], values[:1], key)
        return

    if major == 3 and name not in _QUIET_WHERE_KERAS3_WARNS:
        assert ran_out == rec["ran_out_warnings"], "the 'ran out of data' warning"
    elif name in _QUIET_WHERE_KERAS3_WARNS:
        assert ran_out == 0
    if major == 3 and rec["epoch_ends"] is not None:
        # how often Keras 3 calls on_epoch_end (once more than the epochs, at the start)
        assert src.epoch_ends == rec["epoch_ends"]
    if mode == "fit":
        assert history.epoch == rec["epochs"]
        assert set(history.history) == set(rec["history"])
        for key, values in rec["history"].items():
            _close(history.history[key], values, f"history[{key!r}]")
        for i, w in enumerate(model.get_weights()):
            _close(w, npz[f"{name}/w1_{i}"], f"weight {i}")
        x, y = cases_gen.eval_arrays(case, data)
        _close(model.predict(x, verbose=0), npz[f"{name}/pred"], "predict")
        result = model.evaluate(x, y, verbose=0, return_dict=True)
        assert set(result) == set(rec["evaluate"])
        for key, value in rec["evaluate"].items():
            _close(result[key], value, f"evaluate[{key!r}]")
    elif mode == "evaluate":
        assert set(result) == set(rec["evaluate"])
        for key, value in rec["evaluate"].items():
            _close(result[key], value, f"evaluate[{key!r}]")
    else:
        assert pred.dtype == np.float32
        _close(pred, npz[f"{name}/pred"], "predict")
