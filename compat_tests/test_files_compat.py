"""minikeras reads the model files that real Keras 3 and Keras 2 wrote (compat_tests/files,
see README_files.md): it predicts what the writer predicted, and where the file is
compiled it trains on with the stored loss, optimizer (and its state) and metrics, epoch
for epoch like the writer did after reloading.

The Lambda files are refused, and neither marshal nor pickle is ever called.
"""

from __future__ import annotations

import glob
import json
import marshal
import os
import pickle
import sys

import numpy as np
import pytest

import minikeras as keras
from compat_tests.custom_layers import custom_objects

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, "files")
PRED_ATOL = 1e-5
# Keras' float32 TF/JAX kernels and NumPy differ by ~1e-7 per step; one epoch is 4 steps
HIST_RTOL, HIST_ATOL = 2e-5, 1e-6


def _cases() -> list:
    out = []
    for path in sorted(glob.glob(os.path.join(FILES, "k*", "*.json"))):
        with open(path) as fh:
            meta = json.load(fh)
        out.append((os.path.basename(os.path.dirname(path)), meta))
    return out


# the user's layer of the custom_autoconfig case, defined as the generator defines it
CUSTOM_OBJECTS = custom_objects(keras)
ScaledDense = CUSTOM_OBJECTS["ScaledDense"]


def _load(path, **kwargs):
    return keras.models.load_model(path, custom_objects=CUSTOM_OBJECTS, **kwargs)


CASES = _cases()
FILE_PARAMS = [pytest.param(gen, meta, kind, id=f"{gen}/{meta['files'][kind]}")
               for gen, meta in CASES for kind in meta["file_kinds"]]


def _path(gen: str, meta: dict, kind: str) -> str:
    return os.path.join(FILES, gen, meta["files"][kind])


def _data(gen: str, meta: dict):
    return np.load(os.path.join(FILES, gen, meta["case"] + ".npz"))


@pytest.fixture
def no_code_execution(monkeypatch):
    """Fail the test if loading ever unmarshals or unpickles anything (Python's own import
    machinery, which unmarshals .pyc files, is let through)."""
    real_marshal_loads = marshal.loads

    def forbidden(*args, **kwargs):
        raise AssertionError("minikeras tried to execute code from a file")

    def marshal_loads(*args, **kwargs):
        caller = sys._getframe(1).f_code.co_filename
        if "importlib" in caller or caller.startswith("<frozen"):
            return real_marshal_loads(*args, **kwargs)
        forbidden()

    monkeypatch.setattr(marshal, "loads", marshal_loads)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "load", forbidden)


def _architecture(gen: str, meta: dict):
    """A fresh model of the case's architecture (weights re-initialised)."""
    model = _load(_path(gen, meta, "h5"), compile=False)
    return keras.models.clone_model(model)


def test_every_fixture_is_covered():
    kinds = [(gen, meta["files"][k]) for gen, meta in CASES for k in meta["file_kinds"]]
    on_disk = [(os.path.basename(os.path.dirname(p)), os.path.basename(p))
               for p in glob.glob(os.path.join(FILES, "k*", "*.h5")) +
               glob.glob(os.path.join(FILES, "k*", "*.keras"))]
    assert sorted(kinds) == sorted(on_disk)
    assert len(kinds) == 35  # 19 by Keras 2, 16 by Keras 3 (README_files.md)


@pytest.mark.parametrize("gen, meta, kind", FILE_PARAMS)
def test_load_and_predict(gen, meta, kind, no_code_execution):
    path = _path(gen, meta, kind)
    data = _data(gen, meta)
    if meta["case"] == "lambda":
        with pytest.raises(ValueError, match="Lambda.*never executes code"):
            _load(path)
        with pytest.raises(ValueError, match="Lambda"):
            _load(path, compile=False, safe_mode=False)
        return
    if kind in ("h5", "keras"):
        model = _load(path, compile=False)
        assert not getattr(model, "compiled", False)
        assert [type(layer).__name__ for layer in model.layers
                if type(layer).__name__ != "InputLayer"] == \
            [c for c, _ in meta["model"]["layers"] if c != "InputLayer"]
    else:
        model = _architecture(gen, meta)
        model.load_weights(path)
    assert tuple(model.output_shape) == tuple(meta["model"]["output_shape"])
    pred = model.predict(data["x"], verbose=0)
    np.testing.assert_allclose(pred, data["pred"], rtol=0, atol=PRED_ATOL)
    shapes = [list(w.shape) for w in model.get_weights()]
    assert shapes == meta["weight_shapes"]


