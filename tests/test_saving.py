"""Saving and loading: round trips in every format, the exact optimizer state, the file
layout real Keras expects (shared/reference/keras-h5-format.md section 11), and every form
of Keras 2 and Keras 3 file the spec lists (sections 2, 3, 7, 8)."""

from __future__ import annotations

import json
import os
import zipfile

import h5py
import numpy as np
import pytest

import minikeras as keras

L = keras.layers


def _data(n=48, d=4, k=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = (x @ rng.normal(size=(d, k))).astype("float32")
    return x, y


def _seq(d=4, k=2):
    return keras.Sequential([keras.Input((d,)), L.Dense(8, activation="relu"),
                             L.Dropout(0.0), L.Dense(k)])


def _func(d=4, k=2):
    i = keras.Input((d,))
    h = L.Dense(8, activation="tanh")(i)
    return keras.Model(i, L.Dense(k)(h))


def _same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for u, v in zip(wa, wb):
        np.testing.assert_array_equal(u, v)


def _attr_text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


# --- round trips ------------------------------------------------------------------------

@pytest.mark.parametrize("build", [_seq, _func], ids=["sequential", "functional"])
@pytest.mark.parametrize("suffix", [".h5", ".keras", ".hdf5"])
def test_model_round_trip(tmp_path, build, suffix):
    x, y = _data()
    model = build()
    model.compile(keras.optimizers.Adam(0.01), "mse", metrics=["mae"])
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = tmp_path / f"m{suffix}"
    model.save(path)
    loaded = keras.models.load_model(path)
    _same_weights(model, loaded)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert loaded.name == model.name
    assert loaded.compiled and isinstance(loaded.optimizer, keras.optimizers.Adam)
    assert float(loaded.optimizer.learning_rate.value) == pytest.approx(0.01)
    history = loaded.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert sorted(history.history) == ["loss", "mae"]
    # no temporary files left behind
    assert sorted(os.listdir(tmp_path)) == [f"m{suffix}"]


@pytest.mark.parametrize("build", [_seq, _func], ids=["sequential", "functional"])
@pytest.mark.parametrize("suffix", [".weights.h5", ".h5"])
def test_weights_round_trip(tmp_path, build, suffix):
    model = build()
    model.save_weights(tmp_path / f"w{suffix}")
    other = build()
    other.load_weights(tmp_path / f"w{suffix}")
    _same_weights(model, other)


def test_load_weights_from_a_full_model_file_and_a_keras_archive(tmp_path):
    model = _func()
    model.save(tmp_path / "m.h5")
    model.save(tmp_path / "m.keras")
    for name in ("m.h5", "m.keras"):
        other = _func()
        other.load_weights(tmp_path / name)
        _same_weights(model, other)


def test_uncompiled_model_comes_back_uncompiled(tmp_path):
    model = _seq()
    for suffix in (".h5", ".keras"):
        model.save(tmp_path / f"m{suffix}")
        assert not keras.models.load_model(tmp_path / f"m{suffix}").compiled


def test_include_optimizer_false(tmp_path):
    x, y = _data()
    model = _seq()
    model.compile("adam", "mse")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.h5", include_optimizer=False)
    with h5py.File(tmp_path / "m.h5") as f:
        assert "training_config" not in f.attrs and "minikeras_optimizer_state" not in f
    assert not keras.models.load_model(tmp_path / "m.h5").compiled


def test_compile_false_skips_the_training_config(tmp_path):
    model = _seq()
    model.compile("sgd", "mse")
    model.save(tmp_path / "m.h5")
    assert not keras.models.load_model(tmp_path / "m.h5", compile=False).compiled


# --- acceptance 3: save, reload, continue == uninterrupted --------------------------------

OPTIMIZERS = {
    "sgd_momentum": lambda: keras.optimizers.SGD(0.05, momentum=0.9),
    "sgd_nesterov": lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "adam": lambda: keras.optimizers.Adam(0.01),
    "adam_amsgrad": lambda: keras.optimizers.Adam(0.01, amsgrad=True),
    "rmsprop": lambda: keras.optimizers.RMSprop(0.005),
    "rmsprop_centered_momentum": lambda: keras.optimizers.RMSprop(0.005, momentum=0.5,
                                                                  centered=True),
    "sgd_keras2_decay": lambda: keras.optimizers.SGD(lr=0.1, decay=0.05, momentum=0.5),
    "rmsprop_keras2_spelling": lambda: keras.optimizers.RMSprop(lr=0.005),
    "adam_keras2_decay": lambda: keras.optimizers.Adam(lr=0.01, decay=0.01),
}


@pytest.mark.parametrize("opt", list(OPTIMIZERS))
@pytest.mark.parametrize("route", [".h5", ".keras", ".weights.h5"])
@pytest.mark.parametrize("build", [_seq, _func], ids=["sequential", "functional"])
def test_save_reload_continue_equals_uninterrupted(tmp_path, opt, route, build):
    x, y = _data(n=40)
    keras.utils.set_random_seed(7)
    straight = build()
    straight.compile(OPTIMIZERS[opt](), "mse", metrics=["mae"])
    h_straight = straight.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)

    keras.utils.set_random_seed(7)
    first = build()
    first.compile(OPTIMIZERS[opt](), "mse", metrics=["mae"])
    h1 = first.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    path = tmp_path / f"ckpt{route}"
    if route == ".weights.h5":
        first.save_weights(path)
        second = build()
        second.compile(OPTIMIZERS[opt](), "mse", metrics=["mae"])
        second.load_weights(path)  # weights and optimizer state (Keras 3 semantics)
    else:
        first.save(path)
        second = keras.models.load_model(path)
    assert int(second.optimizer.iterations.value) == 5
    h2 = second.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(straight.get_weights(), second.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
    for key in ("loss", "mae"):
        np.testing.assert_allclose(h1.history[key] + h2.history[key],
                                   h_straight.history[key], rtol=1e-6)
    for a, b in zip(straight.optimizer.variables, second.optimizer.variables):
        np.testing.assert_allclose(np.asarray(b.value), np.asarray(a.value), rtol=1e-6,
                                   atol=1e-7)


def test_unbuilt_optimizer_is_saved_fresh(tmp_path):
    model = _seq()
    model.compile(keras.optimizers.Adam(0.003), "mse")
    model.save(tmp_path / "m.keras")
    assert not model.optimizer.built  # saving did not build the user's optimizer
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert all(not np.any(np.asarray(v.value)) for v in loaded.optimizer.variables[2:])


# --- what real Keras needs in a legacy .h5 (spec section 11) --------------------------------

def test_h5_layout_follows_the_keras2_and_keras3_recipe(tmp_path):
    x, y = _data()
    model = _seq()
    model.compile(keras.optimizers.Adam(0.002), "mse", metrics=["mae"])
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as f:
        assert _attr_text(f.attrs["keras_version"]) not in ("", "1")
        assert _attr_text(f.attrs["backend"]) == "tensorflow"
        assert h5py.check_string_dtype(f.attrs.get_id("model_config").dtype).length is None
        cfg = json.loads(f.attrs["model_config"])
        mw = f["model_weights"]
        assert _attr_text(mw.attrs["keras_version"]) not in ("", "1")
        assert [_attr_text(n) for n in mw.attrs["layer_names"]] == \
            [layer.name for layer in model.layers]
        dense = model.layers[0].name
        assert [_attr_text(n) for n in mw[dense].attrs["weight_names"]] == \
            [f"{dense}/kernel:0", f"{dense}/bias:0"]
        empty = mw[model.layers[1].name].attrs["weight_names"]
        assert empty.dtype == np.float64 and empty.shape == (0,)
        assert "top_level_model_weights" in mw
        train = json.loads(f.attrs["training_config"])
        assert "optimizer_weights" not in f  # Keras 3 could not train the model with it
        assert "minikeras_optimizer_state" in f
    layers = cfg["config"]["layers"]
    assert cfg["class_name"] == "Sequential"
    assert layers[0]["class_name"] == "InputLayer"
    assert layers[0]["config"]["batch_input_shape"] == [None, 4]
    text = json.dumps(cfg)
    for forbidden in ("batch_shape", "DTypePolicy", "quantization_config", "input_axes",
                      "output_axes"):
        assert forbidden not in text
    assert all(isinstance(e["config"].get("dtype", "float32"), str) for e in layers)
    assert "module" not in layers[1] and "registered_name" not in layers[1]
    assert train["loss"] == "mean_squared_error"
    assert train["metrics"] == ["mean_absolute_error"]
    assert train["loss_weights"] is None and train["weighted_metrics"] is None
    assert train["optimizer_config"] == {
        "class_name": "Adam",
        "config": {"name": model.optimizer.name, "learning_rate": pytest.approx(0.002),
                   "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False}}


def test_functional_h5_uses_keras2_node_lists(tmp_path):
    model = _func()
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as f:
        cfg = json.loads(f.attrs["model_config"])
    assert cfg["class_name"] == "Functional"
    c = cfg["config"]
    names = [layer.name for layer in model.layers]
    assert c["input_layers"] == [[names[0], 0, 0]]
    assert c["output_layers"] == [[names[2], 0, 0]]
    assert c["layers"][1]["inbound_nodes"] == [[[names[0], 0, 0, {}]]]


def test_keras_archive_layout(tmp_path):
    model = _seq()
    model.compile("rmsprop", "mse")
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        assert sorted(z.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        cfg = json.loads(z.read("config.json"))
        meta = json.loads(z.read("metadata.json"))
        with h5py.File(__import__("io").BytesIO(z.read("model.weights.h5"))) as f:
            paths = []
            f.visit(paths.append)
    assert meta["keras_version"].startswith("3.")
    assert cfg["module"] == "keras" and cfg["class_name"] == "Sequential"
    first = cfg["config"]["layers"][0]
    assert first["class_name"] == "InputLayer" and first["config"]["batch_shape"] == [None, 4]
    assert cfg["compile_config"]["optimizer"]["module"] == "keras.optimizers"
    assert "layers/dense/vars/0" in paths and "layers/dense_1/vars/1" in paths
    assert "layers/dropout/vars" in paths and "optimizer/vars/0" in paths and "vars" in paths


def test_weights_h5_paths_follow_keras3(tmp_path):
    class Block(L.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.b_dense = L.Dense(3)
            self.a_list = [L.Dense(2), L.Dense(2)]
            self._priv = L.Dense(4)

        def build(self, shape):
            self.w = self.add_weight(shape=(2,), initializer="ones", name="own")

        def call(self, x):
            return self.b_dense(x) + self._priv(x)[:, :3] + self.a_list[0](x)[:, :1] + \
                self.a_list[1](x)[:, :1]

    model = keras.Sequential([keras.Input((4,)), Block(), L.Dense(1)])
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5") as f:
        paths = []
        f.visit(paths.append)
    # the layout Keras 3.15 wrote for the same model (recorded with the k3 environment)
    for p in ("layers/block/vars/0", "layers/block/b_dense/vars/0",
              "layers/block/a_list/dense/vars/0", "layers/block/a_list/dense_1/vars/1",
              "layers/block/_priv/vars/1", "layers/dense/vars/0", "vars"):
        assert p in paths
    other = keras.Sequential([keras.Input((4,)), Block(), L.Dense(1)])
    other.load_weights(tmp_path / "w.weights.h5")
    _same_weights(model, other)


# --- hand-made files: every form the spec lists -------------------------------------------

def _dense_cfg(name, units, **extra):
    return {"class_name": "Dense", "config": {"name": name, "units": units, **extra}}


def write_h5(path, model_config, weights, names_style="vlen", attr_style="bytes",
             weight_name_style="k2", training_config=None, optimizer_weights=None,
             keras_version="2.15.0"):
    """A legacy .h5 by hand. `weights`: [(layer name, [arrays])] in model order."""
    with h5py.File(path, "w") as f:
        text = json.dumps(model_config)
        if attr_style == "bytes":
            f.attrs["model_config"] = text.encode()
        elif attr_style == "str":
            f.attrs["model_config"] = text
        else:  # fixed-length scalar
            f.attrs["model_config"] = np.bytes_(text.encode())
        f.attrs["keras_version"] = keras_version
        f.attrs["backend"] = "tensorflow"
        if training_config is not None:
            f.attrs["training_config"] = json.dumps(training_config).encode()
        g = f.create_group("model_weights")
        g.attrs["keras_version"] = keras_version.encode()
        names = [n for n, _ in weights]
        _names(g, "layer_names", names, names_style)
        for lname, arrays in weights:
            lg = g.create_group(lname)
            if weight_name_style == "k2":
                wn = [f"{lname}/{k}:0" for k in ("kernel", "bias", "gamma", "beta")[:len(arrays)]]
            elif weight_name_style == "flat":
                wn = [("kernel", "bias")[i] for i in range(len(arrays))]
            else:  # K3 sequential style
                wn = [f"sequential/{lname}/{k}" for k in ("kernel", "bias")[:len(arrays)]]
            if arrays or names_style != "missing":
                _names(lg, "weight_names", wn, names_style)
            for n, a in zip(wn, arrays):
                lg.create_dataset(n, data=a)
        if optimizer_weights is not None:
            og = f.create_group("optimizer_weights")
            _names(og, "weight_names", [n for n, _ in optimizer_weights], "vlen")
            for n, a in optimizer_weights:
                og.create_dataset(n, data=a)


def _names(group, attr, names, style):
    enc = [n.encode() for n in names]
    if not names:
        if style != "missing":
            group.attrs[attr] = np.asarray([])
        return
    if style == "vlen":
        group.attrs[attr] = enc
    elif style == "fixed":
        group.attrs[attr] = np.asarray(enc)
    elif style == "chunked":
        parts = np.array_split(np.asarray(enc), 2) if len(enc) > 1 else [np.asarray(enc)]
        for i, p in enumerate(parts):
            group.attrs[f"{attr}{i}"] = p
    elif style == "str":
        group.attrs[attr] = names
    elif style == "missing":
        group.attrs[attr] = enc


def _arrays(rng, d_in, units):
    return [rng.normal(size=(d_in, units)).astype("float32"),
            rng.normal(size=(units,)).astype("float32")]


def _check_predicts(model, weights, x):
    h = x
    for kernel, bias in weights:
        h = h @ kernel + bias
    np.testing.assert_allclose(model.predict(x, verbose=0), h, rtol=1e-5, atol=1e-5)


SEQ_INPUT_FORMS = {
    "input_layer_batch_input_shape": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4],
                                                "dtype": "float32", "name": "in"}},
        _dense_cfg("d1", 3)],
    "input_layer_batch_shape_k3": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 4], "dtype": "float32",
                                                "name": "in", "optional": False,
                                                "ragged": False, "sparse": False}},
        _dense_cfg("d1", 3)],
    "first_layer_batch_input_shape": [_dense_cfg("d1", 3, batch_input_shape=[None, 4])],
    "first_layer_input_shape": [_dense_cfg("d1", 3, input_shape=[4])],
    "first_layer_input_dim": [_dense_cfg("d1", 3, input_dim=4)],
    "k3_build_input_shape_only": None,
}


