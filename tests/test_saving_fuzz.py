"""Acceptance 5: mutated model files (random bytes, truncation, deleted attributes and
objects, wrong dtypes, huge shapes, links, external storage, broken configs, broken zip
archives) either load or raise ValueError/OSError with a message. Nothing else escapes,
nothing hangs, and memory stays bounded.

The variants are generated here, then loaded in a forked child whose address space is
capped (RLIMIT_AS) and which reports each result through a pipe; the parent gives every
load a deadline, so a hang (or a crash) names the variant that caused it.
"""

from __future__ import annotations

import io
import json
import os
import random
import resource
import select
import shutil
import signal
import sys
import time
import zipfile

import h5py
import numpy as np
import pytest

import minikeras as keras

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin",
                                reason="needs os.fork and RLIMIT_AS (Linux)")
N_VARIANTS = int(os.environ.get("MINIKERAS_FUZZ_VARIANTS", "1000"))
DEADLINE = 20.0  # seconds for one load; far above any legitimate one
MEMORY_HEADROOM = 1536 * 2 ** 20  # address space the child may add to what it has
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "compat_tests", "files")
L = keras.layers


# --- the valid files ----------------------------------------------------------------------

def _seq():
    return keras.Sequential([keras.Input((6,)), L.Dense(8, activation="relu", name="dense"),
                             L.Dropout(0.2, name="dropout"),
                             L.BatchNormalization(name="batch_normalization"),
                             L.Dense(3, activation="softmax", name="dense_1")])


def _func():
    i = keras.Input((5,), name="input_layer")
    h = L.Dense(7, activation="relu", name="dense")(i)
    return keras.Model(i, L.Dense(2, name="dense_1")(h), name="functional")


def _sources(folder):
    """(path, kind, builder) of the valid files every variant starts from."""
    rng = np.random.default_rng(0)
    seq = _seq()
    seq.compile(keras.optimizers.Adam(0.01), "categorical_crossentropy",
                metrics=["accuracy"])
    x = rng.normal(size=(32, 6)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 32)]
    seq.fit(x, y, epochs=1, batch_size=8, verbose=0)
    func = _func()
    func.compile(keras.optimizers.SGD(0.05, momentum=0.9), "mse")
    func.fit(rng.normal(size=(16, 5)).astype("float32"),
             rng.normal(size=(16, 2)).astype("float32"), epochs=1, verbose=0)
    out = []
    for name, model, builder in (("seq", seq, "seq"), ("func", func, "func")):
        for suffix, kind in ((".h5", "model"), (".keras", "model"),
                             (".weights.h5", "weights"), ("_w.h5", "weights")):
            path = os.path.join(folder, name + suffix)
            if kind == "weights":
                model.save_weights(path)
            else:
                model.save(path)
            out.append((path, kind, builder))
    for rel, kind, builder in (("k2/seq_adam_acc.h5", "model", None),
                               ("k3/func_adam.keras", "model", None),
                               ("k3/seq_reg_dropout_bn.h5", "model", None),
                               ("k2/seq_legacyadam.h5", "model", None)):
        src = os.path.join(FIXTURES, rel)
        if os.path.exists(src):
            dst = os.path.join(folder, rel.replace("/", "_"))
            shutil.copy(src, dst)
            out.append((dst, kind, builder))
    return out


# --- mutations ----------------------------------------------------------------------------

def _objects(f):
    found = []
    f.visit(lambda name: found.append(name))
    return found


def _with_h5(path, rng, edit):
    """Apply an h5py-level edit to a copy; for .keras, to its model.weights.h5 member."""
    if path.endswith(".keras"):
        with zipfile.ZipFile(path) as z:
            members = {n: z.read(n) for n in z.namelist()}
        buf = io.BytesIO(members["model.weights.h5"])
        with h5py.File(buf, "r+") as f:
            desc = edit(f, rng)
        members["model.weights.h5"] = buf.getvalue()
        with zipfile.ZipFile(path, "w") as z:
            for n, data in members.items():
                z.writestr(n, data)
        return desc
    with h5py.File(path, "r+") as f:
        return edit(f, rng)


