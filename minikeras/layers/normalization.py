"""`BatchNormalization`: normalise each feature by batch statistics in training and by
moving averages of them at inference, as Keras 3 does.

Training (`training=True` and the layer trainable):
    y = gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta
with the biased batch variance, and the moving statistics updated in place:
    moving = moving * momentum + batch_statistic * (1 - momentum).
Inference (`training=False`, or a frozen layer, `trainable=False`):
    y = gamma * (x - moving_mean) / sqrt(moving_variance + epsilon) + beta.

`LayerNormalization`, `UnitNormalization` and `RMSNormalization` (at the end of the file)
normalise each sample on its own, over `axis`, the same in training and at inference.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from minikeras import constraints, initializers, regularizers
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor, record
from minikeras.layers.layer import Layer


def _ser(obj: Any) -> Any:
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(obj)


def batch_norm_train(x: Tensor, gamma: Tensor | None, beta: Tensor | None, axes: tuple,
                     param_shape: tuple, epsilon: float) -> tuple:
    """The training-mode transform as one primitive: returns (y, batch_mean, batch_var).

    `axes` are the reduced axes, `param_shape` the broadcast shape of gamma/beta. The
    gradient flows to x (through the batch statistics too), gamma and beta; the returned
    statistics are plain arrays for the moving-average update.
    """
    v = x.value
    mean = v.mean(axis=axes, keepdims=True)
    centered = v - mean
    var = np.square(centered).mean(axis=axes, keepdims=True)
    inv = 1.0 / np.sqrt(var + v.dtype.type(epsilon))
    xhat = centered * inv
    g_val = gamma.value.reshape(param_shape) if gamma is not None else None
    out = xhat * g_val if g_val is not None else xhat
    if beta is not None:
        out = out + beta.value.reshape(param_shape)
    parents = tuple(p for p in (x, gamma, beta) if p is not None)
    has_gamma, has_beta = gamma is not None, beta is not None

    def backward(g):
        dxhat = g * g_val if has_gamma else g
        dx = inv * (dxhat - dxhat.mean(axis=axes, keepdims=True) -
                    xhat * (dxhat * xhat).mean(axis=axes, keepdims=True))
        grads = [dx]
        if has_gamma:
            grads.append((g * xhat).sum(axis=axes).reshape(gamma.shape))
        if has_beta:
            grads.append(g.sum(axis=axes).reshape(beta.shape))
        return grads

    y = record(np.asarray(out, dtype=v.dtype), parents, backward)
    return y, mean.reshape(-1), var.reshape(-1)


class BatchNormalization(Layer):
    """Keras 3's `BatchNormalization(axis=-1, momentum=0.99, epsilon=1e-3, center=True,
    scale=True, ...)`. Weights, in order: gamma, beta (trainable), moving_mean,
    moving_variance (non-trainable). `axis` may also be a list (Keras 2 configs store
    `[axis]`)."""

    def __init__(self, axis: Any = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", moving_mean_initializer: Any = "zeros",
                 moving_variance_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, renorm: bool = False,
                 renorm_clipping: Any = None, renorm_momentum: float = 0.99,
                 synchronized: bool = False, **kwargs: Any) -> None:
        # Keras 2 configs may carry these; they change nothing for a single device.
        for dropped in ("fused", "virtual_batch_size", "adjustment"):
            value = kwargs.pop(dropped, None)
            if dropped != "fused" and value is not None:
                raise ValueError(f"BatchNormalization: `{dropped}` is not supported by "
                                 "minikeras")
        if renorm:  # Keras 3's checks of the clipping bounds
            renorm_clipping = dict(renorm_clipping or {})
            keys = ["rmax", "rmin", "dmax"]
            if set(renorm_clipping) - set(keys):
                raise ValueError("Received invalid keys for `renorm_clipping` argument: "
                                 f"{renorm_clipping}. Supported values: {keys}.")
            rmax, rmin = renorm_clipping.get("rmax"), renorm_clipping.get("rmin")
            dmax = renorm_clipping.get("dmax")
            if rmax is not None and rmin is not None and rmax < rmin:
                raise ValueError("rmax should be greater than rmin in the `renorm_clipping` "
                                 f"argument. Received: rmax={rmax}, rmin={rmin}.")
            if dmax is not None and dmax < 0:
                raise ValueError("dmax should be non-negative in the `renorm_clipping` "
                                 f"argument. Received: dmax={dmax}.")
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if not axis or not all(isinstance(a, (int, np.integer)) for a in axis):
                raise TypeError(f"BatchNormalization: `axis` must be an int or a list of ints, "
                                f"got axis={axis!r}")
            axis = int(axis[0]) if len(axis) == 1 else [int(a) for a in axis]
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            axis = int(axis)
        else:
            raise TypeError(f"BatchNormalization: `axis` must be an int, got axis={axis!r}")
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        if not self.epsilon > 0:
            raise ValueError(f"BatchNormalization: `epsilon` must be > 0, got "
                             f"epsilon={epsilon!r}")
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.renorm = bool(renorm)
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = float(renorm_momentum)
        # synchronized: statistics across devices; on one device, ordinary statistics
        # (Keras' JAX backend refuses it; its TensorFlow backend accepts it)
        self.synchronized = bool(synchronized)
        self.supports_masking = True
        self.gamma = None
        self.beta = None
        self.moving_mean = None
        self.moving_variance = None

    def _axes_for(self, ndim: int) -> tuple:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        out = []
        for a in axes:
            if not -ndim <= a < ndim:
                raise ValueError(f"BatchNormalization {self.name!r}: axis {a} is out of bounds "
                                 f"for inputs of rank {ndim}")
            out.append(a % ndim)
        if len(set(out)) != len(out):
            raise ValueError(f"BatchNormalization {self.name!r}: duplicate axes in "
                             f"axis={self.axis!r}")
        return tuple(sorted(out))

    def build(self, input_shape: tuple) -> None:
        ndim = len(input_shape)
        kept = self._axes_for(ndim)
        for a in kept:
            if input_shape[a] is None:
                raise ValueError(f"BatchNormalization {self.name!r}: axis {a} of the input must "
                                 f"have a known size, got input shape {tuple(input_shape)}")
        shape = tuple(int(input_shape[a]) for a in kept)
        if self.scale:
            self.gamma = self.add_weight(shape=shape, name="gamma",
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint, trainable=True)
        if self.center:
            self.beta = self.add_weight(shape=shape, name="beta",
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, trainable=True)
        # (the moving statistics stay in the variable dtype under a mixed policy, as Keras)
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean",
                                           initializer=self.moving_mean_initializer,
                                           trainable=False, autocast=False)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance",
                                               initializer=self.moving_variance_initializer,
                                               trainable=False, autocast=False)
        if self.renorm:
            # Keras 3 tracks the moving standard deviation (initialised as the square root
            # of the variance initializer's values) and the renorm mean and deviation
            std = np.sqrt(np.asarray(self.moving_variance.value))
            self.moving_stddev = self.add_weight(shape=shape, name="moving_stddev",
                                                 initializer=lambda *a, **k: std.copy(),
                                                 trainable=False, autocast=False)
            self.renorm_mean = self.add_weight(shape=shape, name="renorm_mean",
                                               initializer=self.moving_mean_initializer,
                                               trainable=False, autocast=False)
            self.renorm_stddev = self.add_weight(shape=shape, name="renorm_stddev",
                                                 initializer=lambda *a, **k: std.copy(),
                                                 trainable=False, autocast=False)
        self._ndim = ndim
        self._kept = kept
        self._input_sizes = {a: int(input_shape[a]) for a in kept}
        self._reduction_axes = tuple(d for d in range(ndim) if d not in kept)
        self._param_shape = tuple(input_shape[d] if d in kept else 1 for d in range(ndim))
        self.built = True

    def _check(self, inputs: Tensor) -> None:
        if inputs.ndim != self._ndim or any(inputs.shape[a] != n
                                            for a, n in self._input_sizes.items()):
            raise ValueError(f"Input 0 of layer {self.name!r} is incompatible with the layer: "
                             f"expected rank {self._ndim} with axis "
                             f"{', '.join(f'{a}={n}' for a, n in self._input_sizes.items())}, "
                             f"but received input with shape {inputs.shape}")

    def call(self, inputs: Tensor, training: bool = False, mask: Any = None) -> Tensor:
        self._check(inputs)
        if mask is not None:
            mask = np.asarray(mask.value if isinstance(mask, Tensor) else mask)
            if mask.ndim != inputs.ndim - 1:
                raise ValueError("The mask provided should be one dimension less than the "
                                 f"inputs. Received: mask.shape={mask.shape}, "
                                 f"inputs.shape={inputs.shape}")
        if inputs.dtype.kind != "f":
            inputs = P.cast(inputs, self.dtype)
        if inputs.dtype == np.float16:
            # as Keras: float16 statistics overflow, so they are computed in float32
            out = self.call(P.cast(inputs, np.float32), training, mask)
            return P.cast(out, np.float16)
        if training and self.trainable and (mask is not None or self.renorm):
            return self._train_general(inputs, mask)
        if training and self.trainable:
            out, mean, var = batch_norm_train(inputs, self.gamma, self.beta,
                                              self._reduction_axes, self._param_shape,
                                              self.epsilon)
            m = self.momentum
            for stat, batch in ((self.moving_mean, mean), (self.moving_variance, var)):
                old = stat.value
                stat.assign(old * old.dtype.type(m) +
                            batch.astype(old.dtype).reshape(old.shape) *
                            old.dtype.type(1.0 - m))
            return out
        return self._inference(inputs)

    def _train_general(self, x: Tensor, mask: Any) -> Tensor:
        """Training with a mask (statistics over the unmasked entries, Keras 3's formula
        with its epsilon 1e-7 in the denominators) or with batch renormalization (the
        batch statistics corrected by r and d, which carry no gradient), written with
        primitives so the gradient flows through the statistics as in JAX."""
        axes, shape = self._reduction_axes, self._param_shape
        dt = x.value.dtype
        if mask is None:
            mean = P.mean(x, axis=axes, keepdims=True)
            var = P.mean(P.square(P.subtract(x, mean)), axis=axes, keepdims=True)
        else:
            keep = np.broadcast_to(np.expand_dims(mask.astype(bool), -1), x.shape)
            weight = keep.astype(dt).sum(axis=axes, keepdims=True) + dt.type(1e-7)
            mean = P.divide(P.sum(P.where(keep, x, 0.0), axis=axes, keepdims=True), weight)
            diff = P.where(keep, P.subtract(x, mean), 0.0)
            var = P.divide(P.sum(P.square(diff), axis=axes, keepdims=True), weight)
        gamma = None if self.gamma is None else P.reshape(self.gamma, shape)
        beta = None if self.beta is None else P.reshape(self.beta, shape)
        mean_v, var_v = mean.value.reshape(-1), var.value.reshape(-1)
        eps = dt.type(self.epsilon)
        if self.renorm:
            stddev = np.sqrt(var_v + eps)
            renorm_mean = self.renorm_mean.value.astype(dt)
            renorm_std = np.maximum(self.renorm_stddev.value.astype(dt), np.sqrt(eps))
            r = stddev / renorm_std
            d = (mean_v - renorm_mean) / renorm_std
            clip = self.renorm_clipping or {}
            if clip.get("rmin") is not None:
                r = np.maximum(r, dt.type(clip["rmin"]))
            if clip.get("rmax") is not None:
                r = np.minimum(r, dt.type(clip["rmax"]))
            if clip.get("dmax") is not None:
                r_d = dt.type(clip["dmax"])
                d = np.clip(d, -r_d, r_d)
            r, d = r.reshape(shape).astype(dt), d.reshape(shape).astype(dt)
            new_beta: Any = P.multiply(gamma, d) if gamma is not None else d
            gamma = P.multiply(gamma, r) if gamma is not None else r
            beta = P.add(new_beta, beta) if beta is not None else new_beta
            self._update_renorm_statistics(mean_v, stddev)
        else:
            m = dt.type(self.momentum)
            for stat, batch in ((self.moving_mean, mean_v), (self.moving_variance, var_v)):
                old = stat.value
                stat.assign(old * m + batch.astype(old.dtype).reshape(old.shape) *
                            (dt.type(1) - m))
        # Keras' batch_normalization: x * inv + (offset - mean * inv),
        # inv = scale / sqrt(var + eps)
        inv: Any = P.divide(1.0, P.sqrt(P.add(var, eps)))
        if gamma is not None:
            inv = P.multiply(inv, gamma)
        res = P.negative(P.multiply(mean, inv))
        if beta is not None:
            res = P.add(res, beta)
        return P.add(P.multiply(x, inv), res)

    def _update_renorm_statistics(self, mean: np.ndarray, stddev: np.ndarray) -> None:
        """Keras 3: the renorm mean/stddev move with `renorm_momentum`, the moving mean and
        stddev with `momentum`; moving_variance = relu(moving_stddev**2 - epsilon)."""
        def move(var: Any, value: np.ndarray, momentum: float) -> np.ndarray:
            old = var.value
            t = old.dtype.type
            new = old * t(momentum) + value.astype(old.dtype).reshape(old.shape) * \
                (t(1) - t(momentum))
            var.assign(new)
            return new

        move(self.renorm_mean, mean, self.renorm_momentum)
        move(self.renorm_stddev, stddev, self.renorm_momentum)
        move(self.moving_mean, mean, self.momentum)
        std = move(self.moving_stddev, stddev, self.momentum)
        t = std.dtype.type
        self.moving_variance.assign(np.maximum(std * std - t(self.epsilon), t(0)))

    def _inference(self, inputs: Tensor) -> Tensor:
        """x * inv + (beta - moving_mean * inv), inv = gamma / sqrt(moving_variance + eps),
        written with primitives so that gamma and beta still get gradients."""
        dtype = inputs.dtype
        inv_std = (1.0 / np.sqrt(self.moving_variance.value.astype(dtype) +
                                 dtype.type(self.epsilon))).reshape(self._param_shape)
        mean = self.moving_mean.value.astype(dtype).reshape(self._param_shape)
        if self.gamma is not None:
            gamma = self.gamma if self.gamma.shape == self._param_shape else \
                P.reshape(self.gamma, self._param_shape)
            inv: Any = P.multiply(gamma, inv_std)
        else:
            inv = inv_std
        offset = P.negative(P.multiply(inv, mean)) if isinstance(inv, Tensor) else -mean * inv
        if self.beta is not None:
            beta = self.beta if self.beta.shape == self._param_shape else \
                P.reshape(self.beta, self._param_shape)
            offset = P.add(offset, beta)
        return P.add(P.multiply(inputs, inv), offset)

    def compute_output_shape(self, input_shape: Any) -> Any:
        self._axes_for(len(input_shape))
        return tuple(input_shape)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": _ser(self.beta_initializer),
            "gamma_initializer": _ser(self.gamma_initializer),
            "moving_mean_initializer": _ser(self.moving_mean_initializer),
            "moving_variance_initializer": _ser(self.moving_variance_initializer),
            "beta_regularizer": _ser(self.beta_regularizer),
            "gamma_regularizer": _ser(self.gamma_regularizer),
            "beta_constraint": _ser(self.beta_constraint),
            "gamma_constraint": _ser(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        })
        return cfg


# --- per-sample normalisation: LayerNormalization, UnitNormalization, RMSNormalization --

def _axis_arg(cls_name: str, axis: Any) -> Any:
    """Check a constructor's `axis`: an int stays an int, a list/tuple of ints becomes a
    list (as Keras 3 keeps them until `build`)."""
    def is_int(a: Any) -> bool:
        return isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))

    if isinstance(axis, (list, tuple)):
        if not axis or not all(is_int(a) for a in axis):
            raise TypeError(f"{cls_name}: `axis` must be an int or a non-empty list/tuple of "
                            f"ints, got axis={axis!r}")
        return [int(a) for a in axis]
    if not is_int(axis):
        raise TypeError(f"{cls_name}: `axis` must be an int or a list/tuple of ints, got "
                        f"axis={axis!r}")
    return int(axis)


def _check_axes(layer: Layer, axes: list, ndim: int) -> list:
    """The axes as non-negative ints, after checking them against an input of rank `ndim`."""
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{type(layer).__name__} {layer.name!r}: axis {a} is out of bounds "
                             f"for an input of rank {ndim}; got axis={layer.axis!r}")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: axis={layer.axis!r} names "
                         "the same dimension twice")
    return out


def _epsilon_arg(cls_name: str, epsilon: Any) -> float:
    if isinstance(epsilon, (bool, np.bool_)) or not isinstance(epsilon, (int, float, np.number)):
        raise TypeError(f"{cls_name}: `epsilon` must be a number, got epsilon={epsilon!r}")
    if not float(epsilon) >= 0:
        raise ValueError(f"{cls_name}: `epsilon` must be >= 0, got epsilon={epsilon!r}")
    return float(epsilon)


def _flag_arg(cls_name: str, name: str, value: Any) -> bool:
    """A boolean option; a string such as "False" would silently mean True, so refuse it."""
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, (int, np.integer))
                                               and value in (0, 1)):
        return bool(value)
    raise TypeError(f"{cls_name}: `{name}` must be True or False, got {name}={value!r}")


class _AxisNorm(Layer):
    """Shared plumbing of the layers that normalise each sample over `axis`: the weight
    shape and the broadcast shape of the weights, computed at build."""

    def _resolve(self, input_shape: tuple) -> tuple:
        """Keras 3's weight shape: the input sizes over the sorted axes (as written), and
        `self.axis` becomes that sorted list, as Keras 3 stores it after build."""
        ndim = len(input_shape)
        axes = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        dims = _check_axes(self, axes, ndim)
        for a in dims:
            if input_shape[a] is None:
                raise ValueError(f"{type(self).__name__} {self.name!r}: axis {a} of the input "
                                 f"must have a known size, got input shape "
                                 f"{tuple(input_shape)}")
        self.axis = axes
        self._ndim = ndim
        self._reduce = tuple(sorted(dims))
        broadcast = [1] * ndim
        for a in dims:
            broadcast[a] = int(input_shape[a])
        self._param_shape = tuple(broadcast)
        return tuple(int(input_shape[a]) for a in dims)

    def _weight(self, w: Tensor) -> Tensor:
        """A weight reshaped to broadcast against the inputs (Keras 3 reshapes it the same
        way, unless the only axis is the last one)."""
        return w if w.shape == self._param_shape or self._reduce == (self._ndim - 1,) \
            else P.reshape(w, self._param_shape)

    def _inputs(self, inputs: Tensor) -> Tensor:
        if inputs.ndim != self._ndim:
            raise ValueError(f"Input 0 of layer {self.name!r} is incompatible with the layer: "
                             f"expected rank {self._ndim}, got input with shape {inputs.shape}")
        if any(inputs.shape[a] != self._param_shape[a] for a in self._reduce):
            raise ValueError(f"Input 0 of layer {self.name!r} is incompatible with the layer: "
                             f"expected sizes {self._param_shape} on axes {self._reduce}, got "
                             f"input with shape {inputs.shape}")
        return inputs if inputs.dtype.kind == "f" else P.cast(inputs, self.dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        _check_axes(self, axes, len(input_shape))
        return tuple(input_shape)


class LayerNormalization(_AxisNorm):
    """Keras 3's `LayerNormalization(axis=-1, epsilon=1e-3, center=True, scale=True, ...)`:
    each sample is normalised by its own mean and (biased) variance over `axis`,

        y = gamma * (x - mean) / sqrt(var + epsilon) + beta,

    with one gamma and beta per position of `axis` (weights in order gamma, beta).
    `rms_scaling=True` (deprecated in Keras 3, kept for its configs) keeps gamma, drops beta
    and does not subtract the mean: y = gamma * x / sqrt(var + epsilon)."""

    def __init__(self, axis: Any = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any) -> None:
        name = "LayerNormalization"
        rms_scaling = _flag_arg(name, "rms_scaling", kwargs.pop("rms_scaling", False))
        if rms_scaling:
            warnings.warn("LayerNormalization(rms_scaling=True) is deprecated in Keras 3: it "
                          "divides by the standard deviation, not the root mean square. "
                          "keras.layers.RMSNormalization is the RMS normalisation.",
                          stacklevel=2)
        super().__init__(**kwargs)
        self.axis = _axis_arg(name, axis)
        self.epsilon = _epsilon_arg(name, epsilon)
        self.center = _flag_arg(name, "center", center)
        self.scale = _flag_arg(name, "scale", scale)
        self.rms_scaling = rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.gamma = None
        self.beta = None

    def build(self, input_shape: tuple) -> None:
        shape = self._resolve(input_shape)
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(shape=shape, name="gamma",
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint, trainable=True)
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(shape=shape, name="beta",
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, trainable=True)
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        x = self._inputs(inputs)
        axes = self._reduce
        mean = P.mean(x, axis=axes, keepdims=True)
        var = P.mean(P.square(P.subtract(x, mean)), axis=axes, keepdims=True)
        inv = P.divide(1.0, P.sqrt(P.add(var, self.epsilon)))
        if self.rms_scaling:
            out = P.multiply(x, inv)
            return P.multiply(out, self._weight(self.gamma)) if self.gamma is not None else out
        # as Keras 3: x * inv + (beta - mean * inv), with inv = gamma / sqrt(var + eps)
        if self.gamma is not None:
            inv = P.multiply(inv, self._weight(self.gamma))
        shift = P.negative(P.multiply(mean, inv))
        if self.beta is not None:
            shift = P.add(shift, self._weight(self.beta))
        return P.add(P.multiply(x, inv), shift)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": _ser(self.beta_initializer),
            "gamma_initializer": _ser(self.gamma_initializer),
            "beta_regularizer": _ser(self.beta_regularizer),
            "gamma_regularizer": _ser(self.gamma_regularizer),
            "beta_constraint": _ser(self.beta_constraint),
            "gamma_constraint": _ser(self.gamma_constraint),
        })
        return cfg


class UnitNormalization(_AxisNorm):
    """Keras 3's `UnitNormalization(axis=-1)`: each sample scaled to unit L2 norm over
    `axis`, y = x * min(1 / sqrt(sum(x**2)), 1e12) (so an all-zero sample stays zero).
    No weights."""

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = _axis_arg("UnitNormalization", axis)
        self.supports_masking = True
        self.built = True  # nothing to build (Keras 3 builds it at construction too)

    def call(self, inputs: Tensor) -> Tensor:
        x = inputs if inputs.dtype.kind == "f" else P.cast(inputs, self.dtype)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        axes = tuple(_check_axes(self, axes, x.ndim))
        # x * min(1 / norm, 1e12), written so that an all-zero sample divides by 1e-12
        norm = P.sqrt(P.sum(P.square(x), axis=axes, keepdims=True))
        return P.multiply(x, P.divide(1.0, P.maximum(norm, 1e-12)))

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


class RMSNormalization(_AxisNorm):
    """Keras 3's `RMSNormalization(axis=-1, epsilon=1e-6)`: y = scale * x / sqrt(mean(x**2)
    + epsilon) over `axis`, with one weight `scale` (initialised to ones) per position of
    `axis`."""

    def __init__(self, axis: Any = -1, epsilon: float = 1e-6, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = _axis_arg("RMSNormalization", axis)
        self.epsilon = _epsilon_arg("RMSNormalization", epsilon)
        self.scale = None

    def build(self, input_shape: tuple) -> None:
        self.scale = self.add_weight(shape=self._resolve(input_shape), name="scale",
                                     initializer="ones")
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        x = self._inputs(inputs)
        mean_square = P.mean(P.square(x), axis=self._reduce, keepdims=True)
        out = P.multiply(x, P.divide(1.0, P.sqrt(P.add(mean_square, self.epsilon))))
        return P.multiply(out, self._weight(self.scale))

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"axis": self.axis, "epsilon": self.epsilon})
        return cfg