@pytest.mark.parametrize("form", list(SEQ_INPUT_FORMS))
def test_every_input_shape_form_drops_the_batch_dimension(tmp_path, form):
    rng = np.random.default_rng(0)
    w1, w2 = _arrays(rng, 4, 3), _arrays(rng, 3, 2)
    layers = SEQ_INPUT_FORMS[form]
    config = {"name": "s"}
    if layers is None:
        layers = [_dense_cfg("d1", 3)]
        config["build_input_shape"] = [None, 4]
    config["layers"] = layers + [_dense_cfg("d2", 2)]
    write_h5(tmp_path / "m.h5", {"class_name": "Sequential", "config": config},
             [("d1", w1), ("d2", w2)])
    model = keras.models.load_model(tmp_path / "m.h5")
    assert tuple(model.input_shape) == (None, 4)
    _check_predicts(model, [w1, w2], rng.normal(size=(5, 4)).astype("float32"))


@pytest.mark.parametrize("names_style", ["vlen", "fixed", "chunked", "str"])
@pytest.mark.parametrize("attr_style", ["bytes", "str", "fixed_scalar"])
@pytest.mark.parametrize("weight_name_style", ["k2", "flat", "k3"])
def test_name_list_and_string_forms(tmp_path, names_style, attr_style, weight_name_style):
    rng = np.random.default_rng(1)
    w1, w2 = _arrays(rng, 4, 3), _arrays(rng, 3, 2)
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4]}},
        _dense_cfg("d1", 3), {"class_name": "Dropout", "config": {"rate": 0.5, "name": "dr"}},
        _dense_cfg("d2", 2)]}}
    write_h5(tmp_path / "m.h5", config, [("d1", w1), ("dr", []), ("d2", w2)],
             names_style=names_style, attr_style=attr_style,
             weight_name_style=weight_name_style)
    model = keras.models.load_model(tmp_path / "m.h5")
    _check_predicts(model, [w1, w2], rng.normal(size=(5, 4)).astype("float32"))


