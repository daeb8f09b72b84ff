"""minikeras: the Keras training API on NumPy. Use it as `import minikeras as keras`.

The submodules and the top-level names load on first use (PEP 562), so that
`import minikeras` costs little and a script pays only for what it touches (saving and
h5py, metrics, the ops tables...). `dir(minikeras)` lists them all.
"""

from __future__ import annotations

import importlib as _importlib

# dtype policies (branch `policy`)
__version__ = "0.1.0"

# `keras.<module>`: loaded on first attribute access.
_SUBMODULES = (
    "activations", "backend", "callbacks", "config", "constraints", "initializers", "layers",
    "losses", "metrics", "models", "ops", "optimizers", "random", "regularizers", "saving",
    "utils",
    # --- data in, results out (issue 10, branch `data`) ---
    "datasets", "preprocessing",
    # `keras.wrappers` imports scikit-learn (about a second)
    "wrappers",
    # --- dtype policies (branch `policy`) ---
    "dtype_policies", "mixed_precision", "tree",
)

# `keras.<Name>`: (module, attribute), loaded on first access.
_NAMES = {
    "Variable": ("minikeras.autodiff.tensor", "Variable"),
    "Initializer": ("minikeras.initializers", "Initializer"),
    "Input": ("minikeras.layers", "Input"),
    "KerasTensor": ("minikeras.layers", "KerasTensor"),
    "Layer": ("minikeras.layers", "Layer"),
    "Loss": ("minikeras.losses", "Loss"),
    "Metric": ("minikeras.metrics", "Metric"),
    "Model": ("minikeras.models", "Model"),
    "Sequential": ("minikeras.models", "Sequential"),
    "Optimizer": ("minikeras.optimizers", "Optimizer"),
    "Regularizer": ("minikeras.regularizers", "Regularizer"),
    "load_model": ("minikeras.saving", "load_model"),
    # --- dtype policies (branch `policy`) ---
    "DTypePolicy": ("minikeras.dtype_policies", "DTypePolicy"),
    "FloatDTypePolicy": ("minikeras.dtype_policies", "FloatDTypePolicy"),
}


def version() -> str:
    """minikeras' version (Keras 3 has `keras.version()`)."""
    return __version__


def __getattr__(name: str):
    if name in _NAMES:
        module, attr = _NAMES[name]
        value = getattr(_importlib.import_module(module), attr)
    elif name in _SUBMODULES:
        value = _importlib.import_module(f"minikeras.{name}")
    else:
        raise AttributeError(f"module 'minikeras' has no attribute {name!r}")
    globals()[name] = value  # later accesses skip this function
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_NAMES) | set(_SUBMODULES))
