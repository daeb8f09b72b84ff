"""Metrics: accumulation, sample weights, reset, configs, names and directions.

Expectations are computed independently with NumPy from the definitions (counts,
formulas); values against Keras itself are in compat_tests/.
"""

import warnings

import numpy as np
import pytest

import minikeras as keras
from minikeras import metrics
from minikeras.autodiff.tensor import Tensor

RNG = np.random.default_rng(11)


def _binary_batches(n=3, b=16, labels=1, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.integers(0, 2, (b, labels)).astype("float32"),
             rng.uniform(0, 1, (b, labels)).astype("float32")) for _ in range(n)]


def _counts(yt, yp, t, w=None):
    """tp, fp, tn, fn at threshold t (prediction positive when > t), weighted."""
    w = np.ones_like(yp) if w is None else np.broadcast_to(w, yp.shape)
    pos, lab = yp > t, yt != 0
    return (np.sum(w * (pos & lab)), np.sum(w * (pos & ~lab)), np.sum(w * (~pos & ~lab)),
            np.sum(w * (~pos & lab)))


# --- Mean, Sum, MeanMetricWrapper ------------------------------------------------------

def test_mean_weights_values_and_resets():
    m = metrics.Mean()
    m.update_state([1.0, 2.0, 3.0])
    m.update_state([4.0, 5.0], sample_weight=[0.0, 2.0])
    r = m.result()
    assert isinstance(r, Tensor) and r.dtype == np.float32
    np.testing.assert_allclose(float(r), (1 + 2 + 3 + 10) / (3 + 2), rtol=1e-6)
    m.reset_state()
    assert float(m.result()) == 0.0
    assert [v.path for v in m.variables] == ["mean/total", "mean/count"]


def test_mean_add_rounds_each_addition_in_float32_as_keras_does():
    """`Mean.add` (the loss tracker of the training loop) defers its additions, but each
    one must still round in float32, one after the other, like Keras' variable updates."""
    rng = np.random.default_rng(5)
    values = rng.uniform(0, 3, 6000)
    weights = rng.integers(1, 33, 6000)
    m = metrics.Mean()
    total, count = np.float32(0), np.float32(0)
    for i, (v, w) in enumerate(zip(values, weights)):
        m.add(float(v), int(w))
        total = np.float32(total + np.float32(v) * np.float32(w))
        count = np.float32(count + np.float32(w))
        if i == 2500:  # reading in between folds the pending additions
            assert float(m.result()) == float(np.float32(total / count))
        if i == 3000:
            m.update_state([1.0, 2.0])
            total = np.float32(total + np.float32(3.0))
            count = np.float32(count + np.float32(2.0))
    state = [float(v.value) for v in m.variables]  # reading the variables folds too
    assert state == [float(total), float(count)]
    m.add(1.0, 1)
    m.reset_state()
    assert float(m.result()) == 0.0


def test_mean_reduces_extra_axes_before_weighting():
    m = metrics.Mean()
    values = np.arange(6, dtype="float32").reshape(2, 3)
    m.update_state(values, sample_weight=[1.0, 3.0])
    per_row = values.mean(1)
    np.testing.assert_allclose(float(m.result()), (per_row * [1, 3]).sum() / 4, rtol=1e-6)


def test_sum_adds_weighted_values_and_sums_extra_axes():
    s = metrics.Sum()
    s.update_state(np.ones((2, 3), "float32"), sample_weight=[1.0, 2.0])
    s.update_state([5.0])
    np.testing.assert_allclose(float(s.result()), 3 * 1 + 3 * 2 + 5)


def test_mean_metric_wrapper_of_a_loss_points_down_and_round_trips():
    m = metrics.MeanMetricWrapper(keras.losses.mean_absolute_error, name="mae_w")
    assert m._direction == "down"
    yt, yp = RNG.normal(size=(6, 3)), RNG.normal(size=(6, 3))
    m.update_state(yt, yp)
    np.testing.assert_allclose(float(m.result()), np.abs(yt - yp).mean(), rtol=1e-5)
    cfg = m.get_config()
    assert cfg["fn"]["class_name"] == "function"
    assert cfg["fn"]["config"] == "mean_absolute_error"
    again = metrics.MeanMetricWrapper.from_config(cfg)
    assert again._fn is keras.losses.mean_absolute_error and again.name == "mae_w"
    # wrapping an instance from `get` uses its function
    w = metrics.MeanMetricWrapper(metrics.get("mse"), name="w")
    assert w._fn is keras.losses.mean_squared_error


