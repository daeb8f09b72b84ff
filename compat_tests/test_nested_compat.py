"""Nested inputs, outputs, losses, metrics and loss weights against real Keras 3 (issue 11,
item 3), and `steps_per_execution`'s callback indices (item 4).

Fixtures: fixtures/nested_k3.{json,npz}, written by generate_nested_fixtures.py from the
cases of cases_nested.py. Keras 3's rules checked here (keras/src/trainers/compile_utils.py):
- a single loss applies to every output; a flat list follows the outputs' flat order (dict
  outputs: sorted keys); a dict names dict outputs by key (missing keys: no loss) and list
  outputs by output layer name (every one); nested losses follow nested outputs; None: no
  loss for that output; `loss_weights` follow the losses' structure or their flat order;
- with several losses each is logged as `<name>_loss`, the name being the dict key, the
  output layer's name, or the path inside nested outputs with the last index replaced by
  the layer's name (`1/z_loss`);
- metrics: one output takes them all, unprefixed; several flat outputs take a list with one
  entry per output or a dict by output name, prefixed `<output>_`; nested outputs take
  metrics in their structure; a weighted metric whose name is taken is `weighted_<name>`;
- evaluate's list: the loss, the metric logs named as `model.metrics` names them (compiled
  metrics by their unprefixed names, then the `<name>_loss` trackers), then the remaining
  logs sorted by name;
- predict returns the structure of the model's outputs (dict, list, tuple, nested);
- batch hooks run every `steps_per_execution` steps: begin(first step), end(first step +
  steps_per_execution - 1), also for a shorter last execution; the numbers do not change.
Same data, batches and initial weights as in Keras.
"""

import json
import os
import warnings

import numpy as np
import pytest

import minikeras as keras
from minikeras.utils import naming

import cases_nested

HERE = os.path.dirname(os.path.abspath(__file__))
RTOL, ATOL = 1e-4, 1e-6



@pytest.fixture(autouse=True, scope="module")
def _keep_automatic_names():
    """Leave the automatic-name counters (layer and optimizer names) as this module found
    them: other modules compare names recorded from Keras (`sgd_8/...`)."""
    saved = dict(naming._UIDS)
    yield
    naming._UIDS.clear()
    naming._UIDS.update(saved)


with open(os.path.join(HERE, "fixtures", "nested_k3.json")) as f:
    META = json.load(f)
with np.load(os.path.join(HERE, "fixtures", "nested_k3.npz")) as z:
    NPZ = {k: z[k] for k in z.files}
ARR = cases_nested.make_arrays()


def test_every_case_has_a_fixture():
    assert {c["name"] for c in cases_nested.CASES} == set(META["cases"])
    assert {c["name"] for c in cases_nested.ERROR_CASES} == set(META["errors"])
    for case in cases_nested.CASES:
        assert META["cases"][case["name"]]["case"] == case


def _close(got, want, what):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64),
                               np.asarray(want, dtype=np.float64), rtol=RTOL, atol=ATOL,
                               err_msg=what)


def _check_structure(got, want, npz_prefix):
    if want == "array":
        assert isinstance(got, np.ndarray), f"{npz_prefix}: {type(got)}"
        _close(got, NPZ[npz_prefix], npz_prefix)
        return
    (kind, items), = want.items()
    if kind == "dict":
        assert isinstance(got, dict) and set(got) == set(items), npz_prefix
        for k, v in items.items():
            _check_structure(got[k], v, f"{npz_prefix}/{k}")
    else:
        assert type(got).__name__ == kind and len(got) == len(items), (npz_prefix, got)
        for i, v in enumerate(items):
            _check_structure(got[i], v, f"{npz_prefix}/{i}")


