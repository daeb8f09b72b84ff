"""Metrics built on confusion-matrix counts at one or more thresholds: the counts
themselves, Precision, Recall, AUC and the sensitivity/specificity family.

A prediction is positive at threshold t when `y_pred > t`; a label is positive when it is
non-zero. Sample weights weight each prediction's contribution to the counts.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import config
from minikeras.autodiff.tensor import Tensor
from minikeras.metrics.base import Metric, divide_no_nan, squeeze_or_expand_to_same_rank, \
    to_numpy

NEG_INF = -1e10
_KEYS = ("tp", "fp", "tn", "fn")


def _to_list(x: Any) -> list:
    if isinstance(x, (list, tuple)):
        return list(x)
    if isinstance(x, np.ndarray):
        return x.tolist() if x.ndim else [x.item()]
    return [x]


def parse_init_thresholds(thresholds: Any, default_threshold: float = 0.5) -> list:
    if thresholds is not None:
        bad = [t for t in _to_list(thresholds) if t is None or t < 0 or t > 1]
        if bad:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    return _to_list(default_threshold if thresholds is None else thresholds)


def is_evenly_distributed_thresholds(thresholds: Any) -> bool:
    """Whether the thresholds are 0, 1/(n-1), ..., 1 (allowing the epsilon at both ends):
    then the counts can be bucketed instead of compared threshold by threshold."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=config.epsilon()))


def _filter_top_k(x: np.ndarray, k: int) -> np.ndarray:
    """Keep the k largest entries of the last axis; set the others to NEG_INF."""
    idx = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    mask = np.zeros_like(x)
    np.put_along_axis(mask, idx, 1, axis=-1)
    return x * mask + NEG_INF * (1 - mask)


def update_confusion_matrix_variables(variables: dict, y_true: Any, y_pred: Any,
                                      thresholds: Any, top_k: int | None = None,
                                      class_id: int | None = None, sample_weight: Any = None,
                                      multi_label: bool = False, label_weights: Any = None,
                                      thresholds_distributed_evenly: bool = False) -> None:
    """Add this batch's weighted counts to the variables in `variables`, a dict with any of
    the keys "tp", "fp", "tn", "fn" (one entry per threshold; per threshold and label when
    `multi_label`)."""
    if multi_label and label_weights is not None:
        raise ValueError("`label_weights` for multilabel data should be handled outside of "
                         "`update_confusion_matrix_variables` when `multi_label` is True.")
    bad = [k for k in variables if k not in _KEYS]
    if bad or not variables:
        raise ValueError(f"Invalid confusion matrix keys {bad}; valid keys are {_KEYS}")
    dtype = next(iter(variables.values())).value.dtype
    yt = to_numpy(y_true).astype(dtype)
    yp = to_numpy(y_pred).astype(dtype)
    if thresholds_distributed_evenly:
        with_epsilon = thresholds[0] < 0.0 or thresholds[-1] > 1.0
    thresholds = np.asarray(thresholds, dtype=dtype)
    yp, yt = squeeze_or_expand_to_same_rank(yp, yt)
    if sample_weight is not None:
        sw = np.expand_dims(to_numpy(sample_weight).astype(dtype), -1)
        _, sw = squeeze_or_expand_to_same_rank(yt, sw, expand_rank_1=False)
    else:
        sw = None
    if yp.shape != yt.shape:
        try:
            np.broadcast_shapes(yp.shape, yt.shape)
        except ValueError:
            raise ValueError(f"y_true of shape {yt.shape} does not match y_pred of shape "
                             f"{yp.shape}") from None
    if top_k is not None:
        yp = _filter_top_k(yp, top_k)
    if class_id is not None:
        if yp.ndim == 1:
            raise ValueError(f"When class_id is provided, y_pred must be a 2D array with shape "
                             f"(num_samples, num_classes), found shape: {yp.shape}")
        yt = yt[..., class_id, None]
        yp = yp[..., class_id, None]
    if thresholds_distributed_evenly:
        _update_bucketed(variables, yt, yp, thresholds, multi_label, sw, label_weights,
                         with_epsilon)
        return
    _update_compared(variables, yt, yp, thresholds, multi_label, sw, label_weights)


