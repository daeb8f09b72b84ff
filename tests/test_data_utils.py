"""get_file (cache, hashes, extraction, offline errors), the datasets' safe readers, and the
small data utilities of keras.utils. No test touches the network: downloads come from
file:// URLs."""

import hashlib
import io
import os
import pickle
import subprocess
import sys
import tarfile
import urllib.error
import urllib.request
import zipfile

import numpy as np
import pytest

import minikeras as keras
from minikeras.datasets import _files


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "khome"))
    return tmp_path / "khome"


def make_source(tmp_path, name="data.bin", payload=b"minikeras" * 100):
    src = tmp_path / "server" / name
    src.parent.mkdir(exist_ok=True)
    src.write_bytes(payload)
    return src, src.as_uri()


def test_import_always_succeeds_offline():
    code = ("import socket\n"
            "def refuse(*a, **k): raise OSError('offline')\n"
            "socket.socket.connect = refuse\n"
            "import minikeras.datasets.mnist, minikeras.datasets.imdb\n"
            "from minikeras.datasets import cifar10, reuters\n"
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.stdout.strip() == "ok", out.stderr


def test_get_file_downloads_into_the_keras_cache_and_verifies_sha256_and_md5(tmp_path, home):
    src, url = make_source(tmp_path)
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    path = keras.utils.get_file("copy.bin", url, file_hash=sha)
    assert path == str(home / "datasets" / "copy.bin")
    assert open(path, "rb").read() == src.read_bytes()
    md5 = hashlib.md5(src.read_bytes()).hexdigest()
    assert keras.utils.get_file("copy.bin", url, md5_hash=md5) == path
    assert keras.utils.get_file(origin=url, cache_subdir="other") == \
        str(home / "other" / "data.bin")
    with pytest.raises(ValueError, match="hash does not match"):
        keras.utils.get_file("bad.bin", url, file_hash="0" * 64)


def test_cached_file_is_used_without_network_and_a_stale_one_is_replaced(tmp_path, home,
                                                                       monkeypatch):
    src, url = make_source(tmp_path)
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    (home / "datasets").mkdir(parents=True)
    (home / "datasets" / "f.bin").write_bytes(src.read_bytes())
    calls = []
    real = urllib.request.urlretrieve
    monkeypatch.setattr(urllib.request, "urlretrieve",
                        lambda *a, **k: calls.append(a) or real(*a, **k))
    keras.utils.get_file("f.bin", url, file_hash=sha)
    assert calls == []  # the cached copy matched its hash
    (home / "datasets" / "f.bin").write_bytes(b"stale")
    keras.utils.get_file("f.bin", url, file_hash=sha)
    assert len(calls) == 1 and (home / "datasets" / "f.bin").read_bytes() == src.read_bytes()
    keras.utils.get_file("f.bin", url, force_download=True)
    assert len(calls) == 2


def test_offline_error_names_the_url_and_the_place_for_the_file(home, monkeypatch):
    def offline(*a, **k):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(urllib.request, "urlretrieve", offline)
    with pytest.raises(OSError) as err:
        keras.datasets.mnist.load_data()
    msg = str(err.value)
    assert "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz" in msg
    assert str(home / "datasets" / "mnist.npz") in msg
    assert not list((home / "datasets").iterdir())  # no partial file left behind


def test_get_file_argument_errors(home):
    with pytest.raises(ValueError, match="origin"):
        keras.utils.get_file("x")
    with pytest.raises(ValueError, match="fname"):
        keras.utils.get_file(os.path.join("a", "b"), "file:///x")
    with pytest.raises(ValueError, match="hash_algorithm"):
        keras.utils.get_file("x", "file:///x", file_hash="ab", hash_algorithm="sha1")


def write_tar(path, members, mode="w:gz"):
    with tarfile.open(path, mode) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_extract_tar_and_zip_with_keras_folder_names(tmp_path, home):
    tar_src = tmp_path / "pack.tar.gz"
    write_tar(tar_src, [("folder/a.txt", b"A"), ("folder/sub/b.txt", b"B")])
    out = keras.utils.get_file("pack.tar.gz", tar_src.as_uri(), extract=True)
    assert out == str(home / "datasets" / "pack_extracted")
    assert open(os.path.join(out, "folder", "sub", "b.txt")).read() == "B"
    out = keras.utils.get_file("mytar", tar_src.as_uri(), untar=True)
    assert out == str(home / "datasets" / "mytar")
    assert os.path.exists(str(home / "datasets" / "mytar_archive"))
    zip_src = tmp_path / "pack.zip"
    with zipfile.ZipFile(zip_src, "w") as z:
        z.writestr("inner/c.txt", "C")
    out = keras.utils.get_file(origin=zip_src.as_uri(), extract=True)
    assert out == str(home / "datasets" / "pack.zip")
    assert open(os.path.join(out, "inner", "c.txt")).read() == "C"


@pytest.mark.parametrize("member", ["../evil.txt", "/tmp/minikeras_evil.txt", "a/../../evil"])
def test_extraction_refuses_path_traversal(tmp_path, home, member):
    src = tmp_path / "evil.tar.gz"
    write_tar(src, [("ok.txt", b"fine"), (member, b"bad")])
    with pytest.raises(ValueError, match="outside"):
        keras.utils.get_file("evil.tar.gz", src.as_uri(), extract=True)
    assert not (home / "datasets" / "evil_extracted" / "ok.txt").exists()  # nothing written
    assert not (home / "datasets" / "evil.txt").exists()
    zsrc = tmp_path / "evil.zip"
    with zipfile.ZipFile(zsrc, "w") as z:
        z.writestr(member, "bad")
    with pytest.raises(ValueError, match="outside"):
        keras.utils.get_file("evil.zip", zsrc.as_uri(), extract=True)


def test_extraction_refuses_links_pointing_outside(tmp_path, home):
    src = tmp_path / "link.tar"
    with tarfile.open(src, "w") as tar:
        info = tarfile.TarInfo("escape")
        info.type = tarfile.SYMTYPE
        info.linkname = "../../../etc/passwd"
        tar.addfile(info)
    with pytest.raises(ValueError, match="points outside"):
        keras.utils.get_file("link.tar", src.as_uri(), extract=True)


class Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_the_object_array_npz_reader_refuses_code(tmp_path):
    bad = np.empty(2, dtype=object)
    bad[:] = [[1, 2], Boom()]
    path = tmp_path / "imdb.npz"
    np.savez(path, x_train=bad)
    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system|nt.system"):
        _files.load_npz(str(path))
    good = np.empty(2, dtype=object)
    good[:] = [[1, 2], [3]]
    np.savez(path, x_train=good, y=np.arange(2))
    loaded = _files.load_npz(str(path))
    assert [list(r) for r in loaded["x_train"]] == [[1, 2], [3]]
    assert loaded["y"].tolist() == [0, 1]


def test_the_cifar_pickle_reader_refuses_code_and_foreign_array_types(tmp_path):
    path = tmp_path / "batch"
    path.write_bytes(pickle.dumps({b"data": Boom(), b"labels": [1]}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="Refusing"):
        _files.load_pickle(str(path))
    path.write_bytes(pickle.dumps({b"data": np.ma.masked_array([1, 2])}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="Refusing"):
        _files.load_pickle(str(path))
    path.write_bytes(pickle.dumps({b"data": np.arange(6, dtype=np.uint8)}, protocol=4))
    assert _files.load_pickle(str(path))[b"data"].tolist() == list(range(6))


def test_pack_and_unpack_x_y_sample_weight():
    x, y, w = np.ones((2, 1)), np.zeros(2), np.ones(2)
    assert keras.utils.unpack_x_y_sample_weight(x)[1:] == (None, None)
    assert keras.utils.unpack_x_y_sample_weight((x,))[1:] == (None, None)
    assert keras.utils.unpack_x_y_sample_weight([x, y])[1] is y
    assert keras.utils.unpack_x_y_sample_weight((x, y, w))[2] is w
    with pytest.raises(ValueError, match="4 elements"):
        keras.utils.unpack_x_y_sample_weight((x, y, w, w))
    assert keras.utils.pack_x_y_sample_weight(x) is x
    assert keras.utils.pack_x_y_sample_weight((x, x)) == ((x, x),)
    assert keras.utils.pack_x_y_sample_weight(x, y) == (x, y)
    assert len(keras.utils.pack_x_y_sample_weight(x, y, w)) == 3


def test_get_source_inputs_and_is_keras_tensor():
    a, b = keras.Input((3,)), keras.Input((2,))
    h = keras.layers.Dense(4)(a)
    out = keras.layers.Concatenate()([h, b]) if hasattr(keras.layers, "Concatenate") else h
    found = keras.utils.get_source_inputs(out)
    assert found[0] is a and (len(found) == 1 or found[1] is b)
    assert keras.utils.get_source_inputs(a) == [a]
    assert keras.utils.is_keras_tensor(h) and not keras.utils.is_keras_tensor(np.ones(2))
    with pytest.raises(ValueError, match="KerasTensor"):
        keras.utils.get_source_inputs(np.ones(2))


def test_clear_session_resets_auto_naming():
    keras.utils.clear_session()
    assert keras.layers.Dense(1).name == "dense"
    assert keras.layers.Dense(1).name == "dense_1"
    keras.utils.clear_session()
    assert keras.layers.Dense(1).name == "dense"


def test_standardize_dtype():
    sd = keras.utils.standardize_dtype
    assert [sd(d) for d in (None, "float64", int, float, bool, np.int8, np.dtype("uint8"))] == \
        ["float32", "float64", "int32", "float32", "bool", "int8", "uint8"]
    with pytest.raises(ValueError, match="Invalid dtype"):
        sd("float")


def test_timeseries_dataset_trains_a_model_batch_by_batch():
    data = np.sin(np.arange(60, dtype="float32") / 5)[:, None]
    ds = keras.utils.timeseries_dataset_from_array(data[:-4], data[4:, 0], sequence_length=4,
                                                   batch_size=16, shuffle=True, seed=1)
    assert len(ds) == 4 and ds[-1][0].shape == (5, 4, 1)  # 53 windows: 16 + 16 + 16 + 5
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    model.compile("adam", "mse")
    first = np.mean([model.test_on_batch(x, y) for x, y in ds])
    for _ in range(20):
        for x, y in ds:
            model.train_on_batch(x, y)
    assert np.mean([model.test_on_batch(x, y) for x, y in ds]) < first
    with pytest.raises(IndexError):
        ds[4]
    with pytest.raises(ValueError, match="sampling_rate"):
        keras.utils.timeseries_dataset_from_array(data, None, 3, sampling_rate=0)


def test_split_dataset_errors():
    x = np.zeros((10, 2))
    with pytest.raises(ValueError, match="At least one"):
        keras.utils.split_dataset(x)
    with pytest.raises(ValueError, match="left_size"):
        keras.utils.split_dataset(x, left_size=1.5)
    with pytest.raises(TypeError, match="left_size"):
        keras.utils.split_dataset(x, left_size="half")
    with pytest.raises(ValueError, match="same length"):
        keras.utils.split_dataset((x, np.zeros(3)), left_size=0.5)


def test_tensorboard_without_the_tensorboard_package_is_a_clear_error():
    code = ("import sys; sys.modules['tensorboard'] = None\n"
            "import minikeras as keras\n"
            "try:\n    keras.callbacks.TensorBoard()\n"
            "except ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(__file__)))
    assert "pip install tensorboard" in out.stdout and "TensorFlow is not needed" in out.stdout, \
        out.stderr


def test_fit_and_evaluate_take_a_timeseries_dataset():
    """Runs once `keras.utils.PyDataset` (fit on Python datasets, branch `gen`) is there."""
    pytest.importorskip("minikeras.trainers.py_dataset")
    data = np.sin(np.arange(80, dtype="float32") / 5)[:, None]
    train = keras.utils.timeseries_dataset_from_array(data[:-4], data[4:, 0],
                                                      sequence_length=4, batch_size=16)
    assert isinstance(train, keras.utils.PyDataset)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    model.compile("adam", "mse")
    before = model.evaluate(train, verbose=0)
    history = model.fit(train, epochs=15, verbose=0)
    assert len(history.history["loss"]) == 15 and model.evaluate(train, verbose=0) < before


def test_keras2_import_paths():
    from minikeras.preprocessing.sequence import pad_sequences
    from minikeras.utils.data_utils import get_file
    from minikeras.utils.vis_utils import model_to_dot, plot_model
    from minikeras.wrappers.scikit_learn import KerasClassifier, KerasRegressor  # noqa: F401

    assert pad_sequences is keras.utils.pad_sequences and get_file is keras.utils.get_file
    assert plot_model is keras.utils.plot_model and model_to_dot is keras.utils.model_to_dot


def test_object_array_npz_written_by_numpy_1_loads(tmp_path):
    """The real IMDB/Reuters files were written by numpy 1 (`numpy.core.multiarray`)."""
    rows = np.empty(3, dtype=object)
    rows[:] = [[1, 14, 22], [5], [7, 7]]
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, np.lib.format.header_data_from_array_1_0(rows))
    pickle.dump(rows, buf, protocol=3)  # protocol 3 names globals as text lines
    payload = buf.getvalue().replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert b"numpy.core.multiarray\n_reconstruct" in payload
    with zipfile.ZipFile(tmp_path / "reuters.npz", "w") as z:
        z.writestr("x.npy", payload)
    x = _files.load_npz(str(tmp_path / "reuters.npz"))["x"]
    assert x.dtype == object and [list(r) for r in x] == [[1, 14, 22], [5], [7, 7]]
