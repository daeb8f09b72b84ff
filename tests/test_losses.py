"""Losses: float64 gradient checks of every loss (function and class form, every reduction,
with sample weights), the reduction arithmetic, shapes and errors, names and configs.

Values against Keras are in compat_tests/test_function_compat_losses_metrics.py; here the
expectations are written independently with NumPy.
"""

import numpy as np
import pytest

import minikeras as keras
from minikeras import losses
from minikeras.autodiff.tensor import Tensor, gradients, watch
from tests.gradcheck import check_gradients

B, C = 5, 4


def _inputs(kind, seed=0):
    """(y_true, y_pred) away from kinks and clipping edges, float64."""
    rng = np.random.default_rng(seed)
    if kind == "real":
        return rng.normal(size=(B, C)), rng.normal(size=(B, C))
    if kind == "huber":
        t = rng.normal(size=(B, C))
        return t, t + rng.choice([-1, 1], (B, C)) * rng.uniform(0.1, 3.0, (B, C))
    if kind == "positive":
        return rng.uniform(0.2, 3.0, (B, C)), rng.uniform(0.2, 3.0, (B, C))
    if kind == "prob":
        return rng.uniform(0.05, 0.95, (B, C)), rng.uniform(0.05, 0.95, (B, C))
    if kind == "dist":
        a, b = rng.uniform(0.1, 1.0, (B, C)), rng.uniform(0.1, 1.0, (B, C))
        return a / a.sum(-1, keepdims=True), b / b.sum(-1, keepdims=True)
    if kind == "onehot_probs":
        t = np.eye(C)[rng.integers(0, C, B)]
        p = rng.uniform(0.1, 1.0, (B, C))
        return t, p / p.sum(-1, keepdims=True)
    if kind == "onehot_logits":
        return np.eye(C)[rng.integers(0, C, B)], rng.normal(size=(B, C)) * 2
    if kind == "binary_logits":
        return rng.uniform(0, 1, (B, C)), rng.normal(size=(B, C)) * 3
    if kind == "pm1":
        return rng.choice([-1.0, 1.0], (B, C)), rng.normal(size=(B, C))
    raise KeyError(kind)


# (name, function, kwargs, input kind, differentiate with respect to y_true as well)
DIFFERENTIABLE = [
    ("mse", losses.mean_squared_error, {}, "real", True),
    ("mae", losses.mean_absolute_error, {}, "real", True),
    ("mape", losses.mean_absolute_percentage_error, {}, "positive", True),
    ("msle", losses.mean_squared_logarithmic_error, {}, "positive", True),
    ("cosine", losses.cosine_similarity, {}, "real", True),
    ("cosine_axis0", losses.cosine_similarity, {"axis": 0}, "real", True),
    ("huber", losses.huber, {}, "huber", True),
    ("huber_delta2", losses.huber, {"delta": 2.0}, "huber", True),
    ("log_cosh", losses.log_cosh, {}, "huber", True),
    ("kld", losses.kl_divergence, {}, "dist", True),
    ("poisson", losses.poisson, {}, "positive", True),
    ("bce", losses.binary_crossentropy, {}, "prob", True),
    ("bce_smooth", losses.binary_crossentropy, {"label_smoothing": 0.2}, "prob", True),
    ("bce_logits", losses.binary_crossentropy, {"from_logits": True}, "binary_logits", True),
    ("bce_axis0", losses.binary_crossentropy, {"axis": 0}, "prob", True),
    ("bfce", losses.binary_focal_crossentropy, {}, "prob", True),
    ("bfce_balanced", losses.binary_focal_crossentropy,
     {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5}, "prob", True),
    ("bfce_logits_smooth", losses.binary_focal_crossentropy,
     {"from_logits": True, "label_smoothing": 0.1}, "binary_logits", True),
    ("cce", losses.categorical_crossentropy, {}, "onehot_probs", True),
    ("cce_smooth", losses.categorical_crossentropy, {"label_smoothing": 0.1}, "onehot_probs",
     True),
    ("cce_logits", losses.categorical_crossentropy, {"from_logits": True}, "onehot_logits",
     True),
    ("cfce", losses.categorical_focal_crossentropy, {}, "onehot_probs", True),
    ("cfce_logits", losses.categorical_focal_crossentropy,
     {"from_logits": True, "alpha": 0.5, "gamma": 1.0, "label_smoothing": 0.1},
     "onehot_logits", True),
    ("hinge", losses.hinge, {}, "pm1", True),
    ("squared_hinge", losses.squared_hinge, {}, "pm1", True),
    ("categorical_hinge", losses.categorical_hinge, {}, "onehot_logits", True),
    ("dice", losses.dice, {}, "prob", True),
    ("dice_axis1", losses.dice, {"axis": 1}, "prob", True),
    ("tversky", losses.tversky, {"alpha": 0.7, "beta": 0.3}, "prob", True),
    ("tversky_axis1", losses.tversky, {"axis": 1}, "prob", True),
]