def test_missing_weight_names_attribute_means_no_weights(tmp_path):
    rng = np.random.default_rng(2)
    w1 = _arrays(rng, 4, 3)
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4]}},
        {"class_name": "Dropout", "config": {"rate": 0.5, "name": "dr"}}, _dense_cfg("d1", 3)]}}
    write_h5(tmp_path / "m.h5", config, [("dr", []), ("d1", w1)], names_style="missing")
    _check_predicts(keras.models.load_model(tmp_path / "m.h5"), [w1],
                    rng.normal(size=(3, 4)).astype("float32"))


@pytest.mark.parametrize("dtype", [
    "float32",
    {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
     "registered_name": None},
    {"module": "keras.mixed_precision", "class_name": "Policy", "config": {"name": "float32"},
     "registered_name": None},
    {"class_name": "Policy", "config": {"name": "mixed_float16"}},
], ids=["string", "DTypePolicy", "K2 Policy", "K2 mixed_float16"])
def test_dtype_forms(tmp_path, dtype):
    rng = np.random.default_rng(3)
    w1 = _arrays(rng, 4, 3)
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4],
                                                "dtype": "float32"}},
        _dense_cfg("d1", 3, dtype=dtype, kernel_initializer={
            "class_name": "GlorotUniform", "config": {"seed": None}})]}}
    write_h5(tmp_path / "m.h5", config, [("d1", w1)])
    model = keras.models.load_model(tmp_path / "m.h5")
    assert model.layers[0].dtype == "float32"  # the variables' dtype (Keras 3's layer.dtype)
    if "mixed_float16" in str(dtype):  # computes in float16, as Keras 3 (test_dtype_policies)
        assert model.layers[0].compute_dtype == "float16"
        return
    _check_predicts(model, [w1], rng.normal(size=(3, 4)).astype("float32"))


