"""Loss functions and classes (`keras.losses`).

A loss *function* `f(y_true, y_pred, ...)` returns one value per sample (for element-wise
losses, the mean over the last axis). A loss *class* instance wraps a function and adds the
reduction over the batch, with optional `sample_weight`:

- `"sum_over_batch_size"` (the default) and `"mean"`: sum of the weighted values divided by
  the number of values (not by the sum of the weights);
- `"sum"`: the sum of the weighted values;
- `"mean_with_sample_weight"`: the sum divided by the sum of the sample weights;
- `"none"` or `None`: the weighted values themselves.

Every function is written with the primitives of `minikeras.autodiff`, so gradients with
respect to `y_pred` (and `y_true`) come for free. Shapes follow Keras: a trailing axis of
size 1 is squeezed (or a rank-1 tensor expanded) so that `y_true` and `y_pred` have the same
rank; any other mismatch is a `ValueError` (where Keras would sometimes broadcast silently).
"""

from __future__ import annotations

import functools
import inspect
import math
from typing import Any
from collections.abc import Callable

import numpy as np

from minikeras import config, ops
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor, record
from minikeras.utils.naming import auto_name, to_snake_case, unknown_name_error

REDUCTIONS = ("sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight")


def standardize_reduction(reduction: Any) -> str | None:
    """Check a reduction name. Keras 2's `"auto"` means `"sum_over_batch_size"`."""
    if reduction == "auto":
        return "sum_over_batch_size"
    if reduction not in REDUCTIONS:
        hint = unknown_name_error("reduction", reduction, [r for r in REDUCTIONS if r])
        raise ValueError("Invalid value for argument `reduction`. Expected one of "
                         f"{tuple(REDUCTIONS)}. Received: reduction={reduction} ({hint})")
    return reduction


# --- masks: which values count (sparse cross-entropy's `ignore_class`, and the masks of
# Embedding(mask_zero=True)/Masking carried on a model's outputs): see autodiff/masks.py
from minikeras.autodiff.masks import get_keras_mask, set_keras_mask  # noqa: E402,F401


# --- shapes and reductions -------------------------------------------------------------