def m_flip_bytes(path, rng, folder):
    data = bytearray(open(path, "rb").read())
    n = rng.choice([1, 2, 5, 20, 100])
    for _ in range(n):
        data[rng.randrange(len(data))] = rng.randrange(256)
    open(path, "wb").write(bytes(data))
    return f"flip {n} bytes"


def m_flip_header(path, rng, folder):
    data = bytearray(open(path, "rb").read())
    lo = rng.randrange(0, min(len(data), 4096))
    for i in range(lo, min(len(data), lo + rng.choice([1, 4, 16]))):
        data[i] = rng.randrange(256)
    open(path, "wb").write(bytes(data))
    return f"flip bytes near offset {lo}"


def m_truncate(path, rng, folder):
    size = os.path.getsize(path)
    cut = rng.randrange(0, size)
    with open(path, "r+b") as fh:
        fh.truncate(cut)
    return f"truncate to {cut} of {size}"


def m_zero_block(path, rng, folder):
    data = bytearray(open(path, "rb").read())
    lo = rng.randrange(len(data))
    n = rng.choice([8, 64, 512, 4096])
    data[lo:lo + n] = bytes(min(n, len(data) - lo))
    open(path, "wb").write(bytes(data))
    return f"zero {n} bytes at {lo}"


def _attr_targets(f):
    targets = [(f, k) for k in f.attrs]
    for name in _objects(f):
        obj = f.get(name)
        if obj is not None:
            targets.extend((obj, k) for k in obj.attrs)
    return targets


def e_delete_attr(f, rng):
    targets = _attr_targets(f)
    if not targets:
        return "no attributes"
    obj, key = rng.choice(targets)
    del obj.attrs[key]
    return f"delete attribute {obj.name}@{key}"


WRONG_VALUES = [
    lambda r: 7, lambda r: -1.5, lambda r: np.arange(6).reshape(2, 3),
    lambda r: np.asarray([b"x" * 10] * 3), lambda r: b"\xff\xfe not utf8",
    lambda r: "{not json", lambda r: json.dumps({"class_name": "Sequential", "config": 5}),
    lambda r: json.dumps({"class_name": "Lambda", "config": {}}),
    lambda r: json.dumps([1, 2, 3]), lambda r: "[" * 5000 + "]" * 5000,
    lambda r: np.asarray([], dtype="float64"), lambda r: np.asarray([1.5, 2.5]),
    lambda r: np.asarray(["a/b", "../c", "", "//"], dtype=object),
    lambda r: np.zeros((3,), dtype=[("a", "i4"), ("b", "f4")]),
]


def e_wrong_attr(f, rng):
    targets = _attr_targets(f)
    if not targets:
        return "no attributes"
    obj, key = rng.choice(targets)
    value = rng.choice(WRONG_VALUES)(rng)
    del obj.attrs[key]
    obj.attrs[key] = value
    return f"attribute {obj.name}@{key} := {str(value)[:40]!r}"


def _datasets(f):
    return [n for n in _objects(f) if isinstance(f.get(n), h5py.Dataset)]


def _groups(f):
    return [n for n in _objects(f) if isinstance(f.get(n), h5py.Group)]


def e_delete_object(f, rng):
    names = _objects(f)
    if not names:
        return "empty file"
    name = rng.choice(names)
    if name in f:
        del f[name]
    return f"delete {name}"