def _k3_tensor(layer, shape):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": shape, "dtype": "float32", "keras_history": [layer, 0, 0]}}


@pytest.mark.parametrize("style", ["k2_nodes", "k3_nodes", "k3_single_triple", "model_name"])
def test_functional_config_forms(tmp_path, style):
    rng = np.random.default_rng(4)
    w1, w2 = _arrays(rng, 5, 3), _arrays(rng, 3, 2)
    inp = {"class_name": "InputLayer", "name": "in",
           "config": {"batch_input_shape": [None, 5], "name": "in"}, "inbound_nodes": []}
    if style.startswith("k3"):
        n1 = [{"args": [_k3_tensor("in", [None, 5])], "kwargs": {}}]
        n2 = [{"args": [_k3_tensor("d1", [None, 3])], "kwargs": {}}]
    else:
        n1, n2 = [[["in", 0, 0, {}]]], [[["d1", 0, 0, {}]]]
    layers = [inp, {**_dense_cfg("d1", 3), "name": "d1", "inbound_nodes": n1},
              {**_dense_cfg("d2", 2), "name": "d2", "inbound_nodes": n2}]
    ins, outs = [["in", 0, 0]], [["d2", 0, 0]]
    if style == "k3_single_triple":
        ins, outs = ["in", 0, 0], ["d2", 0, 0]
    config = {"class_name": "Model" if style == "model_name" else "Functional",
              "config": {"name": "f", "layers": layers, "input_layers": ins,
                         "output_layers": outs}}
    write_h5(tmp_path / "m.h5", config, [("in", []), ("d1", w1), ("d2", w2)])
    model = keras.models.load_model(tmp_path / "m.h5")
    _check_predicts(model, [w1, w2], rng.normal(size=(3, 5)).astype("float32"))


