"""`keras.utils.get_file`: download into the Keras cache, verify a hash, extract archives.

The cache layout is Keras': `$KERAS_HOME/<cache_subdir>/<fname>` (default `~/.keras/datasets`),
and archives extract next to it under the same names Keras uses, so a file real Keras downloaded
is found and used as is (and the other way round).

Where we differ: `KERAS_HOME` is read at each call, not once at import (setting it after
`import minikeras` works); extraction refuses members that would land outside the target
folder (absolute paths, `..`, links pointing out) with a ValueError instead of skipping them
with a warning, so a tampered archive never half-extracts silently.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import shutil
import tarfile
import tempfile
import urllib.parse
import warnings
import zipfile
from typing import Any

from minikeras.utils.progbar import Progbar


def keras_home() -> str:
    """Keras' base folder: `$KERAS_HOME`, else `~/.keras` (or `/tmp/.keras` when the home
    folder is not writable), as Keras decides it."""
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    base = os.path.expanduser("~")
    if not os.access(base, os.W_OK):
        base = "/tmp"
    return os.path.join(base, ".keras")


def resolve_hasher(algorithm: str, file_hash: str | None = None):
    """sha256 when asked, or for `auto` with a 64-character hash; md5 otherwise (Keras' rule)."""
    if algorithm == "sha256":
        return hashlib.sha256()
    if algorithm == "auto" and file_hash is not None and len(file_hash) == 64:
        return hashlib.sha256()
    if algorithm not in ("auto", "md5", "sha256"):
        raise ValueError(f"hash_algorithm must be 'auto', 'md5' or 'sha256', got {algorithm!r}")
    return hashlib.md5()


def hash_file(fpath: str, algorithm: Any = "sha256", chunk_size: int = 65535) -> str:
    """The hex digest of a file (`algorithm`: 'sha256', 'md5', 'auto' or a hashlib object)."""
    hasher = resolve_hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath: str, file_hash: str, algorithm: str = "auto",
                  chunk_size: int = 65535) -> bool:
    """Whether the file's sha256/md5 digest equals `file_hash`."""
    hasher = resolve_hasher(algorithm, file_hash)
    return hash_file(fpath, hasher, chunk_size) == str(file_hash)


def _inside(base: str, name: str) -> bool:
    target = os.path.realpath(os.path.join(base, name))
    try:
        return os.path.commonpath([target, base]) == base
    except ValueError:
        return False


def _check_members(archive: Any, base: str) -> None:
    """Raise before writing anything if any member would land outside `base`."""
    base = os.path.realpath(base)
    if isinstance(archive, zipfile.ZipFile):
        for info in archive.infolist():
            if not _inside(base, info.filename):
                raise ValueError(f"Refusing to extract {info.filename!r}: it would be written "
                                 f"outside {base}")
        return
    for info in archive.getmembers():
        if not _inside(base, info.name):
            raise ValueError(f"Refusing to extract {info.name!r}: it would be written "
                             f"outside {base}")
        if info.issym() or info.islnk():
            link_base = base if info.islnk() else os.path.dirname(
                os.path.realpath(os.path.join(base, info.name)))
            if not _inside(base, os.path.join(os.path.relpath(link_base, base), info.linkname)):
                raise ValueError(f"Refusing to extract the link {info.name!r} -> "
                                 f"{info.linkname!r}: it points outside {base}")
        elif not (info.isfile() or info.isdir()):
            raise ValueError(f"Refusing to extract {info.name!r}: not a regular file or folder")


def extract_archive(file_path: str, path: str = ".", archive_format: Any = "auto") -> bool:
    """Extract a tar (.tar, .tar.gz, .tar.bz2) or zip archive into `path`; False when
    `file_path` is none of the formats asked for. Members outside `path` are refused."""
    if archive_format is None:
        return False
    if archive_format == "auto":
        archive_format = ["tar", "zip"]
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    file_path, path = os.fspath(file_path), os.fspath(path)
    for kind in archive_format:
        if kind == "tar":
            is_match, opener = tarfile.is_tarfile, tarfile.open
        elif kind == "zip":
            is_match, opener = zipfile.is_zipfile, zipfile.ZipFile
        else:
            raise ValueError(f"archive_format must be 'auto', 'tar', 'zip' or None, got {kind!r}")
        if not is_match(file_path):
            continue
        os.makedirs(path, exist_ok=True)
        with opener(file_path) as archive:
            _check_members(archive, path)
            try:
                if kind == "tar" and "filter" in inspect.signature(archive.extractall).parameters:
                    archive.extractall(path, filter="data")  # a second guard where available
                else:
                    archive.extractall(path)
            except (tarfile.TarError, RuntimeError, KeyboardInterrupt):
                if os.path.isfile(path):
                    os.remove(path)
                elif os.path.isdir(path):
                    shutil.rmtree(path)
                raise
        return True
    return False


