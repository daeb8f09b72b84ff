"""Metrics (`keras.metrics`): stateful objects that accumulate over an epoch.

`update_state(y_true, y_pred, sample_weight=None)` adds a batch, `result()` gives the
value so far, `reset_state()` starts again. Metric functions (`accuracy`, `mse`, ...)
return one value per sample. Metrics never take part in differentiation.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import numpy as np

from minikeras import config, losses
from minikeras.autodiff.tensor import Tensor, no_grad
from minikeras.utils.naming import to_snake_case, unknown_name_error


def _np(x: Any, dtype: Any = None) -> np.ndarray:
    arr = np.asarray(x.value if isinstance(x, Tensor) else x)
    return arr.astype(dtype, copy=False) if dtype is not None else arr


def squeeze_or_expand_to_same_rank(x: np.ndarray, y: np.ndarray) -> tuple:
    if x.ndim == y.ndim:
        return x, y
    if x.ndim == y.ndim + 1 and x.shape[-1] == 1:
        return x[..., 0], y
    if y.ndim == x.ndim + 1 and y.shape[-1] == 1:
        return x, y[..., 0]
    return x, y


class Metric:
    """Base class. Subclasses keep their state in `Variable`s made with `add_variable`."""

    _direction: str | None = None  # "up" or "down": whether higher values are better

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        self.name = name or to_snake_case(type(self).__name__)
        self.dtype = dtype or config.floatx()
        self._variables: list = []

    def add_variable(self, shape: Any = (), initializer: Any = "zeros", dtype: Any = None,
                     name: str | None = None, aggregation: str = "sum"):
        from minikeras import initializers
        from minikeras.autodiff.tensor import Variable

        init = initializers.get(initializer)
        dtype = dtype or self.dtype
        var = Variable(init(tuple(np.atleast_1d(shape)) if shape != () else (), dtype=dtype),
                       dtype=dtype, name=name or "variable", trainable=False)
        self._variables.append(var)
        return var

    add_weight = add_variable

    @property
    def variables(self) -> list:
        return list(self._variables)

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    def result(self) -> Any:
        raise NotImplementedError

    def reset_state(self) -> None:
        for v in self._variables:
            v.value[...] = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> "Metric":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def _samplewise(values: np.ndarray, sample_weight: Any) -> tuple[np.ndarray, Any]:
    """Reduce values to one per sample, weighting them as Keras' `Mean` does."""
    if sample_weight is not None:
        sw = _np(sample_weight, values.dtype)
        values, sw = squeeze_or_expand_to_same_rank(values, sw)
        if values.ndim > sw.ndim:
            values = values.mean(axis=tuple(range(sw.ndim, values.ndim)))
        sw = np.broadcast_to(sw, values.shape)
        values = values * sw
        if sw.ndim > 1:
            sw = sw.mean(axis=tuple(range(1, sw.ndim)))
    else:
        sw = None
    if values.ndim > 1:
        values = values.mean(axis=tuple(range(1, values.ndim)))
    return values, sw


class Mean(Metric):
    """Weighted mean of the values seen: sum(values * w) / sum(w)."""

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total")
        self.count = self.add_variable(name="count")
        self._pending = [0.0, 0.0]

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        self._fold()
        values = _np(values, self.dtype)
        values, sw = _samplewise(values, sample_weight)
        self.total.value[...] += values.sum()
        if sw is not None:
            self.count.value[...] += np.sum(sw)
        else:
            self.count.value[...] += values.shape[0] if values.ndim else 1

    def add(self, value: float, weight: float = 1.0) -> None:
        """Add one scalar with a weight: the training loop's fast path, in Python floats
        (folded into the state variables by `result`)."""
        self._pending[0] += value * weight
        self._pending[1] += weight

    def _fold(self) -> None:
        if self._pending[1]:
            self.total.value += self._pending[0]
            self.count.value += self._pending[1]
            self._pending = [0.0, 0.0]

    @property
    def variables(self) -> list:
        self._fold()
        return list(self._variables)

    def reset_state(self) -> None:
        self._pending = [0.0, 0.0]
        super().reset_state()

    def result(self) -> Tensor:
        self._fold()
        count = self.count.value
        return Tensor(np.asarray(self.total.value / count if count else 0.0, dtype=self.dtype))


class Sum(Metric):
    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values = _np(values, self.dtype)
        values, _ = _samplewise(values, sample_weight)
        self.total.value[...] += values.sum()

    def result(self) -> Tensor:
        return Tensor(np.array(self.total.value, dtype=self.dtype))