def test_keras22_list_style_sequential(tmp_path):
    rng = np.random.default_rng(5)
    w1, w2 = _arrays(rng, 4, 3), _arrays(rng, 3, 1)
    config = {"class_name": "Sequential", "config": [
        {"class_name": "Dense", "config": {
            "name": "dense_1", "units": 3, "activation": "linear", "use_bias": True,
            "batch_input_shape": [None, 4], "dtype": "float32", "trainable": True,
            "kernel_initializer": {"class_name": "VarianceScaling", "config": {
                "scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None, "bias_regularizer": None,
            "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}},
        _dense_cfg("dense_2", 1)]}
    write_h5(tmp_path / "m.h5", config, [("dense_1", w1), ("dense_2", w2)],
             keras_version="2.2.4")
    model = keras.models.load_model(tmp_path / "m.h5")
    assert tuple(model.input_shape) == (None, 4)
    _check_predicts(model, [w1, w2], rng.normal(size=(3, 4)).astype("float32"))


def test_unknown_keys_are_ignored(tmp_path):
    rng = np.random.default_rng(6)
    w1 = _arrays(rng, 4, 3)
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 4], "optional": False,
                                                "ragged": False, "sparse": False}},
        _dense_cfg("d1", 3, quantization_config=None, lora_rank=None,
                   kernel_initializer={"module": "keras.initializers",
                                       "class_name": "GlorotUniform",
                                       "config": {"seed": None, "input_axes": None,
                                                  "output_axes": None},
                                       "registered_name": None})]}}
    write_h5(tmp_path / "m.h5", config, [("d1", w1)])
    _check_predicts(keras.models.load_model(tmp_path / "m.h5"), [w1],
                    rng.normal(size=(3, 4)).astype("float32"))


# --- training configs and optimizer state from other writers -------------------------------

def _compiled_file(tmp_path, training_config, optimizer_weights=None, units=(3, 2)):
    rng = np.random.default_rng(7)
    w1, w2 = _arrays(rng, 4, units[0]), _arrays(rng, units[0], units[1])
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4]}},
        _dense_cfg("dense", units[0]), _dense_cfg("dense_1", units[1])]}}
    write_h5(tmp_path / "m.h5", config, [("dense", w1), ("dense_1", w2)],
             training_config=training_config, optimizer_weights=optimizer_weights)
    return tmp_path / "m.h5"


@pytest.mark.parametrize("opt_cfg, cls, expected", [
    ({"class_name": "Custom>Adam", "config": {
        "name": "Adam", "learning_rate": 0.005, "beta_1": 0.8, "beta_2": 0.99,
        "epsilon": 1e-6, "amsgrad": True, "jit_compile": False, "is_legacy_optimizer": False,
        "weight_decay": None, "use_ema": False, "ema_momentum": 0.99,
        "ema_overwrite_frequency": None, "clipnorm": None, "global_clipnorm": None,
        "clipvalue": None}},
     "Adam", {"learning_rate": 0.005, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6,
              "amsgrad": True}),
    ({"class_name": "SGD", "config": {"name": "SGD", "lr": 0.1, "decay": 0.01,
                                      "momentum": 0.5, "nesterov": True}},
     "SGD", {"learning_rate": 0.1, "decay": 0.01, "momentum": 0.5, "nesterov": True}),
    ({"class_name": "RMSprop", "config": {"name": "RMSprop", "learning_rate": 0.003,
                                          "rho": 0.8, "momentum": 0.1, "epsilon": 1e-6,
                                          "centered": True, "decay": 0.0}},
     "RMSprop", {"learning_rate": 0.003, "rho": 0.8, "momentum": 0.1, "centered": True}),
], ids=["keras2 Custom>Adam", "keras2 legacy SGD", "keras2 legacy RMSprop"])
def test_keras2_optimizer_configs_keep_their_hyperparameters(tmp_path, opt_cfg, cls,
                                                             expected):
    path = _compiled_file(tmp_path, {"loss": "mse", "metrics": None,
                                     "weighted_metrics": None, "loss_weights": None,
                                     "optimizer_config": opt_cfg})
    model = keras.models.load_model(path)
    assert type(model.optimizer).__name__ == cls
    cfg = model.optimizer.get_config()
    for k, v in expected.items():
        got = cfg.get(k, getattr(model.optimizer, k, None))
        assert got == pytest.approx(v), k


@pytest.mark.parametrize("loss, metrics, keys", [
    ("mse", ["mae"], ["loss", "mae"]),
    ("MSE", None, ["loss"]),
    ({"class_name": "MeanSquaredError", "config": {"reduction": "auto",
                                                   "name": "mean_squared_error",
                                                   "fn": "mean_squared_error"}},
     [[{"class_name": "MeanMetricWrapper",
        "config": {"name": "mae", "dtype": "float32", "fn": "mean_absolute_error"}}]],
     ["loss", "mae"]),
    ({"module": "keras.losses", "class_name": "MeanAbsoluteError",
      "config": {"name": "mean_absolute_error", "reduction": "sum_over_batch_size"},
      "registered_name": None},
     [{"module": "keras.metrics", "class_name": "RootMeanSquaredError",
       "config": {"name": "rmse", "dtype": "float32"}, "registered_name": None}],
     ["loss", "rmse"]),
], ids=["aliases", "upper-case alias", "keras2 wrappers", "keras3 objects"])
def test_loss_and_metric_forms(tmp_path, loss, metrics, keys):
    path = _compiled_file(tmp_path, {"loss": loss, "metrics": metrics,
                                     "weighted_metrics": None, "loss_weights": None,
                                     "optimizer_config": {"class_name": "SGD",
                                                          "config": {"learning_rate": 0.01}}})
    model = keras.models.load_model(path)
    x, y = _data()
    assert sorted(model.fit(x, y, epochs=1, verbose=0).history) == keys


