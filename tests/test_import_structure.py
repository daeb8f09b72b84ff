"""The import graph stays layered (issue 11, "Structure first"): `autodiff/tensor.py` does
not import `autodiff/primitives.py` (primitives install Tensor's operators), `random.py`
does not import `initializers.py`, and `models/` imports from `saving/` only the object
registry/serialization and the file API it delegates `save`/`load_model` to: the
model-config forms live in `models/config_forms.py`, which the file formats import.
Checked on the source, every import statement included (also those inside functions)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "minikeras"


def imported_modules(path: Path) -> set:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def test_tensor_does_not_import_primitives():
    assert not any("primitives" in m for m in imported_modules(ROOT / "autodiff" / "tensor.py"))


def test_random_does_not_import_initializers():
    assert not any("initializers" in m for m in imported_modules(ROOT / "random.py"))


def test_models_do_not_import_file_formats():
    allowed = {"object_registry", "serialization", "saving_api"}
    for path in (ROOT / "models").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and \
                    node.module.startswith("minikeras.saving"):
                parts = node.module.split(".")
                used = [parts[2]] if len(parts) > 2 else [a.name for a in node.names]
                assert set(used) <= allowed, f"{path.name} imports {node.module} {used}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    parts = a.name.split(".")
                    if a.name.startswith("minikeras.saving"):
                        assert len(parts) > 2 and parts[2] in allowed, (path.name, a.name)


FIRST_TOUCH_CODE = r'''
import importlib, sys
import minikeras
entries = [("minikeras", n) for n in sorted(set(minikeras._NAMES) | set(minikeras._SUBMODULES)
                                            - {"wrappers"})]
import minikeras.saving as s
entries += [("minikeras.saving", n) for n in sorted(s._NAMES)]
entries += [("minikeras.models", n) for n in ("load_model", "save_model", "Sequential")]
entries += [("minikeras.utils", n) for n in ("serialize_keras_object", "to_categorical",
                                             "plot_model", "get_file")]
entries += [("minikeras.layers", n) for n in ("RandomFlip", "TextVectorization", "Hashing",
                                              "MultiHeadAttention", "EinsumDense")]
failed = []
for module, name in entries:
    for key in [k for k in sys.modules if k == "minikeras" or k.startswith("minikeras.")]:
        del sys.modules[key]
    try:
        getattr(importlib.import_module(module), name)
    except Exception as e:  # report them all
        failed.append(f"{module}.{name}: {type(e).__name__}: {e}")
# a layer that loads on first use, built from a config before anything touched its name
for key in [k for k in sys.modules if k == "minikeras" or k.startswith("minikeras.")]:
    del sys.modules[key]
import minikeras
try:
    minikeras.layers.deserialize({"class_name": "MultiHeadAttention",
                                  "config": {"num_heads": 2, "key_dim": 4}})
except Exception as e:
    failed.append(f"deserialize MultiHeadAttention first: {type(e).__name__}: {e}")
print("\n".join(failed) or "OK")
'''


def test_every_public_entry_point_can_be_the_first_thing_a_script_touches():
    """A script's first `keras.saving.serialize_keras_object` (or any public name) in a fresh
    interpreter: no import cycle whatever order the lazy modules load in."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", FIRST_TOUCH_CODE], capture_output=True,
                         text=True, cwd=ROOT.parent, timeout=300)
    assert out.stdout.strip() == "OK", out.stdout + out.stderr[-2000:]
