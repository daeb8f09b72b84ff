"""F-beta and F1 scores, accumulated over batches from per-class counts."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import config
from minikeras.autodiff.tensor import Tensor
from minikeras.metrics.base import Metric, to_numpy


class FBetaScore(Metric):
    """(1 + beta**2) * P * R / (beta**2 * P + R), per class, from accumulated counts.

    `threshold` None counts the highest prediction of each sample as positive (and any
    prediction tied with it); a float in (0, 1] counts predictions above it. `average`:
    None (one score per class), `"micro"` (pool the counts), `"macro"` (mean of the
    per-class scores) or `"weighted"` (mean weighted by each class's number of positives).
    """

    _direction = "up"

    def __init__(self, average: str | None = None, beta: float = 1.0,
                 threshold: float | None = None, name: str = "fbeta_score",
                 dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError("Invalid `average` argument value. Expected one of: {None, "
                             f"'micro', 'macro', 'weighted'}}. Received: average={average}")
        if not isinstance(beta, float):
            raise ValueError(f"Invalid `beta` argument value. It should be a Python float. "
                             f"Received: beta={beta} of type '{type(beta)}'")
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. "
                             f"Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(f"Invalid `threshold` argument value. It should be a Python "
                                 f"float. Received: threshold={threshold} of type "
                                 f"'{type(threshold)}'")
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(f"Invalid `threshold` argument value. It should verify "
                                 f"0 < threshold <= 1. Received: threshold={threshold}")
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape: tuple, y_pred_shape: tuple) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(f"{type(self).__name__} expects 2D inputs with shape "
                             f"(batch_size, output_dim). Received input shapes: "
                             f"y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}.")
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        self.true_positives = self.add_variable(shape=shape, name="true_positives")
        self.false_positives = self.add_variable(shape=shape, name="false_positives")
        self.false_negatives = self.add_variable(shape=shape, name="false_negatives")
        self.intermediate_weights = self.add_variable(shape=shape, name="intermediate_weights")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        yt = to_numpy(y_true, self.dtype)
        yp = to_numpy(y_pred, self.dtype)
        if not self._built:
            self._build(yt.shape, yp.shape)
        if yt.shape != yp.shape:
            raise ValueError(f"{type(self).__name__}: y_true {yt.shape} and y_pred {yp.shape} "
                             "must have the same shape")
        if self.threshold is None:
            top = np.max(yp, axis=-1, keepdims=True)
            pred = (yp >= top) & (np.abs(yp) > 1e-9)
        else:
            pred = yp > self.threshold
        pred = pred.astype(self.dtype)
        sw = None if sample_weight is None else to_numpy(sample_weight, self.dtype)

        def weighted_sum(v: np.ndarray) -> np.ndarray:
            if sw is not None:
                v = v * np.expand_dims(sw, 1)
            return np.sum(v, axis=self.axis)

        self.true_positives.value[...] += weighted_sum(pred * yt)
        self.false_positives.value[...] += weighted_sum(pred * (1 - yt))
        self.false_negatives.value[...] += weighted_sum((1 - pred) * yt)
        self.intermediate_weights.value[...] += weighted_sum(yt)

    def result(self) -> Tensor:
        if not self._built:
            return Tensor(np.asarray(0.0, dtype=self.dtype))
        eps = config.epsilon()
        tp, fp, fn = (self.true_positives.value, self.false_positives.value,
                      self.false_negatives.value)
        precision = tp / (tp + fp + eps)
        recall = tp / (tp + fn + eps)
        b2 = self.beta ** 2
        score = precision * recall / (b2 * precision + recall + eps) * (1 + b2)
        if self.average == "weighted":
            w = self.intermediate_weights.value
            score = np.sum(score * (w / (np.sum(w) + eps)))
        elif self.average is not None:
            score = np.mean(score)
        return Tensor(np.asarray(score, dtype=self.dtype))

    def reset_state(self) -> None:
        for v in self._variables:
            v.value[...] = 0

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "average": self.average,
                "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """The harmonic mean of precision and recall (`FBetaScore` with beta = 1)."""

    def __init__(self, average: str | None = None, threshold: float | None = None,
                 name: str = "f1_score", dtype: Any = None) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict:
        cfg = super().get_config()
        del cfg["beta"]
        return cfg