@pytest.mark.parametrize("name,fn,kwargs,kind,wrt_true", DIFFERENTIABLE,
                         ids=[c[0] for c in DIFFERENTIABLE])
def test_loss_function_gradients(float64, name, fn, kwargs, kind, wrt_true):
    yt, yp = _inputs(kind)
    if wrt_true:
        check_gradients(lambda t, p: fn(t, p, **kwargs), [yt, yp])
    else:
        check_gradients(lambda p: fn(yt, p, **kwargs), [yp])


def test_hinge_gradient_with_binary_labels(float64):
    rng = np.random.default_rng(1)
    yt = rng.integers(0, 2, (B, C)).astype(float)  # converted to -1/1 inside
    yp = rng.normal(size=(B, C))
    for fn in (losses.hinge, losses.squared_hinge):
        check_gradients(lambda p, fn=fn: fn(yt, p), [yp])


SPARSE_LABELS = np.array([0, 3, 1, 2, 3])


@pytest.mark.parametrize("kwargs", [{}, {"from_logits": True}, {"ignore_class": 3},
                                    {"from_logits": True, "ignore_class": 1}],
                         ids=["probs", "logits", "ignore", "logits_ignore"])
def test_sparse_categorical_crossentropy_gradients(float64, kwargs):
    kind = "onehot_logits" if kwargs.get("from_logits") else "onehot_probs"
    _, yp = _inputs(kind)
    loss = losses.SparseCategoricalCrossentropy(**kwargs)
    check_gradients(lambda p: losses.sparse_categorical_crossentropy(SPARSE_LABELS, p, **kwargs),
                    [yp])
    check_gradients(lambda p: loss(SPARSE_LABELS, p, sample_weight=np.arange(1.0, 6.0)), [yp])


@pytest.mark.parametrize("q", [0.2, 0.5, 0.9])
def test_categorical_generalized_cross_entropy_gradients(float64, q):
    _, yp = _inputs("onehot_probs")
    check_gradients(lambda p: losses.categorical_generalized_cross_entropy(SPARSE_LABELS, p, q),
                    [yp])
    check_gradients(lambda p: losses.CategoricalGeneralizedCrossEntropy(q=q)(SPARSE_LABELS, p),
                    [yp])


CLASS_FORMS = [
    (losses.MeanSquaredError, {}, "real"), (losses.MeanAbsoluteError, {}, "real"),
    (losses.MeanAbsolutePercentageError, {}, "positive"),
    (losses.MeanSquaredLogarithmicError, {}, "positive"),
    (losses.CosineSimilarity, {"axis": -1}, "real"), (losses.Huber, {"delta": 0.7}, "huber"),
    (losses.LogCosh, {}, "huber"), (losses.KLDivergence, {}, "dist"),
    (losses.Poisson, {}, "positive"), (losses.BinaryCrossentropy, {}, "prob"),
    (losses.BinaryFocalCrossentropy, {"gamma": 3.0}, "prob"),
    (losses.CategoricalCrossentropy, {"from_logits": True}, "onehot_logits"),
    (losses.CategoricalFocalCrossentropy, {}, "onehot_probs"),
    (losses.Hinge, {}, "pm1"), (losses.SquaredHinge, {}, "pm1"),
    (losses.CategoricalHinge, {}, "onehot_logits"), (losses.Dice, {"axis": -1}, "prob"),
    (losses.Tversky, {"axis": -1}, "prob"),
]
REDUCTIONS = ["sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight"]