def _weights(sw: Any, label_weights: Any, shape: tuple, dtype: Any) -> np.ndarray | None:
    w = None
    if sw is not None:
        w = np.broadcast_to(np.asarray(sw, dtype=dtype), shape)
    if label_weights is not None:
        lw = np.broadcast_to(np.expand_dims(np.asarray(label_weights, dtype=dtype), 0), shape)
        w = lw if w is None else w * lw
    return w


def _update_compared(variables: dict, yt: np.ndarray, yp: np.ndarray, thresholds: np.ndarray,
                     multi_label: bool, sw: Any, label_weights: Any) -> None:
    """Compare every prediction with every threshold."""
    dtype = yp.dtype
    yt = np.broadcast_to(yt, yp.shape)
    weights = _weights(sw, None if multi_label else label_weights, yp.shape, dtype)
    if multi_label:
        # (thresholds, samples, labels); counts summed over the samples
        pred_pos = yp[None, ...] > thresholds.reshape((-1,) + (1,) * yp.ndim)
        label_pos = np.broadcast_to(yt.astype(bool)[None, ...], pred_pos.shape)
        w = None if weights is None else np.broadcast_to(weights[None, ...], pred_pos.shape)
    else:
        pred_pos = yp.reshape(1, -1) > thresholds.reshape(-1, 1)
        label_pos = np.broadcast_to(yt.astype(bool).reshape(1, -1), pred_pos.shape)
        w = None if weights is None else np.broadcast_to(weights.reshape(1, -1),
                                                         pred_pos.shape)

    def count(label: np.ndarray, pred: np.ndarray) -> np.ndarray:
        both = label & pred
        if w is None:
            return both.astype(dtype).sum(axis=1)
        return np.where(both, w, 0).astype(dtype).sum(axis=1)

    if "tp" in variables:
        variables["tp"].value[...] += count(label_pos, pred_pos)
    if "fp" in variables:
        variables["fp"].value[...] += count(~label_pos, pred_pos)
    if "tn" in variables:
        variables["tn"].value[...] += count(~label_pos, ~pred_pos)
    if "fn" in variables:
        variables["fn"].value[...] += count(label_pos, ~pred_pos)


def _reverse_cumsum(x: np.ndarray, axis: int) -> np.ndarray:
    return np.flip(np.cumsum(np.flip(x, axis=axis), axis=axis), axis=axis)


