"""`model.summary()` text against the text real Keras 3 printed for the same models
(fixtures/summary_k3/, written by generate_summary_fixtures.py with COLUMNS=80)."""

import os

import pytest

import minikeras as keras

import cases_summary

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures", "summary_k3")


def _want(name):
    with open(os.path.join(FIXTURES, name + ".txt"), encoding="utf-8") as f:
        return f.read()


@pytest.fixture(autouse=True)
def _eighty_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


@pytest.mark.parametrize("name", sorted(cases_summary.CASES))
def test_summary_text_equals_keras3(name):
    keras.utils.set_random_seed(0)
    model, kwargs = cases_summary.CASES[name](keras)
    assert cases_summary.capture(model, kwargs) == _want(name)


def test_summary_after_loading_a_keras3_file():
    loaded = keras.models.load_model(os.path.join(HERE, "files", "summary_k3",
                                                  cases_summary.FILE_CASES["adam_mlp_keras"]))
    assert cases_summary.capture(loaded, {}) == _want("adam_mlp_keras")


def test_summary_after_loading_a_keras3_h5_file():
    # Deliberately different from Keras 3: the .h5 holds Adam's slots (optimizer_weights);
    # Keras 3 leaves them unread and reports 2 optimizer params (iteration, learning rate),
    # minikeras restores them, as Keras 2 does, and reports what it holds: the same count
    # as after loading the .keras file. The table and the weight lines are Keras 3's.
    loaded = keras.models.load_model(os.path.join(HERE, "files", "summary_k3",
                                                  cases_summary.FILE_CASES["adam_mlp_h5"]))
    got = cases_summary.capture(loaded, {}).splitlines()
    want = _want("adam_mlp_h5").splitlines()
    from_keras_file = _want("adam_mlp_keras").splitlines()
    assert got[:-4] == want[:-4]
    assert got[-3:-1] == want[-3:-1]  # trainable, non-trainable
    assert want[-1] == " Optimizer params: 2 (8.00 B)"
    assert got[-1] == from_keras_file[-1] and got[-4] == from_keras_file[-4]


def test_print_fn_gets_the_whole_text_once_and_print_writes_it(capsys):
    # Keras 3 hands a custom print_fn the whole summary in one call
    model, kwargs = cases_summary.CASES["functional_chain"](keras)
    calls = []
    model.summary(print_fn=calls.append)
    assert len(calls) == 1 and calls[0] == _want("functional_chain")
    model.summary()
    assert capsys.readouterr().out == _want("functional_chain")