@pytest.mark.parametrize("cls,kwargs,kind", CLASS_FORMS, ids=[c[0].__name__ for c in CLASS_FORMS])
def test_loss_class_gradients_every_reduction(float64, cls, kwargs, kind):
    yt, yp = _inputs(kind, seed=3)
    sw = np.array([0.5, 2.0, 0.0, 1.0, 1.5])
    for reduction in REDUCTIONS:
        loss = cls(reduction=reduction, **kwargs)
        check_gradients(lambda t, p, loss=loss: loss(t, p), [yt, yp])
        check_gradients(lambda t, p, loss=loss: loss(t, p, sample_weight=sw), [yt, yp])


# --- reductions, computed independently --------------------------------------------------

def _per_sample_mse(yt, yp):
    return np.mean((yt - yp) ** 2, axis=-1)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_reductions_arithmetic(float64, reduction):
    yt, yp = _inputs("real", seed=5)
    sw = np.array([0.5, 2.0, 0.0, 1.0, 1.5])
    values = _per_sample_mse(yt, yp)
    loss = losses.MeanSquaredError(reduction=reduction)
    got, got_sw = loss(yt, yp).numpy(), loss(yt, yp, sample_weight=sw).numpy()
    if reduction in (None, "none"):
        np.testing.assert_allclose(got, values, rtol=1e-12)
        np.testing.assert_allclose(got_sw, values * sw, rtol=1e-12)
    elif reduction == "sum":
        np.testing.assert_allclose(got, values.sum(), rtol=1e-12)
        np.testing.assert_allclose(got_sw, (values * sw).sum(), rtol=1e-12)
    elif reduction == "mean_with_sample_weight":
        np.testing.assert_allclose(got, values.mean(), rtol=1e-12)
        np.testing.assert_allclose(got_sw, (values * sw).sum() / sw.sum(), rtol=1e-12)
    else:  # sum_over_batch_size and mean divide by the number of values, not by sum(sw)
        np.testing.assert_allclose(got, values.mean(), rtol=1e-12)
        np.testing.assert_allclose(got_sw, (values * sw).sum() / len(values), rtol=1e-12)
    assert loss.get_config()["reduction"] == reduction


def test_mean_with_sample_weight_all_zero_weights_is_zero():
    yt, yp = _inputs("real")
    got = losses.MeanSquaredError(reduction="mean_with_sample_weight")(
        yt, yp, sample_weight=np.zeros(B))
    assert float(got) == 0.0


def test_per_element_weights_and_rank_alignment(float64):
    yt, yp = _inputs("real", seed=6)
    # a (B, 1) weight column is aligned with the (B,) per-sample values
    sw = np.linspace(0.5, 2.0, B)
    a = losses.MeanAbsoluteError(reduction="sum")(yt, yp, sample_weight=sw[:, None])
    np.testing.assert_allclose(float(a), (np.abs(yt - yp).mean(-1) * sw).sum(), rtol=1e-12)
    # y_true (B,) against y_pred (B, 1): the rank-1 tensor gets the trailing axis (Keras)
    t1 = yt[:, 0]
    per_sample = losses.MeanSquaredError(reduction="none")(t1, yp[:, :1])
    assert per_sample.shape == (B,)
    np.testing.assert_allclose(per_sample.numpy(), (t1 - yp[:, 0]) ** 2, rtol=1e-12)
    # a scalar per-batch loss (dice over all axes) times per-sample weights
    d = losses.Dice(reduction="sum")(np.abs(yt), np.abs(yp), sample_weight=sw)
    plain = losses.dice(np.abs(yt), np.abs(yp))
    assert plain.shape == ()
    np.testing.assert_allclose(float(d), float(plain) * sw.sum(), rtol=1e-12)


