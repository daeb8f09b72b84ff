"""Loading never runs code from a file, refuses links, external storage and absurd sizes
before allocating anything, names what it cannot resolve, and a failed save never harms
the file that was there before."""

from __future__ import annotations

import base64
import glob
import json
import marshal
import os
import struct
import sys
import time
import tracemalloc
import zipfile

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras.saving import h5_io

L = keras.layers
SAVING_DIR = os.path.join(os.path.dirname(keras.__file__), "saving")


def _model():
    return keras.Sequential([keras.Input((4,)), L.Dense(3, name="dense"),
                             L.Dense(2, name="dense_1")])


def _saved(tmp_path, name="m.h5"):
    model = _model()
    model.save(tmp_path / name)
    return tmp_path / name, model


def _edit(path, fn):
    with h5py.File(path, "r+") as f:
        fn(f)


# --- no code from files -------------------------------------------------------------------

def test_saving_code_has_no_pickle_marshal_eval():
    for path in glob.glob(os.path.join(SAVING_DIR, "*.py")):
        with open(path) as fh:
            src = fh.read()
        for bad in ("import pickle", "import marshal", "eval(", "exec(", "import dill",
                    "importlib", "__import__", "allow_pickle=True"):
            assert bad not in src, (path, bad)


def _lambda_configs():
    code = base64.b64encode(marshal.dumps((lambda t: t * 2.0).__code__)).decode()
    k2 = {"class_name": "Lambda", "config": {
        "name": "lambda", "trainable": True, "dtype": "float32",
        "function": [code, None, None], "function_type": "lambda", "module": "__main__",
        "output_shape": None, "output_shape_type": "raw", "output_shape_module": None,
        "arguments": {}}}
    k3 = {"module": "keras.layers", "class_name": "Lambda", "config": {
        "name": "lambda", "trainable": True, "dtype": "float32",
        "function": {"class_name": "__lambda__", "config": {"code": code, "defaults": None,
                                                            "closure": None}},
        "arguments": {}}, "registered_name": None}
    return {"keras2": k2, "keras3": k3}


@pytest.mark.parametrize("form", ["keras2", "keras3"])
@pytest.mark.parametrize("safe_mode", [True, False])
def test_lambda_is_refused_and_never_unmarshalled(tmp_path, monkeypatch, form, safe_mode):
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4]}},
        _lambda_configs()[form]]}}
    with h5py.File(tmp_path / "l.h5", "w") as f:
        f.attrs["model_config"] = json.dumps(config)
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = [b"lambda"]
        g.create_group("lambda").attrs["weight_names"] = np.asarray([])
    calls = []
    real = marshal.loads

    def spy(*args, **kwargs):
        caller = sys._getframe(1).f_code.co_filename
        if "importlib" not in caller and not caller.startswith("<frozen"):
            calls.append(caller)  # not Python's own import machinery reading a .pyc
        return real(*args, **kwargs)

    monkeypatch.setattr(marshal, "loads", spy)
    with pytest.raises(ValueError, match="Lambda.*never executes code"):
        keras.models.load_model(tmp_path / "l.h5", safe_mode=safe_mode)
    assert calls == []


def test_unknown_layer_class_names_the_class_and_custom_objects(tmp_path):
    path, _ = _saved(tmp_path)

    def rename(f):
        cfg = json.loads(f.attrs["model_config"])
        cfg["config"]["layers"][1]["class_name"] = "FancyDense"
        f.attrs["model_config"] = json.dumps(cfg)

    _edit(path, rename)
    with pytest.raises(ValueError, match=r"FancyDense.*custom_objects"):
        keras.models.load_model(path)


def test_unknown_model_class(tmp_path):
    path, _ = _saved(tmp_path)

    def rename(f):
        cfg = json.loads(f.attrs["model_config"])
        cfg["class_name"] = "MyModel"
        f.attrs["model_config"] = json.dumps(cfg)

    _edit(path, rename)
    with pytest.raises(ValueError, match=r"MyModel.*custom_objects"):
        keras.models.load_model(path)