class _DownloadProgress:
    """`urlretrieve`'s report hook drawing a Progbar in bytes."""

    def __init__(self) -> None:
        self.progbar: Progbar | None = None

    def __call__(self, block_num: int, block_size: int, total_size: int) -> None:
        total = None if total_size is None or total_size < 0 else total_size
        if self.progbar is None:
            self.progbar = Progbar(total)  # counts bytes; Keras prints them as "steps" too
        current = block_num * block_size
        if total is not None and current >= total:
            self.progbar.update(total, finalize=True)
        else:
            self.progbar.update(current)


def _download(origin: str, target: str) -> None:
    """Download to a temporary file next to `target`, then rename: an interrupted download
    never leaves a partial file under the final name."""
    import urllib.error
    import urllib.request  # here, not at the top: it costs 25 ms of `import minikeras`

    folder = os.path.dirname(target) or "."
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".download-")
    os.close(fd)
    try:
        urllib.request.urlretrieve(origin, tmp, _DownloadProgress())
        os.replace(tmp, target)
    except (OSError, ValueError) as e:  # URLError and HTTPError are OSErrors
        reason = getattr(e, "reason", None) or getattr(e, "msg", None) or e
        code = getattr(e, "code", None)
        raise OSError(
            f"Could not download {origin} ({(str(code) + ' ') if code else ''}{reason}). "
            f"If this machine is offline, download the file elsewhere and put it at {target}"
        ) from e
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def get_file(fname: str | None = None, origin: str | None = None, untar: bool = False,
             md5_hash: str | None = None, file_hash: str | None = None,
             cache_subdir: str = "datasets", hash_algorithm: str = "auto",
             extract: bool = False, archive_format: Any = "auto",
             cache_dir: str | None = None, force_download: bool = False) -> str:
    """Download `origin` into `<cache_dir>/<cache_subdir>/<fname>` unless a copy whose hash
    matches is already there; with `extract=True` (or `untar=True`) extract the archive and
    return the extraction folder, as Keras 3 names it (`fname` without extension, or
    `<stem>_extracted` when `fname` has one; the archive itself is `<fname>_archive`).

    An existing file with the wrong hash is downloaded again (Keras); a downloaded file with
    the wrong hash raises ValueError. Offline, the OSError names the URL and the path where
    the file is expected."""
    if origin is None:
        raise ValueError('get_file: please specify the "origin" argument (the URL of the '
                         'file to download)')
    if hash_algorithm not in ("auto", "md5", "sha256"):
        raise ValueError("get_file: hash_algorithm must be 'auto', 'md5' or 'sha256', got "
                         f"{hash_algorithm!r}")
    if cache_dir is None:
        cache_dir = keras_home()
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(os.fspath(cache_dir))
    if not os.access(base, os.W_OK) and os.path.exists(base):
        base = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    provided = fname
    fname = os.fspath(fname) if fname is not None else None
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"get_file: cannot derive a file name from origin={origin!r}; "
                             "pass `fname`")
    elif os.sep in fname:
        raise ValueError("get_file: paths are not accepted as `fname` (use `cache_dir` for "
                         f"the folder). Received: fname={fname}")

    if extract or untar:
        if provided and "." in fname:
            target = os.path.join(datadir, fname)
            extraction_dir = os.path.join(datadir, f"{fname[:fname.find('.')]}_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            target = os.path.join(datadir, f"{fname}_archive")
    else:
        target = os.path.join(datadir, fname)

    download = force_download or not os.path.exists(target)
    if not download and file_hash is not None and not validate_file(
            target, file_hash, algorithm=hash_algorithm):
        print(f"A local file was found at {target}, but its {hash_algorithm} hash does not "
              f"match {file_hash}: downloading it again.")
        download = True

    if download:
        print(f"Downloading data from {origin}")
        _download(origin, target)
        if file_hash is not None and not validate_file(target, file_hash,
                                                       algorithm=hash_algorithm):
            raise ValueError(f"Incomplete or corrupted file detected at {target}: its "
                             f"{hash_algorithm} hash does not match {file_hash}")

    if extract or untar:
        if untar:
            archive_format = "tar"
        if not extract_archive(target, extraction_dir, archive_format):
            warnings.warn(f"Could not extract the archive {target}", stacklevel=2)
        return extraction_dir
    return target
