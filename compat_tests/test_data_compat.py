"""`keras.datasets` and the data utilities against real Keras (fixtures written by
compat_tests/generate_data_fixtures.py: Keras 3 for the loaders, `pad_sequences` and
`normalize`; tf_keras for `timeseries_dataset_from_array` and `split_dataset`).

The loaders read the small files in Keras' formats from compat_tests/files/data_k3/, copied
into a temporary KERAS_HOME; the hash check is stubbed (the small files cannot have the real
hashes: the recorded `get_file` calls check that the real ones are asked for) and the network
is refused.
"""

import builtins
import hashlib
import io
import json
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import minikeras as keras
from minikeras.utils import file_utils

HERE = Path(__file__).parent
K3 = json.loads((HERE / "fixtures" / "data_k3.json").read_text())
K3_ARRAYS = np.load(HERE / "fixtures" / "data_k3.npz")
K2 = json.loads((HERE / "fixtures" / "data_k2.json").read_text())
FILES = HERE / "files" / "data_k3"

sys.path.insert(0, str(HERE))
from generate_data_fixtures import cifar10_pixels, py2_pickle  # noqa: E402

LOADERS = {
    "mnist": "mnist.load_data", "fashion_mnist": "fashion_mnist.load_data",
    "cifar100_fine": "cifar100.load_data", "cifar100_coarse": "cifar100.load_data",
    "boston": "boston_housing.load_data", "boston_split": "boston_housing.load_data",
    "california": "california_housing.load_data",
    "california_small": "california_housing.load_data",
    "imdb": "imdb.load_data", "imdb_words": "imdb.load_data", "imdb_nostart": "imdb.load_data",
    "imdb_oov_none": "imdb.load_data", "imdb_word_index": "imdb.get_word_index",
    "reuters": "reuters.load_data", "reuters_args": "reuters.load_data",
    "reuters_nostart": "reuters.load_data", "reuters_word_index": "reuters.get_word_index",
}
ERRORS = {"boston_bad_split": "boston_housing.load_data",
          "california_bad_version": "california_housing.load_data",
          "cifar100_bad_mode": "cifar100.load_data", "imdb_maxlen_too_small": "imdb.load_data"}


def resolve(dotted):
    module, fn = dotted.split(".")
    return getattr(getattr(keras.datasets, module), fn)


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """A KERAS_HOME holding the small files, no network, hashes not checked; returns the list
    that records each `get_file` call."""
    shutil.copytree(FILES / "datasets", tmp_path / "datasets")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(file_utils, "validate_file", lambda *a, **k: True)

    def no_network(*a, **k):
        raise AssertionError("a test tried to download")

    monkeypatch.setattr(urllib.request, "urlretrieve", no_network)
    calls = []
    real = file_utils.get_file

    def recording(fname=None, origin=None, **kw):
        calls.append({"fname": fname, "origin": origin, **kw})
        return real(fname, origin, **kw)

    for dotted in {**LOADERS, **ERRORS}.values():  # (the loaders' modules import lazily)
        resolve(dotted)
    for name in list(sys.modules):
        if name.startswith("minikeras.datasets.") and hasattr(sys.modules[name], "get_file"):
            monkeypatch.setattr(sys.modules[name], "get_file", recording)
    return calls


def check_array(got, expected, where):
    got = np.asarray(got)
    assert str(got.dtype) == expected["dtype"], f"{where}: dtype {got.dtype}"
    assert list(got.shape) == expected["shape"], f"{where}: shape {got.shape}"
    if expected["dtype"] == "object":
        assert [list(map(int, r)) for r in got] == expected["value"], where
    elif expected.get("npz"):
        np.testing.assert_array_equal(got, K3_ARRAYS[where], err_msg=where)
    else:
        np.testing.assert_array_equal(got, np.asarray(expected["value"], dtype=got.dtype),
                                      err_msg=where)


@pytest.mark.parametrize("case", sorted(LOADERS))
def test_load_data_returns_what_keras_returns(case, keras_home):
    """Every loader's `load_data` (and `get_word_index`): the same arrays, dtypes and shapes
    as Keras 3, from the same origin, file name, hash and cache folder."""
    ref = K3["cases"][case]
    result = resolve(LOADERS[case])(*ref["args"], **ref["kwargs"])
    assert keras_home == ref["get_file"], "origin, file name, hash or cache folder differ"
    if "result" in ref:
        assert result == ref["result"]
        return
    (xt, yt), (xs, ys) = result
    for name, got in (("x_train", xt), ("y_train", yt), ("x_test", xs), ("y_test", ys)):
        check_array(got, ref[name], f"{case}/{name}")


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_loader_refuses_what_keras_refuses(case, keras_home):
    ref = K3["cases"][case]
    with pytest.raises(getattr(builtins, ref["error"])):
        resolve(ERRORS[case])(**ref["kwargs"])