def test_ignore_class_averages_over_valid_entries(float64):
    _, yp = _inputs("onehot_probs", seed=2)
    labels = np.array([0, 3, 1, 3, 2])
    valid = labels != 3
    per = -np.log(yp[np.arange(B), labels] / yp.sum(-1))
    loss = losses.SparseCategoricalCrossentropy(ignore_class=3)
    np.testing.assert_allclose(float(loss(labels, yp)), per[valid].mean(), rtol=1e-12)
    summed = losses.SparseCategoricalCrossentropy(ignore_class=3, reduction="sum")
    np.testing.assert_allclose(float(summed(labels, yp)), per[valid].sum(), rtol=1e-12)
    none = losses.SparseCategoricalCrossentropy(ignore_class=3, reduction="none")(labels, yp)
    np.testing.assert_allclose(none.numpy(), np.where(valid, per, 0.0), rtol=1e-12)


def test_formulas_against_numpy(float64):
    rng = np.random.default_rng(7)
    yt, yp = rng.uniform(0.1, 1, (B, C)), rng.uniform(0.1, 1, (B, C))
    eps = keras.config.epsilon()
    e = yp - yt
    np.testing.assert_allclose(losses.log_cosh(yt, yp).numpy(),
                               np.mean(np.log(np.cosh(e)), -1), rtol=1e-10)
    np.testing.assert_allclose(losses.poisson(yt, yp).numpy(),
                               np.mean(yp - yt * np.log(yp + eps), -1), rtol=1e-12)
    np.testing.assert_allclose(losses.kl_divergence(yt, yp).numpy(),
                               np.sum(yt * np.log(yt / yp), -1), rtol=1e-12)
    cos = np.sum(yt * yp, -1) / np.linalg.norm(yt, axis=-1) / np.linalg.norm(yp, axis=-1)
    np.testing.assert_allclose(losses.cosine_similarity(yt, yp).numpy(), -cos, rtol=1e-12)
    np.testing.assert_allclose(keras.metrics.CosineSimilarity()(yt, yp).numpy(), cos.mean(),
                               rtol=1e-12)
    d = 0.3
    hub = np.where(np.abs(e) <= d, 0.5 * e ** 2, d * np.abs(e) - 0.5 * d ** 2).mean(-1)
    np.testing.assert_allclose(losses.huber(yt, yp, delta=d).numpy(), hub, rtol=1e-12)
    pm = np.where(yt > 0.5, 1.0, -1.0)
    np.testing.assert_allclose(losses.hinge(pm, yp).numpy(),
                               np.maximum(1 - pm * yp, 0).mean(-1), rtol=1e-12)
    np.testing.assert_allclose(losses.squared_hinge(pm, yp).numpy(),
                               (np.maximum(1 - pm * yp, 0) ** 2).mean(-1), rtol=1e-12)
    onehot = np.eye(C)[[0, 1, 2, 3, 0]]
    pos, neg = (onehot * yp).sum(-1), ((1 - onehot) * yp).max(-1)
    np.testing.assert_allclose(losses.categorical_hinge(onehot, yp).numpy(),
                               np.maximum(neg - pos + 1, 0), rtol=1e-12)
    # 0/1 labels in hinge losses mean -1/+1
    b01 = (yt > 0.5).astype(float)
    np.testing.assert_allclose(losses.hinge(b01, yp).numpy(), losses.hinge(pm, yp).numpy())
    p_t = b01 * yp + (1 - b01) * (1 - yp)
    bce = -(b01 * np.log(yp) + (1 - b01) * np.log(1 - yp))
    np.testing.assert_allclose(losses.binary_focal_crossentropy(b01, yp, gamma=2.0).numpy(),
                               ((1 - p_t) ** 2 * bce).mean(-1), rtol=1e-10)
    q = 0.4
    labels = np.array([0, 1, 2, 3, 0])
    p = yp[np.arange(B), labels]
    np.testing.assert_allclose(
        losses.categorical_generalized_cross_entropy(labels, yp, q=q).numpy(),
        (1 - p ** q) / q, rtol=1e-12)
    inter = (yt * yp).sum()
    np.testing.assert_allclose(float(losses.dice(yt, yp)),
                               1 - 2 * inter / (yt.sum() + yp.sum() + eps), rtol=1e-12)


