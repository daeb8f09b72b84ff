"""The autodiff engine: `Tensor`, `Variable`, the primitives and `gradients`."""

from minikeras.autodiff.tensor import (  # noqa: F401
    Tape,
    Tensor,
    Variable,
    gradients,
    is_recording,
    no_grad,
    watch,
)
from minikeras.autodiff import primitives  # noqa: F401,E402  (installs Tensor's operators)