class MeanMetricWrapper(Mean):
    """The running mean of a per-sample function `fn(y_true, y_pred, **kwargs)`."""

    def __init__(self, fn: Callable, name: str | None = None, dtype: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric_wrapper"),
                         dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        # wrapping a loss means lower is better (EarlyStopping's mode='auto' reads this)
        if fn in losses._FUNCTIONS.values():
            self._direction = "down"

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        with no_grad():
            y_pred_t = y_pred if isinstance(y_pred, Tensor) else Tensor(_np(y_pred))
            y_true_t = y_true if isinstance(y_true, Tensor) else Tensor(_np(y_true))
            values = self._fn(y_true_t, y_pred_t, **self._fn_kwargs)
        super().update_state(values, sample_weight)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(self._fn_kwargs)
        return cfg

    @classmethod
    def from_config(cls, config: dict) -> "Metric":
        if cls is MeanMetricWrapper:
            config = dict(config)
            fn = config.pop("fn", None)
            if isinstance(fn, str):
                fn = get(fn)
            if fn is None:
                raise ValueError("MeanMetricWrapper config needs its function `fn`")
            return cls(fn, **config)
        return cls(**config)


# --- per-sample metric functions --------------------------------------------------------

def accuracy(y_true, y_pred) -> Tensor:
    """1 where y_true == y_pred exactly, else 0 (element-wise)."""
    yp = _np(y_pred)
    yt = _np(y_true, yp.dtype)
    yt, yp = squeeze_or_expand_to_same_rank(yt, yp)
    return Tensor(np.equal(yt, yp).astype(config.floatx()))


def binary_accuracy(y_true, y_pred, threshold: float = 0.5) -> Tensor:
    yp = _np(y_pred)
    yt = _np(y_true, yp.dtype if yp.dtype.kind == "f" else None)
    yt, yp = squeeze_or_expand_to_same_rank(yt, yp)
    pred = (yp > threshold).astype(yt.dtype)
    return Tensor(np.mean(np.equal(yt, pred).astype(config.floatx()), axis=-1))


def categorical_accuracy(y_true, y_pred) -> Tensor:
    yt, yp = _np(y_true), _np(y_pred)
    return Tensor(np.equal(np.argmax(yt, axis=-1), np.argmax(yp, axis=-1))
                  .astype(config.floatx()))


def sparse_categorical_accuracy(y_true, y_pred) -> Tensor:
    yt, yp = _np(y_true), _np(y_pred)
    if yt.ndim == yp.ndim and yt.shape[-1] == 1:
        yt = yt[..., 0]
    pred = np.argmax(yp, axis=-1)
    return Tensor(np.equal(yt.astype(pred.dtype) if yt.dtype.kind == "f" else yt, pred)
                  .astype(config.floatx()))


def top_k_categorical_accuracy(y_true, y_pred, k: int = 5) -> Tensor:
    yt = np.argmax(_np(y_true), axis=-1)
    return sparse_top_k_categorical_accuracy(yt, y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5,
                                      from_sorted_ids: bool = False) -> Tensor:
    yp = _np(y_pred)
    yt = _np(y_true).astype(np.int64)
    if yt.ndim == yp.ndim and yt.shape[-1] == 1:
        yt = yt[..., 0]
    if from_sorted_ids:
        return Tensor(np.any(yp[..., :k] == yt[..., None], axis=-1).astype(config.floatx()))
    target = np.take_along_axis(yp, yt[..., None], axis=-1)
    higher = (yp > target).sum(axis=-1)
    return Tensor((higher < k).astype(config.floatx()))


mean_squared_error = mse = losses.mean_squared_error
mean_absolute_error = mae = losses.mean_absolute_error
mean_absolute_percentage_error = mape = losses.mean_absolute_percentage_error
mean_squared_logarithmic_error = msle = losses.mean_squared_logarithmic_error
binary_crossentropy = losses.binary_crossentropy
categorical_crossentropy = losses.categorical_crossentropy
sparse_categorical_crossentropy = losses.sparse_categorical_crossentropy


def _wrapper_class(name: str, fn: Callable, default_name: str, options: tuple = (),
                   direction: str | None = None) -> type:
    defaults = dict(options)

    def __init__(self, *args: Any, name: str = default_name, dtype: Any = None,
                 **kwargs: Any) -> None:
        fn_kwargs = dict(defaults)
        for p, a in zip(list(defaults), args):
            fn_kwargs[p] = a
        for k, v in kwargs.items():
            if k not in defaults:
                raise unknown_name_error(f"argument of {type(self).__name__}", k,
                                         list(defaults) + ["name", "dtype"])
            fn_kwargs[k] = v
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **fn_kwargs)
        if direction:
            self._direction = direction

    return type(name, (MeanMetricWrapper,), {"__init__": __init__, "__module__": __name__,
                                             "__doc__": f"Running mean of `{fn.__name__}`."})


