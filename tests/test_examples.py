"""Every example runs in fast mode, writes its figure, and its claim holds.

Each test runs an example's `main()` in-process (MINIKERAS_FAST=1, figures into a temporary
folder) and checks the numbers it returns against thresholds that the claim in the
example's docstring implies: if the claim were false, the assertion would fail.
"""

import importlib
import inspect
import math
import re
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

import minikeras as keras

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

TESTED = {"perceptron", "xor", "regression", "binary_classification",
          "multiclass_classification", "multilabel_classification", "activations",
          "initialisation", "optimisers", "overfitting", "regularisation",
          "dropout_and_noise", "normalisation", "cross_validation", "save_and_share"}
TESTED |= {"mnist_mlp", "tensorboard_logging", "plot_model",  # in tests/test_examples_data.py
           "sklearn_cross_validation"}
TESTED.add("cnn_digits")  # convolution example; its claim is checked in test_examples_conv.py
TESTED |= {"generators"}  # in tests/test_examples_gen.py
TESTED.add("rnn_sequences")  # in tests/test_examples_rnn.py


@pytest.fixture
def example(monkeypatch, tmp_path):
    """Load an example in fast mode with its figures going to tmp_path; returns
    (namespace, output folder)."""
    monkeypatch.setenv("MINIKERAS_FAST", "1")
    monkeypatch.setenv("MINIKERAS_OUTPUT", str(tmp_path))
    monkeypatch.delenv("MINIKERAS_DOCS", raising=False)
    monkeypatch.syspath_prepend(str(EXAMPLES))

    def load(name):
        return runpy.run_path(str(EXAMPLES / f"{name}.py"))

    return load, tmp_path


def run(example, name):
    load, out = example
    result = load(name)["main"]()
    pytest.importorskip("matplotlib")
    assert (out / f"{name}.png").stat().st_size > 10_000, f"{name}.py drew no figure"
    return result


def test_every_example_is_tested():
    scripts = {p.stem for p in EXAMPLES.glob("*.py")} - {"_common", "quickstart"}
    assert scripts == TESTED, f"untested: {scripts - TESTED}; missing: {TESTED - scripts}"


def test_perceptron_converges_on_and_or_not_on_xor(example):
    r = run(example, "perceptron")
    for gate in ("AND", "OR"):
        assert r[gate]["converged"], f"perceptron rule did not converge on {gate}"
        assert r[gate]["mistakes"][-1] == 0 and r[gate]["accuracy"] == 1.0
        assert r[gate]["epochs"] < 20
    assert not r["XOR"]["converged"]
    assert min(r["XOR"]["mistakes"]) >= 1, "an epoch without mistakes on XOR"
    assert r["XOR"]["accuracy"] < 1.0


def test_xor_needs_a_hidden_layer(example):
    r = run(example, "xor")
    assert r["with_hidden"] == 1.0
    assert r["without_hidden"] <= 0.75  # a straight line gets at most 3 of the 4 points


def test_regression_learns_the_curve(example):
    r = run(example, "regression")
    assert r["r2"] > 0.85
    assert r["test_mse"] < 2 * r["noise_variance"]


def test_binary_classification(example):
    r = run(example, "binary_classification")
    assert r["test_accuracy"] > 0.9
    assert 0.0 <= r["p_min"] and r["p_max"] <= 1.0


def test_multiclass_classification(example):
    r = run(example, "multiclass_classification")
    assert r["test_accuracy"] > 0.9 > 2 * r["chance"]
    assert r["max_sum_error"] < 1e-5, "softmax outputs do not sum to 1"


def test_multilabel_classification(example):
    r = run(example, "multilabel_classification")
    assert min(r["per_label_accuracy"]) > 0.9
    assert r["exact_match"] > 0.85
    assert r["fraction_with_several_labels"] > 0.3, "sigmoid outputs should co-occur"


def test_activation_derivatives_match_the_formulas(example):
    r = run(example, "activations")
    for name, err in r["derivative_errors"].items():
        assert err < 1e-5, f"{name}: autodiff derivative off by {err}"
    assert r["collapse_error"] < 1e-5, "linear layers are not one affine map"
    assert r["linear_mse"] > 0.3 and r["linear_mse"] > 20 * r["tanh_mse"]