def test_config_cannot_reach_arbitrary_objects(tmp_path):
    """A `module` in a config is never imported; a class name resolves only to layers."""
    path, _ = _saved(tmp_path)

    def poison(f):
        cfg = json.loads(f.attrs["model_config"])
        cfg["config"]["layers"][1] = {"module": "os", "class_name": "system",
                                      "config": {"command": "echo pwned"},
                                      "registered_name": "os>system"}
        f.attrs["model_config"] = json.dumps(cfg)

    _edit(path, poison)
    with pytest.raises(ValueError, match="system"):
        keras.models.load_model(path)


# --- links, external storage, absurd sizes ------------------------------------------------

def _weight_path(f):
    return "model_weights/dense/dense/kernel:0"


@pytest.mark.parametrize("kind", ["soft_outside", "soft_inside", "external"])
def test_links_are_refused(tmp_path, kind):
    path, _ = _saved(tmp_path)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.create_dataset("kernel", data=np.ones((4, 3), "float32"))

    def link(f):
        del f[_weight_path(f)]
        g = f["model_weights/dense/dense"]
        if kind == "soft_outside":
            g["kernel:0"] = h5py.SoftLink("/does/not/exist")
        elif kind == "soft_inside":
            g["kernel:0"] = h5py.SoftLink("/model_weights/dense_1/dense_1/bias:0")
        else:
            g["kernel:0"] = h5py.ExternalLink(str(other), "/kernel")

    _edit(path, link)
    with pytest.raises(ValueError, match="link"):
        keras.models.load_model(path)


def test_external_link_group_is_refused(tmp_path):
    path, model = _saved(tmp_path)
    other, _ = _saved(tmp_path, "other.h5")

    def link(f):
        del f["model_weights"]
        f["model_weights"] = h5py.ExternalLink(str(other), "/model_weights")

    _edit(path, link)
    with pytest.raises(ValueError, match="link"):
        keras.models.load_model(path)


def test_weights_h5_links_are_refused(tmp_path):
    model = _model()
    model.save_weights(tmp_path / "w.weights.h5")

    def link(f):
        del f["layers/dense/vars/0"]
        f["layers/dense/vars/0"] = h5py.SoftLink("/layers/dense_1/vars/0")

    _edit(tmp_path / "w.weights.h5", link)
    with pytest.raises(ValueError, match="link"):
        _model().load_weights(tmp_path / "w.weights.h5")


def test_external_dataset_is_refused(tmp_path):
    path, _ = _saved(tmp_path)
    raw = tmp_path / "raw.bin"
    np.ones((4, 3), "float32").tofile(raw)

    def external(f):
        del f[_weight_path(f)]
        f["model_weights/dense/dense"].create_dataset(
            "kernel:0", shape=(4, 3), dtype="float32", external=[(str(raw), 0, 48)])

    _edit(path, external)
    with pytest.raises(ValueError, match="external"):
        keras.models.load_model(path)


def test_virtual_dataset_is_refused(tmp_path):
    path, _ = _saved(tmp_path)
    src = tmp_path / "src.h5"
    with h5py.File(src, "w") as f:
        f.create_dataset("k", data=np.ones((4, 3), "float32"))

    def virtual(f):
        del f[_weight_path(f)]
        layout = h5py.VirtualLayout(shape=(4, 3), dtype="float32")
        layout[:] = h5py.VirtualSource(str(src), "k", shape=(4, 3))
        f["model_weights/dense/dense"].create_virtual_dataset("kernel:0", layout)

    _edit(path, virtual)
    with pytest.raises(ValueError, match="virtual"):
        keras.models.load_model(path)