@pytest.mark.parametrize("case", cases_nested.CASES, ids=lambda c: c["name"])
def test_same_logs_and_trajectory_as_keras(case):
    rec = META["cases"][case["name"]]
    name = case["name"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = cases_nested.build_model(keras, case["model"])
    w0 = [NPZ[f"{name}/w0_{i}"] for i in range(len(model.get_weights()))]
    model.set_weights(w0)
    model.compile(**cases_nested.compile_kwargs(keras, case))
    seen = []

    class Batches(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append((batch, sorted(logs)))

    x = cases_nested.x_data(case["x"], ARR)
    y = cases_nested.y_data(case["y"], ARR)
    fit_kw = {"batch_size": 8, "epochs": 2, "shuffle": False, "verbose": 0}
    fit_kw.update(case.get("fit", {}))
    if case.get("sample_weight"):
        fit_kw["sample_weight"] = ARR["sw"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # outputs without a loss: no gradient (Keras warns)
        history = model.fit(x, y, callbacks=[Batches()], **fit_kw)
    # the log names (jax sorts Keras' logs by name; the order of a dict is not compared)
    assert sorted(history.history) == sorted(rec["history_keys"])
    for k, v in rec["history"].items():
        _close(history.history[k], v, f"history[{k!r}]")
    assert [b for b, _ in seen] == rec["train_batches"]
    assert seen[0][1] == rec["batch_log_keys"]
    ev_kw = {"sample_weight": ARR["sw"]} if case.get("sample_weight") else {}
    ev = model.evaluate(x, y, batch_size=8, verbose=0, **ev_kw)
    _close(ev, rec["evaluate"], "evaluate() list, in Keras' order")
    ev_dict = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True, **ev_kw)
    assert sorted(ev_dict) == sorted(rec["evaluate_dict_keys"])
    for k, v in rec["evaluate_dict"].items():
        _close(ev_dict[k], v, f"evaluate(return_dict=True)[{k!r}]")
    _check_structure(model.predict(x, verbose=0), rec["predict_structure"], f"{name}/pred")
    for i, w in enumerate(model.get_weights()):
        _close(w, NPZ[f"{name}/w1_{i}"], f"weight {i} after fit")


@pytest.mark.parametrize("case", cases_nested.ERROR_CASES, ids=lambda c: c["name"])
def test_refused_as_keras_refuses(case):
    """Keras 3 refuses these at the first batch; minikeras at compile when it can (before
    any state changes), with the same exception type."""
    rec = META["errors"][case["name"]]
    exc = {"ValueError": ValueError, "KeyError": KeyError}[rec["type"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = cases_nested.build_model(keras, case["model"])
    with pytest.raises(exc):
        model.compile(**cases_nested.compile_kwargs(keras, case))
        model.fit(cases_nested.x_data(case["x"], ARR), cases_nested.y_data(case["y"], ARR),
                  epochs=1, batch_size=8, verbose=0)


def test_optional_input_receives_none():
    """Keras' functional_test: an `Input(optional=True)` may be given None."""
    model = cases_nested.build_optional(keras)
    x1 = np.arange(8, dtype=np.float32).reshape(4, 2)
    _close(np.asarray(model([x1, x1 * 10])), NPZ["optional/with"], "with the optional input")
    _close(np.asarray(model([x1, None])), NPZ["optional/without"], "without it")


# Where minikeras keeps another behaviour (docs/decisions.md, "nested"): a Sequential
# model built from an Input gives `model.input`/`model.output` (Keras 2 did; Keras 3
# raises AttributeError until the model is called).
_KEPT = {("sequential_with_input", "input"), ("sequential_with_input", "output")}


@pytest.mark.parametrize("kind", sorted(META["unbuilt"]))
def test_attributes_of_unbuilt_models_as_keras(kind):
    """Keras 3: an unbuilt model has no weights ([]), and `inputs`, `outputs`,
    `input_shape`, `output_shape` raise AttributeError (so `hasattr` is False)."""
    models = dict(cases_nested.unbuilt_models(keras))
    for attr, want in META["unbuilt"][kind].items():
        if (kind, attr) in _KEPT:
            continue
        got = cases_nested.describe_attribute(models[kind], attr)
        assert got == want, f"{kind}.{attr}: Keras 3 {want}, minikeras {got}"
        assert hasattr(models[kind], attr) == (want[0] == "value")


def test_steps_per_execution_batch_hooks():
    """compile(steps_per_execution=3): the batch hooks of fit, evaluate and predict are
    called once per execution, with Keras 3's indices."""
    model = cases_nested.build_model(keras, "single")
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=3)
    calls = []

    class Hooks(keras.callbacks.Callback):
        pass

    for hook in ("train", "test", "predict"):
        for when in ("begin", "end"):
            setattr(Hooks, f"on_{hook}_batch_{when}",
                    lambda self, batch, logs=None, _n=f"{hook}_{when}": calls.append([_n, batch]))
    model.fit(ARR["a"], ARR["y"], batch_size=2, epochs=1, shuffle=False, verbose=0,
              callbacks=[Hooks()])
    model.evaluate(ARR["a"], ARR["y"], batch_size=2, verbose=0, callbacks=[Hooks()])
    model.predict(ARR["a"], batch_size=2, verbose=0, callbacks=[Hooks()])
    assert calls == META["steps_per_execution_hooks"]


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_steps_per_execution_must_be_a_positive_integer(bad):
    model = cases_nested.build_model(keras, "single")
    with pytest.raises(ValueError, match="steps_per_execution"):
        model.compile(optimizer="sgd", loss="mse", steps_per_execution=bad)
    assert not model.compiled