def _trained_adam_state(tmp_path):
    """A minikeras model trained with Adam, and its optimizer state in Keras 3 order."""
    x, y = _data()
    model = keras.Sequential([keras.Input((4,)), L.Dense(3, name="dense"),
                              L.Dense(2, name="dense_1")])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    return model, [np.asarray(v.value) for v in model.optimizer.variables]


@pytest.mark.parametrize("order", ["keras2_new", "keras2_legacy", "keras3"])
def test_keras_optimizer_weights_in_every_slot_order(tmp_path, order):
    model, state = _trained_adam_state(tmp_path)
    it, lr, slots = state[0], state[1], state[2:]
    ms, vs = slots[0::2], slots[1::2]
    var_paths = ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]
    if order == "keras2_new":
        ow = [("iteration:0", it)]
        for p, m, v in zip(var_paths, ms, vs):
            ow += [(f"Adam/m/{p}:0", m), (f"Adam/v/{p}:0", v)]
    elif order == "keras2_legacy":
        ow = [("Adam/iter:0", it)] + [(f"Adam/{p}/m:0", m) for p, m in zip(var_paths, ms)] + \
            [(f"Adam/{p}/v:0", v) for p, v in zip(var_paths, vs)]
    else:
        ow = [("adam/iteration", it.astype("int32")), ("adam/learning_rate", lr)]
        for p, m, v in zip(var_paths, ms, vs):
            q = "sequential_" + p.replace("/", "_")
            ow += [(f"adam/{q}_momentum", m), (f"adam/{q}_velocity", v)]
    path = tmp_path / "k.h5"
    weights = [(layer.name, layer.get_weights()) for layer in model.layers]
    config = json.loads(model.to_json())
    write_h5(path, config, weights, optimizer_weights=ow, training_config={
        "loss": "mse", "metrics": None, "weighted_metrics": None, "loss_weights": None,
        "optimizer_config": {"class_name": "Adam", "config": {"learning_rate": 0.01}}})
    loaded = keras.models.load_model(path)
    for got, want in zip(loaded.optimizer.variables, state):
        np.testing.assert_array_equal(np.asarray(got.value), want)
    x, y = _data()
    a = model.fit(x, y, epochs=1, shuffle=False, verbose=0).history["loss"]
    b = loaded.fit(x, y, epochs=1, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_optimizer_weights_that_do_not_fit_start_fresh_with_a_warning(tmp_path):
    model, state = _trained_adam_state(tmp_path)
    ow = [("iteration:0", state[0])] + [(f"Adam/m/x{i}:0", np.zeros((7, 7), "float32"))
                                        for i in range(8)]
    path = tmp_path / "k.h5"
    write_h5(path, json.loads(model.to_json()),
             [(layer.name, layer.get_weights()) for layer in model.layers],
             optimizer_weights=ow, training_config={
                 "loss": "mse", "metrics": None, "weighted_metrics": None,
                 "loss_weights": None, "optimizer_config": {"class_name": "Adam",
                                                            "config": {}}})
    with pytest.warns(UserWarning, match="optimizer state"):
        loaded = keras.models.load_model(path)
    assert int(loaded.optimizer.iterations.value) == 0
    assert all(not np.any(np.asarray(v.value)) for v in loaded.optimizer.variables[2:])


# --- load_weights options ---------------------------------------------------------------

def test_shape_mismatch_names_the_layer_and_changes_nothing(tmp_path):
    src = keras.Sequential([keras.Input((4,)), L.Dense(3, name="a"), L.Dense(2, name="b")])
    src.save_weights(tmp_path / "w.h5")
    src.save_weights(tmp_path / "w.weights.h5")
    for name in ("w.h5", "w.weights.h5"):
        dst = keras.Sequential([keras.Input((4,)), L.Dense(3, name="a"), L.Dense(5, name="b")])
        before = dst.get_weights()
        with pytest.raises(ValueError, match="'b'.*shape"):
            dst.load_weights(tmp_path / name)
        for u, v in zip(before, dst.get_weights()):
            np.testing.assert_array_equal(u, v)


def test_skip_mismatch_loads_the_rest(tmp_path):
    src = keras.Sequential([keras.Input((4,)), L.Dense(3, name="a"), L.Dense(2, name="b")])
    src.save_weights(tmp_path / "w.h5")
    src.save_weights(tmp_path / "w.weights.h5")
    for name in ("w.h5", "w.weights.h5"):
        dst = keras.Sequential([keras.Input((4,)), L.Dense(3, name="a"), L.Dense(5, name="b")])
        before_b = dst.layers[1].get_weights()
        with pytest.warns(UserWarning, match="'b'"):
            dst.load_weights(tmp_path / name, skip_mismatch=True)
        _same_weights(src.layers[0], dst.layers[0])
        for u, v in zip(before_b, dst.layers[1].get_weights()):
            np.testing.assert_array_equal(u, v)


def test_layer_count_mismatch(tmp_path):
    src = keras.Sequential([keras.Input((4,)), L.Dense(3), L.Dense(2)])
    src.save_weights(tmp_path / "w.h5")
    dst = keras.Sequential([keras.Input((4,)), L.Dense(2)])
    with pytest.raises(ValueError, match="Layer count mismatch"):
        dst.load_weights(tmp_path / "w.h5")


def test_by_name(tmp_path):
    src = keras.Sequential([keras.Input((4,)), L.Dense(3, name="a"), L.Dense(2, name="b")])
    src.save_weights(tmp_path / "w.h5")
    i = keras.Input((4,))
    h = L.Dense(3, name="a")(i)
    h = L.Dense(6, name="extra")(h)
    dst = keras.Model(i, L.Dense(2, name="b")(L.Dense(3, name="c")(h)))
    extra_before = dst.get_layer("extra").get_weights()
    with pytest.raises(ValueError):
        dst.load_weights(tmp_path / "w.h5")  # by position the layers do not line up
    dst.load_weights(tmp_path / "w.h5", by_name=True, skip_mismatch=True)
    _same_weights(src.get_layer("a"), dst.get_layer("a"))
    for u, v in zip(extra_before, dst.get_layer("extra").get_weights()):
        np.testing.assert_array_equal(u, v)


def test_keras2_weights_only_file_by_name(tmp_path):
    rng = np.random.default_rng(8)
    w = _arrays(rng, 4, 3)
    with h5py.File(tmp_path / "w.h5", "w") as f:
        f.attrs["layer_names"] = [b"dense_7"]
        f.attrs["keras_version"] = "2.21.0"
        f.attrs["backend"] = "tensorflow"
        g = f.create_group("dense_7")
        g.attrs["weight_names"] = [b"dense_7/kernel:0", b"dense_7/bias:0"]
        g.create_dataset("dense_7/kernel:0", data=w[0])
        g.create_dataset("dense_7/bias:0", data=w[1].astype("float64"))  # any float loads
    model = keras.Sequential([keras.Input((4,)), L.Dense(3, name="dense_7")])
    model.load_weights(tmp_path / "w.h5", by_name=True)
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], w[0])
    assert model.layers[0].get_weights()[1].dtype == np.float32


