"""plot_history: learning curves from a History, drawn with matplotlib's Agg backend, and a
clear error when matplotlib is missing."""

import subprocess
import sys

import numpy as np
import pytest

import minikeras as keras
from minikeras.utils.plotting import plot_history


@pytest.fixture
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    yield pyplot
    pyplot.close("all")


def trained_history(epochs=4):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=epochs, batch_size=8, validation_split=0.25, verbose=0)


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_one_panel_per_metric_with_training_and_validation_curves(plt):
    history = trained_history(epochs=4)
    fig = plot_history(history)
    axes = fig.get_axes()
    assert [ax.get_ylabel() for ax in axes] == ["loss", "accuracy"]
    for ax, name in zip(axes, ["loss", "accuracy"]):
        assert ax.get_xlabel() == "epoch"
        assert ax.get_legend() is not None
        lines = lines_by_label(ax)
        assert set(lines) == {"training", "validation"}
        np.testing.assert_array_equal(lines["training"].get_xdata(), [1, 2, 3, 4])
        np.testing.assert_allclose(lines["training"].get_ydata(), history.history[name])
        np.testing.assert_allclose(lines["validation"].get_ydata(),
                                   history.history["val_" + name])
        assert lines["validation"].get_linestyle() == "--"


def test_accepts_the_history_dict_and_selects_metrics(plt):
    logs = {"loss": [3.0, 2.0, 1.0], "val_loss": [3.5, 2.5, 2.0], "mae": [1.0, 0.5, 0.4]}
    fig = plot_history(logs, metrics="loss", logy=True, title="a run")
    (ax,) = fig.get_axes()
    assert ax.get_yscale() == "log"
    assert fig._suptitle.get_text() == "a run"
    np.testing.assert_allclose(lines_by_label(ax)["validation"].get_ydata(), [3.5, 2.5, 2.0])
    # naming the validation curve selects the same panel
    assert len(plot_history(logs, metrics=["val_loss", "mae"]).get_axes()) == 2


def test_runs_compared_on_shared_axes_are_labelled(plt):
    fig, ax = plt.subplots()
    plot_history({"loss": [1.0, 0.5]}, metrics="loss", axes=ax, label="SGD")
    plot_history({"loss": [1.0, 0.2], "val_loss": [1.1, 0.4]}, metrics="loss", axes=ax,
                 label="Adam")
    lines = lines_by_label(ax)
    assert set(lines) == {"SGD", "Adam training", "Adam validation"}
    # one colour per run when a label is given
    assert lines["Adam training"].get_color() == lines["Adam validation"].get_color()
    assert {t.get_text() for t in ax.get_legend().get_texts()} == set(lines)


def test_learning_rate_gets_its_own_panel(plt):
    logs = {"loss": [1.0, 0.5, 0.4], "learning_rate": [0.1, 0.09, 0.081]}
    fig = plot_history(logs)
    assert [ax.get_ylabel() for ax in fig.get_axes()] == ["loss", "learning_rate"]
    lr_lines = fig.get_axes()[1].get_lines()
    np.testing.assert_allclose(lr_lines[0].get_ydata(), [0.1, 0.09, 0.081])


def test_saves_to_a_file(plt, tmp_path):
    path = tmp_path / "curves.png"
    plot_history({"loss": [1.0, 0.5]}, filename=path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_clear_errors(plt):
    with pytest.raises(ValueError, match="no 'acc' in this history.*'loss'"):
        plot_history({"loss": [1.0]}, metrics="acc")
    with pytest.raises(TypeError, match="History"):
        plot_history([1.0, 2.0])
    with pytest.raises(ValueError, match="empty"):
        plot_history({})
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="1 axes for 2 metrics"):
        plot_history({"loss": [1.0], "mae": [2.0]}, axes=ax)


def test_without_matplotlib_a_clear_message(monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"plot_history needs matplotlib.*pip install"):
        plot_history({"loss": [1.0, 0.5]})


def test_exported_as_keras_utils_plot_history():
    assert keras.utils.plot_history is plot_history


def test_importing_minikeras_does_not_import_matplotlib():
    code = ("import sys, minikeras, minikeras.utils.plotting; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
