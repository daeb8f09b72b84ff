"""Safe, atomic HDF5 helpers shared by every file format.

Reading never follows soft or external links, never reads external or virtual datasets,
and checks a dataset's declared shape before allocating anything. Writing goes to a
temporary file in the target folder that is renamed over the target only when complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Any
from collections.abc import Iterator

import numpy as np

HEADER_LIMIT = 64512
MAX_DATASET_BYTES = 4 * 1024 ** 3


def _h5py():
    import h5py

    return h5py


@contextlib.contextmanager
def atomic_path(filepath: str, overwrite: bool = True) -> Iterator[str]:
    """Yield a temporary path beside `filepath`; on success, rename it over `filepath`."""
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False")
    folder = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot save to {filepath}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".minikeras-", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, filepath)
        tmp = None
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


def open_for_reading(filepath: Any):
    """Open an HDF5 file read-only, turning h5py's errors into a clear OSError."""
    h5py = _h5py()
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No file or directory found at {path}")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise OSError(f"{path} is not a readable HDF5 file: {e}") from None


def decode(value: Any) -> Any:
    if isinstance(value, (bytes, np.bytes_)):
        return value.decode("utf8")
    return value


def write_name_list(group: Any, name: str, names: list) -> None:
    """Keras' rule: one vlen list if it fits in 64512 bytes, else fixed-length chunks."""
    encoded = [n.encode("utf8") if isinstance(n, str) else n for n in names]
    for n in encoded:
        if len(n) > HEADER_LIMIT:
            raise RuntimeError(f"The name {n[:80]!r}... is longer than {HEADER_LIMIT} bytes and "
                               "cannot be stored in an HDF5 attribute")
    if not encoded:
        group.attrs[name] = np.asarray([])
        return
    array = np.asarray(encoded)
    chunks = 1
    parts = [array]
    while any(p.nbytes > HEADER_LIMIT for p in parts):
        chunks += 1
        parts = np.array_split(array, chunks)
    if chunks == 1:
        group.attrs[name] = encoded
    else:
        for i, part in enumerate(parts):
            group.attrs[f"{name}{i}"] = part


def read_name_list(group: Any, name: str) -> list[str]:
    """A name list, plain or chunked; a missing attribute means no names."""
    if name in group.attrs:
        values = group.attrs[name]
        if isinstance(values, (str, bytes)):
            values = [values]
        return [decode(v) for v in np.atleast_1d(values) if not isinstance(v, float)]
    out: list = []
    i = 0
    while f"{name}{i}" in group.attrs:
        out.extend(decode(v) for v in np.atleast_1d(group.attrs[f"{name}{i}"]))
        i += 1
    return out


def safe_get(group: Any, path: str) -> Any:
    """`group[path]`, refusing soft and external links and empty path parts."""
    h5py = _h5py()
    if not isinstance(path, str) or not path:
        raise ValueError(f"Invalid HDF5 path {path!r}")
    parts = path.split("/")
    if any(p == "" or p in (".", "..") for p in parts):
        raise ValueError(f"Refusing the HDF5 path {path!r}: it has empty or relative parts")
    node = group
    for part in parts:
        if part not in node:
            raise ValueError(f"The file has no object {path!r} under {node.name!r}")
        link = node.get(part, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise ValueError(f"Refusing to follow the {type(link).__name__} {part!r} in "
                             f"{node.name!r}: links may point outside the file")
        node = node[part]
    return node


def read_dataset(ds: Any, expected_shape: tuple | None = None, what: str = "dataset"
                 ) -> np.ndarray:
    """A dataset's values after safety checks; `expected_shape` is checked before reading."""
    h5py = _h5py()
    if not isinstance(ds, h5py.Dataset):
        raise ValueError(f"{what}: expected a dataset, found a {type(ds).__name__}")
    if ds.is_virtual:
        raise ValueError(f"{what}: refusing a virtual dataset")
    if ds.external:
        raise ValueError(f"{what}: refusing a dataset stored in external files")
    if ds.dtype.kind not in "fiub":
        raise ValueError(f"{what}: expected numbers, found dtype {ds.dtype}")
    shape = tuple(ds.shape) if ds.shape is not None else ()
    if expected_shape is not None and shape != tuple(expected_shape):
        raise ValueError(f"{what}: the file holds shape {shape}, expected {tuple(expected_shape)}")
    declared = int(np.prod(shape, dtype=np.float64)) * ds.dtype.itemsize
    if declared > MAX_DATASET_BYTES:
        raise ValueError(f"{what}: declared size {declared} bytes is too large")
    stored = ds.id.get_storage_size()
    if declared > 1024 * 1024 and stored and declared > 1000 * stored:
        raise ValueError(f"{what}: declared size {declared} bytes but only {stored} stored; "
                         "refusing a possible decompression bomb")
    return np.asarray(ds[()])