# --- custom objects ---------------------------------------------------------------------

class Scale(L.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.alpha = self.add_weight(shape=(input_shape[-1],), initializer="ones",
                                     name="alpha")

    def call(self, x):
        return keras.ops.multiply(x, self.alpha) * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_custom_layer_needs_custom_objects(tmp_path, suffix):
    model = keras.Sequential([keras.Input((3,)), Scale(3.0, name="scale"), L.Dense(1)])
    model.layers[0].alpha.assign(np.array([1.0, 2.0, 3.0], "float32"))
    path = tmp_path / f"m{suffix}"
    model.save(path)
    with pytest.raises(ValueError, match="Scale.*custom_objects"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, custom_objects={"Scale": Scale})
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.layers[0].factor == 3.0
    with keras.saving.custom_object_scope({"Scale": Scale}):
        keras.models.load_model(path)


class Sub(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.zeta = L.Dense(3)
        self.alpha = L.Dense(2)

    def call(self, x):
        return self.alpha(self.zeta(x))


def test_subclassed_model_weights_use_keras3_attribute_paths(tmp_path):
    x = np.ones((4, 4), "float32")
    model = Sub()
    model(x)
    model.compile("sgd", "mse")
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5") as f:
        paths = []
        f.visit(paths.append)
    # what Keras 3.15 writes for the same class (attributes sorted, then `layers`)
    assert {"alpha/vars/0", "layers/dense/vars/0", "optimizer/vars/0", "vars"} <= set(paths)
    other = Sub()
    other(x)
    other.load_weights(tmp_path / "w.weights.h5")
    _same_weights(model, other)


def test_subclassed_model_keras_archive_round_trip(tmp_path):
    x = np.ones((4, 4), "float32")
    model = Sub()
    model(x)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", custom_objects={"Sub": Sub})
    _same_weights(model, loaded)


@pytest.mark.parametrize("loss", [
    {"module": "builtins", "class_name": "function", "config": "mean_squared_error",
     "registered_name": "function"},
    {"module": "keras.losses", "class_name": "LossFunctionWrapper",
     "config": {"name": "mse", "reduction": "sum_over_batch_size",
                "fn": {"module": "builtins", "class_name": "function",
                       "config": "mean_squared_error", "registered_name": "function"}},
     "registered_name": None},
], ids=["function", "LossFunctionWrapper"])
def test_keras3_function_forms_in_compile_config(tmp_path, loss):
    model = _seq()
    model.compile("sgd", "mse")
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        members = {n: z.read(n) for n in z.namelist()}
    cfg = json.loads(members["config.json"])
    cfg.pop("minikeras_compile_config")
    cfg["compile_config"]["loss"] = loss
    cfg["compile_config"]["metrics"] = [
        {"module": "keras.metrics", "class_name": "MeanMetricWrapper",
         "config": {"name": "mae", "dtype": "float32",
                    "fn": {"module": "builtins", "class_name": "function",
                           "config": "mean_absolute_error", "registered_name": "function"}},
         "registered_name": None}]
    members["config.json"] = json.dumps(cfg).encode()
    with zipfile.ZipFile(tmp_path / "m.keras", "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    loaded = keras.models.load_model(tmp_path / "m.keras")
    x, y = _data()
    history = loaded.fit(x, y, epochs=1, verbose=0)
    assert sorted(history.history) == ["loss", "mae"]
    want = np.mean((loaded.predict(x, verbose=0) - y) ** 2)
    assert loaded.evaluate(x, y, verbose=0, return_dict=True)["loss"] == \
        pytest.approx(float(want), rel=1e-5)


def test_leaky_relu_is_written_with_keras2s_alpha(tmp_path):
    """tf_keras 2.21 rejects `negative_slope`; both Keras versions read `alpha` (checked with
    real Keras when this was written)."""
    import json

    import h5py

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4),
                              keras.layers.LeakyReLU(negative_slope=0.15),
                              keras.layers.Dense(1)])
    path = tmp_path / "leaky.h5"
    model.save(path)
    with h5py.File(path, "r") as f:
        layers = json.loads(f.attrs["model_config"])["config"]["layers"]
    leaky = [entry["config"] for entry in layers if entry["class_name"] == "LeakyReLU"][0]
    assert leaky.get("alpha") == 0.15 and "negative_slope" not in leaky
    again = keras.models.load_model(path)
    assert again.layers[1].get_config()["negative_slope"] == 0.15