def test_plain_function_wrapper_has_no_direction_and_auto_name():
    keras.backend.clear_session()
    m = metrics.MeanMetricWrapper(lambda t, p: keras.ops.abs(t - p))
    assert m._direction is None and m.name == "mean_metric_wrapper"
    assert metrics.MeanMetricWrapper(lambda t, p: t).name == "mean_metric_wrapper_1"


def test_ignore_class_mask_in_metrics_acts_with_sample_weights_only():
    """Keras 3 quirk, kept: the mask of ignored entries is folded into sample weights, so
    without weights the ignored entries count as zeros in the mean."""
    yp = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]], "float32")
    labels = np.array([0, 1, 2])
    valid_losses = -np.log([0.7, 0.8])
    m = metrics.SparseCategoricalCrossentropy(ignore_class=2)
    m.update_state(labels, yp)
    np.testing.assert_allclose(float(m.result()), valid_losses.sum() / 3, rtol=1e-5)
    w = metrics.SparseCategoricalCrossentropy(ignore_class=2)
    w.update_state(labels, yp, sample_weight=[1.0, 3.0, 5.0])
    np.testing.assert_allclose(float(w.result()), (valid_losses * [1, 3]).sum() / 4, rtol=1e-5)


# --- directions, names, configs ---------------------------------------------------------

UP = ["AUC", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
      "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "Precision", "Recall",
      "F1Score", "FBetaScore", "R2Score", "CosineSimilarity", "PearsonCorrelation",
      "ConcordanceCorrelation", "BinaryIoU"]
DOWN = ["MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
        "MeanSquaredLogarithmicError", "RootMeanSquaredError", "LogCoshError", "Hinge",
        "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson", "BinaryCrossentropy",
        "CategoricalCrossentropy", "SparseCategoricalCrossentropy"]
NONE = ["Mean", "Sum", "TruePositives", "TrueNegatives", "FalsePositives", "FalseNegatives"]
NEEDS_ARGS = {"SensitivityAtSpecificity": {"specificity": 0.5},
              "SpecificityAtSensitivity": {"sensitivity": 0.5},
              "PrecisionAtRecall": {"recall": 0.5}, "RecallAtPrecision": {"precision": 0.5},
              "IoU": {"num_classes": 3, "target_class_ids": [0, 2]},
              "MeanIoU": {"num_classes": 3},
              "OneHotIoU": {"num_classes": 3, "target_class_ids": [1]},
              "OneHotMeanIoU": {"num_classes": 3}}


@pytest.mark.parametrize("name", UP + DOWN + NONE + list(NEEDS_ARGS))
def test_direction_as_keras_sets_it(name):
    m = getattr(metrics, name)(**NEEDS_ARGS.get(name, {}))
    want = "up" if name in UP or name in NEEDS_ARGS else "down" if name in DOWN else None
    assert m._direction == want


@pytest.mark.parametrize("name", UP + DOWN + NONE + list(NEEDS_ARGS))
def test_config_round_trip_and_registry(name):
    m = getattr(metrics, name)(**NEEDS_ARGS.get(name, {}))
    cfg = m.get_config()
    assert cfg["name"] == m.name
    again = metrics.deserialize(metrics.serialize(m))
    assert type(again) is type(m) and again.get_config() == cfg
    assert isinstance(metrics.get(name), type(m)) if not NEEDS_ARGS.get(name) else True


def test_auto_names_count_up_like_keras():
    keras.backend.clear_session()
    assert [metrics.Precision().name for _ in range(3)] == ["precision", "precision_1",
                                                             "precision_2"]
    assert metrics.AUC(name="x").name == "x"
    assert metrics.F1Score().name == "f1_score"  # an explicit default, no counter


