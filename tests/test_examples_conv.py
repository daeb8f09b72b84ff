"""The convolution example runs in fast mode, draws its figure, and its claim holds (a
small CNN on the 8x8 digits beats chance by far), with and without scikit-learn."""

import builtins
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def load(monkeypatch, tmp_path):
    monkeypatch.setenv("MINIKERAS_FAST", "1")
    monkeypatch.setenv("MINIKERAS_OUTPUT", str(tmp_path))
    monkeypatch.delenv("MINIKERAS_DOCS", raising=False)
    monkeypatch.syspath_prepend(str(EXAMPLES))
    return lambda: (runpy.run_path(str(EXAMPLES / "cnn_digits.py")), tmp_path)


def test_cnn_digits_learns(load):
    ns, out = load()
    r = ns["main"]()
    assert r["params"] == 3 * 3 * 8 + 8 + 72 * 10 + 10
    assert r["confusion_total"] == r["n_test"]
    assert r["test_accuracy"] > 0.85  # chance is 0.1
    pytest.importorskip("matplotlib")
    assert (out / "cnn_digits.png").stat().st_size > 10_000


def test_cnn_digits_without_sklearn(load, monkeypatch):
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("no sklearn here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    monkeypatch.delitem(sys.modules, "sklearn", raising=False)
    ns, _ = load()
    (x, y), (xt, yt), source = ns["load_data"]()
    assert "font" in source and x.shape[1:] == (8, 8, 1) and 0 <= x.min() and x.max() <= 1
    assert set(np.unique(y)) == set(range(10))
    monkeypatch.setattr(builtins, "__import__", real_import)


# --- docs/convolution.md quotes the code, and its example runs --------------------------

def test_convolution_doc_quotes_the_code_verbatim():
    from test_examples import check_doc_quotes

    check_doc_quotes("convolution.md", 8)


def test_convolution_doc_example_prints_true(capsys):
    from test_examples import run_doc_example

    assert run_doc_example("convolution.md", capsys) == ["True", "True"]