def test_saturated_and_edge_inputs_stay_finite():
    zeros = np.zeros((2, 3), dtype="float32")
    # a zero vector has cosine similarity 0 (its norm is capped, as in Keras)
    assert np.all(losses.cosine_similarity(zeros, zeros + 1).numpy() == 0)
    # huge errors do not overflow log_cosh
    assert np.isfinite(losses.log_cosh(zeros, zeros + 1e4).numpy()).all()
    # probabilities of exactly 0 and 1 are clipped in the cross-entropies and KL
    p = np.array([[0.0, 1.0, 0.5]], dtype="float32")
    t = np.array([[1.0, 0.0, 1.0]], dtype="float32")
    for fn in (losses.binary_crossentropy, losses.binary_focal_crossentropy,
               losses.kl_divergence, losses.poisson):
        assert np.isfinite(fn(t, p).numpy()).all(), fn.__name__
    # focal loss from saturated logits is clipped like its probability form
    logits = np.array([[100.0, -100.0]], dtype="float32")
    a = losses.binary_focal_crossentropy([[0.0, 1.0]], logits, from_logits=True)
    b = losses.binary_focal_crossentropy([[0.0, 1.0]], np.array([[1.0, 0.0]], "float32"))
    np.testing.assert_allclose(a.numpy(), b.numpy())


# --- shapes and errors ---------------------------------------------------------------------

@pytest.mark.parametrize("fn", [losses.mean_squared_error, losses.mean_absolute_error,
                                losses.huber, losses.log_cosh, losses.poisson, losses.hinge,
                                losses.kl_divergence, losses.cosine_similarity,
                                losses.binary_crossentropy, losses.binary_focal_crossentropy,
                                losses.categorical_crossentropy,
                                losses.categorical_focal_crossentropy, losses.dice,
                                losses.categorical_hinge, losses.squared_hinge])
def test_shape_mismatch_is_a_value_error_naming_the_shapes(fn):
    with pytest.raises(ValueError, match=r"\(4, 3\)"):
        fn(np.zeros((4, 3)), np.zeros((4, 2)))


def test_sparse_shape_and_label_errors():
    with pytest.raises(ValueError):
        losses.sparse_categorical_crossentropy(np.zeros((4, 2)), np.ones((4, 3)) / 3)
    with pytest.raises(ValueError, match="labels"):
        losses.sparse_categorical_crossentropy(np.array([0, 5]), np.ones((2, 3)) / 3)
    with pytest.raises(ValueError):
        losses.categorical_generalized_cross_entropy(np.zeros((4, 2)), np.ones((4, 3)), q=0.5)


def test_sample_weight_shape_mismatch_is_a_value_error():
    with pytest.raises(ValueError, match="sample_weight"):
        losses.MeanSquaredError()(np.zeros((4, 3)), np.zeros((4, 3)), sample_weight=np.ones(3))


def test_constructor_errors():
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")
    with pytest.raises(TypeError, match="from_logit"):
        losses.BinaryCrossentropy(from_logit=True)
    with pytest.raises(ValueError, match="q"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.5)
    with pytest.raises(ValueError, match="axis"):
        losses.categorical_crossentropy(np.eye(3), np.eye(3) * 0.9 + 0.03, axis=True)


def test_keras2_auto_reduction_means_sum_over_batch_size():
    assert losses.MeanSquaredError(reduction="auto").reduction == "sum_over_batch_size"


# --- classes, names, configs -----------------------------------------------------------------