def test_get_returns_new_instances_for_names_and_functions_for_keras2_names():
    a, b = metrics.get("mse"), metrics.get("mse")
    assert isinstance(a, metrics.MeanSquaredError) and a is not b
    assert isinstance(metrics.get("auc"), metrics.AUC)
    assert isinstance(metrics.get("f1_score"), metrics.F1Score)
    assert isinstance(metrics.get("BCE"), metrics.BinaryCrossentropy)
    assert metrics.get("logcosh") is keras.losses.log_cosh
    assert metrics.get_function("binary_accuracy") is metrics.binary_accuracy
    with pytest.raises(ValueError, match="Did you mean"):
        metrics.get("precission")
    with pytest.raises(ValueError):
        metrics.get("rmse")


def test_results_are_tensors_and_reset_restarts():
    yt, yp = _binary_batches(1)[0]
    for name in ["Precision", "Recall", "AUC", "TruePositives", "BinaryAccuracy",
                 "BinaryCrossentropy", "R2Score", "F1Score", "RootMeanSquaredError"]:
        m = getattr(metrics, name)()
        m.update_state(yt, yp)
        first = np.asarray(m.result())
        assert isinstance(m.result(), Tensor), name
        m.update_state(yt, 1 - yp)
        m.reset_state()
        m.update_state(yt, yp)
        np.testing.assert_allclose(np.asarray(m.result()), first, rtol=1e-6, err_msg=name)


# --- confusion-matrix metrics ------------------------------------------------------------

@pytest.mark.parametrize("thresholds", [None, 0.3, [0.1, 0.5, 0.9], [0.0, 0.5, 1.0]])
def test_confusion_counts_with_thresholds_and_weights(thresholds):
    batches = _binary_batches()
    ts = [0.5] if thresholds is None else np.atleast_1d(thresholds).tolist()
    w = RNG.uniform(0, 2, (16,)).astype("float32")
    ms = [metrics.TruePositives(thresholds), metrics.FalsePositives(thresholds),
          metrics.TrueNegatives(thresholds), metrics.FalseNegatives(thresholds)]
    want = np.zeros((4, len(ts)))
    for i, (yt, yp) in enumerate(batches):
        sw = w if i == 1 else None
        for m in ms:
            m.update_state(yt, yp, sample_weight=sw)
        for j, t in enumerate(ts):
            want[:, j] += _counts(yt, yp, t, None if sw is None else sw[:, None])
    for k, m in enumerate(ms):
        got = np.atleast_1d(np.asarray(m.result()))
        np.testing.assert_allclose(got, want[k], rtol=1e-5, atol=1e-5)


def test_precision_recall_match_their_definitions():
    batches = _binary_batches(labels=3)
    p, r = metrics.Precision(thresholds=[0.25, 0.6]), metrics.Recall(thresholds=[0.25, 0.6])
    tot = np.zeros((2, 4))
    for yt, yp in batches:
        p.update_state(yt, yp)
        r.update_state(yt, yp)
        tot += np.array([_counts(yt, yp, t) for t in (0.25, 0.6)])
    tp, fp, _, fn = tot.T
    np.testing.assert_allclose(np.asarray(p.result()), tp / (tp + fp), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(r.result()), tp / (tp + fn), rtol=1e-6)


def test_precision_recall_top_k_and_class_id():
    yt = np.array([[0, 1, 1, 0], [1, 0, 0, 0], [0, 0, 1, 1]], "float32")
    yp = np.array([[0.9, 0.8, 0.2, 0.1], [0.3, 0.6, 0.1, 0.2], [0.1, 0.2, 0.7, 0.8]], "float32")
    top2 = np.argsort(-yp, axis=1)[:, :2]
    chosen = np.zeros_like(yt, dtype=bool)
    np.put_along_axis(chosen, top2, True, axis=1)
    tp = np.sum(chosen & (yt == 1))
    np.testing.assert_allclose(float(metrics.Precision(top_k=2)(yt, yp)), tp / chosen.sum())
    np.testing.assert_allclose(float(metrics.Recall(top_k=2)(yt, yp)), tp / yt.sum())
    # class 2 alone: predictions 0.2, 0.1, 0.7 against labels 1, 0, 1
    col = 2
    pos = yp[:, col] > 0.5
    lab = yt[:, col] == 1
    np.testing.assert_allclose(float(metrics.Precision(class_id=col)(yt, yp)),
                               np.sum(pos & lab) / np.sum(pos))
    np.testing.assert_allclose(float(metrics.Recall(class_id=col)(yt, yp)),
                               np.sum(pos & lab) / np.sum(lab))
    # top_k and class_id together: class 2 is in the top 2 of rows 0? no; 2 yes
    in_top = chosen[:, col]
    np.testing.assert_allclose(float(metrics.Recall(top_k=2, class_id=col)(yt, yp)),
                               np.sum(in_top & lab) / np.sum(lab))