def _update_bucketed(variables: dict, yt: np.ndarray, yp: np.ndarray, thresholds: np.ndarray,
                     multi_label: bool, sw: Any, label_weights: Any,
                     with_epsilon: bool) -> None:
    """Evenly spaced thresholds: put each prediction in its threshold bucket, then the
    counts at threshold i are the weights of the buckets >= i (a reversed cumulative sum)."""
    dtype = yp.dtype
    n = thresholds.shape[0]
    weights = _weights(sw, label_weights, yp.shape, dtype)
    if weights is None:
        weights = np.ones(yp.shape, dtype=dtype)
    yp = np.clip(yp, 0.0, 1.0).astype(dtype)
    yt = np.broadcast_to((yt != 0).astype(dtype), yp.shape)
    if not multi_label:
        yt, yp, weights = yt.reshape(-1), yp.reshape(-1), weights.reshape(-1)
    true_labels = (yt * weights).astype(dtype)
    false_labels = ((1.0 - yt) * weights).astype(dtype)
    # the bucket of p is ceil(p * (n - 1)) - 1 (in the variables' precision), so that p lands
    # in every bucket i with p > i / (n - 1); out-of-range buckets (-1) are dropped
    buckets = np.ceil(yp * dtype.type(n - 1)) - 1
    if with_epsilon:
        buckets = np.maximum(buckets, 0)
    buckets = buckets.astype(np.int64)

    def bucket_sums(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
        keep = (idx >= 0) & (idx < n)
        return np.bincount(idx[keep], weights=values[keep], minlength=n).astype(dtype)

    if multi_label:
        labels = yp.shape[-1]
        tp_b = np.stack([bucket_sums(true_labels[..., j].reshape(-1),
                                     buckets[..., j].reshape(-1)) for j in range(labels)], 1)
        fp_b = np.stack([bucket_sums(false_labels[..., j].reshape(-1),
                                     buckets[..., j].reshape(-1)) for j in range(labels)], 1)
        tp = _reverse_cumsum(tp_b, 0)
        fp = _reverse_cumsum(fp_b, 0)
        total_true = true_labels.reshape(-1, labels).sum(axis=0)
        total_false = false_labels.reshape(-1, labels).sum(axis=0)
    else:
        tp = _reverse_cumsum(bucket_sums(true_labels, buckets), 0)
        fp = _reverse_cumsum(bucket_sums(false_labels, buckets), 0)
        total_true = true_labels.sum()
        total_false = false_labels.sum()
    if "tp" in variables:
        variables["tp"].value[...] += tp
    if "fp" in variables:
        variables["fp"].value[...] += fp
    if "tn" in variables:
        variables["tn"].value[...] += total_false - fp
    if "fn" in variables:
        variables["fn"].value[...] += total_true - tp


# --- the counts ----------------------------------------------------------------------------

class _ConfusionMatrixConditionCount(Metric):
    """One confusion-matrix count, per threshold."""

    _condition = "tp"

    def __init__(self, thresholds: Any = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_init_thresholds(thresholds, default_threshold=0.5)
        self._thresholds_distributed_evenly = is_evenly_distributed_thresholds(self.thresholds)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),), name="accumulator")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        update_confusion_matrix_variables(
            {self._condition: self.accumulator}, y_true, y_pred, self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight)

    def result(self) -> Tensor:
        value = self.accumulator.value
        return Tensor(np.array(value[0] if len(self.thresholds) == 1 else value))

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of true positives at each threshold."""

    _condition = "tp"


class FalsePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of false positives at each threshold."""

    _condition = "fp"


class TrueNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of true negatives at each threshold."""

    _condition = "tn"


class FalseNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of false negatives at each threshold."""

    _condition = "fn"


# --- precision and recall ----------------------------------------------------------------

class _PrecisionRecallBase(Metric):
    _direction = "up"
    _second = "fp"  # the count that joins the true positives in the denominator

    def __init__(self, thresholds: Any = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = parse_init_thresholds(thresholds, default_threshold=default)
        self._thresholds_distributed_evenly = is_evenly_distributed_thresholds(self.thresholds)
        n = len(self.thresholds)
        self.true_positives = self.add_variable(shape=(n,), name="true_positives")
        second_name = "false_positives" if self._second == "fp" else "false_negatives"
        setattr(self, second_name, self.add_variable(shape=(n,), name=second_name))
        self._second_var = getattr(self, second_name)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        update_confusion_matrix_variables(
            {"tp": self.true_positives, self._second: self._second_var}, y_true, y_pred,
            self.thresholds, top_k=self.top_k, class_id=self.class_id,
            sample_weight=sample_weight,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly)

    def result(self) -> Tensor:
        tp = self.true_positives.value
        value = divide_no_nan(tp, tp + self._second_var.value)
        return Tensor(np.array(value[0] if len(self.thresholds) == 1 else value))

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_PrecisionRecallBase):
    """TP / (TP + FP): the fraction of positive predictions that are right.

    `thresholds` (one or a list, in [0, 1]; default 0.5) gives one value per threshold;
    `top_k` counts only the k highest predictions of each sample as positive; `class_id`
    looks at one column only.
    """

    _second = "fp"


class Recall(_PrecisionRecallBase):
    """TP / (TP + FN): the fraction of positive labels that are found.

    `thresholds`, `top_k` and `class_id` as in `Precision`.
    """

    _second = "fn"


# --- sensitivity / specificity family --------------------------------------------------

