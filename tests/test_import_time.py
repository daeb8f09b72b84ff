"""`import minikeras` loads nothing until used (issue 12: import time). A new eager import in
minikeras/__init__.py would bring the cost back: add the module to its lazy tables
(`_SUBMODULES`, `_NAMES`) instead."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _loaded_after(code):
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sorted("
                          "m for m in sys.modules if m.startswith(('minikeras', 'h5py')))))"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_minikeras_loads_no_submodule():
    assert _loaded_after("import minikeras") == {"minikeras"}


def test_names_load_on_first_use_and_saving_stays_unloaded():
    loaded = _loaded_after("import minikeras as keras\nkeras.Sequential\nkeras.layers.Dense\n"
                           "keras.optimizers.SGD\nkeras.DTypePolicy")
    assert "minikeras.models.sequential" in loaded
    assert "minikeras.dtype_policies" in loaded
    # the file formats (and h5py) load when a model is saved or loaded
    assert not any(m.startswith("h5py") or m in ("minikeras.saving.saving_api",
                                                 "minikeras.saving.h5_io")
                   for m in loaded), sorted(loaded)