def test_reuters_label_names():
    assert list(keras.datasets.reuters.get_label_names()) == K3["reuters_label_names"]


def test_cifar10_full_size_tarball(tmp_path, monkeypatch):
    """CIFAR-10's loader (Keras') needs batches of exactly 10,000 images: the same full-size
    files the generator built, and the same outputs (by hash)."""
    ref = K3["cases"]["cifar10"]
    ds = tmp_path / "datasets"
    ds.mkdir()
    with tarfile.open(ds / "cifar-10-batches-py-target_archive", "w") as tar:
        for i in range(6):
            name = f"data_batch_{i + 1}" if i < 5 else "test_batch"
            data = py2_pickle({"batch_label": name, "data": cifar10_pixels(10000, i * 10000),
                               "labels": [int(v) for v in (np.arange(10000) * 7 + i) % 10],
                               "filenames": ["f.png"] * 10000})
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(file_utils, "validate_file", lambda *a, **k: True)
    calls = []
    real = file_utils.get_file
    monkeypatch.setattr(sys.modules["minikeras.datasets.cifar10"], "get_file",
                        lambda fname=None, origin=None, **kw: calls.append(
                            {"fname": fname, "origin": origin, **kw}) or real(fname, origin,
                                                                              **kw))
    (xt, yt), (xs, ys) = keras.datasets.cifar10.load_data()
    assert calls == ref["get_file"]
    for name, a in (("x_train", xt), ("y_train", yt), ("x_test", xs), ("y_test", ys)):
        a = np.ascontiguousarray(a)
        exp = ref[name]
        assert (str(a.dtype), list(a.shape)) == (exp["dtype"], exp["shape"]), name
        assert a.reshape(-1)[:40].tolist() == exp["first"], name
        assert a.reshape(-1)[-40:].tolist() == exp["last"], name
        assert hashlib.sha256(a.tobytes()).hexdigest() == exp["sha256"], name


PADS = K3["pad_sequences"]


@pytest.mark.parametrize("case", sorted(PADS["cases"]))
def test_pad_sequences_equals_keras(case):
    ref = PADS["cases"][case]
    seqs = ref.get("sequences", PADS["sequences"])
    kwargs = dict(ref["kwargs"])
    if case == "strings":
        kwargs["dtype"] = object
    if ref.get("error"):
        with pytest.raises(ValueError):
            keras.utils.pad_sequences(seqs, **kwargs)
        return
    for fn in (keras.utils.pad_sequences, keras.preprocessing.sequence.pad_sequences):
        got = fn(seqs, **kwargs)
        if case == "strings":
            assert got.tolist() == ref["result"]
        else:
            check_array(got, ref["result"], case)


@pytest.mark.parametrize("case", sorted(K3["normalize"]["cases"]))
def test_normalize_equals_keras(case):
    x = np.asarray(K3["normalize"]["x"], dtype=np.float32)
    np.testing.assert_allclose(keras.utils.normalize(x, **json.loads(case)),
                               K3["normalize"]["cases"][case], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", sorted(K2["timeseries"]))
def test_timeseries_batches_equal_tf_keras(case):
    ref = K2["timeseries"][case]
    data = np.arange(40, dtype=np.float32).reshape(20, 2) * 1.5
    targets = np.arange(100, 120)
    t = None if ref["no_targets"] else (targets[:9] if ref["targets_short"] else targets)
    ds = keras.utils.timeseries_dataset_from_array(data, t, **ref["kwargs"])
    got = list(ds)
    assert len(got) == len(ref["batches"]) == len(ds)
    for g, r in zip(got, ref["batches"]):
        if ref["no_targets"]:
            np.testing.assert_array_equal(g, r[0])
        else:
            np.testing.assert_array_equal(g[0], r[0])
            np.testing.assert_array_equal(g[1], r[1])


@pytest.mark.parametrize("case", sorted(K2["split_dataset"]))
def test_split_dataset_equals_tf_keras(case):
    ref = K2["split_dataset"][case]
    x = np.arange(30, dtype=np.float32).reshape(10, 3)
    y = np.arange(10) % 3
    left, right = keras.utils.split_dataset(x if ref["arg"] == "x" else (x, y), **ref["kwargs"])
    for got, exp in ((left, ref["left"]), (right, ref["right"])):
        if ref["arg"] == "x":
            np.testing.assert_array_equal(got, exp)
        else:
            np.testing.assert_array_equal(got[0], [e[0] for e in exp])
            np.testing.assert_array_equal(got[1], [e[1] for e in exp])
