"""Regression metrics: running means of error functions, root mean squared error, cosine
similarity, log-cosh error and the coefficient of determination (R2)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from minikeras import losses
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor
from minikeras.metrics.base import (Mean, MeanMetricWrapper, Metric,
                                    squeeze_or_expand_to_same_rank, to_numpy)


def _simple_config(self: Metric) -> dict:
    return {"name": self.name, "dtype": self.dtype}


class MeanSquaredError(MeanMetricWrapper):
    """Running mean of the mean squared error."""

    _direction = "down"

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None) -> None:
        super().__init__(losses.mean_squared_error, name=name, dtype=dtype)

    get_config = _simple_config


class MeanAbsoluteError(MeanMetricWrapper):
    """Running mean of the mean absolute error."""

    _direction = "down"

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None) -> None:
        super().__init__(losses.mean_absolute_error, name=name, dtype=dtype)

    get_config = _simple_config


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Running mean of the mean absolute percentage error."""

    _direction = "down"

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: Any = None) -> None:
        super().__init__(losses.mean_absolute_percentage_error, name=name, dtype=dtype)

    get_config = _simple_config


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Running mean of the mean squared logarithmic error."""

    _direction = "down"

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: Any = None) -> None:
        super().__init__(losses.mean_squared_logarithmic_error, name=name, dtype=dtype)

    get_config = _simple_config


class RootMeanSquaredError(Mean):
    """sqrt of the running (weighted) mean of squared errors."""

    _direction = "down"

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        yt = to_numpy(y_true, self.dtype)
        yp = to_numpy(y_pred, self.dtype)
        yt, yp = squeeze_or_expand_to_same_rank(yt, yp)
        super().update_state(np.square(yp - yt), sample_weight)

    def result(self) -> Tensor:
        return Tensor(np.sqrt(super().result().value))


def cosine_similarity(y_true, y_pred, axis=-1) -> Tensor:
    """sum(l2_normalize(y_true) * l2_normalize(y_pred)) over `axis` (the metric's sign:
    1 means the same direction)."""
    y_true, y_pred = losses._prepare("cosine_similarity", y_true, y_pred)
    return P.sum(P.multiply(losses._l2_normalize(y_true, axis),
                            losses._l2_normalize(y_pred, axis)), axis=axis)


class CosineSimilarity(MeanMetricWrapper):
    """Running mean of the cosine similarity between labels and predictions."""

    _direction = "up"

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None, axis: int = -1) -> None:
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict:
        # Keras 3 leaves `axis` out (and so loses it in a round trip); kept here
        return {**_simple_config(self), "axis": self.axis}


class LogCoshError(MeanMetricWrapper):
    """Running mean of the log-cosh error."""

    _direction = "down"

    def __init__(self, name: str = "logcosh", dtype: Any = None) -> None:
        super().__init__(losses.log_cosh, name=name, dtype=dtype)

    get_config = _simple_config


class R2Score(Metric):
    """The coefficient of determination, 1 - SS_res / SS_tot, per output column.

    `class_aggregation`: `"uniform_average"` (mean over columns), `"variance_weighted_average"`
    (weighted by each column's total sum of squares) or None (one score per column).
    `num_regressors` > 0 gives the adjusted R2.
    """

    _direction = "up"

    def __init__(self, class_aggregation: str | None = "uniform_average",
                 num_regressors: int = 0, name: str = "r2_score", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(f"Invalid value for argument `class_aggregation`. Expected one of "
                             f"{valid}. Received: class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError(f"Invalid value for argument `num_regressors`. Expected a value "
                             f">= 0. Received: num_regressors={num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(name="num_samples")
        self._built = False

    def _build(self, y_true_shape: tuple, y_pred_shape: tuple) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(f"R2Score expects 2D inputs with shape (batch_size, output_dim). "
                             f"Received input shapes: y_pred.shape={y_pred_shape} and "
                             f"y_true.shape={y_true_shape}.")
        n = y_pred_shape[-1]
        self.squared_sum = self.add_variable(shape=(n,), name="squared_sum")
        self.sum = self.add_variable(shape=(n,), name="sum")
        self.total_mse = self.add_variable(shape=(n,), name="residual")
        self.count = self.add_variable(shape=(n,), name="count")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        yt = to_numpy(y_true, self.dtype)
        yp = to_numpy(y_pred, self.dtype)
        yt, yp = squeeze_or_expand_to_same_rank(yt, yp)
        if not self._built:
            self._build(yt.shape, yp.shape)
        if yt.shape[-1] != self.sum.shape[0] or yp.shape != yt.shape:
            raise ValueError(f"R2Score: y_true {yt.shape} and y_pred {yp.shape} must both have "
                             f"{self.sum.shape[0]} columns, as in the first batch")
        sw = np.asarray(1.0 if sample_weight is None else to_numpy(sample_weight),
                        dtype=self.dtype)
        if sw.ndim == 1:
            sw = sw[:, None]
        sw = np.broadcast_to(sw, yt.shape)
        weighted = yt * sw
        self.sum.value[...] += weighted.sum(axis=0)
        self.squared_sum.value[...] += (yt * weighted).sum(axis=0)
        self.total_mse.value[...] += (np.square(yt - yp) * sw).sum(axis=0)
        self.count.value[...] += sw.sum(axis=0)
        self.num_samples.value[...] += yt.size

    def result(self) -> Tensor:
        if not self._built:
            return Tensor(np.asarray(np.nan, dtype=self.dtype))
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = self.sum.value / self.count.value
            total = self.squared_sum.value - self.sum.value * mean
            raw = 1 - self.total_mse.value / total
        raw = np.where(np.isinf(raw), 0.0, raw).astype(self.dtype)
        if self.class_aggregation == "uniform_average":
            score = np.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            with np.errstate(divide="ignore", invalid="ignore"):
                score = np.sum(total * raw) / np.sum(total)
        else:
            score = raw
        if self.num_regressors != 0:
            n = float(self.num_samples.value)
            p = float(self.num_regressors)
            if p > n - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 "
                              "score. Falling back to standard R2 score.", stacklevel=2)
            elif p == n - 1:
                warnings.warn("Division by zero in Adjusted R2 score. Falling back to "
                              "standard R2 score.", stacklevel=2)
            else:
                score = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return Tensor(np.asarray(score, dtype=self.dtype))

    def reset_state(self) -> None:
        for v in self._variables:
            v.value[...] = 0

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype,
                "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