def squeeze_or_expand_to_same_rank(x1: Any, x2: Any, expand_rank_1: bool = True) -> tuple:
    """Make ranks equal when they differ by one and the longer one ends in an axis of 1.

    As Keras: that axis is squeezed, except that a rank-1 partner is expanded instead
    (`expand_rank_1`). Works on Tensors (differentiably) and on NumPy arrays.
    """
    r1, r2 = np.ndim(x1), np.ndim(x2)
    if r1 == r2:
        return x1, x2
    is_np = not isinstance(x1, Tensor) and not isinstance(x2, Tensor)
    expand = (lambda t: np.expand_dims(t, -1)) if is_np else (lambda t: P.expand_dims(t, -1))
    squeeze = (lambda t: np.squeeze(t, -1)) if is_np else (lambda t: P.squeeze(t, -1))
    if r1 == r2 + 1 and np.shape(x1)[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = expand(x2)
        else:
            x1 = squeeze(x1)
    elif r2 == r1 + 1 and np.shape(x2)[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = expand(x1)
        else:
            x2 = squeeze(x2)
    return x1, x2


def apply_mask(sample_weight: Any, mask: Any, dtype: Any, reduction: Any) -> Any:
    """Fold a mask of valid values into the sample weights, as Keras does.

    For the averaging reductions, valid entries get weight total/valid, so the average
    runs over the valid entries only.
    """
    if mask is None:
        return sample_weight
    mask = np.asarray(mask, dtype=bool)
    if reduction in ("mean", "sum_over_batch_size"):
        valid = mask.sum()
        scale = mask.size / valid if valid else 0.0
        float_mask = np.where(mask, scale, 0.0).astype(dtype)
    else:
        float_mask = mask.astype(dtype)
    if sample_weight is None:
        return float_mask
    sw = np.asarray(sample_weight.value if isinstance(sample_weight, Tensor) else sample_weight,
                    dtype=dtype)
    float_mask, sw = squeeze_or_expand_to_same_rank(float_mask, sw)
    return sw * float_mask


def reduce_values(values: Tensor, sample_weight: Any = None,
                  reduction: Any = "sum_over_batch_size") -> Tensor:
    if reduction is None or reduction == "none" or values.ndim == 0 or values.shape == (0,):
        return values
    if reduction == "sum":
        return P.sum(values)
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = float(np.sum(sample_weight.value if isinstance(sample_weight, Tensor)
                               else sample_weight))
        total = P.sum(values)
        return P.divide(total, divisor) if divisor else P.multiply(total, 0.0)
    return P.mean(values)  # the sum divided by the number of values


def reduce_weighted_values(values: Any, sample_weight: Any = None, mask: Any = None,
                           reduction: Any = "sum_over_batch_size", dtype: Any = None) -> Tensor:
    """Weight per-sample loss values and reduce them (the tail of `Loss.__call__`)."""
    reduction = standardize_reduction(reduction)
    if type(values) is not Tensor:
        values = ops.convert_to_tensor(values, dtype)
    vdtype = values.value.dtype if values.value.dtype.kind == "f" else np.dtype(config.floatx())
    if values.value.dtype != vdtype:
        values = P.cast(values, vdtype)
    if mask is not None:
        sample_weight = apply_mask(sample_weight, mask, vdtype, reduction)
    if sample_weight is not None:
        if isinstance(sample_weight, Tensor):
            sw = sample_weight if sample_weight.dtype == vdtype else P.cast(sample_weight, vdtype)
        else:
            sw = Tensor(np.asarray(sample_weight, dtype=vdtype))
        values, sw = squeeze_or_expand_to_same_rank(values, sw)
        try:
            np.broadcast_shapes(values.shape, sw.shape)
        except ValueError:
            raise ValueError(f"sample_weight of shape {sw.shape} cannot weight loss values of "
                             f"shape {values.shape}") from None
        values = P.multiply(values, sw)
    else:
        sw = None
    return reduce_values(values, sw, reduction)


# --- the classes -----------------------------------------------------------------------

class Loss:
    """Base class. Subclasses implement `call(y_true, y_pred)` returning per-sample values."""

    # (y_true, y_pred) -> the batch mean as one node, or None where no fused form applies
    _over_batch: Callable | None = None

    def __init__(self, name: str | None = None, reduction: Any = "sum_over_batch_size",
                 dtype: Any = None) -> None:
        self.name = name or auto_name(to_snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction)
        self.dtype = dtype or config.floatx()
        self._np_dtype = np.dtype(self.dtype)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        in_mask = get_keras_mask(y_pred)  # e.g. a padded sequence's: those steps count 0
        if in_mask is not None:
            return self._masked_call(y_true, y_pred, sample_weight, in_mask)
        if sample_weight is None and self._over_batch is not None and \
                type(y_pred) is Tensor and type(y_true) is Tensor and \
                y_pred.value.dtype is self._np_dtype and y_pred.value.size and \
                self.reduction == "sum_over_batch_size":
            total = self._over_batch(y_true, y_pred)
            if total is not None:  # the training loop's usual case, as one fused node
                return total
        if type(y_pred) is not Tensor:
            y_pred = ops.convert_to_tensor(y_pred, self._np_dtype)
        elif y_pred.value.dtype != self._np_dtype and y_pred.value.dtype.kind in "fiub":
            y_pred = P.cast(y_pred, self._np_dtype)
        if type(y_true) is not Tensor:
            y_true = ops.convert_to_tensor(y_true)
        if y_true.value.dtype.kind == "f" and y_true.value.dtype != self._np_dtype:
            y_true = P.cast(y_true, self._np_dtype)
        if sample_weight is None and self._over_batch is not None and \
                self.reduction == "sum_over_batch_size" and y_pred.value.size and \
                y_pred.value.dtype == self._np_dtype:
            total = self._over_batch(y_true, y_pred)  # as above, after conversion
            if total is not None:
                return total
        values = self.call(y_true, y_pred)
        mask = get_keras_mask(values)
        if sample_weight is None and mask is None and self.reduction == "sum_over_batch_size" \
                and type(values) is Tensor and values.value.dtype.kind == "f" and values.ndim:
            return P.mean(values)  # the training loop's common case, in one step
        return reduce_weighted_values(values, sample_weight, mask, self.reduction)

    def _masked_call(self, y_true: Any, y_pred: Any, sample_weight: Any,
                     in_mask: np.ndarray) -> Tensor:
        """Keras 3's `Loss.__call__` for a prediction that carries a mask: the mask (and
        the values' own mask, ANDed) becomes sample weights (see `apply_mask`)."""
        if type(y_pred) is not Tensor or y_pred.value.dtype != self._np_dtype:
            y_pred = P.cast(ops.convert_to_tensor(y_pred), self._np_dtype)
        if type(y_true) is not Tensor:
            y_true = ops.convert_to_tensor(y_true)
        if y_true.value.dtype.kind == "f" and y_true.value.dtype != self._np_dtype:
            y_true = P.cast(y_true, self._np_dtype)
        values = self.call(y_true, y_pred)
        out_mask = get_keras_mask(values)
        mask = in_mask if out_mask is None else np.logical_and(in_mask, out_mask)
        return reduce_weighted_values(values, sample_weight, mask, self.reduction)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


class LossFunctionWrapper(Loss):
    """A loss class around a per-sample function `fn(y_true, y_pred, **kwargs)`."""

    def __init__(self, fn: Callable, reduction: Any = "sum_over_batch_size",
                 name: str | None = None, dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs
        fused = _OVER_BATCH.get(fn)
        if fused is not None:
            self._over_batch = functools.partial(fused, **kwargs)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        if y_true.ndim != y_pred.ndim:
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        cfg = super().get_config()
        name = canonical_name(self.fn) or getattr(self.fn, "__name__", None)
        # Keras 3's config form of a plain function
        cfg["fn"] = {"module": "builtins", "class_name": "function", "config": name,
                     "registered_name": "function"}
        cfg.update(self._fn_kwargs)
        return cfg

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        config = dict(config)
        fn = config.pop("fn", None)
        if isinstance(fn, dict) and fn.get("class_name") == "function":
            fn = fn.get("config")
        if isinstance(fn, (str, dict)):
            fn = get(fn)
        if not callable(fn):
            raise ValueError("LossFunctionWrapper config needs its function `fn` (the name of "
                             "a built-in loss function, or pass it in custom_objects)")
        return cls(fn, **config)

    def __repr__(self) -> str:
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


# --- helpers for the per-sample functions ------------------------------------------------

def _pred(y_pred: Any) -> Tensor:
    """y_pred as a float Tensor (floats follow floatx unless already a Tensor)."""
    if type(y_pred) is not Tensor:
        y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.value.dtype.kind != "f":
        y_pred = P.cast(y_pred, config.floatx())
    return y_pred


def _true(y_true: Any, y_pred: Tensor) -> Tensor:
    """y_true as a Tensor of y_pred's float dtype."""
    if type(y_true) is not Tensor:
        return Tensor(np.asarray(y_true, dtype=y_pred.value.dtype))
    if y_true.value.dtype != y_pred.value.dtype:
        return P.cast(y_true, y_pred.value.dtype)
    return y_true


def _prepare(name: str, y_true: Any, y_pred: Any, same_shape: bool = True) -> tuple:
    """Convert, cast, align ranks as Keras does, then insist on equal shapes."""
    y_pred = _pred(y_pred)
    y_true = _true(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if same_shape and y_true.shape != y_pred.shape:
            raise ValueError(f"{name}: y_true and y_pred must have the same shape (up to a "
                             f"trailing axis of 1), got y_true.shape={tuple(np.shape(y_true))} "
                             f"and y_pred.shape={tuple(np.shape(y_pred))}")
    return y_true, y_pred


def _logits_of(y_pred: Tensor, kind: str) -> Tensor:
    """y_pred, keeping its remembered logits only if a `kind` activation ("sigmoid" or
    "softmax") made it: a softmax output followed by *binary* cross-entropy must use the
    probabilities, as Keras does."""
    if y_pred._keras_logits is None or y_pred._logits_kind == kind:
        return y_pred
    return P.reshape(y_pred, y_pred.shape)  # the same values, without the logits


def _check_axis(name: str, axis: Any) -> None:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"{name}: `axis` must be an int, got axis={axis!r} of type "
                         f"{type(axis).__name__}")


def _l2_normalize(x: Tensor, axis: Any) -> Tensor:
    """x * min(1/sqrt(sum(x**2, axis)), 1/epsilon): Keras' `normalize`, fused.

    The gradient is that of the composite Keras evaluates: where a slice is all zeros its
    inverse norm is inf, capped at 1/epsilon, and the chain rule through the cap gives
    0 * inf = nan there (as JAX computes it); elsewhere it is the exact derivative.
    """
    v = x.value
    s = np.sum(v * v, axis=axis, keepdims=True)
    cap = v.dtype.type(1.0 / config.epsilon())
    with np.errstate(divide="ignore"):
        raw = 1.0 / np.sqrt(s)
    capped = raw > cap
    inv = np.where(capped, cap, raw).astype(v.dtype)
    out = v * inv

    def backward(g):
        dot = np.sum(g * v, axis=axis, keepdims=True)
        with np.errstate(invalid="ignore"):
            dinv = np.where(capped, np.where(s == 0, np.nan, 0.0), -(raw ** 3)).astype(v.dtype)
        return (g * inv + v * (dot * dinv),)

    return record(out, (x,), backward)


# --- per-sample functions: regression ----------------------------------------------------

def mean_squared_error(y_true, y_pred) -> Tensor:
    """mean((y_true - y_pred)**2) over the last axis."""
    if type(y_true) is Tensor and type(y_pred) is Tensor and y_true.value.shape == \
            y_pred.value.shape and y_true.value.dtype == y_pred.value.dtype and \
            y_pred.value.dtype.kind == "f":
        return P.squared_error_mean(y_true, y_pred)  # the common case, without checks
    y_true, y_pred = _prepare("mean_squared_error", y_true, y_pred)
    return P.squared_error_mean(y_true, y_pred)


def mean_absolute_error(y_true, y_pred) -> Tensor:
    """mean(|y_true - y_pred|) over the last axis."""
    y_true, y_pred = _prepare("mean_absolute_error", y_true, y_pred)
    return P.mean(P.abs(P.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred) -> Tensor:
    """100 * mean(|(y_true - y_pred) / max(|y_true|, epsilon)|) over the last axis."""
    y_true, y_pred = _prepare("mean_absolute_percentage_error", y_true, y_pred)
    diff = P.abs(P.divide(P.subtract(y_true, y_pred),
                          P.maximum(P.abs(y_true), config.epsilon())))
    return P.multiply(P.mean(diff, axis=-1), 100.0)


def mean_squared_logarithmic_error(y_true, y_pred) -> Tensor:
    """mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2) over the last axis."""
    y_true, y_pred = _prepare("mean_squared_logarithmic_error", y_true, y_pred)
    eps = config.epsilon()
    a = P.log(P.add(P.maximum(y_pred, eps), 1.0))
    b = P.log(P.add(P.maximum(y_true, eps), 1.0))
    return P.mean(P.square(P.subtract(a, b)), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1) -> Tensor:
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred)) over `axis`: -1 is best, 0 means
    orthogonal (or a zero vector)."""
    y_true, y_pred = _prepare("cosine_similarity", y_true, y_pred)
    return P.negative(P.sum(P.multiply(_l2_normalize(y_true, axis),
                                       _l2_normalize(y_pred, axis)), axis=axis))


def huber(y_true, y_pred, delta=1.0) -> Tensor:
    """Mean over the last axis of 0.5*e**2 where |e| <= delta, delta*|e| - 0.5*delta**2
    elsewhere (e = y_pred - y_true)."""
    y_true, y_pred = _prepare("huber", y_true, y_pred)
    delta = float(delta)
    error = P.subtract(y_pred, y_true)
    abs_error = P.abs(error)
    quadratic = P.multiply(P.square(error), 0.5)
    linear = P.subtract(P.multiply(abs_error, delta), 0.5 * delta * delta)
    return P.mean(P.where(abs_error.value <= delta, quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred) -> Tensor:
    """mean(log(cosh(y_pred - y_true))) over the last axis, computed without overflow as
    x + softplus(-2x) - log(2)."""
    y_true, y_pred = _prepare("log_cosh", y_true, y_pred)
    x = P.subtract(y_pred, y_true)
    value = P.subtract(P.add(x, P.softplus(P.multiply(x, -2.0))), math.log(2.0))
    return P.mean(value, axis=-1)


# --- per-sample functions: probabilistic -------------------------------------------------

def kl_divergence(y_true, y_pred) -> Tensor:
    """sum(y_true * log(y_true / y_pred)) over the last axis, both clipped to [eps, 1]."""
    y_true, y_pred = _prepare("kl_divergence", y_true, y_pred)
    eps = config.epsilon()
    y_true = P.clip(y_true, eps, 1.0)
    y_pred = P.clip(y_pred, eps, 1.0)
    return P.sum(P.multiply(y_true, P.log(P.divide(y_true, y_pred))), axis=-1)


def poisson(y_true, y_pred) -> Tensor:
    """mean(y_pred - y_true * log(y_pred + epsilon)) over the last axis."""
    y_true, y_pred = _prepare("poisson", y_true, y_pred)
    return P.mean(P.subtract(y_pred, P.multiply(y_true, P.log(P.add(y_pred,
                                                                    config.epsilon())))),
                  axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """Element-wise binary cross-entropy, averaged over `axis`. Probabilities are clipped
    to [eps, 1 - eps]; labels are smoothed towards 0.5 by `label_smoothing`."""
    y_true, y_pred = _prepare("binary_crossentropy", y_true, y_pred)
    if not from_logits:
        y_pred = _logits_of(y_pred, "sigmoid")
    if label_smoothing:
        y_true = P.add(P.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    return P.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing: bool = False,
                              alpha: float = 0.25, gamma: float = 2.0,
                              from_logits: bool = False, label_smoothing: float = 0.0,
                              axis: int = -1) -> Tensor:
    """Binary cross-entropy scaled by (1 - p_t)**gamma (and by alpha / 1 - alpha for
    positives / negatives when `apply_class_balancing`), averaged over `axis`."""
    y_true, y_pred = _prepare("binary_focal_crossentropy", y_true, y_pred)
    if not from_logits:
        y_pred = _logits_of(y_pred, "sigmoid")
    if label_smoothing:
        y_true = P.add(P.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        y_pred = P.sigmoid(y_pred)
        # Keras applies the sigmoid and then the clipped probability formula (its JAX
        # backend has no logits shortcut here), so saturated logits are clipped too.
        y_pred._keras_logits = y_pred._logits_kind = None
    bce = ops.binary_crossentropy(y_true, y_pred, from_logits=False)
    one_minus_true = P.subtract(1.0, y_true)
    p_t = P.add(P.multiply(y_true, y_pred), P.multiply(one_minus_true, P.subtract(1.0, y_pred)))
    focal = P.multiply(P.power(P.subtract(1.0, p_t), float(gamma)), bce)
    if apply_class_balancing:
        weight = P.add(P.multiply(y_true, alpha), P.multiply(one_minus_true, 1.0 - alpha))
        focal = P.multiply(weight, focal)
    return P.mean(focal, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """-sum(y_true * log(y_pred)) over `axis`, with y_pred renormalised to sum 1 and
    clipped to [eps, 1 - eps]; one-hot targets (for integer labels use the sparse form)."""
    _check_axis("categorical_crossentropy", axis)
    y_pred = _pred(y_pred)
    y_true = _true(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"categorical_crossentropy: y_true shape {y_true.shape} must equal "
                         f"y_pred shape {y_pred.shape} (one-hot targets). For integer labels "
                         "use sparse_categorical_crossentropy.")
    if not from_logits:
        y_pred = _logits_of(y_pred, "softmax")
    if label_smoothing:
        n = y_true.shape[-1]
        y_true = P.add(P.multiply(y_true, 1.0 - label_smoothing), label_smoothing / n)
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha: float = 0.25, gamma: float = 2.0,
                                   from_logits: bool = False, label_smoothing: float = 0.0,
                                   axis: int = -1) -> Tensor:
    """sum(alpha * (1 - p)**gamma * -y_true * log(p)) over `axis`, p being y_pred
    renormalised and clipped to [eps, 1 - eps] (softmax first if `from_logits`)."""
    _check_axis("categorical_focal_crossentropy", axis)
    y_pred = _pred(y_pred)
    y_true = _true(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"categorical_focal_crossentropy: y_true shape {y_true.shape} must "
                         f"equal y_pred shape {y_pred.shape} (one-hot targets)")
    if label_smoothing:
        n = y_true.shape[-1]
        y_true = P.add(P.multiply(y_true, 1.0 - label_smoothing), label_smoothing / n)
    if from_logits:
        y_pred = P.softmax(y_pred, axis=axis)
    eps = config.epsilon()
    output = P.clip(P.divide(y_pred, P.sum(y_pred, axis=axis, keepdims=True)), eps, 1.0 - eps)
    cce = P.multiply(P.negative(y_true), P.log(output))
    weight = P.multiply(P.power(P.subtract(1.0, output), float(gamma)), alpha)
    return P.sum(P.multiply(weight, cce), axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                                    ignore_class: int | None = None, axis: int = -1) -> Tensor:
    """Cross-entropy with integer targets. Entries whose label is `ignore_class` get a
    loss of 0 and are left out of the reduction (a mask, as in Keras)."""
    y_pred = _pred(y_pred)
    if not from_logits:
        y_pred = _logits_of(y_pred, "softmax")
    labels = ops.convert_to_numpy(y_true)
    _check_integer_labels(labels)
    if labels.ndim == y_pred.ndim and labels.shape[axis] == 1:
        labels = np.squeeze(labels, axis=axis)
    if ignore_class is None:
        return ops.sparse_categorical_crossentropy(labels, y_pred, from_logits=from_logits,
                                                   axis=axis)
    valid = labels != ignore_class
    safe = np.where(valid, labels, 0)
    # ignored rows see a harmless constant, so they get neither a value nor a gradient
    y_pred = P.where(np.expand_dims(valid, axis), y_pred, 1.0)
    values = ops.sparse_categorical_crossentropy(safe, y_pred, from_logits, axis)
    valid = valid.reshape(values.shape)
    values = P.where(valid, values, 0.0)
    set_keras_mask(values, valid)
    return values


def categorical_generalized_cross_entropy(y_true, y_pred, q) -> Tensor:
    """(1 - p**q) / q with p the predicted probability of the true class (integer labels);
    robust to noisy labels, q in (0, 1)."""
    y_pred = _pred(y_pred)
    labels = ops.convert_to_numpy(y_true)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != y_pred.shape[:-1]:
        raise ValueError(f"categorical_generalized_cross_entropy: y_true (integer labels) of "
                         f"shape {labels.shape} does not match y_pred of shape {y_pred.shape}")
    one_hot = np.eye(y_pred.shape[-1], dtype=y_pred.value.dtype)[labels.astype(np.int64)]
    p = P.sum(P.multiply(y_pred, one_hot), axis=-1)
    return P.divide(P.subtract(1.0, P.power(p, float(q))), float(q))


# --- per-sample functions: hinge ---------------------------------------------------------

def _hinge_labels(y_true: Tensor) -> Tensor:
    """Labels that are all 0 or 1 become -1 or 1; other labels are used as they are."""
    v = y_true.value
    if np.all((v == 0) | (v == 1)):
        return P.subtract(P.multiply(y_true, 2.0), 1.0)
    return y_true


def hinge(y_true, y_pred) -> Tensor:
    """mean(max(1 - y_true * y_pred, 0)) over the last axis; labels -1/1 (0/1 converted)."""
    y_true, y_pred = _prepare("hinge", y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return P.mean(P.maximum(P.subtract(1.0, P.multiply(y_true, y_pred)), 0.0), axis=-1)


def squared_hinge(y_true, y_pred) -> Tensor:
    """mean(max(1 - y_true * y_pred, 0)**2) over the last axis."""
    y_true, y_pred = _prepare("squared_hinge", y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return P.mean(P.square(P.maximum(P.subtract(1.0, P.multiply(y_true, y_pred)), 0.0)),
                  axis=-1)


def categorical_hinge(y_true, y_pred) -> Tensor:
    """max(neg - pos + 1, 0) with pos = sum(y_true * y_pred) and
    neg = max((1 - y_true) * y_pred), over the last axis; one-hot targets."""
    y_true, y_pred = _prepare("categorical_hinge", y_true, y_pred)
    pos = P.sum(P.multiply(y_true, y_pred), axis=-1)
    neg = P.max(P.multiply(P.subtract(1.0, y_true), y_pred), axis=-1)
    return P.maximum(P.add(P.subtract(neg, pos), 1.0), 0.0)


# --- per-sample functions: segmentation --------------------------------------------------

def dice(y_true, y_pred, axis=None) -> Tensor:
    """1 - 2*sum(y_true*y_pred) / (sum(y_true) + sum(y_pred) + eps), sums over `axis`
    (all axes by default, giving one value for the whole batch)."""
    y_true, y_pred = _prepare("dice", y_true, y_pred)
    intersection = P.sum(P.multiply(y_true, y_pred), axis=axis)
    denominator = P.add(P.add(P.sum(y_true, axis=axis), P.sum(y_pred, axis=axis)),
                        config.epsilon())
    return P.subtract(1.0, P.divide(P.multiply(intersection, 2.0), denominator))


def tversky(y_true, y_pred, alpha: float = 0.5, beta: float = 0.5, axis=None) -> Tensor:
    """1 - TP / (TP + alpha*FP + beta*FN + eps) with soft counts summed over `axis`
    (FP = sum((1 - y_pred) * y_true) and FN = sum(y_pred * (1 - y_true)), as in Keras)."""
    y_true, y_pred = _prepare("tversky", y_true, y_pred)
    intersection = P.sum(P.multiply(y_true, y_pred), axis=axis)
    fp = P.sum(P.multiply(P.subtract(1.0, y_pred), y_true), axis=axis)
    fn = P.sum(P.multiply(y_pred, P.subtract(1.0, y_true)), axis=axis)
    denominator = P.add(P.add(P.add(intersection, P.multiply(fp, alpha)),
                              P.multiply(fn, beta)), config.epsilon())
    return P.subtract(1.0, P.divide(intersection, denominator))


# --- per-sample functions: similarity and sequences --------------------------------------

def _masked_logsumexp(x: Tensor, mask: np.ndarray) -> Tensor:
    """log(sum(exp(x))) over the entries of each row where `mask` is true; -inf (with a zero
    gradient) for a row without any."""
    v = x.value
    any_row = mask.any(axis=1)
    m = np.where(any_row, np.max(np.where(mask, v, -np.inf), axis=1, initial=-np.inf), 0.0)
    e = np.where(mask, np.exp(np.where(mask, v, 0.0) - m[:, None]), 0.0)
    total = e.sum(axis=1)
    with np.errstate(divide="ignore"):
        out = (np.log(total) + m).astype(v.dtype)
    weights = e / np.where(any_row, total, 1.0)[:, None]

    def backward(g):
        return ((g[:, None] * weights).astype(v.dtype),)

    return record(out, (x,), backward)


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal: bool = True,
           gamma: float = 80.0, margin: float = 0.4) -> Tensor:
    """Circle loss (Sun et al., 2020) of L2-normalised embeddings `y_pred` (batch, dim) with
    integer labels `y_true`, against `ref_embeddings`/`ref_labels` (default: the batch
    itself). Pairs with equal labels are pulled together, others pushed apart, each pair
    weighted by how far it is from its optimum. Samples whose loss is 0 are masked out of
    the reduction, as in Keras."""
    y_pred = _pred(y_pred)
    if y_pred.ndim != 2:
        raise ValueError(f"circle: y_pred must be (batch_size, embedding_dim) embeddings, got "
                         f"shape {y_pred.shape}")
    labels = ops.convert_to_numpy(y_true).astype(np.int32).reshape(-1, 1)
    ref = y_pred if ref_embeddings is None else _true(ref_embeddings, y_pred)
    ref_lab = labels if ref_labels is None else \
        ops.convert_to_numpy(ref_labels).astype(np.int32).reshape(-1, 1)
    if labels.shape[0] != y_pred.shape[0] or ref_lab.shape[0] != ref.shape[0]:
        raise ValueError(f"circle: {labels.shape[0]} labels for {y_pred.shape[0]} embeddings, "
                         f"{ref_lab.shape[0]} reference labels for {ref.shape[0]} references")
    distances = P.maximum(P.subtract(1.0, P.matmul(y_pred, P.transpose(ref))), 0.0)
    positive = labels == ref_lab.T
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~np.eye(labels.shape[0], ref_lab.shape[0], dtype=bool)
    dtype = y_pred.value.dtype
    pos_weights = P.maximum(P.multiply(P.add(distances, margin), positive.astype(dtype)), 0.0)
    neg_weights = P.maximum(P.multiply(P.subtract(1.0 + margin, distances),
                                       negative.astype(dtype)), 0.0)
    pos_terms = P.multiply(P.multiply(pos_weights, P.subtract(margin, distances)), -gamma)
    neg_terms = P.multiply(P.multiply(neg_weights, P.subtract(1.0 - margin, distances)), gamma)
    loss = P.softplus(P.add(_masked_logsumexp(pos_terms, positive),
                            _masked_logsumexp(neg_terms, negative)))
    set_keras_mask(loss, loss.value > 0)
    return loss


def _ctc_kernel(logits: Tensor, labels: np.ndarray, lengths: np.ndarray) -> Tensor:
    """-log p(labels | logits) per sequence (blank = class 0), with its exact gradient
    softmax(logits) - (expected label occupancy), from the forward-backward recursions."""
    z = logits.value
    batch, steps, classes = z.shape
    shifted = z - z.max(axis=-1, keepdims=True)
    logp = (shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))).astype(np.float64)
    out = np.zeros(batch, dtype=z.dtype)
    occupancy = np.zeros(z.shape, dtype=np.float64)
    for b in range(batch):
        seq = labels[b, :lengths[b]]
        ext = np.zeros(2 * len(seq) + 1, dtype=np.int64)  # blank, l1, blank, l2, ..., blank
        ext[1::2] = seq
        n = len(ext)
        # a label may skip the blank before it unless it repeats the previous label
        skip = np.zeros(n, dtype=bool)
        skip[3::2] = seq[1:] != seq[:-1]
        emit = logp[b][:, ext]  # (steps, n)
        alpha = np.full((steps, n), -np.inf)
        alpha[0, 0] = emit[0, 0]
        if n > 1:
            alpha[0, 1] = emit[0, 1]
        for t in range(1, steps):
            prev = alpha[t - 1]
            a = prev.copy()
            a[1:] = np.logaddexp(a[1:], prev[:-1])
            a[2:] = np.where(skip[2:], np.logaddexp(a[2:], prev[:-2]), a[2:])
            alpha[t] = a + emit[t]
        beta = np.full((steps, n), -np.inf)  # excludes the emission at t
        beta[-1, -1] = 0.0
        if n > 1:
            beta[-1, -2] = 0.0
        for t in range(steps - 2, -1, -1):
            nxt = beta[t + 1] + emit[t + 1]
            bt = nxt.copy()
            bt[:-1] = np.logaddexp(bt[:-1], nxt[1:])
            bt[:-2] = np.where(skip[2:], np.logaddexp(bt[:-2], nxt[2:]), bt[:-2])
            beta[t] = bt
        log_p = np.logaddexp(alpha[-1, -1], alpha[-1, -2]) if n > 1 else alpha[-1, -1]
        out[b] = -log_p
        with np.errstate(invalid="ignore"):
            post = np.exp(alpha + beta - log_p)  # (steps, n): paths through s at t
        for s in range(n):
            occupancy[b, :, ext[s]] += np.nan_to_num(post[:, s])

    def backward(g):
        grad = (np.exp(logp) - occupancy) * g[:, None, None]
        return (grad.astype(z.dtype),)

    return record(out, (logits,), backward)


def ctc(y_true, y_pred) -> Tensor:
    """Connectionist temporal classification loss of logits `y_pred` (batch, time, classes)
    against label sequences `y_true` (batch, max_length); class 0 is the blank and pads the
    labels (a sequence's length is its number of non-zero labels)."""
    y_pred = _pred(y_pred)
    labels = ops.convert_to_numpy(y_true)
    if labels.ndim != 2:
        raise ValueError(f"Targets `y_true` are expected to be a tensor of shape "
                         f"`(batch_size, max_length)` in integer format. Received: "
                         f"y_true.shape={labels.shape}")
    if y_pred.ndim != 3:
        raise ValueError(f"Logits `y_pred` are expected to be a tensor of shape "
                         f"`(batch_size, max_length, num_classes)`. Received: "
                         f"y_pred.shape={y_pred.shape}")
    labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= y_pred.shape[-1]):
        raise ValueError(f"ctc: labels must be in [0, {y_pred.shape[-1]}), got values from "
                         f"{labels.min()} to {labels.max()}")
    return _ctc_kernel(y_pred, labels, np.sum(labels != 0, axis=-1))


# --- fused batch means ------------------------------------------------------------------
# With no sample weights and the default reduction, a loss is the mean of its per-sample
# values. For the commonest losses that mean is computed in one node: the same number (up
# to float rounding), with one graph node and one backward step fewer. The caller has
# checked that y_pred is a non-empty Tensor of the loss' dtype; each function returns None
# (the per-sample path then runs, with its checks and errors) when its fused form does not
# apply.

def _same_shape_and_dtype(y_true: Tensor, y_pred: Tensor) -> bool:
    return y_true.value.shape == y_pred.value.shape and \
        y_true.value.dtype == y_pred.value.dtype


def _last_axis(axis: Any, y_pred: Tensor) -> bool:
    return type(axis) is int and axis in (-1, y_pred.value.ndim - 1)


def _mse_over_batch(y_true: Tensor, y_pred: Tensor) -> Tensor | None:
    if not _same_shape_and_dtype(y_true, y_pred):
        return None
    return P.squared_error_mean(y_true, y_pred, over_batch=True)


def _logits(y_pred: Tensor, from_logits: bool, kind: str) -> tuple | None:
    """(logits, cached softmax and log-sum-exp or None) for a fused cross-entropy: y_pred
    itself when it holds logits, else the input of the `kind` activation that made it;
    None when neither (the per-sample path then clips the probabilities, as Keras does)."""
    if from_logits:
        return y_pred, None
    if y_pred._logits_kind == kind:
        return y_pred._keras_logits, y_pred._softmax_cache
    return None


def _cce_over_batch(y_true: Tensor, y_pred: Tensor, from_logits: bool = False,
                    label_smoothing: float = 0.0, axis: int = -1) -> Tensor | None:
    if label_smoothing or not _last_axis(axis, y_pred) or \
            not _same_shape_and_dtype(y_true, y_pred):
        return None
    found = _logits(y_pred, from_logits, "softmax")
    if found is None:
        return None
    return P.softmax_cross_entropy(y_true, found[0], cache=found[1], over_batch=True)


def _check_integer_labels(labels: np.ndarray) -> None:
    """Sparse labels are class indices. Keras 3 casts float labels to int (1.7 becomes
    class 1 silently); we refuse a label with a fractional part."""
    if labels.dtype.kind == "f" and labels.size:
        bad = labels != np.trunc(labels)
        if bad.any():
            raise ValueError("sparse_categorical_crossentropy: sparse labels must be integer "
                             f"class indices, but y_true holds {int(bad.sum())} fractional "
                             f"value(s), e.g. {labels[bad].flat[0]!r} (shape {labels.shape})")


def _sparse_cce_over_batch(y_true: Tensor, y_pred: Tensor, from_logits: bool = False,
                           ignore_class: int | None = None,
                           axis: int = -1) -> Tensor | None:
    labels = y_true.value
    _check_integer_labels(labels)
    shape = y_pred.value.shape[:-1]
    if ignore_class is not None or not _last_axis(axis, y_pred) or \
            labels.dtype.kind not in "iuf" or labels.shape not in (shape, shape + (1,)):
        return None
    found = _logits(y_pred, from_logits, "softmax")
    if found is None:
        return None
    return P.sparse_softmax_cross_entropy(labels, found[0], cache=found[1], over_batch=True)


def _bce_over_batch(y_true: Tensor, y_pred: Tensor, from_logits: bool = False,
                    label_smoothing: float = 0.0, axis: int = -1) -> Tensor | None:
    if label_smoothing or not _last_axis(axis, y_pred) or \
            not _same_shape_and_dtype(y_true, y_pred):
        return None
    found = _logits(y_pred, from_logits, "sigmoid")
    if found is None:
        return None
    return P.sigmoid_cross_entropy(y_true, found[0], over_batch=True)


_OVER_BATCH: dict = {mean_squared_error: _mse_over_batch,
                     categorical_crossentropy: _cce_over_batch,
                     sparse_categorical_crossentropy: _sparse_cce_over_batch,
                     binary_crossentropy: _bce_over_batch}


# --- the class forms ---------------------------------------------------------------------

_BASE_PARAMS = ("reduction", "name", "dtype")


def _loss_class(cls_name: str, fn: Callable, params: tuple, doc: str,
                check: Callable | None = None) -> type:
    """The class form of a loss function, with Keras' constructor signature.

    `params` lists (argument, default) in Keras' positional order, including `reduction`,
    `name` and `dtype`; the other arguments are passed to `fn` and appear in the config.
    """
    signature = inspect.Signature([inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)]
                                  + [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                       default=d) for p, d in params])
    fn_params = [p for p, _ in params if p not in _BASE_PARAMS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        unknown = [k for k in kwargs if k not in dict(params)]
        if unknown:
            err = unknown_name_error(f"argument of {cls_name}", unknown[0], dict(params))
            raise TypeError(str(err))
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        values.pop("self")
        if check is not None:
            check(values)
        fn_kwargs = {p: values[p] for p in fn_params}
        LossFunctionWrapper.__init__(self, fn, reduction=values["reduction"],
                                     name=values["name"], dtype=values["dtype"], **fn_kwargs)
        for p in fn_params:
            setattr(self, p, values[p])

    def get_config(self) -> dict:
        cfg = Loss.get_config(self)
        cfg.update(self._fn_kwargs)
        return cfg

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        return cls(**config)

    __init__.__signature__ = signature  # type: ignore[attr-defined]
    return type(cls_name, (LossFunctionWrapper,),
                {"__init__": __init__, "get_config": get_config, "from_config": from_config,
                 "__doc__": doc, "__module__": __name__, "__qualname__": cls_name})


def _defaults(name: str, *extra: tuple) -> tuple:
    """(argument, default) pairs: the loss' own arguments, then reduction, name, dtype."""
    base = [("reduction", "sum_over_batch_size"), ("name", name), ("dtype", None)]
    return tuple(extra) + tuple(base)


def _check_q(values: dict) -> None:
    if not 0 < values["q"] < 1:
        raise ValueError(f"q must be in the interval (0, 1), got q={values['q']}")


MeanSquaredError = _loss_class(
    "MeanSquaredError", mean_squared_error, _defaults("mean_squared_error"),
    "Mean of squares of errors between labels and predictions.")
MeanAbsoluteError = _loss_class(
    "MeanAbsoluteError", mean_absolute_error, _defaults("mean_absolute_error"),
    "Mean of absolute errors between labels and predictions.")
MeanAbsolutePercentageError = _loss_class(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error,
    _defaults("mean_absolute_percentage_error"),
    "100 * mean(|(y_true - y_pred) / max(|y_true|, eps)|).")
MeanSquaredLogarithmicError = _loss_class(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
    _defaults("mean_squared_logarithmic_error"),
    "mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2).")
CosineSimilarity = _loss_class(
    "CosineSimilarity", cosine_similarity, _defaults("cosine_similarity", ("axis", -1)),
    "Negative cosine similarity between labels and predictions.")
Huber = _loss_class(
    "Huber", huber, _defaults("huber_loss", ("delta", 1.0)),
    "Quadratic for errors up to `delta`, linear beyond.")
LogCosh = _loss_class(
    "LogCosh", log_cosh, _defaults("log_cosh"),
    "Logarithm of the hyperbolic cosine of the prediction error.")
Hinge = _loss_class("Hinge", hinge, _defaults("hinge"), "Hinge loss, labels -1/1 or 0/1.")
SquaredHinge = _loss_class("SquaredHinge", squared_hinge, _defaults("squared_hinge"),
                           "Squared hinge loss, labels -1/1 or 0/1.")
CategoricalHinge = _loss_class("CategoricalHinge", categorical_hinge,
                               _defaults("categorical_hinge"),
                               "Categorical hinge loss, one-hot labels.")
KLDivergence = _loss_class("KLDivergence", kl_divergence, _defaults("kl_divergence"),
                           "Kullback-Leibler divergence between y_true and y_pred.")
Poisson = _loss_class("Poisson", poisson, _defaults("poisson"),
                      "Poisson loss: mean(y_pred - y_true * log(y_pred + eps)).")
BinaryCrossentropy = _loss_class(
    "BinaryCrossentropy", binary_crossentropy,
    _defaults("binary_crossentropy", ("from_logits", False), ("label_smoothing", 0.0),
              ("axis", -1)),
    "Binary cross-entropy, averaged over the last axis.")
BinaryFocalCrossentropy = _loss_class(
    "BinaryFocalCrossentropy", binary_focal_crossentropy,
    _defaults("binary_focal_crossentropy", ("apply_class_balancing", False), ("alpha", 0.25),
              ("gamma", 2.0), ("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)),
    "Binary cross-entropy down-weighting well-classified examples by (1 - p_t)**gamma.")
CategoricalCrossentropy = _loss_class(
    "CategoricalCrossentropy", categorical_crossentropy,
    _defaults("categorical_crossentropy", ("from_logits", False), ("label_smoothing", 0.0),
              ("axis", -1)),
    "Cross-entropy with one-hot targets.")
CategoricalFocalCrossentropy = _loss_class(
    "CategoricalFocalCrossentropy", categorical_focal_crossentropy,
    _defaults("categorical_focal_crossentropy", ("alpha", 0.25), ("gamma", 2.0),
              ("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)),
    "Categorical cross-entropy scaled by alpha * (1 - p)**gamma.")
# Keras' positional order here is (from_logits, ignore_class, reduction, axis, name, dtype)
SparseCategoricalCrossentropy = _loss_class(
    "SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
    (("from_logits", False), ("ignore_class", None), ("reduction", "sum_over_batch_size"),
     ("axis", -1), ("name", "sparse_categorical_crossentropy"), ("dtype", None)),
    "Cross-entropy with integer targets.")
Dice = _loss_class(
    "Dice", dice,
    (("reduction", "sum_over_batch_size"), ("name", "dice"), ("axis", None), ("dtype", None)),
    "Dice loss: 1 - the soft Dice coefficient.")
Tversky = _loss_class(
    "Tversky", tversky,
    (("alpha", 0.5), ("beta", 0.5), ("reduction", "sum_over_batch_size"), ("name", "tversky"),
     ("axis", None), ("dtype", None)),
    "Tversky loss: a Dice loss weighting false positives and negatives by alpha and beta.")
Circle = _loss_class(
    "Circle", circle,
    _defaults("circle", ("gamma", 80.0), ("margin", 0.4), ("remove_diagonal", True)),
    "Circle loss for metric learning on L2-normalised embeddings with integer labels.")
CTC = _loss_class("CTC", ctc, _defaults("ctc"),
                  "Connectionist temporal classification loss (blank = class 0).")
CategoricalGeneralizedCrossEntropy = _loss_class(
    "CategoricalGeneralizedCrossEntropy", categorical_generalized_cross_entropy,
    _defaults("categorical_generalized_cross_entropy", ("q", 0.5)),
    "Generalized cross-entropy (1 - p**q) / q for noisy integer labels.", check=_check_q)

# Keras' short names, and the Keras 2 spellings a course may use
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
bce = BCE = binary_crossentropy
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
huber_loss = huber

_FUNCTION_LIST = (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, cosine_similarity, huber, log_cosh, kl_divergence, poisson,
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, sparse_categorical_crossentropy,
    categorical_generalized_cross_entropy, hinge, squared_hinge, categorical_hinge, dice,
    tversky, circle, ctc,
)
_CLASS_LIST = (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, Huber, LogCosh, KLDivergence, Poisson,
    BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
    CategoricalFocalCrossentropy, SparseCategoricalCrossentropy,
    CategoricalGeneralizedCrossEntropy, Hinge, SquaredHinge, CategoricalHinge, Dice, Tversky,
    Circle, CTC,
)

_FUNCTIONS: dict[str, Callable] = {f.__name__: f for f in _FUNCTION_LIST}
# Keras 3's alias table, then Keras 2's spellings (accepted; Keras 3 rejects these)
_ALIASES: dict[str, Callable] = {
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
}
KERAS2_ALIASES: dict[str, Callable] = {
    "kullback_leibler_divergence": kl_divergence, "logcosh": log_cosh, "huber_loss": huber,
}
_ALIASES.update(KERAS2_ALIASES)
_CLASSES: dict[str, type] = {c.__name__: c for c in (Loss, LossFunctionWrapper) + _CLASS_LIST}
# the class for each function, so that `compile(loss='mse')` can use the class form
_CLASS_OF: dict[Callable, type] = dict(zip(_FUNCTION_LIST, _CLASS_LIST))

ALL_OBJECTS = set(_FUNCTION_LIST) | set(_CLASSES.values())


def register(fn: Callable | None, cls: type | None, *aliases: str) -> None:
    """Add a loss to the lookup tables (so that names and configs can refer to it)."""
    if fn is not None:
        _FUNCTIONS[fn.__name__] = fn
        for a in aliases:
            _ALIASES[a] = fn
        ALL_OBJECTS.add(fn)
    if cls is not None:
        _CLASSES[cls.__name__] = cls
        ALL_OBJECTS.add(cls)
        if fn is not None:
            _CLASS_OF[fn] = cls


def _table() -> dict:
    return {**_FUNCTIONS, **_ALIASES, **_CLASSES}


def canonical_name(fn: Callable) -> str | None:
    """The full Keras name of a built-in loss function (`mse` -> `mean_squared_error`)."""
    for name, f in _FUNCTIONS.items():
        if f is fn:
            return name
    return None


def serialize(loss: Any) -> Any:
    """A built-in function serializes to its name; a `Loss` to its config dict."""
    from minikeras.saving.serialization import serialize_keras_object

    if callable(loss) and not isinstance(loss, Loss):
        name = canonical_name(loss)
        if name is not None:
            return name
    return serialize_keras_object(loss)


def deserialize(config: Any, custom_objects: dict | None = None) -> Any:
    from minikeras.saving.serialization import deserialize_from_table

    return deserialize_from_table(config, _table(), "loss", custom_objects)


def get(identifier: Any) -> Any:
    """A loss function or instance from a name, a config dict, a class or a callable.

    A class name gives an instance (`"MeanSquaredError"`), a function name the function.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        obj = deserialize(identifier)
    else:
        obj = identifier
    if isinstance(obj, type):
        if issubclass(obj, Loss):
            return obj()
        raise TypeError(f"Could not interpret loss identifier: {identifier!r}")
    if callable(obj):
        return obj
    raise TypeError(f"Could not interpret loss identifier: {identifier!r}")