def e_wrong_dtype(f, rng):
    names = _datasets(f)
    if not names:
        return "no datasets"
    name = rng.choice(names)
    shape = f[name].shape
    del f[name]
    kind = rng.choice(["str", "int", "complex", "compound", "bool", "float16", "shape",
                       "scalar", "empty", "vlen"])
    if kind == "str":
        f[name] = np.asarray([b"abc"] * 3)
    elif kind == "int":
        f.create_dataset(name, data=np.ones(shape, "int64"))
    elif kind == "complex":
        f.create_dataset(name, data=np.ones(shape, "complex64"))
    elif kind == "compound":
        f.create_dataset(name, data=np.zeros(shape, dtype=[("a", "f4"), ("b", "i2")]))
    elif kind == "bool":
        f.create_dataset(name, data=np.ones(shape, bool))
    elif kind == "float16":
        f.create_dataset(name, data=np.ones(shape, "float16"))
    elif kind == "shape":
        f.create_dataset(name, data=np.ones(tuple(s + 1 for s in shape) + (2,), "float32"))
    elif kind == "scalar":
        f.create_dataset(name, data=np.float32(3.0))
    elif kind == "empty":
        f.create_dataset(name, data=h5py.Empty("f4"))
    else:
        dt = h5py.vlen_dtype(np.dtype("float32"))
        ds = f.create_dataset(name, shape=(2,), dtype=dt)
        ds[0] = np.ones(3, "float32")
    return f"dataset {name} -> {kind}"


def e_huge_shape(f, rng):
    names = _datasets(f)
    if not names:
        return "no datasets"
    name = rng.choice(names)
    shape = f[name].shape
    del f[name]
    choice = rng.choice(["huge", "huge_same_rank", "many_dims", "resizable"])
    if choice == "huge":
        new = (2 ** 31, 2 ** 20)
    elif choice == "huge_same_rank":
        new = tuple(2 ** 24 for _ in shape) or (2 ** 34,)
    elif choice == "many_dims":
        new = (1024,) * 6
    else:
        new = tuple(s or 1 for s in shape) or (1,)
        f.create_dataset(name, shape=new, maxshape=(None,) * len(new), dtype="float32",
                         chunks=True)
        f[name].resize((2 ** 40,) + new[1:])
        return f"dataset {name} resized to 2**40 rows"
    f.create_dataset(name, shape=new, dtype="float32", chunks=(1,) * len(new))
    return f"dataset {name} declared {new}"


def e_link(f, rng):
    names = _objects(f)
    if not names:
        return "empty file"
    name = rng.choice(names)
    kind = rng.choice(["soft_dangling", "soft_inside", "soft_cycle", "external", "hard_other",
                       "external_passwd"])
    others = [n for n in names if n != name and not n.startswith(name + "/")]
    del f[name]
    if kind == "soft_dangling":
        f[name] = h5py.SoftLink("/nowhere/at/all")
    elif kind == "soft_inside" and others:
        f[name] = h5py.SoftLink("/" + rng.choice(others))
    elif kind == "soft_cycle":
        f[name] = h5py.SoftLink("/" + name)
    elif kind == "hard_other" and others and rng.choice(others) in f:
        f[name] = f[rng.choice([o for o in others if o in f] or ["/"])]
    elif kind == "external_passwd":
        f[name] = h5py.ExternalLink("/etc/passwd", "/x")
    else:
        f[name] = h5py.ExternalLink(f.filename if isinstance(f.filename, str) else "x.h5",
                                    "/" + name)
    return f"{name} -> {kind}"


def e_external_storage(f, rng):
    names = _datasets(f)
    if not names:
        return "no datasets"
    name = rng.choice(names)
    shape = f[name].shape
    dtype = f[name].dtype
    del f[name]
    nbytes = int(np.prod(shape)) * dtype.itemsize if dtype.kind in "fiub" else 8
    if rng.random() < 0.5:
        f.create_dataset(name, shape=shape, dtype=dtype,
                         external=[("/etc/passwd", 0, max(nbytes, 1))])
        return f"dataset {name} stored in /etc/passwd"
    layout = h5py.VirtualLayout(shape=shape or (1,), dtype="float32")
    layout[...] = h5py.VirtualSource("/etc/passwd", "x", shape=shape or (1,))
    f.create_virtual_dataset(name, layout)
    return f"dataset {name} virtual"


