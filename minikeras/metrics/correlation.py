"""Correlation metrics: per-sample Pearson and concordance correlation, and their running
means."""

from __future__ import annotations

from typing import Any

from minikeras import config, losses
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor
from minikeras.metrics.base import MeanMetricWrapper


def _var(x: Tensor, axis: int) -> Tensor:
    m = P.mean(x, axis=axis, keepdims=True)
    return P.mean(P.square(P.subtract(x, m)), axis=axis, keepdims=True)


def pearson_correlation(y_true, y_pred, axis: int = -1) -> Tensor:
    """Pearson's correlation coefficient between y_true and y_pred along `axis`."""
    y_true, y_pred = losses._prepare("pearson_correlation", y_true, y_pred)
    t = P.subtract(y_true, P.mean(y_true, axis=axis, keepdims=True))
    p = P.subtract(y_pred, P.mean(y_pred, axis=axis, keepdims=True))
    t = P.divide(t, P.sqrt(_var(t, axis)))
    p = P.divide(p, P.sqrt(_var(p, axis)))
    return P.mean(P.multiply(t, p), axis=axis)


def concordance_correlation(y_true, y_pred, axis: int = -1) -> Tensor:
    """Lin's concordance correlation coefficient along `axis`, computed as Keras does
    (its covariance term centres y_true on the mean of y_pred)."""
    y_true, y_pred = losses._prepare("concordance_correlation", y_true, y_pred)
    t_mean = P.mean(y_true, axis=axis, keepdims=True)
    p_mean = P.mean(y_pred, axis=axis, keepdims=True)
    t_var = _var(P.subtract(y_true, t_mean), axis)
    p_var = _var(P.subtract(y_pred, p_mean), axis)
    covar = P.multiply(P.subtract(y_true, p_mean), P.subtract(y_pred, p_mean))
    norm = P.add(P.add(t_var, p_var), P.square(P.subtract(t_mean, p_mean)))
    return P.mean(P.divide(P.multiply(covar, 2.0), P.add(norm, config.epsilon())), axis=axis)


class PearsonCorrelation(MeanMetricWrapper):
    """Running mean of the per-sample Pearson correlation."""

    _direction = "up"

    def __init__(self, name: str = "pearson_correlation", dtype: Any = None,
                 axis: int = -1) -> None:
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class ConcordanceCorrelation(MeanMetricWrapper):
    """Running mean of the per-sample concordance correlation."""

    _direction = "up"

    def __init__(self, name: str = "concordance_correlation", dtype: Any = None,
                 axis: int = -1) -> None:
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}