@pytest.mark.parametrize("shape", [(2 ** 20, 2 ** 20), (4, 3, 2 ** 40), (2 ** 31,)])
def test_huge_declared_shape_is_refused_before_allocation(tmp_path, shape):
    path, _ = _saved(tmp_path)

    def huge(f):
        del f[_weight_path(f)]
        f["model_weights/dense/dense"].create_dataset("kernel:0", shape=shape,
                                                      dtype="float32", chunks=(1,) * len(shape))

    _edit(path, huge)
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="shape|size"):
        keras.models.load_model(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert time.perf_counter() - t0 < 10 and peak < 50 * 2 ** 20


def test_decompression_bomb_dataset_is_refused(tmp_path):
    f_path = tmp_path / "bomb.h5"
    with h5py.File(f_path, "w") as f:
        ds = f.create_dataset("x", shape=(4096, 4096), dtype="float32", chunks=(512, 512),
                              compression="gzip")
        ds[...] = 0.0
        with pytest.raises(ValueError, match="bomb"):
            h5_io.read_dataset(ds)


@pytest.mark.parametrize("units", [10 ** 9, 2 ** 27])
def test_absurd_layer_sizes_in_a_config_are_refused_before_building(tmp_path, units):
    path, _ = _saved(tmp_path)

    def absurd(f):
        cfg = json.loads(f.attrs["model_config"])
        cfg["config"]["layers"][1]["config"]["units"] = units
        f.attrs["model_config"] = json.dumps(cfg)

    _edit(path, absurd)
    tracemalloc.start()
    with pytest.raises(ValueError, match="refusing"):
        keras.models.load_model(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 50 * 2 ** 20


def test_a_product_of_sizes_that_is_too_large_is_refused(tmp_path):
    cfg = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 60000]}},
        {"class_name": "Dense", "config": {"name": "a", "units": 60000}}]}}
    with h5py.File(tmp_path / "m.h5", "w") as f:
        f.attrs["model_config"] = json.dumps(cfg)
    with pytest.raises(ValueError, match="more than .* weights"):
        keras.models.load_model(tmp_path / "m.h5")


def test_deeply_nested_json_is_refused(tmp_path):
    with h5py.File(tmp_path / "m.h5", "w") as f:
        f.attrs["model_config"] = "[" * 100000 + "]" * 100000
    with pytest.raises(ValueError, match="nested|JSON"):
        keras.models.load_model(tmp_path / "m.h5")


def test_zip_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb.keras"
    model = _model()
    model.save(path)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", members["metadata.json"])
        z.writestr("config.json", members["config.json"] + b" " * (20 * 2 ** 20))
        z.writestr("model.weights.h5", members["model.weights.h5"])
    with pytest.raises(ValueError, match="bomb"):
        keras.models.load_model(path)


# --- clear errors for the wrong kind of file ----------------------------------------------

def test_wrong_files_give_clear_errors(tmp_path):
    model = _model()
    with pytest.raises(FileNotFoundError):
        keras.models.load_model(tmp_path / "missing.h5")
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(OSError, match="not a readable HDF5"):
        keras.models.load_model(tmp_path / "text.h5")
    (tmp_path / "text.keras").write_text("not a zip")
    with pytest.raises(ValueError, match="not a valid '.keras' archive"):
        keras.models.load_model(tmp_path / "text.keras")
    model.save_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match="only weights"):
        keras.models.load_model(tmp_path / "w.h5")
    model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="weights file"):
        keras.models.load_model(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="format not supported"):
        keras.models.load_model(tmp_path / "m.pkl")
    with pytest.raises(ValueError, match="extension"):
        model.save(tmp_path / "m.pkl")
    os.rename(tmp_path / "w.weights.h5", tmp_path / "k3layout.h5")
    with pytest.raises(ValueError, match="Keras 3 weights layout"):
        model.load_weights(tmp_path / "k3layout.h5")
    os.rename(tmp_path / "w.h5", tmp_path / "legacy.weights.h5")
    with pytest.raises(ValueError, match="legacy"):
        model.load_weights(tmp_path / "legacy.weights.h5")


def test_unbuilt_model_cannot_be_saved_or_loaded_into(tmp_path):
    lazy = keras.Sequential([L.Dense(2)])
    with pytest.raises(ValueError, match="not yet been built"):
        lazy.save_weights(tmp_path / "w.weights.h5")
    _model().save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="not yet been built"):
        keras.Sequential([L.Dense(2)]).load_weights(tmp_path / "w.weights.h5")