def test_positional_arguments_follow_keras_order():
    bce = losses.BinaryCrossentropy(True, 0.1, -1, "sum", "my_bce")
    assert (bce.from_logits, bce.label_smoothing, bce.reduction, bce.name) == \
        (True, 0.1, "sum", "my_bce")
    scce = losses.SparseCategoricalCrossentropy(True, 2, "none", -1)
    assert (scce.from_logits, scce.ignore_class, scce.reduction) == (True, 2, "none")
    assert losses.Huber(2.5).delta == 2.5
    assert losses.Dice("sum", "d", 1).axis == 1
    assert losses.Tversky(0.1, 0.9).beta == 0.9


def test_every_class_round_trips_through_its_config():
    for name, cls in losses._CLASSES.items():
        if name in ("Loss", "LossFunctionWrapper"):
            continue
        obj = cls(reduction="sum", name="x")
        again = losses.deserialize(losses.serialize(obj))
        assert type(again) is cls and again.get_config() == obj.get_config()


def test_get_resolves_names_classes_and_aliases():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("kld") is losses.kl_divergence
    assert losses.get("logcosh") is losses.log_cosh  # Keras 2 spelling
    assert isinstance(losses.get("Huber"), losses.Huber)
    assert isinstance(losses.get(losses.Poisson), losses.Poisson)
    assert isinstance(losses.get({"class_name": "BinaryFocalCrossentropy",
                                  "config": {"gamma": 3.0}}), losses.BinaryFocalCrossentropy)
    assert losses.serialize(losses.MSE) == "mean_squared_error"
    with pytest.raises(ValueError, match="Did you mean"):
        losses.get("huberr")
    for fn in losses._FUNCTION_LIST:
        assert losses.get(fn.__name__) is fn
        assert getattr(keras.losses, fn.__name__) is fn


def test_function_wrapper_config_names_its_function():
    w = losses.LossFunctionWrapper(losses.poisson, name="p")
    again = losses.LossFunctionWrapper.from_config(w.get_config())
    assert again.fn is losses.poisson and again.name == "p"


def test_user_subclass_of_loss_trains_like_builtin(float64):
    class Scaled(losses.Loss):
        def call(self, y_true, y_pred):
            return keras.ops.mean(keras.ops.square(y_pred - y_true), axis=-1) * 2.0

    yt, yp = _inputs("real")
    loss = Scaled()
    assert loss.name == "scaled"
    np.testing.assert_allclose(float(loss(yt, yp)), 2 * _per_sample_mse(yt, yp).mean())
    check_gradients(lambda t, p: loss(t, p, sample_weight=np.arange(B)), [yt, yp])


def test_loss_output_dtype_follows_the_loss_dtype():
    yt, yp = _inputs("real")
    assert losses.MeanSquaredError()(yt, yp).dtype == np.float32
    assert losses.Huber(dtype="float64")(yt, yp).dtype == np.float64


def test_loss_on_a_sigmoid_output_uses_the_logits(float64):
    """A sigmoid output followed by binary (focal) cross-entropy stays finite when saturated:
    its gradient goes through the logits."""
    z = watch(np.array([[40.0], [-40.0]]))
    out = keras.activations.sigmoid(z)
    value = losses.BinaryCrossentropy()(np.array([[0.0], [1.0]]), out)
    (g,) = gradients(value, [z])
    assert np.all(np.abs(g) > 0.1)
    assert isinstance(value, Tensor)


# --- circle and ctc ------------------------------------------------------------------------

def _unit_rows(n, d, seed):
    e = np.random.default_rng(seed).normal(size=(n, d))
    return e / np.linalg.norm(e, axis=1, keepdims=True)


@pytest.mark.parametrize("kwargs", [{}, {"gamma": 10.0, "margin": 0.25},
                                    {"remove_diagonal": False, "gamma": 5.0}])
def test_circle_gradients(float64, kwargs):
    emb = _unit_rows(7, 4, seed=1)
    labels = np.array([0, 1, 0, 2, 1, 3, 2])  # class 3 has no positive pair
    check_gradients(lambda p: losses.circle(labels, p, **kwargs), [emb])
    loss = losses.Circle(**kwargs)
    check_gradients(lambda p: loss(labels, p, sample_weight=np.linspace(0.5, 2, 7)), [emb])
    ref = _unit_rows(5, 4, seed=2)
    check_gradients(lambda p, r: losses.circle(labels, p, ref_labels=[0, 1, 2, 0, 1],
                                               ref_embeddings=r, **kwargs), [emb, ref])


