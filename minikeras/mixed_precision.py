"""Keras 3's legacy `keras.mixed_precision` namespace (the names Keras 2 used), mapped to
the dtype policies of `minikeras.dtype_policies`."""

from minikeras.dtype_policies import DTypePolicy, dtype_policy, set_dtype_policy
from minikeras.optimizers.loss_scale_optimizer import LossScaleOptimizer

Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy

__all__ = ["DTypePolicy", "Policy", "dtype_policy", "global_policy", "set_dtype_policy",
           "set_global_policy", "LossScaleOptimizer"]
