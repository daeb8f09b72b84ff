"""Intersection-over-union metrics, from an accumulated class confusion matrix."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from minikeras import config
from minikeras.autodiff.tensor import Tensor
from minikeras.metrics.base import Metric, squeeze_or_expand_to_same_rank, to_numpy


def confusion_matrix(labels: Any, predictions: Any, num_classes: int, weights: Any = None,
                     dtype: Any = "int32") -> np.ndarray:
    """A (num_classes, num_classes) matrix: entry [i, j] sums the weights of the samples
    with label i predicted as j."""
    labels = np.asarray(labels).astype(dtype)
    predictions = np.asarray(predictions).astype(dtype)
    labels, predictions = squeeze_or_expand_to_same_rank(labels, predictions)
    values = np.ones_like(predictions, dtype=dtype) if weights is None else \
        np.asarray(weights).astype(dtype)
    cm = np.zeros((int(num_classes), int(num_classes)), dtype=dtype)
    np.add.at(cm, (labels.astype(np.int64), predictions.astype(np.int64)), values)
    return cm


class _IoUBase(Metric):
    _direction = "up"

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1) -> None:
        super().__init__(name=name, dtype=dtype or "int32")
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(shape=(num_classes, num_classes),
                                          name="total_confusion_matrix", dtype=self.dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        yt, yp = to_numpy(y_true), to_numpy(y_pred)
        if not self.sparse_y_true:
            yt = np.argmax(yt, axis=self.axis)
        if not self.sparse_y_pred:
            yp = np.argmax(yp, axis=self.axis)
        yt = yt.astype(self.dtype).reshape(-1)
        yp = yp.astype(self.dtype).reshape(-1)
        if sample_weight is None:
            sw = np.ones((), dtype=self.dtype)
        else:
            sw = to_numpy(sample_weight)
            if sw.dtype.kind == "f" and np.dtype(self.dtype).kind in "iu":
                warnings.warn("You are passing weight as `float`, but dtype is `int`. This may "
                              "result in an incorrect weight due to type casting. Consider "
                              "using integer weights.", stacklevel=2)
            sw = sw.astype(self.dtype).reshape(-1) if sw.ndim > 1 else sw.astype(self.dtype)
        sw = np.broadcast_to(sw, yt.shape)
        n = self.num_classes
        valid = (yt >= 0) & (yt < n) & (yp >= 0) & (yp < n)
        if self.ignore_class is not None:
            valid &= yt != self.ignore_class
        yt = np.where(valid, yt, 0)
        yp = np.where(valid, yp, 0)
        sw = np.where(valid, sw, 0).astype(self.dtype)
        self.total_cm.value[...] += confusion_matrix(yt, yp, n, weights=sw, dtype=self.dtype)

    def reset_state(self) -> None:
        self.total_cm.value[...] = 0


class IoU(_IoUBase):
    """Mean over `target_class_ids` of TP / (TP + FP + FN), each from the accumulated
    confusion matrix; classes that never occur are left out of the mean."""

    def __init__(self, num_classes: int, target_class_ids: Any, name: str | None = None,
                 dtype: Any = None, ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1) -> None:
        super().__init__(num_classes=num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"Target class id {max(target_class_ids)} is out of range, which "
                             f"is [0, {num_classes}).")
        self.target_class_ids = list(target_class_ids)

    def result(self) -> Tensor:
        cm = self.total_cm.value
        rows = cm.sum(axis=0).astype(np.float32)
        cols = cm.sum(axis=1).astype(np.float32)
        tp = np.diag(cm).astype(np.float32)
        denominator = rows + cols - tp
        ids = np.asarray(self.target_class_ids, dtype=np.int64)
        tp, denominator = tp[ids], denominator[ids]
        valid = denominator > 1e-9
        iou = np.where(valid, tp / (denominator + np.float32(config.epsilon())), 0.0)
        value = np.sum(iou) / (np.sum(valid.astype(np.float32)) + np.float32(config.epsilon()))
        return Tensor(np.asarray(value, dtype=np.float32))

    def get_config(self) -> dict:
        return {**super().get_config(), "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class BinaryIoU(IoU):
    """IoU for binary predictions, positive when y_pred >= `threshold`."""

    def __init__(self, target_class_ids: Any = (0, 1), threshold: float = 0.5,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        yt = to_numpy(y_true).astype(self.dtype)
        yp = (to_numpy(y_pred).astype(np.float32) >= self.threshold).astype(self.dtype)
        super().update_state(yt, yp, sample_weight)

    def get_config(self) -> dict:
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class MeanIoU(IoU):
    """IoU averaged over all `num_classes` classes."""

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1) -> None:
        super().__init__(num_classes=num_classes, target_class_ids=list(range(num_classes)),
                         name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict:
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """IoU with one-hot labels (and, unless `sparse_y_pred`, per-class scores)."""

    def __init__(self, num_classes: int, target_class_ids: Any, name: str | None = None,
                 dtype: Any = None, ignore_class: int | None = None,
                 sparse_y_pred: bool = False, axis: int = -1) -> None:
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids, name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict:
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "name": self.name, "dtype": self.dtype, "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """MeanIoU with one-hot labels (and, unless `sparse_y_pred`, per-class scores)."""

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_pred: bool = False,
                 axis: int = -1) -> None:
        super().__init__(num_classes=num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict:
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}