def _optimizer_matches(optimizer, want: dict) -> None:
    name = want["class_name"].split(">")[-1]
    assert type(optimizer).__name__ == name
    cfg = optimizer.get_config()
    for key in ("learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad", "momentum",
                "nesterov", "rho", "centered", "decay", "clipnorm", "clipvalue"):
        if key not in want["config"] or want["config"][key] is None:
            continue
        expected = want["config"][key]
        got = cfg.get(key, getattr(optimizer, key, None))
        if isinstance(expected, bool):
            assert got == expected, key
        else:
            assert got == pytest.approx(expected, rel=1e-6), key


def _loss_fn(spec):
    if isinstance(spec, dict):
        return spec["class_name"]
    fn = keras.losses.get(spec)
    return keras.losses.canonical_name(fn)


def _compare_history(got: dict, want: dict, loose: bool) -> None:
    assert sorted(got) == sorted(want), (sorted(got), sorted(want))
    if loose:  # dropout draws from the writer's own random stream
        for k in want:
            assert np.all(np.isfinite(got[k]))
        return
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=HIST_RTOL, atol=HIST_ATOL, err_msg=k)


COMPILED = [pytest.param(gen, meta, kind, id=f"{gen}/{meta['files'][kind]}")
            for gen, meta in CASES if meta["compiled"]
            for kind in ("h5", "keras") if kind in meta["file_kinds"] and
            (kind == "keras" or meta["h5_include_optimizer"])]


@pytest.mark.parametrize("gen, meta, kind", COMPILED)
def test_compiled_file_trains_on_like_the_writer(gen, meta, kind, recwarn):
    """compile=True restores loss, metrics, optimizer hyperparameters and optimizer state;
    one more epoch then equals the writer's own epoch after reloading."""
    path = _path(gen, meta, kind)
    data = _data(gen, meta)
    model = _load(path)
    assert model.compiled
    _optimizer_matches(model.optimizer, meta["compile"]["optimizer"])
    assert int(model.optimizer.iterations.value) == 8  # 2 epochs of 4 batches
    ck = meta["compile"]
    spec = model._compile_config["loss"]
    assert _loss_fn(spec) == _loss_fn(ck["loss"]) if isinstance(ck["loss"], str) else True
    assert not [w for w in recwarn if "optimizer state" in str(w.message)]
    if gen == "k3" and kind == "h5":
        _assert_keras3_state_restored(model, path)
    if gen == "k2":
        reference = meta["continuation"]  # Keras 2 restored its own state
        assert "restored" in reference["optimizer_state"]
    else:  # Keras 3 restores the same state only from the .keras archive
        reference = meta["continuation_optimizer_restored"]
    history = model.fit(data["x"], data["y"], epochs=1, batch_size=8, shuffle=False,
                        verbose=0)
    if reference is None:  # (no .keras for this case) the state check above stands
        assert np.isfinite(history.history["loss"][0])
        return
    _compare_history(history.history, reference["history"], loose="dropout" in meta["case"])


def _assert_keras3_state_restored(model, path):
    """Keras 3's optimizer_weights are in minikeras' order: iteration, learning_rate, then
    the slots of each variable."""
    import h5py

    with h5py.File(path, "r") as f:
        g = f["optimizer_weights"]
        names = [n.decode() if isinstance(n, bytes) else n for n in g.attrs["weight_names"]]
        saved = [np.asarray(g[n]) for n in names]
    ours = model.optimizer.variables
    assert len(ours) == len(saved)
    for v, a in zip(ours, saved):
        np.testing.assert_array_equal(np.asarray(v.value), a.astype(v.dtype))


FRESH = [pytest.param(gen, meta, id=f"{gen}/{meta['case']}")
         for gen, meta in CASES if meta["compiled"] and meta.get("continuation") and
         "fresh" in meta["continuation"]["optimizer_state"]]