def test_initialisation(example):
    r = run(example, "initialisation")
    zeros, normal, glorot = r["zeros"], r["N(0, 1)"], r["Glorot uniform"]
    assert max(zeros["variance"]) == 0.0 and max(zeros["gradient_std"]) == 0.0
    assert min(normal["saturated"]) > 0.5, "N(0, 1) should saturate tanh"
    assert normal["gradient_std"][0] / normal["gradient_std"][-1] > 100
    assert max(glorot["saturated"]) < 0.05
    assert 0.5 < glorot["gradient_std"][0] / glorot["gradient_std"][-1] < 2
    assert glorot["variance"][-1] > 0.01


def test_optimisers(example):
    r = run(example, "optimisers")
    for name, h in r.items():
        assert h["loss"][-1] < h["loss"][0], f"{name} did not reduce the loss"
    sgd = r["SGD (α = 0.01)"]["loss"][-1]
    for name in ("RMSprop (0.001)", "Adadelta (1.0)", "Adam (0.001)"):
        assert r[name]["loss"][-1] < 0.5 * sgd, f"{name} not faster than plain SGD"
    decayed = next(h for name, h in r.items() if "per epoch" in name)
    lr = np.asarray(decayed["learning_rate"])
    np.testing.assert_allclose(lr, 0.1 * 0.9 ** np.arange(len(lr)), rtol=1e-5)


def test_overfitting_and_early_stopping(example):
    r = run(example, "overfitting")
    h, epochs = r["history"], r["epochs"]
    best = int(np.argmin(h["val_loss"]))
    assert best + 1 < epochs // 2
    assert h["val_loss"][-1] > 1.5 * h["val_loss"][best], "validation loss did not rise"
    assert h["loss"][-1] < 0.5 * h["loss"][best], "training loss did not keep falling"
    es = r["early_stopping"]
    assert es["epochs_run"] < epochs and 0 < es["stopped_epoch"] < epochs - 1
    assert es["stopped_epoch"] == es["best_epoch"] + 20  # patience
    assert es["best_epoch"] == best
    assert math.isclose(es["restored_val_loss"], es["best_val_loss"], abs_tol=1e-5)


def test_l1_gives_more_exact_zeros_than_l2(example):
    r = run(example, "regularisation")
    none, l2, l1 = r["no regularisation"], r["L2, λ = 0.01"], r["L1, λ = 0.01"]
    assert l1["zero_fraction"] > 0.15
    assert l1["zeros"] > l2["zeros"] + 0.1 * 336 and l1["zeros"] > none["zeros"] + 0.1 * 336
    assert l1["val_mse"] < none["val_mse"]


def test_dropout_and_noise_narrow_the_gap(example):
    r = run(example, "dropout_and_noise")
    none = r["no dropout, no noise"]["gap"]
    assert r["Dropout(0.5) after each hidden layer"]["gap"] < 0.6 * none
    assert r["GaussianNoise(0.3) on the inputs"]["gap"] < 0.6 * none
    assert r["Dropout(0.5) after each hidden layer"]["predict_repeatable"]
    assert r["Dropout(0.5) after each hidden layer"]["training_calls_differ"]


def test_z_scored_inputs_reach_a_lower_loss_than_raw(example):
    r = run(example, "normalisation")
    best = r["best"]
    assert best["z-score"]["loss"] < 0.2 * best["raw inputs"]["loss"]
    assert best["min-max to [-1, 1]"]["loss"] < 0.2 * best["raw inputs"]["loss"]
    i = [1e-5, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0].index(1e-3)
    assert r["sweep"]["raw inputs"][i] is None and r["sweep"]["z-score"][i] is not None