Accuracy = _wrapper_class("Accuracy", accuracy, "accuracy", direction="up")
BinaryAccuracy = _wrapper_class("BinaryAccuracy", binary_accuracy, "binary_accuracy",
                                (("threshold", 0.5),), direction="up")
CategoricalAccuracy = _wrapper_class("CategoricalAccuracy", categorical_accuracy,
                                     "categorical_accuracy", direction="up")
SparseCategoricalAccuracy = _wrapper_class("SparseCategoricalAccuracy",
                                           sparse_categorical_accuracy,
                                           "sparse_categorical_accuracy", direction="up")
TopKCategoricalAccuracy = _wrapper_class("TopKCategoricalAccuracy", top_k_categorical_accuracy,
                                         "top_k_categorical_accuracy", (("k", 5),),
                                         direction="up")
SparseTopKCategoricalAccuracy = _wrapper_class(
    "SparseTopKCategoricalAccuracy", sparse_top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy", (("k", 5), ("from_sorted_ids", False)),
    direction="up")
MeanSquaredError = _wrapper_class("MeanSquaredError", losses.mean_squared_error,
                                  "mean_squared_error")
MeanAbsoluteError = _wrapper_class("MeanAbsoluteError", losses.mean_absolute_error,
                                   "mean_absolute_error")
MeanAbsolutePercentageError = _wrapper_class("MeanAbsolutePercentageError",
                                             losses.mean_absolute_percentage_error,
                                             "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _wrapper_class("MeanSquaredLogarithmicError",
                                             losses.mean_squared_logarithmic_error,
                                             "mean_squared_logarithmic_error")
BinaryCrossentropy = _wrapper_class("BinaryCrossentropy", losses.binary_crossentropy,
                                    "binary_crossentropy",
                                    (("from_logits", False), ("label_smoothing", 0.0)))
CategoricalCrossentropy = _wrapper_class("CategoricalCrossentropy",
                                         losses.categorical_crossentropy,
                                         "categorical_crossentropy",
                                         (("from_logits", False), ("label_smoothing", 0.0),
                                          ("axis", -1)))
SparseCategoricalCrossentropy = _wrapper_class("SparseCategoricalCrossentropy",
                                               losses.sparse_categorical_crossentropy,
                                               "sparse_categorical_crossentropy",
                                               (("from_logits", False), ("axis", -1)))


class RootMeanSquaredError(Mean):
    _direction = "down"

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        yp = _np(y_pred, self.dtype)
        yt = _np(y_true, self.dtype)
        yt, yp = squeeze_or_expand_to_same_rank(yt, yp)
        super().update_state(np.square(yp - yt), sample_weight)

    def result(self) -> Tensor:
        return Tensor(np.sqrt(super().result().value))


_FUNCTIONS: dict[str, Callable] = {
    f.__name__: f for f in (accuracy, binary_accuracy, categorical_accuracy,
                            sparse_categorical_accuracy, top_k_categorical_accuracy,
                            sparse_top_k_categorical_accuracy)
}
_FUNCTIONS.update({
    "mean_squared_error": losses.mean_squared_error, "mse": losses.mean_squared_error,
    "mean_absolute_error": losses.mean_absolute_error, "mae": losses.mean_absolute_error,
    "mean_absolute_percentage_error": losses.mean_absolute_percentage_error,
    "mape": losses.mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": losses.mean_squared_logarithmic_error,
    "msle": losses.mean_squared_logarithmic_error,
    "binary_crossentropy": losses.binary_crossentropy,
    "categorical_crossentropy": losses.categorical_crossentropy,
    "sparse_categorical_crossentropy": losses.sparse_categorical_crossentropy,
})
_CLASSES: dict[str, type] = {
    c.__name__: c for c in (Metric, Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy,
                            CategoricalAccuracy, SparseCategoricalAccuracy,
                            TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
                            MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
                            MeanSquaredLogarithmicError, RootMeanSquaredError,
                            BinaryCrossentropy, CategoricalCrossentropy,
                            SparseCategoricalCrossentropy)
}


def register(fn: Callable | None, cls: type | None, *aliases: str) -> None:
    if fn is not None:
        _FUNCTIONS[fn.__name__] = fn
        for a in aliases:
            _FUNCTIONS[a] = fn
    if cls is not None:
        _CLASSES[cls.__name__] = cls


def serialize(metric: Any) -> Any:
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(metric)


def deserialize(config: Any, custom_objects: dict | None = None) -> Any:
    from minikeras.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, {**_FUNCTIONS, **_CLASSES}, "metric",
                                    custom_objects)


def get(identifier: Any) -> Any:
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier) or isinstance(identifier, Metric):
        return identifier
    raise TypeError(f"Could not interpret metric identifier: {identifier!r}")