# --- atomic saves -------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".h5", ".keras", ".weights.h5"])
def test_failed_save_keeps_the_old_file_and_leaves_nothing_behind(tmp_path, monkeypatch,
                                                                  suffix):
    path = tmp_path / f"m{suffix}"
    old = _model()
    (old.save_weights if suffix == ".weights.h5" else old.save)(path)
    before = path.read_bytes()
    new = _model()
    calls = {"n": 0}
    real = h5py.Group.create_dataset

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full (simulated)")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(h5py.Group, "create_dataset", failing)
    with pytest.raises(OSError, match="disk full"):
        (new.save_weights if suffix == ".weights.h5" else new.save)(path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == [f"m{suffix}"]


def test_overwrite_false(tmp_path):
    path, _ = _saved(tmp_path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        _model().save(path, overwrite=False)
    assert path.read_bytes() == before


def test_save_into_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        _model().save(tmp_path / "nope" / "m.h5")


def test_saved_file_keeps_permissions_of_the_file_it_replaces(tmp_path):
    path, _ = _saved(tmp_path)
    os.chmod(path, 0o640)
    _model().save(path)
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_keras_archive_member_is_read_with_bounds(tmp_path):
    path = tmp_path / "m.keras"
    _model().save(path)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    del members["config.json"]
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    with pytest.raises(ValueError, match="config.json"):
        keras.models.load_model(path)


def test_h5_file_object_is_not_left_open(tmp_path):
    path, _ = _saved(tmp_path)
    keras.models.load_model(path)
    os.rename(path, tmp_path / "moved.h5")  # would fail on Windows if left open
    with open(tmp_path / "moved.h5", "rb") as fh:
        assert fh.read(8) == b"\x89HDF\r\n\x1a\n"


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_config_larger_than_the_stored_weights_is_refused_before_building(tmp_path, suffix):
    """A config whose layers would need far more weights than the file holds (a damaged or
    doctored file) is refused before any layer allocates memory."""
    path = tmp_path / f"m{suffix}"
    _model().save(path)
    if suffix == ".h5":
        def grow(f):
            cfg = json.loads(f.attrs["model_config"])
            cfg["config"]["layers"][1]["config"]["units"] = 2 ** 25
            f.attrs["model_config"] = json.dumps(cfg)

        _edit(path, grow)
    else:
        with zipfile.ZipFile(path) as z:
            members = {n: z.read(n) for n in z.namelist()}
        cfg = json.loads(members["config.json"])
        cfg["config"]["layers"][1]["config"]["units"] = 2 ** 25
        members["config.json"] = json.dumps(cfg).encode()
        with zipfile.ZipFile(path, "w") as z:
            for n, data in members.items():
                z.writestr(n, data)
    tracemalloc.start()
    with pytest.raises(ValueError, match="do not belong together"):
        keras.models.load_model(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 50 * 2 ** 20


def _string_reference_offsets(path):
    """Where the (length, heap address, index) references of variable-length string
    attributes sit in the file, found with h5py's view of the heap."""
    data = open(path, "rb").read()
    heaps = h5_io.check_global_heaps(data, "test")
    found = []
    for address, objects in heaps.items():
        for index, size in objects.items():
            at = data.find(struct.pack("<IQI", size, address, index))
            if at != -1:
                found.append(at)
    return data, found


def test_string_reference_longer_than_its_heap_object_is_refused_before_reading(tmp_path):
    """HDF5 would first allocate the declared length (up to 4 GiB), then notice."""
    path, _ = _saved(tmp_path)
    data, offsets = _string_reference_offsets(path)
    assert offsets
    for at in offsets[:5]:
        bad = bytearray(data)
        bad[at:at + 4] = struct.pack("<I", 2 ** 31)
        target = tmp_path / "bad.h5"
        target.write_bytes(bytes(bad))
        tracemalloc.start()
        with pytest.raises(ValueError, match="does not hold"):
            keras.models.load_model(target)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 50 * 2 ** 20


def test_zero_sized_heap_object_is_refused_instead_of_hanging(tmp_path):
    path, _ = _saved(tmp_path)
    data = bytearray(open(path, "rb").read())
    heap = data.find(b"GCOL")
    first = heap + 16
    data[first:first + 16] = bytes(16)  # an object of index 0 and size 0
    (tmp_path / "hang.h5").write_bytes(bytes(data))
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="global heap"):
        keras.models.load_model(tmp_path / "hang.h5")
    assert time.perf_counter() - t0 < 10