def test_precision_of_no_positive_prediction_is_zero():
    p = metrics.Precision()
    p.update_state([[1.0], [0.0]], [[0.1], [0.2]])
    assert float(p.result()) == 0.0


def test_threshold_errors():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="ROCK")
    with pytest.raises(ValueError, match="summation"):
        metrics.AUC(summation_method="simpson")
    with pytest.raises(ValueError):
        metrics.Precision(class_id=1)(np.zeros(4), np.zeros(4))


def _auc_reference(yt, yp, n, curve, method, w=None):
    """AUC from counts compared threshold by threshold (no bucketing), by definition."""
    eps = keras.config.epsilon()
    ts = [0 - eps] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + eps]
    c = np.array([_counts(yt, yp, np.float32(t), w) for t in ts], dtype=np.float64)
    tp, fp, tn, fn = c.T
    div = lambda a, b: np.divide(a, b, out=np.zeros_like(a), where=b != 0)  # noqa: E731
    rec = div(tp, tp + fn)
    x, y = (div(fp, fp + tn), rec) if curve == "ROC" else (rec, div(tp, tp + fp))
    h = {"interpolation": (y[:-1] + y[1:]) / 2, "majoring": np.maximum(y[:-1], y[1:]),
         "minoring": np.minimum(y[:-1], y[1:])}[method]
    return np.sum((x[:-1] - x[1:]) * h)


@pytest.mark.parametrize("curve,method", [("ROC", "interpolation"), ("ROC", "majoring"),
                                          ("ROC", "minoring"), ("PR", "majoring"),
                                          ("PR", "minoring")])
@pytest.mark.parametrize("n", [200, 7])
def test_auc_buckets_equal_direct_comparison(curve, method, n):
    (yt, yp), = _binary_batches(1, b=64, labels=2, seed=4)
    yp[0, 0], yp[1, 0], yp[2, 1] = 0.0, 1.0, 0.5  # edges of the threshold grid
    w = RNG.uniform(0, 2, (64, 1)).astype("float32")
    m = metrics.AUC(num_thresholds=n, curve=curve, summation_method=method)
    m.update_state(yt, yp, sample_weight=w[:, 0])
    np.testing.assert_allclose(float(m.result()), _auc_reference(yt, yp, n, curve, method, w),
                               rtol=1e-5)


def test_auc_roc_approaches_the_rank_statistic():
    rng = np.random.default_rng(3)
    yt = rng.integers(0, 2, 2000)
    yp = np.clip(rng.normal(0.4 + 0.2 * yt, 0.2), 0, 1).astype("float32")
    m = metrics.AUC(num_thresholds=1000)
    m.update_state(yt, yp)
    pos, neg = yp[yt == 1], yp[yt == 0]
    exact = np.mean(pos[:, None] > neg[None, :]) + 0.5 * np.mean(pos[:, None] == neg[None, :])
    assert abs(float(m.result()) - exact) < 2e-3
    pr = metrics.AUC(num_thresholds=1000, curve="PR")
    pr.update_state(yt, yp)
    assert 0.5 < float(pr.result()) < 1.0