# --- a user's layer without get_config (Keras 3's automatic config) ----------------------

class _Scaled(keras.layers.Layer):
    def __init__(self, units, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.scale = units, scale

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), name="w")

    def call(self, x):
        return keras.ops.matmul(x, self.w) * self.scale


class _NoName(keras.layers.Layer):
    def __init__(self, k, flag=True):
        super().__init__()
        self.k = k


_F32 = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
        "registered_name": None}


def test_layer_without_get_config_gets_its_constructor_arguments():
    # the expected dicts are those Keras 3.15 returned for the same classes (the dtype
    # entry is the DTypePolicy dict Keras 3 writes)
    assert _Scaled(5, name="s").get_config() == {"name": "s", "units": 5, "scale": 1.0,
                                       "trainable": True, "dtype": _F32}
    cfg = _Scaled(5, scale=0.5, name="zz", trainable=False).get_config()
    assert cfg == {"name": "zz", "units": 5, "scale": 0.5, "trainable": False,
                   "dtype": _F32}
    assert _NoName(2).get_config() == {"k": 2, "flag": True, "trainable": True,
                                       "dtype": _F32}
    clone = _Scaled.from_config(cfg)
    assert (clone.units, clone.scale, clone.name, clone.trainable) == (5, 0.5, "zz", False)
    with pytest.raises(NotImplementedError, match="get_config"):
        _Scaled(np.float32(2.0)).get_config()  # not a plain Python value, as in Keras 3


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_layer_without_get_config_round_trips(tmp_path, suffix):
    model = keras.Sequential([keras.Input(shape=(4,)), _Scaled(3, scale=0.5),
                              keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    model.fit(x, x[:, :1], verbose=0)
    path = tmp_path / f"m{suffix}"
    model.save(path)
    back = keras.models.load_model(path, custom_objects={"_Scaled": _Scaled})
    assert (back.layers[0].units, back.layers[0].scale) == (3, 0.5)
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))


def test_layer_with_unplain_arguments_cannot_be_saved_and_leaves_no_file(tmp_path):
    model = keras.Sequential([keras.Input(shape=(4,)), _Scaled(3, scale=np.float32(0.5))])
    path = tmp_path / "m.h5"
    with pytest.raises(NotImplementedError, match="Define get_config"):
        model.save(path)
    assert not path.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_metric_wrapper_keeps_its_name_through_minikeras_files(tmp_path, suffix):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
    wrapper = keras.metrics.MeanMetricWrapper(keras.losses.mean_absolute_error, name="my_mae")
    model.compile("sgd", "mse", metrics=[wrapper, "mae"])
    x = np.ones((8, 4), "float32")
    keys = sorted(model.fit(x, x[:, :1], verbose=0).history)
    assert keys == ["loss", "mae", "my_mae"]
    model.save(tmp_path / f"m{suffix}")
    back = keras.models.load_model(tmp_path / f"m{suffix}")
    assert sorted(back.fit(x, x[:, :1], verbose=0).history) == keys


def test_users_layer_in_a_keras_archive_is_written_as_keras3_writes_it(tmp_path):
    """Keras 3 finds a user's class through `registered_name` (checked with real Keras by
    compat_tests/check_minikeras_files_in_keras.py, case custom_layer_autoconfig)."""
    model = keras.Sequential([keras.Input(shape=(4,)), _Scaled(3, scale=0.5)])
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        entry = json.loads(z.read("config.json"))["config"]["layers"][1]
    assert (entry["module"], entry["class_name"], entry["registered_name"]) == \
        (_Scaled.__module__, "_Scaled", "_Scaled")
    assert (entry["config"]["units"], entry["config"]["scale"]) == (3, 0.5)
