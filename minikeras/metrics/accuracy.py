"""Accuracy metrics: per-sample functions and their running-mean classes."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import config
from minikeras.autodiff.tensor import Tensor
from minikeras.metrics.base import MeanMetricWrapper, squeeze_or_expand_to_same_rank, to_numpy


def _floatx(x: np.ndarray) -> Tensor:
    return Tensor(np.asarray(x).astype(config.floatx()))


def _pred(y_pred: Any) -> np.ndarray:
    yp = to_numpy(y_pred)
    return yp.astype(config.floatx()) if yp.dtype.kind != "f" else yp


def accuracy(y_true, y_pred) -> Tensor:
    """1 where y_true == y_pred exactly, else 0 (element-wise)."""
    yp = _pred(y_pred)
    yt = to_numpy(y_true, yp.dtype)
    yt, yp = squeeze_or_expand_to_same_rank(yt, yp)
    return _floatx(np.equal(yt, yp))


def binary_accuracy(y_true, y_pred, threshold: float = 0.5) -> Tensor:
    """1 where (y_pred > threshold) equals y_true, else 0 (element-wise)."""
    yp = _pred(y_pred)
    yt = to_numpy(y_true)
    yt, yp = squeeze_or_expand_to_same_rank(yt, yp)
    pred = (yp > threshold).astype(yt.dtype)
    return _floatx(np.equal(yt, pred))


def categorical_accuracy(y_true, y_pred) -> Tensor:
    """1 where the argmax of y_pred is the argmax of the one-hot y_true, per sample."""
    yt = np.argmax(to_numpy(y_true), axis=-1)
    yp = _pred(y_pred)
    shape = yt.shape
    reshape = yt.ndim == yp.ndim
    if reshape:
        yt = np.squeeze(yt, -1)
    matches = np.equal(yt, np.argmax(yp, axis=-1))
    if reshape:
        matches = matches.reshape(shape)
    return _floatx(matches)


def sparse_categorical_accuracy(y_true, y_pred) -> Tensor:
    """1 where the argmax of y_pred equals the integer label y_true, per sample."""
    yp = _pred(y_pred)
    yt = to_numpy(y_true, yp.dtype)
    shape = yt.shape
    reshape = yt.ndim == yp.ndim and yt.shape[-1] == 1
    if reshape:
        yt = np.squeeze(yt, -1)
    matches = np.equal(yt, np.argmax(yp, axis=-1).astype(yt.dtype))
    if reshape:
        matches = matches.reshape(shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = np.squeeze(matches, -1)
    return _floatx(matches)


def _in_top_k(targets: np.ndarray, predictions: np.ndarray, k: int) -> np.ndarray:
    """Whether each target's score is among the k largest (ties count in; a NaN score is
    ranked last)."""
    at_label = np.take_along_axis(predictions, targets[:, None].astype(np.int64), axis=-1)
    at_label = np.where(np.isnan(at_label), -np.inf, at_label)
    rank = 1 + np.sum(predictions > at_label, axis=-1)
    return rank <= k


def top_k_categorical_accuracy(y_true, y_pred, k: int = 5) -> Tensor:
    """1 where the one-hot target's class is among the k highest scores, per sample."""
    yp = _pred(y_pred)
    yt = np.argmax(to_numpy(y_true, yp.dtype), axis=-1)
    shape = yt.shape
    if yp.ndim > 2:
        yp = yp.reshape(-1, yp.shape[-1])
    matches = _in_top_k(yt.reshape(-1), yp, k)
    return _floatx(matches.reshape(shape) if len(shape) > 1 else matches)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5,
                                      from_sorted_ids: bool = False) -> Tensor:
    """1 where the integer label is among the k highest scores (or, with
    `from_sorted_ids`, among the first k ids of y_pred), per sample."""
    yp = _pred(y_pred) if not from_sorted_ids else to_numpy(y_pred)
    yt = to_numpy(y_true)
    yt = yt.astype(yp.dtype) if from_sorted_ids else yt.astype(np.int64)
    shape = yt.shape
    if yp.ndim > 2:
        yp = yp.reshape(-1, yp.shape[-1])
    flat = yt.reshape(-1)
    if from_sorted_ids:
        matches = np.any(flat[:, None] == yp[:, :k], axis=1)
    else:
        matches = _in_top_k(flat, yp, k)
    return _floatx(matches.reshape(shape) if len(shape) > 1 else matches)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly."""

    _direction = "up"

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(accuracy, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often (y_pred > threshold) matches the binary labels."""

    _direction = "up"

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None,
                 threshold: float = 0.5) -> None:
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the predicted class matches the one-hot label."""

    _direction = "up"

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(categorical_accuracy, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the predicted class matches the integer label."""

    _direction = "up"

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the top `k` predictions."""

    _direction = "up"

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy",
                 dtype: Any = None) -> None:
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the top `k` predictions."""

    _direction = "up"

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy",
                 dtype: Any = None, from_sorted_ids: bool = False) -> None:
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self) -> dict:
        cfg = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            cfg["from_sorted_ids"] = True
        return cfg
