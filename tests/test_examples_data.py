"""The data examples (MNIST from keras.datasets, TensorBoard logging, plot_model, scikit-learn
cross-validation) run in fast mode, draw their figures, and their claims hold. The MNIST
example reads a small, learnable stand-in `mnist.npz` from a temporary KERAS_HOME: no test
touches the network."""

import runpy
from pathlib import Path

import numpy as np
import pytest

from minikeras.utils import file_utils

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def run(monkeypatch, tmp_path):
    monkeypatch.setenv("MINIKERAS_FAST", "1")
    monkeypatch.setenv("MINIKERAS_OUTPUT", str(tmp_path / "out"))
    monkeypatch.delenv("MINIKERAS_DOCS", raising=False)
    monkeypatch.syspath_prepend(str(EXAMPLES))

    def go(name):
        result = runpy.run_path(str(EXAMPLES / f"{name}.py"))["main"]()
        return result, tmp_path / "out" / f"{name}.png"

    return go


def stand_in_mnist(folder, n_train=600, n_test=200):
    """mnist.npz in Keras' layout (uint8 (n, 28, 28) images, uint8 labels) whose ten classes
    are noisy copies of ten random strokes: learnable, like the real digits."""
    rng = np.random.default_rng(0)
    templates = np.zeros((10, 28, 28))
    for k in range(10):
        for _ in range(3):
            r, c = rng.integers(4, 24, 2)
            templates[k, r - 3:r + 3, c - 1:c + 2] = 1

    def make(n):
        y = rng.integers(0, 10, n).astype(np.uint8)
        x = templates[y] * rng.uniform(150, 255, (n, 1, 1)) + rng.normal(0, 30, (n, 28, 28))
        return np.clip(x, 0, 255).astype(np.uint8), y

    (xt, yt), (xs, ys) = make(n_train), make(n_test)
    (folder / "datasets").mkdir(parents=True)
    np.savez(folder / "datasets" / "mnist.npz", x_train=xt, y_train=yt, x_test=xs, y_test=ys)


def test_mnist_mlp_from_keras_datasets(run, tmp_path, monkeypatch):
    stand_in_mnist(tmp_path / "khome")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "khome"))
    checked = []
    monkeypatch.setattr(file_utils, "validate_file",
                        lambda path, file_hash, **k: checked.append(file_hash) or True)
    r, figure = run("mnist_mlp")
    assert checked == ["731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"]
    assert r["n_train"] == 600
    assert r["test_accuracy"] > 0.9, r["test_accuracy"]
    assert r["history"]["val_accuracy"][-1] > r["history"]["val_accuracy"][0] - 0.01
    pytest.importorskip("matplotlib")
    assert figure.stat().st_size > 10_000


def test_tensorboard_logging(run):
    pytest.importorskip("tensorboard")
    r, figure = run("tensorboard_logging")
    np.testing.assert_allclose(r["logged_loss"], r["history"]["loss"], rtol=1e-6)
    assert {"epoch_loss", "batch_loss", "epoch_learning_rate", "keras",
            "classifier/hidden/kernel/histogram"} <= set(r["train"])
    assert {"epoch_loss", "evaluation_loss_vs_iterations"} <= set(r["validation"])
    steps = r["train"]["batch_loss"][0]
    assert steps[0] == 5 and np.all(np.diff(steps) == 5)  # update_freq=5
    lrs = [float(v) for v in r["train"]["epoch_learning_rate"][1]]
    assert lrs[0] == pytest.approx(0.02) and lrs[-1] == pytest.approx(0.01)
    pytest.importorskip("matplotlib")
    assert figure.stat().st_size > 10_000


def test_plot_model(run):
    pytest.importorskip("matplotlib")
    with pytest.warns(UserWarning):
        r, figure = run("plot_model")
    assert r["layers"] == 7  # two inputs and five layers
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure.stat().st_size > 10_000


def test_sklearn_cross_validation(run):
    pytest.importorskip("sklearn")
    r, figure = run("sklearn_cross_validation")
    assert len(r["cv_scores"]) == 5 and r["cv_scores"].mean() > 0.8
    best = (r["best"]["units"], r["best"]["learning_rate"])
    assert r["grid"][best] == max(r["grid"].values())
    assert abs(r["best_score"] - r["test_accuracy"]) < 0.06
    pytest.importorskip("matplotlib")
    assert figure.stat().st_size > 10_000