def test_auc_multi_label_label_weights_and_logits():
    rng = np.random.default_rng(5)
    yt = rng.integers(0, 2, (40, 3)).astype("float32")
    logits = rng.normal(size=(40, 3)).astype("float32")
    probs = (1 / (1 + np.exp(-logits))).astype("float32")
    per_label = []
    for j in range(3):
        m = metrics.AUC()
        m.update_state(yt[:, j], probs[:, j])
        per_label.append(float(m.result()))
    ml = metrics.AUC(multi_label=True, from_logits=True)
    ml.update_state(yt, logits)
    np.testing.assert_allclose(float(ml.result()), np.mean(per_label), rtol=1e-5)
    lw = np.array([1.0, 0.0, 3.0])
    mw = metrics.AUC(multi_label=True, label_weights=lw)
    mw.update_state(yt, probs)
    np.testing.assert_allclose(float(mw.result()), np.dot(per_label, lw) / lw.sum(), rtol=1e-5)
    # explicit (unevenly spaced) thresholds use the direct comparison
    ut = metrics.AUC(thresholds=[0.1, 0.35, 0.8])
    ut.update_state(yt, probs)
    assert 0.0 <= float(ut.result()) <= 1.0
    assert ut.get_config()["thresholds"] == [0.1, 0.35, 0.8]
    assert metrics.AUC.from_config(ut.get_config()).num_thresholds == 5


def test_sensitivity_specificity_family():
    rng = np.random.default_rng(8)
    yt = rng.integers(0, 2, 200).astype("float32")
    yp = np.clip(rng.normal(0.35 + 0.3 * yt, 0.2), 0, 1).astype("float32")
    n = 50
    ts = [0.0] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1.0]
    c = np.array([_counts(yt, yp, np.float32(t)) for t in ts])
    tp, fp, tn, fn = c.T
    sens, spec = tp / (tp + fn), tn / (tn + fp)
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = np.nan_to_num(tp / (tp + fp))
    cases = [(metrics.SensitivityAtSpecificity(0.7, num_thresholds=n), spec, sens, 0.7),
             (metrics.SpecificityAtSensitivity(0.8, num_thresholds=n), sens, spec, 0.8),
             (metrics.PrecisionAtRecall(0.6, num_thresholds=n), sens, prec, 0.6),
             (metrics.RecallAtPrecision(0.7, num_thresholds=n), prec, sens, 0.7)]
    for m, constrained, dependent, v in cases:
        m.update_state(yt, yp)
        want = np.max(np.where(constrained >= v, dependent, 0), initial=0)
        np.testing.assert_allclose(float(m.result()), want, rtol=1e-5, err_msg=m.name)
    with pytest.raises(ValueError):
        metrics.PrecisionAtRecall(1.2)


# --- F-scores, R2, IoU, correlation -------------------------------------------------------

def _fbeta(yt, pred, beta, w=None, axis=0):
    w = np.ones(len(yt)) if w is None else w
    tp = np.sum(pred * yt * w[:, None], axis=axis)
    fp = np.sum(pred * (1 - yt) * w[:, None], axis=axis)
    fn = np.sum((1 - pred) * yt * w[:, None], axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        p, r = tp / (tp + fp), tp / (tp + fn)
        score = (1 + beta ** 2) * p * r / (beta ** 2 * p + r)
    return score, np.sum(yt * w[:, None], axis=0)


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("beta", [1.0, 2.0])
def test_fbeta_matches_its_definition(average, beta):
    rng = np.random.default_rng(9)
    yt = rng.integers(0, 2, (30, 3)).astype("float32")
    yp = rng.uniform(0, 1, (30, 3)).astype("float32")
    w = rng.uniform(0.5, 2, 30).astype("float32")
    m = metrics.FBetaScore(average=average, beta=beta, threshold=0.5)
    m.update_state(yt[:15], yp[:15])
    m.update_state(yt[15:], yp[15:], sample_weight=w[15:])
    ww = np.concatenate([np.ones(15), w[15:]])
    pred = (yp > 0.5).astype(float)
    score, support = _fbeta(yt, pred, beta, ww, axis=None if average == "micro" else 0)
    if average == "macro":
        score = score.mean()
    elif average == "weighted":
        score = np.sum(score * support / support.sum())
    np.testing.assert_allclose(np.asarray(m.result()), score, rtol=1e-5)


def test_f1_without_threshold_counts_the_top_prediction():
    yt = np.eye(3, dtype="float32")[[0, 1, 2, 1]]
    yp = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.5, 0.1, 0.4], [0.1, 0.8, 0.1]],
                  "float32")
    pred = (yp == yp.max(1, keepdims=True)).astype(float)
    score, _ = _fbeta(yt, pred, 1.0)
    got = np.asarray(metrics.F1Score()(yt, yp))
    np.testing.assert_allclose(got, np.nan_to_num(score), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError):
        metrics.F1Score(threshold=1)  # an int, as Keras insists on a float
    with pytest.raises(ValueError):
        metrics.FBetaScore(average="mean")
    with pytest.raises(ValueError, match="2D"):
        metrics.F1Score()(np.zeros(3), np.zeros(3))


