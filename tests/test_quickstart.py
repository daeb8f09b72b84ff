import os
import runpy
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_quickstart_runs_and_learns(monkeypatch, capsys):
    monkeypatch.setenv("MINIKERAS_FAST", "1")
    namespace = runpy.run_path(str(EXAMPLES / "quickstart.py"))
    acc = namespace["main"]()
    out = capsys.readouterr().out
    assert "predictions identical = True" in out
    assert acc > 0.8, f"quickstart accuracy {acc} is too low: the example no longer learns"
    assert os.environ["MINIKERAS_FAST"] == "1"
