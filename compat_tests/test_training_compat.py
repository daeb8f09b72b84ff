"""minikeras' training against trajectories recorded from real Keras.

Every fixture pair fixtures/k{2,3}/<case>.{json,npz} with "fixture_kind": "training_trajectory"
was written by generate_training_fixtures.py running real Keras 3 (jax) or Keras 2 (tf_keras).
Here the same case is built with minikeras through the same `build_case`, started from the same
initial weights, fitted with the same arguments, and everything Keras recorded must match:
History (keys and per-epoch values), EarlyStopping's stopped_epoch, final weights, predictions
and the final evaluate().
"""

import glob
import json
import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import minikeras as keras  # noqa: E402  (no importorskip: a broken minikeras must fail)

import cases_training  # noqa: E402

FIXTURES = os.path.join(HERE, "fixtures")
FIXTURE_KIND = "training_trajectory"
RTOL, ATOL = 1e-4, 1e-6


def _load_meta(path):
    with open(path) as f:
        return json.load(f)


def _fixture_paths():
    paths = []
    for path in sorted(glob.glob(os.path.join(FIXTURES, "k[23]", "*.json"))):
        if _load_meta(path).get("fixture_kind") == FIXTURE_KIND:
            paths.append(path)
    return paths


FIXTURE_PATHS = _fixture_paths()


def _fixture_id(path):
    version = os.path.basename(os.path.dirname(path))
    return f"{version}-{os.path.splitext(os.path.basename(path))[0]}"


def _close(problems, what, actual, desired):
    try:
        np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                                   np.asarray(desired, dtype=np.float64),
                                   rtol=RTOL, atol=ATOL, err_msg=what)
    except AssertionError as e:
        problems.append(str(e).strip())


def _as_list(pred, names):
    if isinstance(pred, dict):
        return [pred[name] for name in names]
    return list(pred)


def test_fixtures_present():
    versions = {os.path.basename(os.path.dirname(p)) for p in FIXTURE_PATHS}
    assert versions == {"k2", "k3"}, f"training fixtures missing: found {sorted(versions)}"


@pytest.mark.parametrize("version", [2, 3])
def test_every_case_has_a_current_fixture(version):
    """Each case of cases_training for this Keras version has a fixture of exactly that case."""
    stale = []
    for case in cases_training.CASES:
        if version not in case["keras"]:
            continue
        path = os.path.join(FIXTURES, f"k{version}", case["name"] + ".json")
        if not os.path.exists(path):
            stale.append("{}: no fixture".format(case["name"]))
        elif _load_meta(path)["case"] != json.loads(json.dumps(case)):
            stale.append(f"{case['name']}: fixture was made from another case definition")
    assert not stale, "regenerate with generate_training_fixtures.py:\n" + "\n".join(stale)


@pytest.mark.parametrize("path", FIXTURE_PATHS, ids=[_fixture_id(p) for p in FIXTURE_PATHS])
def test_training_matches_keras(path):
    meta = _load_meta(path)
    case = meta["case"]
    with np.load(os.path.splitext(path)[0] + ".npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    n_weights = meta["n_weights"]
    w0 = [arrays[f"w0_{i}"] for i in range(n_weights)]
    w1 = [arrays[f"w1_{i}"] for i in range(n_weights)]

    keras.backend.clear_session()
    model, callbacks = cases_training.build_case(keras, case)

    built = model.get_weights()
    assert [tuple(np.shape(w)) for w in built] == [w.shape for w in w0], (
        "weight shapes differ from Keras' {} ({})".format(meta["weight_shapes"],
                                                      meta["weight_names"]))
    model.set_weights(w0)

    problems = []
    if case["fit"] is not None:
        history = model.fit(callbacks=callbacks, verbose=0,
                            **cases_training.fit_arguments(case, arrays))
        expected = meta["history"]
        got = history.history
        if sorted(got) != sorted(expected):
            problems.append(f"History keys {sorted(got)}, Keras has {sorted(expected)}")
        for key in sorted(set(got) & set(expected)):
            if len(got[key]) != len(expected[key]):
                problems.append(f"history[{key!r}] has {len(got[key])} epochs, Keras ran "
                                f"{len(expected[key])}: {list(got[key])} vs {expected[key]}")
            else:
                _close(problems, f"history[{key!r}]", got[key], expected[key])
        for index, record in sorted((meta.get("early_stopping") or {}).items()):
            stopped = callbacks[int(index)].stopped_epoch
            if stopped != record["stopped_epoch"]:
                problems.append("EarlyStopping.stopped_epoch {!r}, Keras {!r}".format(
                    stopped, record["stopped_epoch"]))

    final = model.get_weights()
    if len(final) != n_weights:
        problems.append(f"{len(final)} final weights, Keras has {n_weights}")
    for i, (actual, desired) in enumerate(zip(final, w1)):
        _close(problems, f"final weight {i} ({meta['weight_names'][i]})", actual, desired)

    pred = model.predict(arrays["x"], verbose=0)
    names = cases_training.output_names(case)
    if names is None:
        pairs = [("pred", pred)]
    else:
        pairs = list(zip([f"pred_{name}" for name in names], _as_list(pred, names)))
    for key, actual in pairs:
        if np.asarray(actual).dtype != np.float32:
            problems.append(f"{key} dtype {np.asarray(actual).dtype}, Keras float32")
        _close(problems, f"predict -> {key}", actual, arrays[key])

    x, y = cases_training.evaluate_arguments(case, arrays)
    result = model.evaluate(x, y, verbose=0, return_dict=True)
    expected_eval = meta["evaluate"]
    if sorted(result) != sorted(expected_eval):
        problems.append(f"evaluate keys {sorted(result)}, Keras has {sorted(expected_eval)}")
    for key in sorted(set(result) & set(expected_eval)):
        _close(problems, f"evaluate()[{key!r}]", result[key], expected_eval[key])

    assert not problems, "{} (Keras {}) differs:\n{}".format(
        case["name"], meta["keras_version"], "\n".join(problems))
