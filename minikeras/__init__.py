"""minikeras: the Keras training API on NumPy. Use it as `import minikeras as keras`."""

from minikeras import (  # noqa: F401
    activations,
    backend,
    callbacks,
    config,
    constraints,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    random,
    regularizers,
    saving,
    utils,
)
# --- data in, results out (issue 10, branch `data`) ---
from minikeras import datasets, preprocessing  # noqa: F401,E402

from minikeras.autodiff.tensor import Variable  # noqa: F401
from minikeras.initializers import Initializer  # noqa: F401
from minikeras.layers import Input, KerasTensor, Layer  # noqa: F401
from minikeras.losses import Loss  # noqa: F401
from minikeras.metrics import Metric  # noqa: F401
from minikeras.models import Model, Sequential  # noqa: F401
from minikeras.optimizers import Optimizer  # noqa: F401
from minikeras.regularizers import Regularizer  # noqa: F401
from minikeras.saving import load_model  # noqa: F401

# dtype policies (branch `policy`)
from minikeras import dtype_policies, mixed_precision, tree  # noqa: F401,E402
from minikeras.dtype_policies import DTypePolicy, FloatDTypePolicy  # noqa: F401,E402

__version__ = "0.1.0"


def version() -> str:
    """minikeras' version (Keras 3 has `keras.version()`)."""
    return __version__


def __getattr__(name: str):
    # `keras.wrappers` imports scikit-learn (about a second): loaded on first use only.
    if name == "wrappers":
        import importlib

        return importlib.import_module("minikeras.wrappers")
    raise AttributeError(f"module 'minikeras' has no attribute {name!r}")