def _mutate_json(obj, rng, depth=0):
    """Change one thing somewhere in a JSON structure."""
    if isinstance(obj, dict) and obj:
        key = rng.choice(list(obj))
        action = rng.random()
        if action < 0.25 or depth > 12:
            del obj[key]
            return f"delete {key}"
        if action < 0.55 and isinstance(obj[key], (dict, list)) and obj[key]:
            return f"{key}." + _mutate_json(obj[key], rng, depth + 1)
        obj[key] = rng.choice([None, -1, 0, 2 ** 40, 10 ** 9, 1e308, "x", "Lambda", [],
                               {}, [None, 2 ** 31], {"class_name": "Unknown"}, True,
                               [[[]]], "../../etc/passwd", {"class_name": "__tuple__"},
                               {"class_name": "__lambda__", "config": {"code": "AAAA"}}])
        return f"{key} := {str(obj[key])[:30]}"
    if isinstance(obj, list) and obj:
        i = rng.randrange(len(obj))
        if rng.random() < 0.3:
            del obj[i]
            return f"del [{i}]"
        if isinstance(obj[i], (dict, list)) and obj[i]:
            return f"[{i}]." + _mutate_json(obj[i], rng, depth + 1)
        obj[i] = rng.choice([None, -5, 2 ** 33, "zz", [1, 2], {"a": 1}])
        return f"[{i}] := {str(obj[i])[:30]}"
    return "nothing"


def m_json(path, rng, folder):
    """Mutate model_config / training_config / config.json / compile_config."""
    if path.endswith(".keras"):
        with zipfile.ZipFile(path) as z:
            members = {n: z.read(n) for n in z.namelist()}
        cfg = json.loads(members["config.json"])
        desc = _mutate_json(cfg, rng)
        members["config.json"] = json.dumps(cfg).encode()
        with zipfile.ZipFile(path, "w") as z:
            for n, data in members.items():
                z.writestr(n, data)
        return "config.json " + desc
    with h5py.File(path, "r+") as f:
        keys = [k for k in ("model_config", "training_config", "minikeras_compile_config",
                            "minikeras_optimizer_config") if k in f.attrs]
        if not keys:
            return m_flip_bytes(path, rng, folder)
        key = rng.choice(keys)
        cfg = json.loads(f.attrs[key])
        desc = _mutate_json(cfg, rng)
        f.attrs[key] = json.dumps(cfg)
    return f"{key} " + desc


def m_zip(path, rng, folder):
    if not path.endswith(".keras"):
        return m_flip_bytes(path, rng, folder)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    action = rng.choice(["drop", "garbage", "rename", "deflate_bomb", "empty_weights",
                         "weights_not_h5", "duplicate"])
    name = rng.choice(sorted(members))
    compression = zipfile.ZIP_STORED
    if action == "drop":
        del members[name]
    elif action == "garbage":
        members[name] = bytes(rng.randrange(256) for _ in range(rng.choice([0, 10, 5000])))
    elif action == "rename":
        members["../" + name] = members.pop(name)
    elif action == "deflate_bomb":
        members[name] = members[name] + b" " * (24 * 2 ** 20)
        compression = zipfile.ZIP_DEFLATED
    elif action == "empty_weights":
        members["model.weights.h5"] = b""
    elif action == "weights_not_h5":
        members["model.weights.h5"] = members["config.json"]
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        for n, data in members.items():
            z.writestr(n, data)
        if action == "duplicate":
            with pytest.warns(UserWarning):
                z.writestr(name, b"{}")
    return f"zip {action} {name}"


H5_EDITS = [e_delete_attr, e_wrong_attr, e_delete_object, e_wrong_dtype, e_huge_shape,
            e_link, e_external_storage]


def _mutators():
    byte_level = [m_flip_bytes, m_flip_header, m_truncate, m_zero_block]
    h5_level = [lambda p, r, d, e=e: _with_h5(p, r, e) for e in H5_EDITS]
    return byte_level * 2 + h5_level * 3 + [m_json] * 4 + [m_zip] * 2


# --- the child that loads ------------------------------------------------------------------

def _load(path, kind, builder):
    if kind == "model":
        model = keras.models.load_model(path)
        model.predict(np.zeros((2,) + tuple(model.input_shape[1:]), "float32"), verbose=0)
        return
    model = _seq() if builder == "seq" else _func()
    model.load_weights(path)