def test_circle_masks_samples_with_zero_loss(float64):
    emb = _unit_rows(7, 3, seed=4)
    labels = np.array([0, 0, 1, 1, 2, 2, 5])
    per = losses.circle(labels, emb, gamma=10.0)
    # without any positive partner, the last sample's loss is softplus(-inf) = 0, masked
    assert per.numpy()[6] == 0.0 and np.all(per.numpy()[:6] > 0)
    mean = losses.Circle(gamma=10.0)(labels, emb)
    np.testing.assert_allclose(float(mean), per.numpy()[:6].mean(), rtol=1e-12)
    with pytest.raises(ValueError, match="embeddings"):
        losses.circle(labels, emb[:, None, :])


def _ctc_brute_force(labels, logits):
    """-log of the summed probability of every alignment that collapses to `labels`."""
    import itertools

    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    steps, classes = probs.shape
    total = 0.0
    for path in itertools.product(range(classes), repeat=steps):
        collapsed = [c for i, c in enumerate(path) if c != 0 and (i == 0 or c != path[i - 1])]
        if collapsed == list(labels):
            total += np.prod(probs[np.arange(steps), path])
    return -np.log(total)


def test_ctc_equals_the_sum_over_alignments(float64):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 5, 3)) * 1.5
    y = np.array([[1, 2, 0], [2, 2, 0], [1, 0, 0], [1, 1, 2]])  # repeats need a blank between
    got = losses.ctc(y, logits).numpy()
    want = [_ctc_brute_force(row[row != 0], z) for row, z in zip(y, logits)]
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_ctc_gradients_and_errors(float64):
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(3, 6, 4))
    y = np.array([[1, 3, 3], [2, 0, 0], [3, 1, 2]])
    check_gradients(lambda z: losses.ctc(y, z), [logits])
    check_gradients(lambda z: losses.CTC(reduction="sum")(y, z, sample_weight=[1, 0.5, 2]),
                    [logits])
    with pytest.raises(ValueError, match="max_length"):
        losses.ctc(y[:, :, None], logits)
    with pytest.raises(ValueError, match="num_classes"):
        losses.ctc(y, logits[0])
    with pytest.raises(ValueError, match="labels"):
        losses.ctc(y + 5, logits)


def test_logits_shortcut_only_for_the_matching_activation(float64):
    """Softmax output + binary cross-entropy (or sigmoid + categorical) uses the
    probabilities, as Keras does; the matching pairs go through the logits."""
    rng = np.random.default_rng(3)
    z = rng.normal(size=(4, 3))
    t = np.eye(3)[[0, 2, 1, 1]]
    probs_sm = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    probs_sg = 1 / (1 + np.exp(-z))
    act = keras.activations
    cases = [(losses.binary_crossentropy, act.softmax, probs_sm),
             (losses.binary_focal_crossentropy, act.softmax, probs_sm),
             (losses.categorical_crossentropy, act.sigmoid, probs_sg),
             (losses.categorical_focal_crossentropy, act.sigmoid, probs_sg)]
    for fn, activation, probs in cases:
        np.testing.assert_allclose(fn(t, activation(Tensor(z))).numpy(), fn(t, probs).numpy(),
                                   rtol=1e-12, err_msg=fn.__name__)
        check_gradients(lambda x, fn=fn, activation=activation: fn(t, activation(x)), [z])
    labels = np.array([0, 2, 1, 1])
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy(labels, act.sigmoid(Tensor(z))).numpy(),
        losses.sparse_categorical_crossentropy(labels, probs_sg).numpy(), rtol=1e-12)


# --- the fused batch mean ----------------------------------------------------------------