def test_cross_validation(example):
    ns = example[0]("cross_validation")
    folds = ns["kfold_indices"](23, 5)
    validation = np.concatenate([v for _, v in folds])
    assert sorted(validation) == list(range(23))  # every sample validated exactly once
    for train, val in folds:
        assert not set(train) & set(val) and len(train) + len(val) == 23
    with pytest.raises(ValueError):
        ns["kfold_indices"](3, 5)
    r = run(example, "cross_validation")
    assert all(len(s) == 5 for s in r["scores"].values())
    assert r["chosen"] == 32
    assert np.mean(r["scores"][32]) > np.mean(r["scores"][1]) + 0.03
    assert abs(r["cv_accuracy"] - r["test_accuracy"]) < 0.05


def test_save_reload_continue(example):
    r = run(example, "save_and_share")
    assert Path(r["path"]).exists() and Path(r["path"]).parent == example[1]
    assert r["prediction_difference"] < 1e-6
    assert r["weight_difference"] < 1e-6, "the reloaded model did not continue identically"
    assert r["fresh_optimizer_difference"] > 1e-3  # so the optimizer state mattered
    assert r["weights_only_difference"] < 1e-6


def test_without_matplotlib_the_figures_are_skipped(example, monkeypatch, capsys):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    load, out = example
    result = load("perceptron")["main"]()
    assert "matplotlib is not installed: skipping the figures" in capsys.readouterr().out
    assert result["AND"]["converged"]
    assert not list(out.glob("*.png"))


def test_docs_flag_copies_the_figure(example, monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    load, out = example
    load("perceptron")  # puts _common in sys.modules
    import _common

    docs = tmp_path / "docs_images"
    monkeypatch.setattr(_common, "DOCS_IMAGES", docs)
    monkeypatch.setenv("MINIKERAS_DOCS", "1")
    load("perceptron")["main"]()
    assert (docs / "perceptron.png").read_bytes() == (out / "perceptron.png").read_bytes()


# --- docs/backprop.md quotes the code and its example runs -----------------------------------

DOCS = EXAMPLES.parent / "docs"


def _blocks_after(text, marker):
    """(argument, code) for each fenced block that follows an HTML comment `<!-- marker ...-->`."""
    pattern = re.compile(r"<!-- " + marker + r"(?::\s*(.*?))?\s*-->\s*```\w*\n(.*?)```", re.S)
    return pattern.findall(text)


def check_doc_quotes(doc, minimum):
    """Every line of each `<!-- quote: path Qualname -->` block of docs/`doc` is a line of
    that object's source, so the walk-through cannot drift from the code."""
    text = (DOCS / doc).read_text(encoding="utf8")
    quotes = _blocks_after(text, "quote")
    assert len(quotes) >= minimum
    for where, code in quotes:
        path, qualname = where.split()
        obj = importlib.import_module(path[:-3].replace("/", "."))
        for part in qualname.split("."):
            obj = getattr(obj, part)
        source = {line.strip() for line in inspect.getsource(obj).splitlines()}
        for line in code.splitlines():
            assert line.strip() in source, (
                f"docs/{doc} quotes a line that is no longer in {path} {qualname}: "
                f"{line.strip()!r}; update the doc")


def run_doc_example(doc, capsys):
    """The printed words of the doc's `<!-- run -->` block."""
    text = (DOCS / doc).read_text(encoding="utf8")
    ((_, code),) = _blocks_after(text, "run")
    try:
        exec(compile(code, f"docs/{doc}", "exec"), {})
    finally:
        keras.config.set_floatx("float32")
    return capsys.readouterr().out.split()


def test_backprop_doc_quotes_the_code_verbatim():
    check_doc_quotes("backprop.md", 8)


def test_backprop_doc_example_prints_true(capsys):
    assert run_doc_example("backprop.md", capsys) == ["True", "True", "True"]


def test_examples_doc_shows_every_example_and_its_picture():
    text = (DOCS / "examples.md").read_text(encoding="utf8")
    for name in sorted(TESTED):
        assert f"examples/{name}.py" in text, f"docs/examples.md does not describe {name}.py"
        assert f"(images/{name}.png)" in text, f"docs/examples.md lacks {name}.png"
        assert (DOCS / "images" / f"{name}.png").exists(), f"run: python examples/{name}.py --docs"