class SensitivitySpecificityBase(Metric):
    """Counts at `num_thresholds` evenly spaced thresholds, for metrics that pick the best
    value of one rate subject to a constraint on another."""

    _direction = "up"

    def __init__(self, value: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        if num_thresholds <= 0:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 0. Received: "
                             f"num_thresholds={num_thresholds}")
        self.value = value
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
            self._thresholds_distributed_evenly = True
        n = len(self.thresholds)
        self.true_positives = self.add_variable(shape=(n,), name="true_positives")
        self.false_positives = self.add_variable(shape=(n,), name="false_positives")
        self.true_negatives = self.add_variable(shape=(n,), name="true_negatives")
        self.false_negatives = self.add_variable(shape=(n,), name="false_negatives")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        update_confusion_matrix_variables(
            {"tp": self.true_positives, "tn": self.true_negatives, "fp": self.false_positives,
             "fn": self.false_negatives}, y_true, y_pred, self.thresholds,
            class_id=self.class_id, sample_weight=sample_weight,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly)

    def _rates(self) -> dict:
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        return {"sensitivity": divide_no_nan(tp, tp + fn),  # = recall
                "specificity": divide_no_nan(tn, tn + fp),
                "precision": divide_no_nan(tp, tp + fp)}

    def _max_under_constraint(self, constrained: np.ndarray, dependent: np.ndarray) -> Tensor:
        feasible = constrained >= self.value
        best = np.max(np.where(feasible, dependent, 0), initial=0)
        return Tensor(np.asarray(best, dtype=self.dtype))

    def get_config(self) -> dict:
        return {**super().get_config(), "class_id": self.class_id}


def _check_unit(name: str, value: float) -> None:
    if value < 0 or value > 1:
        raise ValueError(f"Argument `{name}` must be in the range [0, 1]. Received: "
                         f"{name}={value}")


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The best sensitivity (recall) over thresholds where specificity >= `specificity`."""

    def __init__(self, specificity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        _check_unit("specificity", specificity)
        self.specificity = specificity
        self.num_thresholds = num_thresholds
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self) -> Tensor:
        r = self._rates()
        return self._max_under_constraint(r["specificity"], r["sensitivity"])

    def get_config(self) -> dict:
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "specificity": self.specificity}


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The best specificity over thresholds where sensitivity >= `sensitivity`."""

    def __init__(self, sensitivity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        _check_unit("sensitivity", sensitivity)
        self.sensitivity = sensitivity
        self.num_thresholds = num_thresholds
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self) -> Tensor:
        r = self._rates()
        return self._max_under_constraint(r["sensitivity"], r["specificity"])

    def get_config(self) -> dict:
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "sensitivity": self.sensitivity}


class PrecisionAtRecall(SensitivitySpecificityBase):
    """The best precision over thresholds where recall >= `recall`."""

    def __init__(self, recall: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        _check_unit("recall", recall)
        self.recall = recall
        self.num_thresholds = num_thresholds
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self) -> Tensor:
        r = self._rates()
        return self._max_under_constraint(r["sensitivity"], r["precision"])

    def get_config(self) -> dict:
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "recall": self.recall}


class RecallAtPrecision(SensitivitySpecificityBase):
    """The best recall over thresholds where precision >= `precision`."""

    def __init__(self, precision: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        _check_unit("precision", precision)
        self.precision = precision
        self.num_thresholds = num_thresholds
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self) -> Tensor:
        r = self._rates()
        return self._max_under_constraint(r["precision"], r["sensitivity"])

    def get_config(self) -> dict:
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "precision": self.precision}


# --- AUC ----------------------------------------------------------------------------------

