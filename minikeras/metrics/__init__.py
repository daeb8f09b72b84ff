"""Metrics (`keras.metrics`): stateful objects that accumulate over an epoch.

`update_state(y_true, y_pred, sample_weight=None)` adds a batch, `result()` gives the
value so far (a `Tensor`), `reset_state()` starts again. Metric functions (`binary_accuracy`,
`mean_squared_error`, ...) return one value per sample. Metrics never take part in
differentiation.

`get("name")` follows Keras 3: a class name, its snake_case form or a short alias gives a
new metric *instance* (`get("mse")` is a `MeanSquaredError()`); `get_function("name")` gives
the per-sample function of that name.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

from minikeras import losses
from minikeras.metrics.accuracy import (Accuracy, BinaryAccuracy, CategoricalAccuracy,
                                        SparseCategoricalAccuracy,
                                        SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy,
                                        accuracy, binary_accuracy, categorical_accuracy,
                                        sparse_categorical_accuracy,
                                        sparse_top_k_categorical_accuracy,
                                        top_k_categorical_accuracy)
from minikeras.metrics.base import Mean, MeanMetricWrapper, Metric, Sum
from minikeras.metrics.confusion import (AUC, FalseNegatives, FalsePositives, Precision,
                                         PrecisionAtRecall, Recall, RecallAtPrecision,
                                         SensitivityAtSpecificity, SpecificityAtSensitivity,
                                         TrueNegatives, TruePositives)
from minikeras.metrics.correlation import (ConcordanceCorrelation, PearsonCorrelation,
                                           concordance_correlation, pearson_correlation)
from minikeras.metrics.f_score import F1Score, FBetaScore
from minikeras.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from minikeras.metrics.probabilistic import (BinaryCrossentropy, CategoricalCrossentropy,
                                             CategoricalHinge, Hinge, KLDivergence, Poisson,
                                             SparseCategoricalCrossentropy, SquaredHinge)
from minikeras.metrics.regression import (CosineSimilarity, LogCoshError, MeanAbsoluteError,
                                          MeanAbsolutePercentageError, MeanSquaredError,
                                          MeanSquaredLogarithmicError, R2Score,
                                          RootMeanSquaredError)
from minikeras.utils.naming import to_snake_case

# the per-sample functions Keras exports under keras.metrics (most are the losses')
mean_squared_error = losses.mean_squared_error
mean_absolute_error = losses.mean_absolute_error
mean_absolute_percentage_error = losses.mean_absolute_percentage_error
mean_squared_logarithmic_error = losses.mean_squared_logarithmic_error
binary_crossentropy = losses.binary_crossentropy
binary_focal_crossentropy = losses.binary_focal_crossentropy
categorical_crossentropy = losses.categorical_crossentropy
categorical_focal_crossentropy = losses.categorical_focal_crossentropy
sparse_categorical_crossentropy = losses.sparse_categorical_crossentropy
kl_divergence = losses.kl_divergence
poisson = losses.poisson
hinge = losses.hinge
squared_hinge = losses.squared_hinge
categorical_hinge = losses.categorical_hinge
huber = losses.huber
log_cosh = losses.log_cosh
# Keras 2 spellings
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh

_CLASS_LIST = (
    Metric, Mean, Sum, MeanMetricWrapper,
    MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, R2Score,
    AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall,
    RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity, TrueNegatives,
    TruePositives,
    ConcordanceCorrelation, PearsonCorrelation,
    Hinge, SquaredHinge, CategoricalHinge,
    KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    F1Score, FBetaScore,
    IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU,
)

# names -> classes, as Keras 3's table: class names, their snake_case forms, short aliases
_CLASSES: dict[str, type] = {c.__name__: c for c in _CLASS_LIST}
_CLASSES.update({to_snake_case(c.__name__): c for c in _CLASS_LIST})
_CLASSES.update({"bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
                 "mse": MeanSquaredError, "MSE": MeanSquaredError,
                 "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
                 "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
                 "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError})

# names -> per-sample functions (`get_function`; configs of MeanMetricWrapper, Keras 2 files)
FUNCTIONS: dict[str, Callable] = {f.__name__: f for f in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, pearson_correlation,
    concordance_correlation)}
FUNCTIONS.update(losses._FUNCTIONS)
FUNCTIONS.update(losses._ALIASES)
FUNCTIONS.update({"acc": accuracy})

# Keras 2 names that Keras 3's `get` rejects; accepted here, as the function of that name
KERAS2_FUNCTION_NAMES = ("kld", "KLD", "kullback_leibler_divergence", "logcosh")


def register(fn: Callable | None, cls: type | None, *aliases: str) -> None:
    """Add a metric function and/or class to the lookup tables."""
    if fn is not None:
        FUNCTIONS[fn.__name__] = fn
        for a in aliases:
            FUNCTIONS[a] = fn
    if cls is not None:
        _CLASSES[cls.__name__] = cls
        for a in aliases if fn is None else ():
            _CLASSES[a] = cls


def _table() -> dict:
    table = {name: FUNCTIONS[name] for name in KERAS2_FUNCTION_NAMES}
    table.update(_CLASSES)
    return table


def get_function(name: str) -> Callable:
    """The per-sample metric function called `name` (`"mse"`, `"binary_accuracy"`, ...)."""
    fn = FUNCTIONS.get(name)
    if fn is None:
        from minikeras.utils.naming import unknown_name_error

        raise unknown_name_error("metric function", name, FUNCTIONS)
    return fn


def serialize(metric: Any) -> Any:
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(metric)


def deserialize(config: Any, custom_objects: dict | None = None) -> Any:
    from minikeras.saving.serialization import deserialize_from_table

    return deserialize_from_table(config, _table(), "metric", custom_objects)


def get(identifier: Any) -> Any:
    """A metric from a name (a new instance of the class it names), a config dict, a class
    (instantiated), a `Metric` or a function (returned as they are)."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        obj = deserialize(identifier)
    else:
        obj = identifier
    if isinstance(obj, type):
        if issubclass(obj, Metric):
            return obj()
        raise TypeError(f"Could not interpret metric identifier: {identifier!r}")
    if callable(obj) or isinstance(obj, Metric):
        return obj
    raise TypeError(f"Could not interpret metric identifier: {identifier!r}")