@pytest.mark.parametrize("aggregation", ["uniform_average", "variance_weighted_average", None])
def test_r2_score(aggregation):
    rng = np.random.default_rng(10)
    yt = rng.normal(size=(40, 3)).astype("float32")
    yp = (yt + rng.normal(size=(40, 3)) * 0.5).astype("float32")
    m = metrics.R2Score(class_aggregation=aggregation)
    m.update_state(yt[:20], yp[:20])
    m.update_state(yt[20:], yp[20:])
    ss_res = ((yt - yp) ** 2).sum(0)
    ss_tot = ((yt - yt.mean(0)) ** 2).sum(0)
    raw = 1 - ss_res / ss_tot
    want = {"uniform_average": raw.mean(), None: raw,
            "variance_weighted_average": np.sum(ss_tot * raw) / ss_tot.sum()}[aggregation]
    np.testing.assert_allclose(np.asarray(m.result()), want, rtol=1e-4)
    adj = metrics.R2Score(num_regressors=2)
    adj.update_state(yt, yp)
    n = yt.size
    np.testing.assert_allclose(float(adj.result()), 1 - (1 - raw.mean()) * (n - 1) / (n - 3),
                               rtol=1e-4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        few = metrics.R2Score(num_regressors=10)
        few.update_state(yt[:2, :1], yp[:2, :1])
        few.result()
    assert caught


def test_iou_metrics():
    yt = np.array([0, 0, 1, 1, 2, 2])
    yp = np.array([0, 1, 1, 1, 2, 0])
    cm = np.zeros((3, 3))
    np.add.at(cm, (yt, yp), 1)
    tp = np.diag(cm)
    iou = tp / (cm.sum(0) + cm.sum(1) - tp)
    m = metrics.MeanIoU(num_classes=3)
    m.update_state(yt, yp)
    np.testing.assert_allclose(float(m.result()), iou.mean(), rtol=1e-5)
    t = metrics.IoU(num_classes=3, target_class_ids=[0, 2])
    t.update_state(yt, yp)
    np.testing.assert_allclose(float(t.result()), iou[[0, 2]].mean(), rtol=1e-5)
    oh = metrics.OneHotMeanIoU(num_classes=3)
    oh.update_state(np.eye(3)[yt], np.eye(3)[yp] * 0.9)
    np.testing.assert_allclose(float(oh.result()), iou.mean(), rtol=1e-5)
    b = metrics.BinaryIoU(target_class_ids=[1], threshold=0.5)
    b.update_state([0, 1, 1, 0], [0.2, 0.7, 0.4, 0.6])
    np.testing.assert_allclose(float(b.result()), 1 / 3, rtol=1e-5)
    ign = metrics.MeanIoU(num_classes=3, ignore_class=2)
    ign.update_state(yt, yp)
    keep = yt != 2
    cm2 = np.zeros((3, 3))
    np.add.at(cm2, (yt[keep], yp[keep]), 1)
    tp2 = np.diag(cm2)
    den = cm2.sum(0) + cm2.sum(1) - tp2
    np.testing.assert_allclose(float(ign.result()), np.mean(tp2[den > 0] / den[den > 0]),
                               rtol=1e-5)


def test_correlation_metrics():
    rng = np.random.default_rng(12)
    yt, yp = rng.normal(size=(5, 20)), rng.normal(size=(5, 20))
    m = metrics.PearsonCorrelation()
    m.update_state(yt, yp)
    want = np.mean([np.corrcoef(a, b)[0, 1] for a, b in zip(yt, yp)])
    np.testing.assert_allclose(float(m.result()), want, rtol=1e-5)
    c = metrics.ConcordanceCorrelation()
    c.update_state(yt, yt)
    assert float(c.result()) > 0.99


# --- the other wrappers, against their formulas ---------------------------------------------

def test_regression_and_probabilistic_wrappers():
    yt = RNG.uniform(0.1, 1, (8, 3)).astype("float32")
    yp = RNG.uniform(0.1, 1, (8, 3)).astype("float32")
    sw = RNG.uniform(0, 2, 8).astype("float32")
    eps = keras.config.epsilon()
    per_sample = {
        "MeanSquaredError": ((yt - yp) ** 2).mean(-1),
        "MeanAbsoluteError": np.abs(yt - yp).mean(-1),
        "MeanAbsolutePercentageError": 100 * np.abs((yt - yp) / yt).mean(-1),
        "MeanSquaredLogarithmicError": ((np.log1p(yp) - np.log1p(yt)) ** 2).mean(-1),
        "LogCoshError": np.log(np.cosh(yp - yt)).mean(-1),
        "Poisson": (yp - yt * np.log(yp + eps)).mean(-1),
        "KLDivergence": (yt * np.log(yt / yp)).sum(-1),
        "Hinge": np.maximum(1 - yt * yp, 0).mean(-1),
    }
    for name, values in per_sample.items():
        m = getattr(metrics, name)()
        m.update_state(yt, yp, sample_weight=sw)
        np.testing.assert_allclose(float(m.result()), np.sum(values * sw) / sw.sum(), rtol=1e-5,
                                   err_msg=name)
    rmse = metrics.RootMeanSquaredError()
    rmse.update_state(yt, yp, sample_weight=sw)
    np.testing.assert_allclose(float(rmse.result()),
                               np.sqrt(np.sum(((yt - yp) ** 2).mean(-1) * sw) / sw.sum()),
                               rtol=1e-5)


def test_accuracy_functions():
    yp = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.2, 0.3, 0.5]], "float32")
    labels = np.array([1, 2, 2])
    onehot = np.eye(3, dtype="float32")[labels]
    want = (yp.argmax(1) == labels).astype("float32")
    np.testing.assert_array_equal(metrics.categorical_accuracy(onehot, yp).numpy(), want)
    np.testing.assert_array_equal(metrics.sparse_categorical_accuracy(labels, yp).numpy(), want)
    np.testing.assert_array_equal(
        metrics.sparse_categorical_accuracy(labels[:, None], yp).numpy(), want)
    rank = (yp > yp[np.arange(3), labels][:, None]).sum(1)
    np.testing.assert_array_equal(metrics.top_k_categorical_accuracy(onehot, yp, k=2).numpy(),
                                  (rank < 2).astype("float32"))
    np.testing.assert_array_equal(
        metrics.sparse_top_k_categorical_accuracy(labels, yp, k=2).numpy(),
        (rank < 2).astype("float32"))
    ids = np.argsort(-yp, 1)
    np.testing.assert_array_equal(
        metrics.sparse_top_k_categorical_accuracy(labels, ids, k=1, from_sorted_ids=True)
        .numpy(), want)
    # binary_accuracy is element-wise, as in Keras 3
    assert metrics.binary_accuracy(np.ones((2, 3)), np.full((2, 3), 0.7)).shape == (2, 3)


def test_metrics_in_fit_and_evaluate():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", keras.losses.BinaryFocalCrossentropy(),
                  metrics=["auc", metrics.Precision(), metrics.Recall(),
                           metrics.F1Score(average="micro", threshold=0.5)])
    hist = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert {"auc", "precision", "recall", "f1_score", "loss"} <= set(hist.history)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    pred = model.predict(x, verbose=0)
    auc = metrics.AUC()
    auc.update_state(y, pred)
    np.testing.assert_allclose(logs["auc"], float(auc.result()), rtol=1e-5)


def test_user_metric_subclass_keras2_style():
    class CountPositives(metrics.Metric):
        def __init__(self, name="count_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.n = self.add_weight("n", initializer="zeros")  # Keras 2: name first

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.n.assign_add(np.sum(np.asarray(y_pred) > 0.5))

        def result(self):
            return self.n

    m = CountPositives()
    m.update_state(None, [0.2, 0.7, 0.9])
    m.update_state(None, [0.8])
    assert float(m.result()) == 3.0 and m.variables[0].path == "count_positives/n"
    m.reset_states()
    assert float(m.result()) == 0.0