@pytest.mark.parametrize("gen, meta", FRESH)
def test_recompiled_with_fresh_optimizer_trains_like_the_writer(gen, meta):
    """The writer's other route: load(compile=False), compile again with the same settings."""
    data = _data(gen, meta)
    model = _load(_path(gen, meta, "h5"), compile=False)
    ck = meta["compile"]
    opt = keras.optimizers.deserialize({"class_name": ck["optimizer"]["class_name"],
                                        "config": ck["optimizer"]["config"]})
    loss = ck["loss"]
    if isinstance(loss, dict):
        loss = keras.losses.deserialize({"class_name": loss["class_name"],
                                         "config": {k: v for k, v in loss["config"].items()
                                                    if k not in ("fn",)}})
    model.compile(optimizer=opt, loss=loss, metrics=ck["metrics"] or None)
    history = model.fit(data["x"], data["y"], epochs=1, batch_size=8, shuffle=False,
                        verbose=0)
    _compare_history(history.history, meta["continuation"]["history"],
                     loose="dropout" in meta["case"])


@pytest.mark.parametrize("gen, meta", [pytest.param(g, m, id=f"{g}/{m['case']}")
                                       for g, m in CASES if m["compiled"] and
                                       (m["h5_include_optimizer"] or "keras" in m["files"])])
def test_evaluate_matches_the_writer(gen, meta):
    data = _data(gen, meta)
    kind = "h5" if meta["h5_include_optimizer"] else "keras"
    model = _load(_path(gen, meta, kind))
    results = model.evaluate(data["x"], data["y"], batch_size=8, verbose=0,
                             return_dict=True)
    want = meta["evaluate"]["results"]
    assert sorted(results) == sorted(want)
    for k in want:
        assert results[k] == pytest.approx(want[k], rel=1e-5, abs=1e-6), k


def test_uncompiled_and_optimizer_free_files_come_back_uncompiled():
    for gen, meta in CASES:
        if meta["case"] in ("seq_uncompiled", "chunked_layer_names",
                            "seq_sgd_mse_no_optimizer"):
            model = _load(_path(gen, meta, "h5"))
            assert not getattr(model, "compiled", False), (gen, meta["case"])


@pytest.mark.parametrize("gen", ["k2", "k3"])
def test_chunked_layer_names(gen):
    meta = next(m for g, m in CASES if g == gen and m["case"] == "chunked_layer_names")
    model = _load(_path(gen, meta, "h5"))
    names = [layer.name for layer in model.layers]
    assert len(names) == 33
    for i, n in enumerate(names):
        assert n.startswith(f"chunked_dense_{i:02d}_") and len(n) == 2000


def test_keras2_legacy_adam_keeps_decay_and_its_state():
    meta = next(m for g, m in CASES if g == "k2" and m["case"] == "seq_legacyadam")
    model = _load(_path("k2", meta, "h5"))
    assert model.optimizer.decay == pytest.approx(1e-4)
    assert model.optimizer.get_config()["learning_rate"] == pytest.approx(0.002, rel=1e-6)
    # legacy order in the file: iteration, every m, then every v
    slots = [v for v in model.optimizer.variables if v.name.endswith("_momentum")]
    assert slots and all(np.any(v.value != 0) for v in slots)


@pytest.mark.parametrize("kind", ["h5", "keras"])
def test_a_users_layer_without_get_config_comes_back_with_its_arguments(kind):
    """Keras 3 wrote ScaledDense's constructor arguments into the config by itself; minikeras
    rebuilds the layer from them, and generates the same config for its own copy."""
    import h5py

    meta = next(m for g, m in CASES if g == "k3" and m["case"] == "custom_autoconfig")
    model = _load(_path("k3", meta, kind), compile=False)
    layer = model.layers[0]
    assert isinstance(layer, ScaledDense) and (layer.units, layer.scale) == (5, 0.5)
    with h5py.File(_path("k3", meta, "h5"), "r") as f:
        written = json.loads(f.attrs["model_config"])["config"]["layers"][1]["config"]
    ours = ScaledDense(5, scale=0.5, name=written["name"]).get_config()
    assert {k: v for k, v in ours.items() if k != "dtype"} == \
        {k: v for k, v in written.items() if k != "dtype"}
