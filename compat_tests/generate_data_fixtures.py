#!/usr/bin/env python
"""Reference fixtures for `keras.datasets` and the data utilities, from REAL Keras.

    KERAS_BACKEND=jax /work/venvs/k3/bin/python compat_tests/generate_data_fixtures.py
    /work/venvs/k2/bin/python compat_tests/generate_data_fixtures.py --keras 2

Keras 3 run:
1. Builds small dataset files in Keras' exact formats (mnist.npz, the four Fashion-MNIST IDX
   .gz files, IMDB/Reuters .npz with object arrays of lists, Boston/California .npz, the
   CIFAR-100 tar.gz of Python-2-style pickles, the word-index .json files) with a seeded
   generator, into `compat_tests/files/data_k3/` (committed; the tests copy them into a
   temporary KERAS_HOME).
2. Runs Keras 3's `load_data`/`get_word_index` on them in a temporary KERAS_HOME, with the
   file-hash check stubbed (the small files cannot have the real hashes) and the network
   refused, and records what every loader returns plus the `get_file` calls it made (origin,
   file name, hash, cache folder, extract): `fixtures/data_k3.json` and `fixtures/data_k3.npz`.
3. CIFAR-10's loader only accepts batches of exactly 10,000 images, so a full-size tarball is
   built from a cheap formula (`cifar10_pixels` below, also used by the test) in a temporary
   folder, and only the shapes, dtypes, SHA-256 of the returned arrays and a few values are
   recorded.
4. Records `pad_sequences` and `normalize` outputs for many argument combinations.

`--names` (Keras 3 venv): the public names of keras.datasets.*, keras.wrappers and
keras.preprocessing(.sequence): `fixtures/public_names_data_k3.json`.

Keras 2 run (tf_keras, which has TensorFlow): `timeseries_dataset_from_array` batches and
`split_dataset` splits of arrays/tuples: `fixtures/data_k2.json`.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import pickle
import shutil
import struct
import sys
import tarfile
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIXDIR = os.path.join(HERE, "fixtures")
FILES = os.path.join(HERE, "files", "data_k3")


def cifar10_pixels(n, offset):
    """A cheap, deterministic (n, 3072) uint8 block for the full-size CIFAR-10 check."""
    i = np.arange(offset * 3072, (offset + n) * 3072, dtype=np.int64)
    return ((i * 7919 + (i // 3072) * 13) % 251).astype(np.uint8).reshape(n, 3072)


class Py2Pickler(pickle._Pickler):
    """Protocol 2 with every str and bytes written as a Python 2 `str` (BINSTRING), and
    numpy 1's module name, as in the pickles inside the real CIFAR tarballs."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_py2_str(self, obj):
        data = obj.encode("latin1") if isinstance(obj, str) else obj
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[str] = save_py2_str
    dispatch[bytes] = save_py2_str


def py2_pickle(obj):
    buf = io.BytesIO()
    Py2Pickler(buf, protocol=2).dump(obj)
    return buf.getvalue().replace(b"numpy._core.multiarray", b"numpy.core.multiarray")


def ragged(rng, n, vocab, lo, hi):
    return [list(map(int, rng.integers(1, vocab, rng.integers(lo, hi)))) for _ in range(n)]


def obj_array(rows):
    out = np.empty(len(rows), dtype=object)
    out[:] = rows
    return out


def idx_gz(path, magic, dims, payload):
    header = struct.pack(">i", magic) + b"".join(struct.pack(">i", d) for d in dims)
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(header + payload.tobytes())


def tar_gz(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))


