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
