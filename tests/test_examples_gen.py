"""examples/generators.py runs in fast mode, draws its figure, and its claims hold: arrays and
a generator of the same batches train to the same weights; the noisy Sequence reaches a
similar test accuracy."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_generators_example(monkeypatch, tmp_path):
    monkeypatch.setenv("MINIKERAS_FAST", "1")
    monkeypatch.setenv("MINIKERAS_OUTPUT", str(tmp_path))
    monkeypatch.delenv("MINIKERAS_DOCS", raising=False)
    monkeypatch.syspath_prepend(str(EXAMPLES))
    r = runpy.run_path(str(EXAMPLES / "generators.py"))["main"]()
    assert r["same_weights"]
    assert r["loss"]["arrays"] == r["loss"]["generator"]
    acc = r["test_accuracy"]
    assert acc["arrays"] > 0.78 and abs(acc["Sequence with noise"] - acc["arrays"]) < 0.05
    assert r["loss"]["Sequence with noise"] != r["loss"]["arrays"]
    pytest.importorskip("matplotlib")
    assert (tmp_path / "generators.png").stat().st_size > 10_000
