"""Safe, atomic HDF5 helpers shared by every file format.

Reading never follows soft, external or user-defined links, never reads external or
virtual datasets, and checks an attribute's or a dataset's declared shape and size before
anything is allocated. Writing goes to a temporary file in the target folder that is
renamed over the target only when it is complete (`atomic_path`), so a process killed in
the middle of a save leaves either the old file or the new one.

`load_guard` is the one place where the low-level errors of a malformed file (h5py's
KeyError/RuntimeError, zipfile's BadZipFile, a RecursionError from absurdly nested JSON,
a MemoryError, ...) become a ValueError that names the file; ValueError and OSError
raised on purpose pass through unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np

HEADER_LIMIT = 64512  # bytes per name-list attribute before Keras splits it into chunks
MAX_DATASET_BYTES = 4 * 1024 ** 3  # declared size above which a dataset is refused
MAX_ATTR_ELEMENTS = 10 ** 7  # declared elements above which an attribute is refused
MAX_ATTR_BYTES = 256 * 1024 ** 2
MAX_JSON_DEPTH = 200
# a JSON text (model config, training config, ...) above this is refused before parsing:
# a model config of 100k layers (legacy_h5.MAX_LAYERS) takes about 60 MB
MAX_JSON_BYTES = 64 * 1024 ** 2


def _h5py():
    import h5py

    return h5py


# --- writing ----------------------------------------------------------------------------

@contextlib.contextmanager
def atomic_path(filepath: Any, overwrite: bool = True) -> Iterator[str]:
    """Yield a temporary path beside `filepath`; when the block succeeds, flush it to disk
    and rename it over `filepath` (an atomic step on POSIX and Windows). On failure the
    temporary file is removed and `filepath` is untouched.

    A symbolic link is written through: the file it points to is replaced (the temporary
    file sits in that file's folder) and the link stays. Temporary files that killed saves
    of the same target left behind are removed first (`_remove_stale_temporaries`)."""
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False")
    if os.path.isdir(filepath):
        raise IsADirectoryError(f"Cannot save to {filepath}: it is a directory")
    if os.path.islink(filepath):
        filepath = os.path.realpath(filepath)
        if os.path.isdir(filepath):
            raise IsADirectoryError(f"Cannot save to {filepath}: it is a directory")
    folder = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot save to {filepath}: folder {folder} does not exist")
    prefix = _temporary_prefix(filepath)
    _remove_stale_temporaries(folder, prefix)
    fd, tmp = tempfile.mkstemp(prefix=f"{prefix}{os.getpid()}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        if os.path.exists(filepath):
            # keep the target's permission bits, as an in-place write would
            with contextlib.suppress(OSError):
                os.chmod(tmp, os.stat(filepath).st_mode & 0o7777)
        else:  # mkstemp made it 0o600; give it the mode a plain open() would
            os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, filepath)
        tmp = None
        with contextlib.suppress(OSError):  # not possible on every platform
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


def _temporary_prefix(filepath: str) -> str:
    """`.minikeras-<target name>.<digest>.<host>.`: the temporary files of saves of this
    target from this machine (the writer's PID and a random part follow)."""
    name = os.path.basename(filepath)
    digest = hashlib.sha1(name.encode("utf8", "surrogateescape")).hexdigest()[:8]
    host = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:32] or "host"
    return f".minikeras-{name[:80]}.{digest}.{host}."


def _remove_stale_temporaries(folder: str, prefix: str) -> None:
    """Remove the temporary files of earlier saves of the same target whose writer process
    no longer exists (a save killed before its rename). Only names of this exact pattern
    (same target, same host) are touched; a live writer's file (its PID exists, ours
    included) is left alone, and any error is ignored: cleaning up never fails a save."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.[A-Za-z0-9_]+\.tmp")
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match is None or _process_exists(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            os.remove(os.path.join(folder, name))


def _process_exists(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # (Windows' os.kill would end the process)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError, OSError):
        return True  # someone else's process, or cannot tell: keep the file
    return True


def _current_umask() -> int:
    """The process umask, read without changing it where Linux allows (setting it, even
    briefly, would race with other threads creating files)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_name_list(group: Any, name: str, names: list) -> None:
    """Keras' rule: one vlen list if it fits in 64512 bytes, else fixed-length chunks
    `name0`, `name1`, ...; an empty list is a float64 array of shape (0,)."""
    encoded = [n.encode("utf8") if isinstance(n, str) else bytes(n) for n in names]
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
    if chunks == 1 and 16 * len(encoded) + 1024 <= HEADER_LIMIT:
        group.attrs[name] = encoded
    elif chunks == 1:
        # a variable-length list keeps a 16-byte heap reference per name in the object
        # header, which overflows before the fixed-length form does (thousands of short
        # names): store the fixed-length form, which is what Keras itself writes
        group.attrs[name] = array
    else:
        for i, part in enumerate(parts):
            group.attrs[f"{name}{i}"] = part


def write_text_attr(obj: Any, name: str, text: str, as_bytes: bool = False) -> None:
    """A variable-length string attribute (no 64 KB object-header limit)."""
    obj.attrs[name] = text.encode("utf8") if as_bytes else text


# --- reading ----------------------------------------------------------------------------

def check_global_heaps(data: Any, what: str) -> dict:
    """Refuse a damaged global heap (where HDF5 keeps variable-length strings) that would
    make the HDF5 library loop forever, before HDF5 sees the file: HDF5 2.0 walks the
    objects of a collection by their declared sizes, and an object of declared size 0
    never advances (found by fuzzing: a zeroed block in the heap hangs `attrs[...]`). Each
    `GCOL` collection is walked here the same way first.

    Returns `{collection address: {object index: size}}` for `check_string_references`.
    `data` is a bytes-like object or an mmap of the whole file."""
    end_of_file = len(data)
    heaps: dict = {}
    at = data.find(b"GCOL")
    while at != -1:
        if at + 16 <= end_of_file and data[at + 4] == 1:
            size = struct.unpack_from("<Q", data, at + 8)[0]
            if 4096 <= size <= end_of_file - at:  # a plausible collection; else HDF5 errs
                objects: dict = {}
                end = at + size
                p = at + 16
                while p < end:
                    if p + 16 > end:
                        break
                    index = struct.unpack_from("<H", data, p)[0]
                    obj_size = struct.unpack_from("<Q", data, p + 8)[0]
                    need = 16 + (-(-obj_size // 8) * 8) if index > 0 else obj_size
                    if need == 0 or need > end - p:
                        raise ValueError(f"{what} has a damaged global heap at byte {at} "
                                         f"(object at byte {p} declares size {obj_size}); "
                                         "refusing it: the HDF5 library would loop forever "
                                         "or read outside the heap")
                    if index > 0:
                        objects[index] = obj_size
                    p += need
                heaps[at] = objects
        at = data.find(b"GCOL", at + 4)
    return heaps


def _u(data: Any, fmt: str, at: int) -> int:
    return struct.unpack_from(fmt, data, at)[0]


def _v1_attribute_messages(data: Any, addr: int, nmesgs: int) -> list | None:
    """(start, size) of the attribute messages of a version-1 object header, or None when
    the bytes at `addr` do not look like one (then nothing is checked)."""
    n = len(data)
    if addr + 16 > n or data[addr] != 1 or _u(data, "<H", addr + 2) != nmesgs:
        return None
    chunks = [(addr + 16, _u(data, "<I", addr + 8))]
    found = []
    seen = 0
    i = 0
    while i < len(chunks) and i < 256:
        start, length = chunks[i]
        i += 1
        if start + length > n:
            return None
        p, end = start, start + length
        while p + 8 <= end and seen <= nmesgs:
            mtype, msize = _u(data, "<H", p), _u(data, "<H", p + 2)
            body = p + 8
            if body + msize > end:
                return None
            seen += 1
            if mtype == 0x10 and msize >= 16:  # continuation: more messages elsewhere
                chunks.append((_u(data, "<Q", body), _u(data, "<Q", body + 8)))
            elif mtype == 0x0C:
                found.append((body, msize))
            p = body + msize
    return found


def _pad8(x: int) -> int:
    return -(-x // 8) * 8


def _string_references(data: Any, body: int, size: int):
    """The (length, heap address, object index) of each element of a variable-length
    string attribute message; nothing for other attributes."""
    end = body + size
    if body + 9 > end:
        return
    version, flags = data[body], data[body + 1]
    name_size, type_size, space_size = (_u(data, "<H", body + k) for k in (2, 4, 6))
    if version == 1:
        pad = _pad8
        q = body + 8
    elif version in (2, 3):
        if flags & 3:  # shared datatype or dataspace: not decoded here
            return
        pad = int
        q = body + 8 + (version == 3)
    else:
        return
    dtype_at = q + pad(name_size)
    space_at = dtype_at + pad(type_size)
    data_at = space_at + pad(space_size)
    if data_at > end or dtype_at + 4 > end or space_at + 4 > end:
        return
    if data[dtype_at] & 0x0F != 9 or data[dtype_at + 1] & 0x0F != 1:
        return  # not a variable-length string
    space_version, ndims = data[space_at], data[space_at + 1]
    if space_version == 1:
        dims_at = space_at + 8
    elif space_version == 2:
        if data[space_at + 3] == 2:  # null dataspace
            return
        dims_at = space_at + 4
    else:
        return
    count = 1
    for k in range(ndims):
        if dims_at + 8 * k + 8 > end:
            return
        count *= _u(data, "<Q", dims_at + 8 * k)
    if data_at + 16 * count > end:
        return
    for k in range(count):
        at = data_at + 16 * k
        yield _u(data, "<I", at), _u(data, "<Q", at + 4), _u(data, "<I", at + 12)


def check_string_references(f: Any, data: Any, heaps: dict, what: str) -> None:
    """Refuse variable-length string attributes whose references do not fit the global
    heap, before h5py reads them: HDF5 2.0 allocates the length a reference declares (up
    to 4 GiB) before it checks it against the heap object (found by fuzzing). Objects with
    version-1 headers (what h5py and Keras write) are decoded; others are left to HDF5."""
    h5py = _h5py()
    objects = [f]

    def collect(name: str, obj: Any) -> None:
        objects.append(obj)

    f.visititems(collect)
    for obj in objects:
        info = h5py.h5o.get_info(obj.id)
        if not info.num_attrs or info.hdr.version != 1:
            continue
        messages = _v1_attribute_messages(data, info.addr, info.hdr.nmesgs)
        for body, size in messages or ():
            for length, address, index in _string_references(data, body, size):
                if length == 0:
                    continue
                held = heaps.get(address, {}).get(index)
                if held is None or length > held:
                    raise ValueError(f"{what}: an attribute of {obj.name!r} declares a "
                                     f"{length}-byte string that its global heap does not "
                                     "hold; refusing the damaged file")


def open_for_reading(filepath: Any):
    """Open an HDF5 file (a path or a binary file object) read-only; anything that is not
    a readable HDF5 file gives a clear OSError."""
    h5py = _h5py()
    if hasattr(filepath, "read"):
        data = filepath.getvalue() if hasattr(filepath, "getvalue") else None
        what = "The archive's weights file"
        heaps = check_global_heaps(data, what) if data is not None else None
        try:
            f = h5py.File(filepath, "r")
        except Exception as e:  # noqa: BLE001 - h5py raises many kinds on garbage
            raise OSError(f"The archive member is not a readable HDF5 file: {e}") from None
        if data is not None:
            _checked(f, lambda: check_string_references(f, data, heaps, what))
        return f
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No file or directory found at {path}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a directory, not a model file")
    with _mapped(path) as data:
        heaps = check_global_heaps(data, path)
        try:
            f = h5py.File(path, "r")
        except Exception as e:  # noqa: BLE001
            raise OSError(f"{path} is not a readable HDF5 file: {e}") from None
        _checked(f, lambda: check_string_references(f, data, heaps, path))
    return f


def _checked(f: Any, check: Any) -> None:
    """Run `check` on an open file; close the file if it fails."""
    try:
        check()
    except BaseException:
        f.close()
        raise


@contextlib.contextmanager
def _mapped(path: str) -> Iterator[Any]:
    import mmap

    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            yield b""
            return
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            yield data


def decode(value: Any) -> Any:
    """Text from bytes or str; text that is not valid UTF-8 (h5py hands such strings over
    with surrogate escapes) is a ValueError."""
    if isinstance(value, (bytes, np.bytes_)):
        try:
            return bytes(value).decode("utf8")
        except UnicodeDecodeError:
            raise ValueError(f"The file holds text that is not valid UTF-8: "
                             f"{bytes(value)[:60]!r}") from None
    if isinstance(value, str):
        try:
            value.encode("utf8")
        except UnicodeEncodeError:
            raise ValueError(f"The file holds text that is not valid UTF-8: "
                             f"{value[:60]!r}") from None
    return value


def has_attr(obj: Any, name: str) -> bool:
    try:
        return name in obj.attrs
    except Exception:  # noqa: BLE001 - a damaged attribute table reads as "absent"
        return False


def read_attr(obj: Any, name: str) -> Any:
    """An attribute's value after checking its declared shape and size."""
    h5py = _h5py()
    if not has_attr(obj, name):
        raise ValueError(f"{obj.name!r} has no attribute {name!r}")
    aid = h5py.h5a.open(obj.id, name.encode("utf8"))
    try:
        shape = aid.shape
        if shape is None:
            raise ValueError(f"Attribute {name!r} of {obj.name!r} has no data (null "
                             "dataspace)")
        count = int(np.prod(shape, dtype=np.float64))
        if count > MAX_ATTR_ELEMENTS:
            raise ValueError(f"Attribute {name!r} of {obj.name!r} declares {count} elements; "
                             "refusing such a large attribute")
        itemsize = aid.dtype.itemsize
        if count * itemsize > MAX_ATTR_BYTES:
            raise ValueError(f"Attribute {name!r} of {obj.name!r} declares "
                             f"{count * itemsize} bytes; refusing such a large attribute")
    finally:
        aid.close()
    return obj.attrs[name]


def read_text_attr(obj: Any, name: str) -> str:
    value = read_attr(obj, name)
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise ValueError(f"Attribute {name!r} of {obj.name!r} should be one string, found "
                             f"an array of shape {value.shape}")
        value = value.reshape(()).item()
    value = decode(value)
    if not isinstance(value, str):
        raise ValueError(f"Attribute {name!r} of {obj.name!r} should be a string, found "
                         f"{type(value).__name__}")
    return value


def _json_hook(obj: dict) -> Any:
    # Keras' JSON markers; nothing here ever executes code
    if obj.get("class_name") == "__tuple__" and isinstance(obj.get("items"), list):
        return tuple(obj["items"])
    if obj.get("class_name") == "__ellipsis__":
        return Ellipsis
    return obj


def _depth(obj: Any, limit: int) -> None:
    stack = [(obj, 0)]
    while stack:
        item, d = stack.pop()
        if d > limit:
            raise ValueError(f"The JSON is nested more than {limit} levels deep")
        if isinstance(item, dict):
            stack.extend((v, d + 1) for v in item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend((v, d + 1) for v in item)


def loads_json(text: Any, what: str) -> Any:
    """Parse JSON from a file, with Keras' `__tuple__` markers, bounded nesting and a
    ValueError on anything malformed."""
    if isinstance(text, (bytes, bytearray, np.bytes_)):
        text = decode(bytes(text))
    if not isinstance(text, str):
        raise ValueError(f"The {what} is not text (found {type(text).__name__})")
    if len(text) > MAX_JSON_BYTES:
        raise ValueError(f"The {what} holds {len(text)} characters of JSON; minikeras refuses "
                         f"JSON texts above {MAX_JSON_BYTES} bytes (64 MiB)")
    try:
        value = json.loads(text, object_hook=_json_hook)
    except RecursionError:
        raise ValueError(f"The {what} is nested too deeply to be a model config") from None
    except ValueError as e:
        raise ValueError(f"The {what} is not valid JSON: {e}") from None
    _depth(value, MAX_JSON_DEPTH)
    return value


def read_json_attr(obj: Any, name: str) -> Any:
    return loads_json(read_text_attr(obj, name), f"attribute {name!r}")


def _as_names(values: Any, name: str, where: str) -> list[str]:
    if isinstance(values, (str, bytes, np.bytes_)):
        values = [values]
    arr = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    if arr.ndim > 1:
        raise ValueError(f"Attribute {name!r} of {where!r} should be a list of names, found "
                         f"shape {arr.shape}")
    if arr.dtype.kind == "f" and arr.size == 0:  # Keras writes [] as float64 (0,)
        return []
    out = []
    for v in np.atleast_1d(arr).tolist():
        v = decode(v)
        if not isinstance(v, str):
            raise ValueError(f"Attribute {name!r} of {where!r} should hold names, found "
                             f"{type(v).__name__} {v!r:.60}")
        out.append(v)
    return out


def read_name_list(group: Any, name: str) -> list[str]:
    """A name list, plain (vlen or fixed-length) or chunked (`name0`, `name1`, ...); a
    missing attribute means no names."""
    if has_attr(group, name):
        return _as_names(read_attr(group, name), name, group.name)
    out: list = []
    i = 0
    while has_attr(group, f"{name}{i}"):
        out.extend(_as_names(read_attr(group, f"{name}{i}"), f"{name}{i}", group.name))
        i += 1
    return out


def safe_get(group: Any, path: str) -> Any:
    """`group[path]`, refusing soft, external and user-defined links and empty or
    relative path parts."""
    h5py = _h5py()
    if not isinstance(path, str) or not path:
        raise ValueError(f"Invalid HDF5 path {path!r}")
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"Refusing the HDF5 path {path!r}: it has empty or relative parts")
    node = group
    for part in parts:
        if not isinstance(node, h5py.Group):
            raise ValueError(f"{node.name!r} is a dataset, not a group: cannot look up "
                             f"{part!r} in it (path {path!r})")
        link = node.get(part, getlink=True)
        if link is None:
            raise ValueError(f"The file has no object {path!r} under {group.name!r} "
                             f"(missing {part!r} in {node.name!r})")
        if not isinstance(link, h5py.HardLink):
            raise ValueError(f"Refusing to follow the {type(link).__name__} {part!r} in "
                             f"{node.name!r}: links may point outside the file")
        node = node[part]
    return node


def has_child(group: Any, name: str) -> bool:
    """Whether `name` is a hard-linked child of `group` (links count as absent)."""
    h5py = _h5py()
    try:
        link = group.get(name, getlink=True)
    except Exception:  # noqa: BLE001
        return False
    return isinstance(link, h5py.HardLink)


def check_dataset(ds: Any, what: str = "dataset") -> tuple:
    """Refuse what must never be read: non-datasets, virtual and external storage,
    non-numeric types, absurd declared sizes. Returns the shape."""
    h5py = _h5py()
    if not isinstance(ds, h5py.Dataset):
        raise ValueError(f"{what}: expected a dataset, found a {type(ds).__name__}")
    if ds.is_virtual:
        raise ValueError(f"{what}: refusing a virtual dataset (its data lives in other files)")
    if ds.external:
        raise ValueError(f"{what}: refusing a dataset stored in external files")
    if ds.dtype.kind not in "fiub":
        raise ValueError(f"{what}: expected numbers, found dtype {ds.dtype}")
    if ds.shape is None:
        raise ValueError(f"{what}: the dataset has no data (null dataspace)")
    shape = tuple(int(d) for d in ds.shape)
    declared = float(np.prod(shape, dtype=np.float64)) * ds.dtype.itemsize
    if declared > MAX_DATASET_BYTES:
        raise ValueError(f"{what}: declared size {int(declared)} bytes (shape {shape}) is "
                         "too large; refusing to allocate it")
    stored = ds.id.get_storage_size()
    if declared > 1024 * 1024 and declared > 1000 * max(stored, 1):
        raise ValueError(f"{what}: declared size {int(declared)} bytes but only {stored} "
                         "bytes stored; refusing a possible decompression bomb")
    return shape


def read_dataset(ds: Any, expected_shape: tuple | None = None, what: str = "dataset"
                 ) -> np.ndarray:
    """A dataset's values after the safety checks; `expected_shape` is compared before
    anything is read."""
    shape = check_dataset(ds, what)
    if expected_shape is not None and shape != tuple(expected_shape):
        raise ValueError(f"{what}: the file holds shape {shape}, expected "
                         f"{tuple(expected_shape)}")
    value = np.asarray(ds[()])
    if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        pass  # NaN weights are legal (Keras loads them); the caller decides
    return value


# --- the error boundary -----------------------------------------------------------------

_MALFORMED = (KeyError, IndexError, TypeError, AttributeError, RuntimeError, RecursionError,
              MemoryError, OverflowError, ZeroDivisionError, EOFError, struct.error,
              zipfile.BadZipFile, zipfile.LargeZipFile, UnicodeError, NotImplementedError,
              AssertionError, LookupError, ArithmeticError)


@contextlib.contextmanager
def load_guard(filepath: Any, action: str = "load") -> Iterator[None]:
    """Turn the low-level errors of a malformed file into a ValueError naming the file."""
    try:
        yield
    except (ValueError, OSError):
        raise
    except _MALFORMED as e:
        name = filepath if isinstance(filepath, str) else getattr(filepath, "name", filepath)
        detail = str(e) or type(e).__name__
        if isinstance(e, MemoryError):
            detail = "it asks for more memory than is available"
        raise ValueError(f"Cannot {action} {name!r}: the file is malformed or does not "
                         f"describe a model minikeras can build ({type(e).__name__}: "
                         f"{detail[:500]})") from e
