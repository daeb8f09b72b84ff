"""Write docs/compatibility.md: every public name of minikeras' Keras namespaces, its status
against Keras, and the test that backs it.

    python docs/make_compatibility.py > docs/compatibility.md

A name's backing test is found by reading the test sources (a test function whose body names
it) and the reference fixtures recorded from real Keras (a fixture case built from it).
`tests/test_compatibility_doc.py` checks that the committed table is current and that every
row marked "same" names a test that exists.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import minikeras as keras  # noqa: E402

NAMESPACES = [
    ("keras", keras, ["Sequential", "Model", "Input", "Layer", "Variable", "Loss", "Metric",
                      "Optimizer", "Initializer", "Regularizer", "KerasTensor", "version",
                      "DTypePolicy", "FloatDTypePolicy"]),
    ("keras.layers", keras.layers, None),
    ("keras.models", keras.models, None),
    ("keras.activations", keras.activations, None),
    ("keras.losses", keras.losses, None),
    ("keras.metrics", keras.metrics, None),
    ("keras.optimizers", keras.optimizers, None),
    ("keras.optimizers.schedules", keras.optimizers.schedules, None),
    ("keras.callbacks", keras.callbacks, None),
    ("keras.initializers", keras.initializers, None),
    ("keras.regularizers", keras.regularizers, None),
    ("keras.constraints", keras.constraints, None),
    ("keras.backend", keras.backend, None),
    ("keras.ops", keras.ops, None),
    ("keras.random", keras.random, ["normal", "uniform", "truncated_normal", "randint",
                                    "shuffle", "dropout", "SeedGenerator"]),
    ("keras.utils", keras.utils, None),
    ("keras.config", keras.config, None),
    ("keras.saving", keras.saving, None),
    # data in, results out (issue 10, branch `data`)
    *[(f"keras.datasets.{name}", getattr(keras.datasets, name), None)
      for name in ("boston_housing", "california_housing", "cifar10", "cifar100",
                   "fashion_mnist", "imdb", "mnist", "reuters")],
    ("keras.preprocessing", keras.preprocessing, None),
    ("keras.preprocessing.sequence", keras.preprocessing.sequence, None),
    ("keras.wrappers", keras.wrappers, None),
    ("keras.wrappers.scikit_learn", keras.wrappers.scikit_learn,
     ["KerasClassifier", "KerasRegressor"]),
    # branch `policy` (issue 11): names recorded in compat_tests/fixtures/policy_k3.json
    ("keras.dtype_policies", keras.dtype_policies, None),
    ("keras.mixed_precision", keras.mixed_precision, None),
    ("keras.ops.linalg", keras.ops.linalg, None),
    ("keras.tree", keras.tree, None),
]

# Where minikeras deliberately differs, or accepts Keras 2's spelling (see decisions.md).
NOTES = {
    "keras.optimizers.SGD": ("Keras 2 spelling accepted", "`lr=` and `decay=` (lr/(1+d·t)) "
                             "as in Keras 2; Keras 3 rejects `lr` and ignores `decay`"),
    "keras.optimizers.RMSprop": ("Keras 2 spelling accepted", "with `lr=`/`decay=` Keras 2's "
                                 "update rule (epsilon outside the square root)"),
    "keras.optimizers.Adam": ("Keras 2 spelling accepted", "`lr=`, `decay=` as in Keras 2"),
    "keras.optimizers.Adagrad": ("Keras 2 spelling accepted", "with `lr=`/`decay=` Keras 2's "
                                 "rule (epsilon outside the square root)"),
    "keras.optimizers.Nadam": ("Keras 2 spelling accepted", "with `lr=`/`decay=` Keras 2's "
                               "momentum schedule; `decay` really decays"),
    "keras.layers.Dense": ("Keras 2 spelling accepted", "`input_dim`, `input_shape`, "
                           "`batch_input_shape`; LoRA (`lora_rank`) refused; no "
                           "`quantization_config` in its config (quantization out of scope)"),
    "keras.layers.InputLayer": ("Keras 2 spelling accepted", "`input_shape`, "
                                "`batch_input_shape` besides `shape`, `batch_shape`"),
    "keras.layers.Lambda": ("differs", "works in code; never saved or loaded (a file would "
                            "have to carry code)"),
    "keras.layers.BatchNormalization": ("differs", "`synchronized=True` accepted and "
                                        "computed as on one device (Keras' JAX backend "
                                        "refuses it)"),
    "keras.DTypePolicy": ("differs", "bfloat16 and mixed_bfloat16 refused (NumPy has no "
                          "bfloat16); no quantized policies"),
    "keras.dtype_policies.DTypePolicy": ("differs", "bfloat16 and mixed_bfloat16 refused "
                                         "(NumPy has no bfloat16)"),
    "keras.config.dtype_policy": ("differs", "until a policy is set, the policy of the "
                                  "current floatx (Keras 3 freezes it at first use)"),
    "keras.ops.pad": ("differs", "no gradient for the statistics modes (maximum, mean, "
                      "median, minimum, linear_ramp)"),
    "keras.ops.linalg.svd": ("differs", "with `compute_uv=True` U and V carry no gradient "
                             "(the singular values do)"),
    "keras.ops.linalg.qr": ("differs", "gradient for tall or square matrices only"),
    "keras.tree.map_structure_up_to": ("differs", "does what Keras' docstring says; Keras "
                                       "3.15 (optree) raises on those examples"),
    "keras.tree.unflatten_as": ("addition", "tf.nest's name of `pack_sequence_as`"),
    "keras.ops.array": ("differs", "a float64 `dtype` stays float64 (JAX without x64 "
                        "gives float32)"),
    "keras.layers.RMSNormalization": ("differs", "an `axis` other than the last broadcasts "
                                      "`scale` along that axis (Keras 3 multiplies it along "
                                      "the last axis, or raises)"),
    "keras.layers.LeakyReLU": ("Keras 2 spelling accepted", "`alpha=` as `negative_slope`"),
    # text and categorical preprocessing (branch textprep)
    "keras.layers.TextVectorization": ("differs", "no `sparse=True`/`ragged=True` (no "
                                       "sparse or ragged tensors); a callable `standardize`/"
                                       "`split` gets NumPy arrays of str, not TF tensors"),
    "keras.layers.StringLookup": ("differs", "no `sparse=True`"),
    "keras.layers.IntegerLookup": ("differs", "no `sparse=True`"),
    "keras.layers.CategoryEncoding": ("differs", "no `sparse=True`"),
    "keras.layers.Discretization": ("differs", "no `sparse=True`"),
    "keras.layers.Hashing": ("differs", "no `sparse=True`"),
    "keras.Model": ("differs", "subclassed models without `get_config` cannot be cloned or "
                    "rebuilt from a config (Keras 3 generates one); `metrics_names` lists the "
                    "log names (Keras 2), while `metrics` is Keras 3's list; "
                    "`optimizer` is None before compile (Keras 3: no attribute); "
                    "`steps_per_execution` groups the batch callbacks only (steps run one "
                    "by one, same numbers)"),
    "keras.Sequential": ("differs", "keeps Keras 2's `input_names`/`output_names`; built "
                         "from an `Input`, `model.input`/`model.output` exist before a call "
                         "(Keras 3 raises until called)"),
    "keras.backend.hard_sigmoid": ("differs", "Keras 2's clip(0.2x+0.5, 0, 1); "
                                   "`keras.activations.hard_sigmoid` is Keras 3's"),
    "keras.backend.sqrt": ("Keras 2 spelling accepted", "clips negatives to 0 first, as "
                           "Keras 2"),
    "keras.backend.relu": ("Keras 2 spelling accepted", "`alpha=` as in Keras 2"),
    "keras.initializers.GlorotUniform": ("differs", "an unseeded instance draws new values "
                                         "on each call (Keras 2); Keras 3 repeats them"),
    "keras.callbacks.BackupAndRestore": ("differs", "one atomic `training_state.h5` that also "
                                         "holds the random-generator states"),
    "keras.callbacks.ModelCheckpoint": ("differs", "batch-level saving with `save_best_only` "
                                        "works (Keras 3 crashes)"),
    "keras.utils.plot_history": ("addition", "not in Keras: learning curves of a History"),
    # data in, results out (issue 10, branch `data`; see decisions.md)
    "keras.utils.plot_model": ("differs", "without pydot/Graphviz, draws the graph with "
                               "matplotlib (Keras raises ImportError)"),
    "keras.utils.get_file": ("differs", "archive members outside the target folder raise "
                             "(Keras skips them with a warning); `KERAS_HOME` read at each call"),
    "keras.utils.timeseries_dataset_from_array": ("differs", "returns a list-like of NumPy "
                                                  "batches, not a tf.data/Grain dataset; "
                                                  "one shuffle (no buffer re-shuffle)"),
    "keras.preprocessing.timeseries_dataset_from_array": ("differs", "as "
                                                          "`keras.utils.timeseries_dataset_"
                                                          "from_array`"),
    "keras.utils.split_dataset": ("differs", "arrays and tuples of arrays only; returns "
                                  "arrays, not tf.data datasets"),
    "keras.callbacks.TensorBoard": ("differs", "needs the `tensorboard` package, not "
                                    "TensorFlow; epoch summaries written for every epoch "
                                    "with any `update_freq`; no profiler"),
    "keras.wrappers.SKLearnClassifier": ("differs", "`clone` keeps `fit_kwargs`; "
                                         "picklable after fit"),
    "keras.wrappers.SKLearnRegressor": ("differs", "`clone` keeps `fit_kwargs`; "
                                        "picklable after fit"),
    "keras.wrappers.SKLearnTransformer": ("differs", "`clone` keeps `fit_kwargs`; "
                                          "picklable after fit"),
    "keras.wrappers.scikit_learn.KerasClassifier": ("addition", "Keras 2.3's `build_fn` "
                                                    "wrapper (gone from Keras 3 and tf_keras)"),
    "keras.wrappers.scikit_learn.KerasRegressor": ("addition", "Keras 2.3's `build_fn` "
                                                   "wrapper (gone from Keras 3 and tf_keras)"),
    "keras.optimizers.legacy": ("Keras 2 spelling accepted", "tf.keras 2.11+'s namespace"),
    "keras.Variable": ("same", ""),
    "keras.ops.linspace": ("differs", "a constant: no gradient flows to `start`/`stop`; "
                           "default dtype floatx"),
    "keras.ops.normalize": ("differs", "`order` other than 2 over several axes (a matrix "
                            "norm) raises"),
    # issue 11 (serialization, symbolic ops, errors, config): see decisions.md
    "keras.saving.deserialize_keras_object": ("differs", "never runs code: `__lambda__` "
                                              "configs are refused even with "
                                              "`safe_mode=False`; `module` selects a "
                                              "namespace table, nothing is imported"),
    "keras.saving.serialize_keras_object": ("differs", "a `lambda` is refused (Keras writes "
                                            "its bytecode)"),
    "keras.config.enable_unsafe_deserialization": ("differs", "accepted, but code from a "
                                                   "config is still never executed"),
    "keras.config.disable_interactive_logging": ("differs", "messages go to Python's "
                                                 "`logging` (logger \"minikeras\"), not absl"),
    "keras.config.set_max_epochs": ("differs", "a value other than a positive integer or "
                                    "None is a ValueError"),
    "keras.config.set_max_steps_per_epoch": ("differs", "a value other than a positive "
                                             "integer or None is a ValueError"),
    "keras.backend.result_type": ("differs", "64-bit results stay 64-bit (Keras' "
                                  "TensorFlow-backend widths; JAX narrows them)"),
    "keras.metrics.CosineSimilarity": ("differs", "`get_config` keeps `axis` (Keras 3 drops "
                                       "it)"),
    "keras.layers.Dropout": ("differs", "a non-number `rate` is a ValueError (Keras: an "
                             "incidental TypeError)"),
    # reshaping layers, initializers, regularizers, optimizers (branch `reshape`)
    "keras.layers.SpatialDropout1D": ("Keras 2 spelling accepted", "tf_keras configs "
                                      "(`noise_shape: None`, `trainable`) load"),
    "keras.layers.SpatialDropout2D": ("Keras 2 spelling accepted", "tf_keras configs "
                                      "(`noise_shape: None`, `trainable`, no `data_format`) "
                                      "load"),
    "keras.backend.resize_images": ("differs", "`interpolation` 'nearest' and 'bilinear' "
                                    "only (tf_keras also has TensorFlow's area, bicubic, "
                                    "gaussian, lanczos, mitchellcubic)"),
    "keras.layers.UpSampling2D": ("differs", "an unknown `interpolation` is refused when the "
                                  "layer is made (Keras 3: when it is called)"),
    "keras.initializers.Identity": ("differs", "`gain` is kept in the config (Keras 3.15 "
                                    "leaves it out, so its reloaded Identity(2.0) has gain 1)"),
    "keras.initializers.Constant": ("differs", "`get('constant')` gives Constant(0.0) (Keras "
                                    "3.15 raises KeyError)"),
    "keras.regularizers.OrthogonalRegularizer": ("differs", "a single row (column) gives 0 "
                                                 "where Keras divides 0 by 0"),
    "keras.optimizers.LossScaleOptimizer": ("differs", "minikeras computes in float32/64, "
                                            "where the scaling changes no value; `apply` "
                                            "runs eagerly (Keras on jax only through "
                                            "`stateless_apply`)"),
}


def keras_names(label):
    """The public names real Keras has in this namespace (Keras 3; for the backend also
    Keras 2's, which course code uses), as recorded by compat_tests/generate_public_names.py."""
    names = set()
    for version in ("k3", "k2"):
        if version == "k2" and label not in ("keras.backend",):
            continue
        data = json.loads((ROOT / f"compat_tests/fixtures/public_names_{version}.json")
                          .read_text())
        names |= set(data["namespaces"].get(label, []))
    extra = ROOT / "compat_tests/fixtures/public_names_data_k3.json"  # datasets, wrappers, ...
    names |= set(json.loads(extra.read_text())["namespaces"].get(label, []))
    policy = json.loads((ROOT / "compat_tests/fixtures/policy_k3.json").read_text())
    names |= set(policy["sections"]["public_names"]["namespaces"].get(label, []))
    return names


def public_names(module, explicit):
    if explicit is not None:
        return explicit
    names = []
    for name in dir(module):
        if name.startswith("_"):
            continue
        obj = getattr(module, name)
        if inspect.ismodule(obj):
            continue
        if name in ("annotations", "Any", "Callable", "np", "P", "config", "math", "ops",
                    "TYPE_CHECKING", "Tensor"):
            continue
        mod = getattr(obj, "__module__", "") or ""
        if inspect.isfunction(obj) or inspect.isclass(obj):
            if not mod.startswith("minikeras"):
                continue
        elif not callable(obj):
            continue
        names.append(name)
    return sorted(set(names))


def test_index():
    """{test node: source} for every test function in tests/ and compat_tests/."""
    index = {}
    for folder in ("tests", "compat_tests"):
        for path in sorted((ROOT / folder).glob("test_*.py")):
            source = path.read_text()
            tree = ast.parse(source)
            module_level = []
            for node in tree.body:
                if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                    start = min([d.lineno for d in node.decorator_list] + [node.lineno])
                    body = "\n".join(source.splitlines()[start - 1:node.end_lineno])
                    index[f"{folder}/{path.name}::{node.name}"] = body
                elif not isinstance(node, (ast.Import, ast.ImportFrom)):
                    # tables that parametrized tests iterate over
                    module_level.append(ast.get_source_segment(source, node) or "")
            index[f"{folder}/{path.name}"] = "\n".join(module_level)
    return index


def fixture_names():
    """Names that the reference fixtures recorded from real Keras exercise, by test file."""
    found = {}
    meta = json.loads((ROOT / "compat_tests/fixtures/functions_k3.json").read_text())
    sections = {"activations": "test_function_compat_core.py",
                "initializers": "test_function_compat_core.py",
                "losses": "test_function_compat_losses_metrics.py",
                "metrics": "test_function_compat_losses_metrics.py",
                "optimizers": "test_function_compat_optimizers.py",
                "schedules": "test_function_compat_optimizers.py"}
    for section, test_file in sections.items():
        for case_name, case in meta["sections"][section].get("cases", {}).items():
            for key in ("fn", "class", "cls", "function"):
                if isinstance(case.get(key), str):
                    found.setdefault(case[key], f"compat_tests/{test_file}")
            found.setdefault(case_name.split(".")[0], f"compat_tests/{test_file}")
    for case in meta["sections"].get("ops", {}).get("cases", {}).values():
        for word in re.findall(r"ops\.([A-Za-z_][A-Za-z0-9_]*)", case.get("expr", "")):
            found.setdefault(word, "compat_tests/test_function_compat_ops.py")
    k2 = json.loads((ROOT / "compat_tests/fixtures/functions_k2.json").read_text())
    for case in k2["sections"].get("backend", {}).get("cases", {}).values():
        for word in re.findall(r"K\.([A-Za-z_][A-Za-z0-9_]*)", case.get("expr", "")):
            found.setdefault(word, "compat_tests/test_function_compat_backend.py")
    for path in sorted((ROOT / "compat_tests/fixtures/k3").glob("*.json")):
        text = path.read_text()
        for word in set(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"', text)):
            found.setdefault(word, "compat_tests/test_training_compat.py")
    return found


def ops_reference_tests():
    """keras.ops names that the Keras 3 "ops" reference section calls: credited to the test
    that compares them with real Keras, ahead of tests that merely mention the word."""
    meta = json.loads((ROOT / "compat_tests/fixtures/functions_k3.json").read_text())
    test = "compat_tests/test_function_compat_ops.py::test_ops_function_values_match_keras3"
    found = {}
    for case in meta["sections"].get("ops", {}).get("cases", {}).values():
        for word in re.findall(r"ops\.([A-Za-z_][A-Za-z0-9_]*)\(", case.get("expr", "")):
            found[f"keras.ops.{word}"] = test
    # the ops added by branch `policy` (compat_tests/fixtures/policy_k3.json)
    policy = json.loads((ROOT / "compat_tests/fixtures/policy_k3.json").read_text())
    test = "compat_tests/test_policy_ops_compat.py::test_policy_ops_values_match_keras3"
    for case in policy["sections"]["ops"]["cases"].values():
        for word in re.findall(r"ops\.((?:linalg\.)?[A-Za-z_][A-Za-z0-9_]*)\(", case["expr"]):
            found.setdefault(f"keras.ops.{word}", test)
    test = "compat_tests/test_tree_compat.py::test_tree_function_as_keras"
    for case in policy["sections"]["tree"]["cases"].values():
        for word in re.findall(r"tree\.([A-Za-z_][A-Za-z0-9_]*)", case["expr"]):
            found.setdefault(f"keras.tree.{word}", test)
    return found


def backing_test(qualified, name, index, fixtures):
    """The most specific test that names `name`: one whose own name contains it, then one in
    a file about its namespace, then any test function, then a table in a test module, then
    a reference fixture built from it."""
    from minikeras.utils.naming import to_snake_case

    pattern = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")
    snake = to_snake_case(name).strip("_")
    hint = qualified.rsplit(".", 1)[0].split(".")[-1]
    ranked = []
    for node, body in index.items():
        if not pattern.search(body):
            continue
        test_name = node.split("::")[-1]
        rank = (0 if "::" in node and snake in test_name else
                1 if "::" in node and hint.rstrip("s") in node else
                2 if "::" in node else 3)
        ranked.append((rank, node))
    if ranked:
        return min(ranked)[1]
    return fixtures.get(name)


def main() -> None:
    index = test_index()
    fixtures = fixture_names()
    preferred = ops_reference_tests()
    lines = ["# Compatibility with Keras", "",
             "Every public name of minikeras' Keras namespaces, its status, and the test that "
             "backs it. Status: **same** (as Keras 3; a Keras 2 spelling of it is accepted "
             "too), **Keras 2 spelling accepted** (the Keras 2 meaning applies when it is "
             "used), **differs** (how is said), **addition** (not in Keras). Reference values "
             "come from real Keras (see `compat_tests/`); the decisions are argued in "
             "`decisions.md`.", "",
             "Generated by `python docs/make_compatibility.py > docs/compatibility.md`.", ""]
    for label, module, explicit in NAMESPACES:
        known = keras_names(label)
        ours = set(public_names(module, explicit))
        lines += [f"## `{label}`", "", "| name | status | notes | test |", "|---|---|---|---|"]
        for name in sorted(ours):
            qualified = f"{label}.{name}"
            if name not in known and NOTES.get(qualified, ("",))[0] != "addition":
                continue  # an implementation helper, not part of the Keras API
            status, note = NOTES.get(qualified, ("same", ""))
            test = preferred.get(qualified) or backing_test(qualified, name, index, fixtures)
            if test is None and status == "same":
                status, note = "untested", "no test names it yet"
            lines.append(f"| `{name}` | {status} | {note} | {f'`{test}`' if test else ''} |")
        missing = sorted(known - ours)
        if missing:
            lines += ["", f"Not provided ({len(missing)}): " +
                      ", ".join(f"`{n}`" for n in missing)]
        lines.append("")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