def build_files(folder):
    """The small dataset files, in Keras' formats and under Keras' cache names."""
    rng = np.random.default_rng(20261206)
    ds = os.path.join(folder, "datasets")
    os.makedirs(os.path.join(ds, "fashion-mnist"), exist_ok=True)
    np.savez(os.path.join(ds, "mnist.npz"),
             x_train=rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, 6, dtype=np.uint8),
             x_test=rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
             y_test=rng.integers(0, 10, 4, dtype=np.uint8))
    for stem, n in (("train", 5), ("t10k", 3)):
        idx_gz(os.path.join(ds, "fashion-mnist", f"{stem}-labels-idx1-ubyte.gz"), 2049, [n],
               rng.integers(0, 10, n, dtype=np.uint8))
        idx_gz(os.path.join(ds, "fashion-mnist", f"{stem}-images-idx3-ubyte.gz"), 2051,
               [n, 28, 28], rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
    # IMDB: word indices from 1 (1 is the most frequent word), ragged reviews, 0/1 labels.
    np.savez(os.path.join(ds, "imdb.npz"),
             x_train=obj_array(ragged(rng, 12, 40, 1, 15)),
             y_train=rng.integers(0, 2, 12).astype(np.int64),
             x_test=obj_array(ragged(rng, 10, 40, 1, 15)),
             y_test=rng.integers(0, 2, 10).astype(np.int64))
    np.savez(os.path.join(ds, "reuters.npz"), x=obj_array(ragged(rng, 23, 50, 1, 20)),
             y=rng.integers(0, 46, 23).astype(np.int64))
    np.savez(os.path.join(ds, "boston_housing.npz"), x=rng.normal(size=(17, 13)) * 10,
             y=rng.uniform(5, 50, 17))
    np.savez(os.path.join(ds, "california_housing.npz"),
             x=rng.normal(size=(640, 8)).astype(np.float32),
             y=rng.uniform(1e4, 5e5, 640).astype(np.float32))
    words = ["the", "and", "a", "of", "to", "is", "br", "in", "it", "film", "café", "naïve"]
    for name in ("imdb_word_index.json", "reuters_word_index.json"):
        with open(os.path.join(ds, name), "w", encoding="utf-8") as f:
            json.dump({w: i + 1 for i, w in enumerate(rng.permutation(words))}, f)

    def batch(n, label_keys):
        d = {"batch_label": "testing batch 1 of 1",
             "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
             "filenames": [f"img_{i}.png" for i in range(n)]}
        for key, classes in label_keys:
            d[key] = [int(v) for v in rng.integers(0, classes, n)]
        return py2_pickle(d)

    keys = [("fine_labels", 100), ("coarse_labels", 20)]
    tar_gz(os.path.join(ds, "cifar-100-python-target_archive"),
           [("cifar-100-python/train", batch(7, keys)), ("cifar-100-python/test", batch(5, keys)),
            ("cifar-100-python/meta", py2_pickle({"fine_label_names": ["x"] * 100}))])


def build_cifar10(folder):
    ds = os.path.join(folder, "datasets")
    os.makedirs(ds, exist_ok=True)
    members = []
    for i in range(6):
        name = f"data_batch_{i + 1}" if i < 5 else "test_batch"
        d = {"batch_label": name, "data": cifar10_pixels(10000, i * 10000),
             "labels": [int(v) for v in (np.arange(10000) * 7 + i) % 10],
             "filenames": ["f.png"] * 10000}
        members.append((f"cifar-10-batches-py/{name}", py2_pickle(d)))
    with tarfile.open(os.path.join(ds, "cifar-10-batches-py-target_archive"), "w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def jsonable(a):
    a = np.asarray(a)
    if a.dtype == object:
        return {"dtype": "object", "shape": list(a.shape),
                "value": [list(map(int, r)) for r in a]}
    return {"dtype": str(a.dtype), "shape": list(a.shape), "value": a.tolist()}


def run_keras3():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    home = tempfile.mkdtemp()
    os.environ["KERAS_HOME"] = home
    import keras
    from keras.src.utils import file_utils

    if os.path.isdir(FILES):
        shutil.rmtree(FILES)
    build_files(FILES)
    shutil.copytree(os.path.join(FILES, "datasets"), os.path.join(home, "datasets"))

    calls = []
    real_get_file = file_utils.get_file

    def recording_get_file(fname=None, origin=None, **kw):
        calls.append({"fname": fname, "origin": origin, **{k: kw[k] for k in sorted(kw)}})
        return real_get_file(fname, origin, cache_dir=home, **kw)

    def no_network(*a, **k):
        raise RuntimeError("the fixture generator must not download")

    file_utils.validate_file = lambda *a, **k: True
    file_utils.urlretrieve = no_network
    d = keras.datasets
    modules = [sys.modules[m] for m in sys.modules if m.startswith("keras.src.datasets.")]
    for m in modules:
        if hasattr(m, "get_file"):
            m.get_file = recording_get_file

    out = {"keras_version": keras.__version__, "cases": {}}
    arrays = {}

    def record(case, fn, *args, **kwargs):
        calls.clear()
        result = fn(*args, **kwargs)
        entry = {"args": list(args), "kwargs": kwargs, "get_file": list(calls)}
        if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], tuple):
            (xt, yt), (xs, ys) = result
            for name, a in (("x_train", xt), ("y_train", yt), ("x_test", xs), ("y_test", ys)):
                a = np.asarray(a)
                if a.dtype == object or a.size < 2000:
                    entry[name] = jsonable(a)
                else:
                    arrays[f"{case}/{name}"] = a
                    entry[name] = {"dtype": str(a.dtype), "shape": list(a.shape), "npz": True}
        else:
            entry["result"] = result if not isinstance(result, tuple) else list(result)
        out["cases"][case] = entry

    record("mnist", d.mnist.load_data)
    record("fashion_mnist", d.fashion_mnist.load_data)
    record("cifar100_fine", d.cifar100.load_data)
    record("cifar100_coarse", d.cifar100.load_data, label_mode="coarse")
    record("boston", d.boston_housing.load_data)
    record("boston_split", d.boston_housing.load_data, test_split=0.35, seed=7)
    record("california", d.california_housing.load_data)
    record("california_small", d.california_housing.load_data, version="small", test_split=0.1,
           seed=3)
    record("imdb", d.imdb.load_data)
    record("imdb_words", d.imdb.load_data, num_words=20, skip_top=3, maxlen=10, seed=5)
    record("imdb_nostart", d.imdb.load_data, start_char=None, oov_char=None, index_from=0,
           num_words=30)
    record("imdb_oov_none", d.imdb.load_data, oov_char=None, skip_top=2, index_from=2)
    record("imdb_word_index", d.imdb.get_word_index)
    record("reuters", d.reuters.load_data)
    record("reuters_args", d.reuters.load_data, num_words=25, skip_top=1, maxlen=12,
           test_split=0.3, seed=9, start_char=7, oov_char=3, index_from=4)
    record("reuters_nostart", d.reuters.load_data, start_char=None, index_from=0)
    record("reuters_word_index", d.reuters.get_word_index)
    out["reuters_label_names"] = list(d.reuters.get_label_names())
    for case, fn, kw in (("boston_bad_split", d.boston_housing.load_data, {"test_split": 1.0}),
                         ("california_bad_version", d.california_housing.load_data,
                          {"version": "medium"}),
                         ("cifar100_bad_mode", d.cifar100.load_data, {"label_mode": "x"}),
                         ("imdb_maxlen_too_small", d.imdb.load_data, {"maxlen": 1})):
        try:
            fn(**kw)
            out["cases"][case] = {"kwargs": kw, "error": None}
        except Exception as e:  # record the kind of error Keras raises
            out["cases"][case] = {"kwargs": kw, "error": type(e).__name__}

    # CIFAR-10 at full size, outputs recorded by hash.
    c10 = tempfile.mkdtemp()
    build_cifar10(c10)
    calls.clear()

    def c10_get_file(fname=None, origin=None, **kw):
        calls.append({"fname": fname, "origin": origin, **{k: kw[k] for k in sorted(kw)}})
        return real_get_file(fname, origin, cache_dir=c10, **kw)

    sys.modules["keras.src.datasets.cifar10"].get_file = c10_get_file
    (xt, yt), (xs, ys) = d.cifar10.load_data()
    entry = {"get_file": list(calls)}
    for name, a in (("x_train", xt), ("y_train", yt), ("x_test", xs), ("y_test", ys)):
        a = np.ascontiguousarray(a)
        entry[name] = {"dtype": str(a.dtype), "shape": list(a.shape),
                       "sha256": hashlib.sha256(a.tobytes()).hexdigest(),
                       "first": a.reshape(-1)[:40].tolist(), "last": a.reshape(-1)[-40:].tolist()}
    out["cases"]["cifar10"] = entry
    shutil.rmtree(c10)

    # pad_sequences
    seqs = [[1], [2, 3], [4, 5, 6], [], [7, 8, 9, 10, 11]]
    pads = {}
    for i, kw in enumerate([{}, {"maxlen": 2}, {"maxlen": 4, "padding": "post"},
                            {"maxlen": 3, "truncating": "post"},
                            {"maxlen": 3, "padding": "post", "truncating": "post", "value": -1},
                            {"dtype": "float32", "value": 0.5}, {"dtype": "int64", "maxlen": 6},
                            {"value": 9, "padding": "post"}]):
        r = keras.utils.pad_sequences(seqs, **kw)
        pads[str(i)] = {"kwargs": kw, "result": jsonable(r)}
    r = keras.utils.pad_sequences([[[1, 2], [3, 4]], [[5, 6]]], maxlen=3)
    pads["nd"] = {"sequences": [[[1, 2], [3, 4]], [[5, 6]]], "kwargs": {"maxlen": 3},
                  "result": jsonable(r)}
    r = keras.utils.pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    pads["strings"] = {"sequences": [["a", "b"], ["c"]], "kwargs": {"value": "<pad>"},
                       "result": r.tolist()}
    for name, kw in (("bad_padding", {"padding": "middle"}),
                     ("bad_truncating", {"maxlen": 1, "truncating": "mid"}),
                     ("str_value_int_dtype", {"value": "x"})):
        try:
            keras.utils.pad_sequences(seqs, **kw)
            pads[name] = {"kwargs": kw, "error": None}
        except Exception as e:
            pads[name] = {"kwargs": kw, "error": type(e).__name__}
    out["pad_sequences"] = {"sequences": seqs, "cases": pads}

    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 5)).astype(np.float32)
    x[1] = 0
    norms = {}
    # (axis=0 is not recorded: Keras 3 turns it into -1 for NumPy input, `axis or -1`.)
    for kw in ({}, {"axis": -2}, {"order": 1}, {"axis": 1, "order": 3}):
        norms[json.dumps(kw)] = np.asarray(keras.utils.normalize(x, **kw)).tolist()
    out["normalize"] = {"x": x.tolist(), "cases": norms}

    os.makedirs(FIXDIR, exist_ok=True)
    with open(os.path.join(FIXDIR, "data_k3.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    np.savez_compressed(os.path.join(FIXDIR, "data_k3.npz"), **arrays)
    shutil.rmtree(home)
    print("wrote fixtures/data_k3.json, data_k3.npz and files/data_k3/")


def run_keras2():
    import tf_keras

    out = {"tf_keras_version": tf_keras.__version__, "timeseries": {}, "split_dataset": {}}
    data = np.arange(40, dtype=np.float32).reshape(20, 2) * 1.5
    targets = np.arange(100, 120)
    for i, kw in enumerate([
            {"sequence_length": 5, "batch_size": 4},
            {"sequence_length": 4, "sequence_stride": 3, "sampling_rate": 2, "batch_size": 2},
            {"sequence_length": 3, "start_index": 2, "end_index": 15, "batch_size": 5},
            {"sequence_length": 6, "batch_size": None},
            {"sequence_length": 2, "sequence_stride": 4, "batch_size": 3, "no_targets": True},
            {"sequence_length": 5, "batch_size": 128, "targets_short": True}]):
        kw = dict(kw)
        no_t = kw.pop("no_targets", False)
        short = kw.pop("targets_short", False)
        t = None if no_t else (targets[:9] if short else targets)
        ds = tf_keras.utils.timeseries_dataset_from_array(data, t, **kw)
        batches = []
        for b in ds:
            if isinstance(b, tuple):
                batches.append([np.asarray(b[0]).tolist(), np.asarray(b[1]).tolist()])
            else:
                batches.append([np.asarray(b).tolist()])
        out["timeseries"][str(i)] = {"kwargs": kw, "no_targets": no_t, "targets_short": short,
                                     "batches": batches}
    x = np.arange(30, dtype=np.float32).reshape(10, 3)
    y = np.arange(10) % 3
    for i, (arg, kw) in enumerate([("x", {"left_size": 0.8}), ("x", {"right_size": 3}),
                                   ("xy", {"left_size": 6}), ("xy", {"left_size": 0.3,
                                                                     "right_size": 0.5}),
                                   ("xy", {"left_size": 7, "shuffle": True, "seed": 42}),
                                   ("x", {"right_size": 0.25, "shuffle": True, "seed": 1})]):
        ds = x if arg == "x" else (x, y)
        left, right = tf_keras.utils.split_dataset(ds, **kw)

        def collect(split):
            rows = list(split.as_numpy_iterator())
            if arg == "x":
                return [np.asarray(r).tolist() for r in rows]
            return [[np.asarray(r[0]).tolist(), int(r[1])] for r in rows]

        out["split_dataset"][str(i)] = {"arg": arg, "kwargs": kw, "left": collect(left),
                                        "right": collect(right)}
    with open(os.path.join(FIXDIR, "data_k2.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    print("wrote fixtures/data_k2.json")


NAME_SPACES = ["datasets.mnist", "datasets.fashion_mnist", "datasets.cifar10",
               "datasets.cifar100", "datasets.boston_housing", "datasets.california_housing",
               "datasets.imdb", "datasets.reuters", "wrappers", "preprocessing",
               "preprocessing.sequence"]


def record_public_names():
    """Keras 3's public names in the namespaces this area adds (docs/make_compatibility.py
    lists ours against them): fixtures/public_names_data_k3.json."""
    import importlib

    import keras

    out = {"version": keras.__version__, "namespaces": {}}
    for ns in NAME_SPACES:
        module = importlib.import_module("keras." + ns)
        out["namespaces"]["keras." + ns] = sorted(
            n for n in dir(module)
            if not n.startswith("_") and not isinstance(getattr(module, n), type(sys)))
    with open(os.path.join(FIXDIR, "public_names_data_k3.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    print("wrote fixtures/public_names_data_k3.json")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--keras", default="3", choices=["2", "3"])
    p.add_argument("--names", action="store_true", help="only the public names (Keras 3)")
    args = p.parse_args()
    if args.names:
        record_public_names()
    else:
        run_keras3() if args.keras == "3" else run_keras2()