FUSED = {  # name: (loss class and arguments, per-sample function, labels, activation)
    "mse": ((losses.MeanSquaredError, {}), losses.mean_squared_error, "real", None),
    "cce_logits": ((losses.CategoricalCrossentropy, {"from_logits": True}),
                   lambda t, p: losses.categorical_crossentropy(t, p, from_logits=True),
                   "soft", None),
    "cce_after_softmax": ((losses.CategoricalCrossentropy, {}),
                          losses.categorical_crossentropy, "soft", "softmax"),
    "sparse_logits": ((losses.SparseCategoricalCrossentropy, {"from_logits": True}),
                      lambda t, p: losses.sparse_categorical_crossentropy(
                          t, p, from_logits=True), "int", None),
    "sparse_after_softmax": ((losses.SparseCategoricalCrossentropy, {}),
                             losses.sparse_categorical_crossentropy, "int_column", "softmax"),
    "bce_logits": ((losses.BinaryCrossentropy, {"from_logits": True}),
                   lambda t, p: losses.binary_crossentropy(t, p, from_logits=True),
                   "unit", None),
    "bce_after_sigmoid": ((losses.BinaryCrossentropy, {}), losses.binary_crossentropy,
                          "unit", "sigmoid"),
}


@pytest.mark.parametrize("name", sorted(FUSED))
def test_fused_batch_mean_equals_the_mean_of_per_sample_values(float64, name):
    """With no sample weight and the default reduction, MSE and the cross-entropies are
    computed as one node (losses._OVER_BATCH); value and gradients must equal the
    per-sample function followed by a mean."""
    from minikeras.autodiff import primitives as P
    (cls, kwargs), fn, labels, activation = FUSED[name]
    loss = cls(**kwargs)  # after the fixture has made floatx float64
    rng = np.random.default_rng(7)
    yt = {"real": rng.normal(size=(6, 4)), "soft": rng.dirichlet(np.ones(4), size=6),
          "int": rng.integers(0, 4, 6), "int_column": rng.integers(0, 4, (6, 1)),
          "unit": rng.uniform(0, 1, (6, 4))}[labels]
    z = watch(rng.normal(size=(6, 4)) * 3)

    def predict(t):
        return t if activation is None else keras.activations.get(activation)(t)

    yp = predict(z)
    fused = loss(yt, yp)
    assert fused.parents[-1] is z  # one node straight from the predictions or logits
    reference = P.mean(fn(Tensor(yt), yp))
    np.testing.assert_allclose(fused.value, reference.value, rtol=1e-12)
    (g_fused,) = gradients(fused, [z])
    (g_ref,) = gradients(reference, [z])
    np.testing.assert_allclose(g_fused, g_ref, rtol=1e-10, atol=1e-15)
    check_gradients(lambda p: loss(yt, predict(p)), [z.value])


def test_fused_batch_mean_is_not_used_with_weights_or_smoothing(float64):
    yt = np.eye(3)[[0, 2, 1, 1]]
    z = watch(np.random.default_rng(1).normal(size=(4, 3)))
    p = keras.activations.softmax(z)
    sw = np.array([1.0, 0.0, 2.0, 1.0])
    weighted = losses.CategoricalCrossentropy()(yt, p, sample_weight=sw)
    per = losses.categorical_crossentropy(Tensor(yt), p).value
    np.testing.assert_allclose(weighted.value, np.sum(per * sw) / 4, rtol=1e-12)
    smoothed = losses.CategoricalCrossentropy(label_smoothing=0.2)(yt, p)
    per = losses.categorical_crossentropy(Tensor(yt), p, label_smoothing=0.2).value
    np.testing.assert_allclose(smoothed.value, per.mean(), rtol=1e-12)
    ignored = losses.SparseCategoricalCrossentropy(ignore_class=1)(np.array([0, 2, 1, 1]), p)
    per = losses.sparse_categorical_crossentropy(Tensor(np.array([0, 2, 1, 1])), p,
                                                 ignore_class=1).value
    np.testing.assert_allclose(ignored.value, per.sum() / 2, rtol=1e-12)  # 2 valid entries
    with pytest.raises(ValueError, match="sparse labels must be in"):
        losses.SparseCategoricalCrossentropy()(np.array([0, 3, 1, 1]), p)
