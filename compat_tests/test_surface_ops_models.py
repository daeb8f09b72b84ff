"""Keras rule: arithmetic and `keras.ops` on KerasTensors build functional-graph nodes
(Keras 3's Operations: `x * 2 + ops.mean(y)` works in `keras.Model(inputs, outputs)`), the
model trains, and its config lists each Operation with module `keras.src.ops.*`, its
constructor arguments and its call arguments (constants inline). A Keras 3 `.keras` file
with such nodes loads and predicts the same; loading resolves them by class name from a
table only (no code runs).

tf.keras (Keras 2) saves TensorFlow ops on Keras tensors as TFOpLambda/SlicingOpLambda
layers naming a TensorFlow function: such `.h5` files load by a table of function names
(`minikeras.ops.symbolic.TF_OPS`) and predict the same.

Reference: `fixtures/configs_k3.json` (`ops_models`, `ops_table`) and the files in
`files/surface_k3/`, written by real Keras 3; `fixtures/configs_k2.json` and
`files/surface_k2/`, written by tf_keras 2.21 (`generate_config_fixtures.py`).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import minikeras as keras
from minikeras.ops.op_classes import OP_CLASSES

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = json.load(open(os.path.join(HERE, "fixtures", "configs_k3.json")))
MODELS = FIXTURE["ops_models"]
K2_MODELS = json.load(open(os.path.join(HERE, "fixtures", "configs_k2.json")))["tf_ops_models"]


def _generator():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "generate_config_fixtures", os.path.join(HERE, "generate_config_fixtures.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _inputs(case):
    xs = [np.asarray(x, dtype="float32") for x in case["x"]]
    return xs if len(xs) > 1 else xs[0]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_keras3_file_with_ops_loads_and_predicts_the_same(name, tmp_path):
    case = MODELS[name]
    x = _inputs(case)
    # Keras 3's legacy .h5 writes the Operations without `module`
    legacy = keras.saving.load_model(os.path.join(HERE, case["file_h5"]))
    np.testing.assert_allclose(legacy.predict(x, verbose=0), case["pred"], rtol=1e-5,
                               atol=1e-6)
    model = keras.saving.load_model(os.path.join(HERE, case["file"]))
    np.testing.assert_allclose(model.predict(x, verbose=0), case["pred"], rtol=1e-5, atol=1e-6)
    # only real layers in model.layers (Keras 3 does not list Operations there)
    assert all(not getattr(layer, "_is_symbolic_op", False) for layer in model.layers)
    assert len(model.get_weights()) == len(case["weights"])
    for suffix in (".keras", ".h5"):  # minikeras' own files keep the nodes
        path = tmp_path / f"m{suffix}"
        model.save(path)
        again = keras.saving.load_model(path)
        np.testing.assert_allclose(again.predict(x, verbose=0), case["pred"], rtol=1e-5,
                                   atol=1e-6)


def _normalized(config):
    """Layer entries with names replaced by their position, for comparing two configs."""
    index = {entry["name"]: i for i, entry in enumerate(config["layers"])}

    def walk(x):
        if isinstance(x, dict):
            if x.get("class_name") == "__keras_tensor__":
                hist = x["config"]["keras_history"]
                return ["T", index[hist[0]], hist[1], hist[2]]
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v) for v in x]
        return x

    out = []
    for entry in config["layers"]:
        if not str(entry.get("module")).startswith("keras.src.ops."):
            out.append(entry["class_name"])
            continue
        cfg = {k: v for k, v in entry["config"].items() if k != "name"}
        out.append([entry["module"], entry["class_name"], entry["registered_name"], cfg,
                    walk(entry["inbound_nodes"])])
    return out


@pytest.mark.parametrize("name", sorted(MODELS))
def test_same_code_builds_the_same_graph_and_values(name):
    model, _ = _generator()._ops_models(keras)[name]
    case = MODELS[name]
    model.set_weights([np.asarray(w, dtype="float32") for w in case["weights"]])
    np.testing.assert_allclose(model.predict(_inputs(case), verbose=0), case["pred"],
                               rtol=1e-5, atol=1e-6)
    ours = json.loads(json.dumps(model.get_config()))
    theirs = case["config"]
    assert _normalized(ours) == _normalized(theirs)
    # and Keras' config rebuilds it here
    rebuilt = keras.Model.from_config(theirs)
    rebuilt.set_weights([np.asarray(w, dtype="float32") for w in case["weights"]])
    np.testing.assert_allclose(rebuilt.predict(_inputs(case), verbose=0), case["pred"],
                               rtol=1e-5, atol=1e-6)


def test_model_with_ops_trains():
    a = keras.Input((3,))
    h = keras.layers.Dense(4)(a)
    out = keras.layers.Dense(1)(keras.ops.tanh(h) * 2.0 - keras.ops.mean(h, axis=-1,
                                                                           keepdims=True))
    model = keras.Model(a, out)
    model.compile(keras.optimizers.SGD(0.05), "mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x[:, :1] * 0.5).astype("float32")
    before = [w.copy() for w in model.get_weights()]
    hist = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    # the gradient reaches the layer before the ops
    assert not np.allclose(before[0], model.get_weights()[0])


def test_every_op_class_matches_keras():
    table = FIXTURE["ops_table"]
    for name, (module, cls, params, call, init, defaults) in OP_CLASSES.items():
        k = table[name]
        assert (f"keras.src.ops.{module}", cls) == (k["module"], k["class_name"]), name
        assert list(params) == k["params"] and list(call) == k["call"], name
        assert init == k["init"] and defaults == k["defaults"], name


def test_unknown_operation_in_a_config_is_refused_without_running_anything():
    a = keras.Input((2,), name="a")
    config = json.loads(json.dumps(keras.Model(a, a * 2.0).get_config()))
    entry = next(e for e in config["layers"] if e["class_name"] == "Multiply")
    entry["class_name"] = entry["registered_name"] = "Eval"
    with pytest.raises(ValueError, match="Eval"):
        keras.models.Functional.from_config(config)
    entry["class_name"] = entry["registered_name"] = "Multiply"
    entry["config"]["code"] = "__import__('os')"
    with pytest.raises(ValueError, match="code"):
        keras.models.Functional.from_config(config)


def test_operators_and_ops_on_keras_tensors():
    a = keras.Input((4,))
    outs = [a + 1, 1 + a, a - 1, 1 - a, a * 2, 2 * a, a / 2, 2 / (a + 3), -a, abs(a),
            a ** 2, a[:, 1:3], keras.ops.exp(a), keras.ops.concatenate([a, a], axis=-1),
            keras.ops.reshape(a, (-1, 2, 2)), keras.ops.sum(a, axis=1)]
    model = keras.Model(a, outs)
    x = np.arange(8, dtype="float32").reshape(2, 4) / 8
    got = model.predict(x, verbose=0)
    expected = [x + 1, 1 + x, x - 1, 1 - x, x * 2, 2 * x, x / 2, 2 / (x + 3), -x, abs(x),
                x ** 2, x[:, 1:3], np.exp(x), np.concatenate([x, x], -1), x.reshape(-1, 2, 2),
                x.sum(1)]
    for g, e, t in zip(got, expected, outs):
        assert t.shape == (None,) + e.shape[1:]
        np.testing.assert_allclose(g, e, rtol=1e-6)


@pytest.mark.parametrize("name", sorted(K2_MODELS))
def test_tf_keras_file_with_tf_ops_loads_and_predicts_the_same(name, tmp_path):
    case = K2_MODELS[name]
    model = keras.saving.load_model(os.path.join(HERE, case["file"]))
    x = np.asarray(case["x"][0], dtype="float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), case["pred"], rtol=1e-5, atol=1e-6)
    path = tmp_path / "again.keras"  # written back in Keras 3's form
    model.save(path)
    np.testing.assert_allclose(keras.saving.load_model(path).predict(x, verbose=0),
                               case["pred"], rtol=1e-5, atol=1e-6)


def test_unknown_tensorflow_function_is_refused():
    config = json.loads(json.dumps(K2_MODELS["tf_arith_reduce_slice"]["config"]))
    entry = next(e for e in config["layers"] if e["class_name"] == "TFOpLambda")
    entry["config"]["function"] = "io.write_file"
    with pytest.raises(ValueError, match="io.write_file"):
        keras.Model.from_config(config)


def test_keras_tensor_is_neither_iterable_nor_a_boolean():
    a = keras.Input((3,))
    with pytest.raises(TypeError, match="iterated"):
        list(a)
    with pytest.raises(TypeError, match="boolean"):
        bool(a > 0)


def test_model_with_ops_clones_and_round_trips_through_json():
    a = keras.Input((4,))
    h = keras.layers.Dense(3)(a)
    model = keras.Model(a, keras.layers.Dense(2)(h * 2.0 + keras.ops.mean(h, axis=-1,
                                                                            keepdims=True)))
    x = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
    for other in (keras.models.clone_model(model),
                  keras.models.model_from_json(model.to_json())):
        other.set_weights(model.get_weights())
        np.testing.assert_allclose(other.predict(x, verbose=0), model.predict(x, verbose=0),
                                   rtol=1e-6)
