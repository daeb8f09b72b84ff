"""Loss functions and classes (`keras.losses`).

A loss *function* `f(y_true, y_pred)` returns one value per sample (the mean over the last
axis for element-wise losses). A loss *class* instance adds the reduction over the batch,
with optional `sample_weight`: by default `sum_over_batch_size`, i.e. the sum of weighted
per-sample losses divided by the number of those values (not by the sum of the weights).
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import numpy as np

from minikeras import config, ops
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor
from minikeras.utils.naming import to_snake_case, unknown_name_error

REDUCTIONS = ("sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight")


def standardize_reduction(reduction: Any) -> str:
    if reduction is None:
        return "none"
    if reduction == "auto":
        return "sum_over_batch_size"
    if reduction not in REDUCTIONS:
        raise unknown_name_error("reduction", reduction, REDUCTIONS)
    return reduction


def squeeze_or_expand_to_same_rank(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """Drop or add a trailing axis of size 1 so that x and y have the same rank."""
    if x.ndim == y.ndim:
        return x, y
    if x.ndim == y.ndim + 1 and x.shape[-1] == 1:
        return P.squeeze(x, -1), y
    if y.ndim == x.ndim + 1 and y.shape[-1] == 1:
        return x, P.squeeze(y, -1)
    while y.ndim < x.ndim:
        y = P.expand_dims(y, -1)
    return x, y


def reduce_weighted_values(values: Tensor, sample_weight: Any = None,
                           reduction: str = "sum_over_batch_size") -> Tensor:
    if type(values) is not Tensor:
        values = ops.convert_to_tensor(values)
    if sample_weight is not None:
        sw = ops.convert_to_tensor(sample_weight, values.dtype)
        values, sw = squeeze_or_expand_to_same_rank(values, sw)
        values = P.multiply(values, sw)
    else:
        sw = None
    if reduction == "none" or values.ndim == 0 or values.shape == (0,):
        return values
    if reduction in ("sum_over_batch_size", "mean") or (
            reduction == "mean_with_sample_weight" and sw is None):
        return P.mean(values)  # sum / number of values, in one step
    total = P.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sw is not None:
        divisor = float(np.sum(sw.value))
    else:
        divisor = float(values.size)
    return P.multiply(total, 1.0 / divisor) if divisor else P.multiply(total, 0.0)


class Loss:
    """Base class. Subclasses implement `call(y_true, y_pred)` returning per-sample values."""

    def __init__(self, name: str | None = None, reduction: Any = "sum_over_batch_size",
                 dtype: Any = None) -> None:
        self.name = name or to_snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self.dtype = dtype or config.floatx()
        self._np_dtype = np.dtype(self.dtype)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        if type(y_pred) is not Tensor:
            y_pred = ops.convert_to_tensor(y_pred)
        if y_pred.value.dtype != self._np_dtype and y_pred.value.dtype.kind == "f":
            y_pred = P.cast(y_pred, self.dtype)
        if type(y_true) is not Tensor:
            y_true = ops.convert_to_tensor(y_true)
        values = self.call(y_true, y_pred)
        return reduce_weighted_values(values, sample_weight, self.reduction)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A loss class around a per-sample function `fn(y_true, y_pred, **kwargs)`."""

    def __init__(self, fn: Callable, reduction: Any = "sum_over_batch_size",
                 name: str | None = None, dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(name=name or getattr(fn, "__name__", "loss"), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        if y_true.value.dtype.kind == "f" and y_true.value.dtype != y_pred.value.dtype:
            y_true = P.cast(y_true, y_pred.value.dtype)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(self._fn_kwargs)
        return cfg

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        if cls is LossFunctionWrapper:
            raise ValueError("LossFunctionWrapper cannot be rebuilt from a config without its "
                             "function")
        return cls(**config)


def _float_true(y_true: Any, y_pred: Tensor) -> Tensor:
    y_true = ops.convert_to_tensor(y_true)
    if y_true.dtype != y_pred.dtype:
        y_true = P.cast(y_true, y_pred.dtype) if y_true.dtype.kind == "f" else \
            ops.convert_to_tensor(y_true.value.astype(y_pred.dtype))
    return y_true


def _check_same_shape(name: str, y_true: Tensor, y_pred: Tensor) -> tuple[Tensor, Tensor]:
    """Keras squeezes or expands a trailing axis of 1; other mismatches are errors."""
    if y_true.shape == y_pred.shape:
        return y_true, y_pred
    y_t, y_p = squeeze_or_expand_to_same_rank(y_true, y_pred)
    try:
        np.broadcast_shapes(y_t.shape, y_p.shape)
    except ValueError:
        raise ValueError(f"{name}: y_true and y_pred have incompatible shapes "
                         f"{y_true.shape} and {y_pred.shape}") from None
    if y_t.shape != y_p.shape:
        raise ValueError(f"{name}: y_true and y_pred have incompatible shapes "
                         f"{y_true.shape} and {y_pred.shape}")
    return y_t, y_p


# --- per-sample functions -----------------------------------------------------------

def mean_squared_error(y_true, y_pred) -> Tensor:
    if type(y_true) is Tensor and type(y_pred) is Tensor and y_true.value.shape == \
            y_pred.value.shape and y_true.value.dtype == y_pred.value.dtype:
        return P.squared_error_mean(y_true, y_pred)  # the common case, without checks
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = _float_true(y_true, y_pred)
    y_true, y_pred = _check_same_shape("mean_squared_error", y_true, y_pred)
    return P.squared_error_mean(y_true, y_pred)


def mean_absolute_error(y_true, y_pred) -> Tensor:
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = _float_true(y_true, y_pred)
    y_true, y_pred = _check_same_shape("mean_absolute_error", y_true, y_pred)
    return P.mean(P.abs(P.subtract(y_pred, y_true)), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred) -> Tensor:
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = _float_true(y_true, y_pred)
    y_true, y_pred = _check_same_shape("mean_absolute_percentage_error", y_true, y_pred)
    diff = P.abs(P.divide(P.subtract(y_true, y_pred),
                          P.maximum(P.abs(y_true), config.epsilon())))
    return P.multiply(P.mean(diff, axis=-1), 100.0)


def mean_squared_logarithmic_error(y_true, y_pred) -> Tensor:
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = _float_true(y_true, y_pred)
    y_true, y_pred = _check_same_shape("mean_squared_logarithmic_error", y_true, y_pred)
    eps = config.epsilon()
    a = P.log(P.add(P.maximum(y_pred, eps), 1.0))
    b = P.log(P.add(P.maximum(y_true, eps), 1.0))
    return P.mean(P.square(P.subtract(a, b)), axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = _float_true(y_true, y_pred)
    y_true, y_pred = _check_same_shape("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = P.add(P.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    return P.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = _float_true(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"categorical_crossentropy: y_true shape {y_true.shape} must equal "
                         f"y_pred shape {y_pred.shape} (one-hot targets). For integer labels "
                         "use sparse_categorical_crossentropy.")
    if label_smoothing:
        n = y_pred.shape[axis]
        y_true = P.add(P.multiply(y_true, 1.0 - label_smoothing), label_smoothing / n)
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                                    ignore_class: int | None = None, axis: int = -1) -> Tensor:
    y_pred = ops.convert_to_tensor(y_pred)
    labels = ops.convert_to_numpy(y_true)
    if ignore_class is not None:
        valid = labels != ignore_class
        safe = np.where(valid, labels, 0)
        values = ops.sparse_categorical_crossentropy(safe, y_pred, from_logits, axis)
        mask = valid.reshape(values.shape).astype(values.dtype)
        return P.multiply(values, mask)
    return ops.sparse_categorical_crossentropy(labels, y_pred, from_logits=from_logits, axis=axis)


# Keras' short aliases
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error


def _loss_class(name: str, fn: Callable, doc: str, options: tuple = ()) -> type:
    """Make the class form of a loss function, with Keras' constructor arguments."""
    defaults = dict(options)

    def __init__(self, *args: Any, reduction: Any = "sum_over_batch_size",
                 name: str | None = None, dtype: Any = None, **kwargs: Any) -> None:
        params = list(defaults)
        if len(args) > len(params):
            raise TypeError(f"{type(self).__name__} takes at most {len(params)} positional "
                            "arguments")
        fn_kwargs = dict(defaults)
        for p, a in zip(params, args):
            fn_kwargs[p] = a
        for k, v in kwargs.items():
            if k not in defaults:
                raise unknown_name_error(f"argument of {type(self).__name__}", k,
                                         list(defaults) + ["reduction", "name", "dtype"])
            fn_kwargs[k] = v
        LossFunctionWrapper.__init__(self, fn, reduction=reduction,
                                     name=name or to_snake_case(type(self).__name__),
                                     dtype=dtype, **fn_kwargs)

    cls = type(name, (LossFunctionWrapper,), {"__init__": __init__, "__doc__": doc,
                                              "__module__": __name__})
    return cls


MeanSquaredError = _loss_class("MeanSquaredError", mean_squared_error,
                               "mean((y_pred - y_true)**2) over the last axis.")
MeanAbsoluteError = _loss_class("MeanAbsoluteError", mean_absolute_error,
                                "mean(|y_pred - y_true|) over the last axis.")
MeanAbsolutePercentageError = _loss_class(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error,
    "100 * mean(|(y_true - y_pred) / max(|y_true|, eps)|).")
MeanSquaredLogarithmicError = _loss_class(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
    "mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2).")
BinaryCrossentropy = _loss_class(
    "BinaryCrossentropy", binary_crossentropy,
    "Binary cross-entropy, mean over the last axis.",
    (("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)))
CategoricalCrossentropy = _loss_class(
    "CategoricalCrossentropy", categorical_crossentropy,
    "Cross-entropy with one-hot targets.",
    (("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)))
SparseCategoricalCrossentropy = _loss_class(
    "SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
    "Cross-entropy with integer targets.",
    (("from_logits", False), ("ignore_class", None), ("axis", -1)))

_FUNCTIONS: dict[str, Callable] = {
    f.__name__: f for f in (mean_squared_error, mean_absolute_error,
                            mean_absolute_percentage_error, mean_squared_logarithmic_error,
                            binary_crossentropy, categorical_crossentropy,
                            sparse_categorical_crossentropy)
}
_ALIASES = {"mse": mean_squared_error, "MSE": mean_squared_error, "mae": mean_absolute_error,
            "MAE": mean_absolute_error, "mape": mean_absolute_percentage_error,
            "MAPE": mean_absolute_percentage_error, "msle": mean_squared_logarithmic_error,
            "MSLE": mean_squared_logarithmic_error}
_CLASSES: dict[str, type] = {
    c.__name__: c for c in (Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError,
                            MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
                            BinaryCrossentropy, CategoricalCrossentropy,
                            SparseCategoricalCrossentropy)
}
# the class for each function, so that `compile(loss='mse')` can use the class form
_CLASS_OF: dict[Callable, type] = {
    mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
    binary_crossentropy: BinaryCrossentropy, categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
}


def register(fn: Callable | None, cls: type | None, *aliases: str) -> None:
    """Add a loss to the lookup tables (used by the loss definitions below and in extras)."""
    if fn is not None:
        _FUNCTIONS[fn.__name__] = fn
        for a in aliases:
            _ALIASES[a] = fn
    if cls is not None:
        _CLASSES[cls.__name__] = cls
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
    from minikeras.saving.serialization import serialize_keras_object

    if callable(loss) and not isinstance(loss, Loss):
        name = canonical_name(loss)
        if name is not None:
            return name
    return serialize_keras_object(loss)


def deserialize(config: Any, custom_objects: dict | None = None) -> Any:
    from minikeras.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, _table(), "loss", custom_objects)


def get(identifier: Any) -> Any:
    """A loss function or instance from a name, a config dict, a class or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret loss identifier: {identifier!r}")