_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from counts at `num_thresholds`
    thresholds (0 - eps, 1/(n-1), ..., 1 + eps unless `thresholds` are given).

    `summation_method`: `"interpolation"` (trapezoids for ROC; the Davis & Goadrich
    interpolation for PR), `"majoring"` or `"minoring"` (upper or lower Riemann sums).
    `multi_label=True` keeps one curve per label and averages the areas (weighted by
    `label_weights`); otherwise all labels are pooled. `from_logits` applies a sigmoid.
    """

    _direction = "up"

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str | None = None,
                 dtype: Any = None, thresholds: Any = None, multi_label: bool = False,
                 num_labels: int | None = None, label_weights: Any = None,
                 from_logits: bool = False) -> None:
        key = str(curve).lower()
        if key not in _CURVES:
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are '
                             '["PR", "ROC", "PRGAIN"]')
        summation = str(summation_method).lower()
        if summation not in _SUMMATIONS:
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". '
                             'Expected values are ["interpolation", "majoring", "minoring"]')
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            inner = sorted(thresholds)
            self._thresholds_distributed_evenly = is_evenly_distributed_thresholds(
                np.array([0.0] + inner + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        eps = config.epsilon()
        self._thresholds = np.array([0.0 - eps] + list(inner) + [1.0 + eps])
        self.curve = _CURVES[key]
        self.summation_method = summation
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else \
            np.asarray(label_weights, dtype=self.dtype)
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self) -> list:
        return [float(t) for t in self._thresholds]

    def _build(self, shape: Any) -> None:
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found "
                                 f"rank {len(shape)}. Full shape received for `y_pred`: "
                                 f"{shape}")
            self._num_labels = shape[1]
            var_shape = (self.num_thresholds, self._num_labels)
        else:
            var_shape = (self.num_thresholds,)
        self.true_positives = self.add_variable(shape=var_shape, name="true_positives")
        self.false_positives = self.add_variable(shape=var_shape, name="false_positives")
        self.true_negatives = self.add_variable(shape=var_shape, name="true_negatives")
        self.false_negatives = self.add_variable(shape=var_shape, name="false_negatives")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        yp = to_numpy(y_pred)
        if not self._built:
            self._build(yp.shape)
        if self._from_logits:
            yp = yp.astype(self.dtype)
            e = np.exp(-np.abs(yp))
            yp = np.where(yp >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(self.dtype)
        update_confusion_matrix_variables(
            {"tp": self.true_positives, "tn": self.true_negatives, "fp": self.false_positives,
             "fn": self.false_negatives}, y_true, yp, self._thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights)

    def _combine(self, terms: np.ndarray) -> Tensor:
        if self.multi_label:
            by_label = np.sum(terms, axis=0)
            if self.label_weights is None:
                value = np.mean(by_label)
            else:
                value = divide_no_nan(np.sum(by_label * self.label_weights),
                                      np.sum(self.label_weights))
        else:
            value = np.sum(terms)
        return Tensor(np.asarray(value, dtype=self.dtype))

    def interpolate_pr_auc(self) -> Tensor:
        """The PR area with precision interpolated between thresholds (Davis & Goadrich,
        2006): exact for the piecewise-linear interpolation of TP against TP + FP."""
        tp, fp, fn = (self.true_positives.value, self.false_positives.value,
                      self.false_negatives.value)
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        ratio = np.where((p[:-1] > 0) & (p[1:] > 0), divide_no_nan(p[:-1], np.maximum(p[1:], 0)),
                         np.ones_like(p[1:]))
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = np.log(ratio)
        terms = divide_no_nan(slope * (dtp + intercept * log_ratio),
                              np.maximum(tp[1:] + fn[1:], 0))
        return self._combine(terms)

    def result(self) -> Tensor:
        if not self._built:
            return Tensor(np.asarray(0.0, dtype=self.dtype))
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:  # PRGAIN
            scale = divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scale * divide_no_nan(fn, tp)
            precision_gain = 1.0 - scale * divide_no_nan(fp, tp)
            recall_gain = np.maximum(np.where(tp == 0, 0.0, recall_gain), 0.0)
            precision_gain = np.where(tp == 0, 1.0, precision_gain)
            x, y = recall_gain.astype(self.dtype), precision_gain.astype(self.dtype)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._combine((x[:-1] - x[1:]) * heights)

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict:
        cfg = {**super().get_config(), "num_thresholds": self.num_thresholds,
               "curve": self.curve, "summation_method": self.summation_method,
               "multi_label": self.multi_label, "num_labels": self.num_labels,
               "label_weights": None if self.label_weights is None else
               self.label_weights.tolist(),
               "from_logits": self._from_logits}
        if self._init_from_thresholds:
            cfg["thresholds"] = self.thresholds[1:-1]
        return cfg