def _child(variants, write_fd):
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        with open("/proc/self/statm") as fh:
            vm_bytes = int(fh.read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (vm_bytes + MEMORY_HEADROOM, hard))
        import warnings

        warnings.simplefilter("ignore")
        out = os.fdopen(write_fd, "w", buffering=1)
        for i, (path, kind, builder, _) in enumerate(variants):
            out.write(json.dumps({"i": i, "start": True}) + "\n")
            t0 = time.perf_counter()
            try:
                _load(path, kind, builder)
                outcome, msg = "ok", ""
            except (ValueError, OSError) as e:
                outcome, msg = type(e).__mro__[[c in (ValueError, OSError) for c in
                                                type(e).__mro__].index(True)].__name__, str(e)
            except BaseException as e:  # noqa: BLE001 - the point of the test
                outcome, msg = f"ESCAPED {type(e).__name__}", repr(e)[:500]
            out.write(json.dumps({"i": i, "outcome": outcome, "msg": msg[:300],
                                  "t": time.perf_counter() - t0}) + "\n")
        usage = resource.getrusage(resource.RUSAGE_SELF)
        out.write(json.dumps({"done": True, "maxrss_kb": usage.ru_maxrss}) + "\n")
        out.flush()
    finally:
        os._exit(0)


def test_fuzzed_files_load_or_fail_cleanly(tmp_path):
    seed = int(os.environ.get("MINIKERAS_FUZZ_SEED", "20261126"))
    rng = random.Random(seed)
    t_start = time.perf_counter()
    sources = _sources(str(tmp_path))
    mutators = _mutators()
    variants = []
    for n in range(N_VARIANTS):
        src, kind, builder = sources[n % len(sources)]
        base, ext = os.path.splitext(os.path.basename(src))
        if src.endswith(".weights.h5"):
            base, ext = base[:-len(".weights")], ".weights.h5"
        path = str(tmp_path / f"v{n:04d}_{base}{ext}")
        shutil.copy(src, path)
        mutate = rng.choice(mutators)
        try:
            desc = mutate(path, rng, str(tmp_path))
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as e:
            desc = f"mutation itself failed ({type(e).__name__}); file as copied/partial"
        variants.append((path, kind, builder, desc))
    t_generated = time.perf_counter()

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(variants, write_fd)
    os.close(write_fd)
    results: dict = {}
    current = None
    buffer = b""
    final = None
    hang = None
    deadline = time.monotonic() + DEADLINE
    while final is None:
        ready, _, _ = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            hang = current
            os.kill(pid, signal.SIGKILL)
            break
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            msg = json.loads(line)
            if msg.get("done"):
                final = msg
            elif msg.get("start"):
                current = msg["i"]
                deadline = time.monotonic() + DEADLINE
            else:
                results[msg["i"]] = msg
    os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - t_start

    if hang is not None:
        pytest.fail(f"loading variant {hang} hung ({variants[hang][3]}, {variants[hang][0]})")
    if final is None:
        i = current
        pytest.fail(f"the loading process died (status {status}) at variant {i}: "
                    f"{variants[i][3] if i is not None else '?'}")
    assert len(results) == N_VARIANTS
    counts: dict = {}
    for r in results.values():
        counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    escaped = {i: (variants[i][3], r["outcome"], r["msg"]) for i, r in results.items()
               if r["outcome"] not in ("ok", "ValueError", "OSError")}
    unclear = {i: (variants[i][3], r["msg"]) for i, r in results.items()
               if r["outcome"] != "ok" and len(r["msg"].strip()) < 20}
    slowest = max(results.values(), key=lambda r: r["t"])
    print(f"\nseed {seed}: {N_VARIANTS} variants of {len(sources)} files: {counts}; generated in "
          f"{t_generated - t_start:.1f} s, total {elapsed:.1f} s; slowest load "
          f"{slowest['t']:.2f} s; child max RSS {final['maxrss_kb'] / 1024:.0f} MB")
    assert not escaped, escaped
    assert not unclear, unclear
    assert counts.get("ok", 0) > 20 and counts.get("ValueError", 0) > 100
    assert final["maxrss_kb"] < 512 * 1024  # MB: no load allocated what a file declared
