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

DOCS = EXAMPLES.parent / "docs"


def test_convolution_doc_quotes_the_code_verbatim():
    import importlib
    import inspect

    from test_examples import _blocks_after

    text = (DOCS / "convolution.md").read_text(encoding="utf8")
    quotes = _blocks_after(text, "quote")
    assert len(quotes) >= 8
    for where, code in quotes:
        path, qualname = where.split()
        obj = importlib.import_module(path[:-3].replace("/", "."))
        for part in qualname.split("."):
            obj = getattr(obj, part)
        source = {line.strip() for line in inspect.getsource(obj).splitlines()}
        for line in code.splitlines():
            assert line.strip() in source, (
                f"docs/convolution.md quotes a line that is no longer in {path} {qualname}: "
                f"{line.strip()!r}; update the doc")


def test_convolution_doc_example_prints_true(capsys):
    import minikeras as keras
    from test_examples import _blocks_after

    text = (DOCS / "convolution.md").read_text(encoding="utf8")
    ((_, code),) = _blocks_after(text, "run")
    try:
        exec(compile(code, "docs/convolution.md", "exec"), {})
    finally:
        keras.config.set_floatx("float32")
    assert capsys.readouterr().out.split() == ["True", "True"]
