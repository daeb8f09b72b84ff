"""What the dataset loaders share: the download origin, and reading Keras' files without ever
running code from them.

Keras' IMDB and Reuters `.npz` files hold ragged sequences as object arrays, and the CIFAR
batches are Python pickles holding a NumPy array. Both need a pickle stream to be read, and a
pickle can call any function it names. `SafeUnpickler` resolves only the three names that
rebuilding a NumPy array needs (`numpy.ndarray`, `numpy.dtype`, `multiarray._reconstruct`,
under numpy 1's and numpy 2's module names) and maps them to checked stand-ins: `dtype` accepts
only a dtype name, `_reconstruct` only the plain `ndarray` type. Every other name (`os.system`,
`builtins.eval`, `subprocess.Popen`, ...) raises `pickle.UnpicklingError` before anything runs.
Plain numeric `.npz` members are read with `allow_pickle=False`.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from typing import Any

import numpy as np

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def _dtype(obj: Any, align: bool = False, copy: bool = False) -> np.dtype:
    if not isinstance(obj, (str, bytes)):
        raise pickle.UnpicklingError(f"Refusing a dtype built from {type(obj).__name__}")
    return np.dtype(obj.decode("latin1") if isinstance(obj, bytes) else obj)


def _reconstruct(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError("Refusing to rebuild an array of a type other than "
                                     "numpy.ndarray")
    if isinstance(dtype, bytes):
        dtype = dtype.decode("latin1")
    return np.ndarray(tuple(shape), dtype=np.dtype(dtype))


_ALLOWED = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _dtype,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
}


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild NumPy arrays, lists, dicts, strings and numbers, and
    nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"Refusing to load `{module}.{name}` from a dataset file: a Keras dataset "
                "holds only arrays, so the file is damaged or was tampered with") from None

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("Refusing a persistent id in a dataset file")


def _read_npy(raw: io.BytesIO) -> np.ndarray:
    try:
        return np.lib.format.read_array(raw, allow_pickle=False)
    except ValueError:
        pass  # an object array: its payload is a pickle stream after the header
    raw.seek(0)
    major, _ = np.lib.format.read_magic(raw)
    if major == 1:
        np.lib.format.read_array_header_1_0(raw)
    elif major in (2, 3):
        # Version 3 only changes the header's text encoding; its length field is version 2's.
        np.lib.format.read_array_header_2_0(raw)
    else:
        raise ValueError(f"Unsupported .npy format version {major}")
    array = SafeUnpickler(raw, encoding="latin1").load()
    if not isinstance(array, np.ndarray):
        raise ValueError("A .npy member holds something other than an array")
    return array


def load_npz(path: str) -> dict:
    """Every array of an `.npz` file, object arrays included, without executing code."""
    out = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                out[member[:-4]] = _read_npy(io.BytesIO(archive.read(member)))
    return out


def load_pickle(path: str) -> Any:
    """A Python 2 era pickle (the CIFAR batches) with bytes keys, rebuilt safely."""
    with open(path, "rb") as f:
        return SafeUnpickler(f, encoding="bytes").load()


def remove_long_seq(maxlen: int, seq: list, label: Any) -> tuple:
    """Keep the sequences shorter than `maxlen` (strictly, as Keras) and their labels."""
    kept = [(x, y) for x, y in zip(seq, label) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def check_test_split(test_split: float) -> None:
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between 0 "
                         "and 1 (exclusive of 1).")


def split_shuffled(x: np.ndarray, y: np.ndarray, test_split: float, seed: int) -> tuple:
    """Shuffle with `np.random.RandomState(seed)` and split at int(n·(1−test_split)), as
    Keras' boston and california loaders do."""
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def index_sequences(xs: Any, start_char: int | None, index_from: int) -> list:
    """Prepend `start_char` and shift every word index by `index_from` (Keras' rule: without
    a start character the shift still applies)."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    if index_from:
        return [[w + index_from for w in x] for x in xs]
    return [list(x) for x in xs]


def limit_vocabulary(xs: list, num_words: int | None, skip_top: int,
                     oov_char: int | None) -> list:
    """Words outside [skip_top, num_words) become `oov_char`, or are dropped when it is None.
    Without `num_words` the largest index seen is the bound (so that word itself counts as
    out of range, as in Keras)."""
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def object_array(rows: list) -> np.ndarray:
    """A 1-D object array of lists (np.array(rows, dtype=object) makes a 2-D array when all
    rows happen to have the same length; Keras does that too, so we follow it)."""
    return np.array(rows, dtype="object")


def check_kwargs(fn: str, kwargs: dict) -> None:
    if kwargs:
        raise TypeError(f"{fn}() got unexpected keyword arguments: {sorted(kwargs)}")
