"""What `compile` turns its `loss`, `loss_weights` and `metrics` into.

`CompileLoss` computes the total loss over all outputs; `CompileMetrics` holds the metric
objects, built on the first batch (Keras resolves 'accuracy' from the shapes of y_true
and y_pred then).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import losses as losses_module
from minikeras import metrics as metrics_module
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor, wrap
from minikeras.utils.naming import to_snake_case


def object_name(obj: Any) -> str:
    if hasattr(obj, "name") and isinstance(obj.name, str):
        return obj.name
    if hasattr(obj, "__name__"):
        return to_snake_case(obj.__name__)
    return to_snake_case(type(obj).__name__)


def is_binary_or_sparse(y_true: np.ndarray, y_pred_shape: tuple) -> tuple[bool, bool]:
    """Keras' rule for 'accuracy' and 'crossentropy': binary when the prediction has one
    unit; sparse when the target has lower rank or a last axis of 1 against several units."""
    is_binary = y_pred_shape[-1] == 1
    is_sparse = y_true.ndim < len(y_pred_shape) or (y_true.shape[-1] == 1 and
                                                    y_pred_shape[-1] > 1)
    return is_binary, is_sparse


def resolve_loss(identifier: Any, y_true: np.ndarray, y_pred_shape: tuple) -> Any:
    """A `Loss` instance for an identifier, with 'crossentropy'/'ce' resolved by shape."""
    if identifier is None:
        return None
    if str(identifier).lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = is_binary_or_sparse(y_true, y_pred_shape)
        fn = losses_module.binary_crossentropy if is_binary else \
            losses_module.sparse_categorical_crossentropy if is_sparse else \
            losses_module.categorical_crossentropy
    else:
        fn = losses_module.get(identifier)
    if isinstance(fn, losses_module.Loss):
        return fn
    name = identifier if isinstance(identifier, str) else object_name(fn)
    return losses_module.LossFunctionWrapper(fn, name=name)


def resolve_metric(identifier: Any, y_true: np.ndarray, y_pred_shape: tuple) -> Any:
    """A `Metric` instance; 'accuracy'/'acc' become binary, sparse or categorical accuracy."""
    if identifier is None:
        raise ValueError("Expected a metric, received None")
    if str(identifier).lower() in ("accuracy", "acc"):
        is_binary, is_sparse = is_binary_or_sparse(y_true, y_pred_shape)
        cls = metrics_module.BinaryAccuracy if is_binary else \
            metrics_module.SparseCategoricalAccuracy if is_sparse else \
            metrics_module.CategoricalAccuracy
        metric = cls(name=str(identifier))
    else:
        metric = metrics_module.get(identifier)
    name = identifier if isinstance(identifier, str) else object_name(metric)
    if not isinstance(metric, metrics_module.Metric):
        metric = metrics_module.MeanMetricWrapper(metric)
    elif not isinstance(identifier, str) and metric is identifier:
        pass
    metric.name = name
    return metric


def _per_output(spec: Any, output_names: list[str], what: str) -> list:
    """Spread a spec (single, list or dict) over the outputs."""
    n = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(f"{what} has keys {unknown} that are not output names; the "
                             f"model's outputs are {output_names}")
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and n > 1:
        if len(spec) != n:
            raise ValueError(f"{what} is a list of {len(spec)} entries, but the model has {n} "
                             f"outputs {output_names}")
        return list(spec)
    return [spec] * n


class CompileLoss:
    """Weighted sum of one loss per output. When more than one output has a loss, each one
    is also tracked (unweighted) as `<output>_loss`, as Keras does.

    `output_names` may be None (a subclassed model): the number of outputs is then read
    from the first batch, and per-output losses are named after the losses themselves.
    """

    def __init__(self, loss: Any, loss_weights: Any, output_names: list[str] | None) -> None:
        self._loss = loss
        self._loss_weights = loss_weights
        for spec in (loss.values() if isinstance(loss, dict) else
                     loss if isinstance(loss, (list, tuple)) else [loss]):
            if spec is not None and str(spec).lower() not in ("crossentropy", "ce"):
                losses_module.get(spec)  # fail now on unknown names, not at fit time
        self.output_names = output_names
        if output_names is not None:
            self._spread(output_names)
        self.needs_targets = True
        self.losses: list | None = None
        self.trackers: list = []
        self._single = None  # the loss, when there is one output with weight 1

    def _spread(self, output_names: list) -> None:
        self.specs = _per_output(self._loss, output_names, "loss")
        if all(s is None for s in self.specs):
            raise ValueError("compile(): no loss given for any output")
        if self._loss_weights is None:
            self.weights = [1.0] * len(output_names)
        else:
            weights = _per_output(self._loss_weights, output_names, "loss_weights")
            self.weights = [1.0 if w is None else float(w) for w in weights]

    def build(self, y_true: list, y_pred_shapes: list) -> None:
        if self.output_names is None:
            self._spread([None] * len(y_pred_shapes))
        if len(y_true) != len(self.specs):
            raise ValueError(f"The model has {len(self.specs)} output(s) but {len(y_true)} "
                             "target array(s) were given")
        self.losses = [resolve_loss(s, yt, ps) if s is not None else None
                       for s, yt, ps in zip(self.specs, y_true, y_pred_shapes)]
        active = [i for i, loss in enumerate(self.losses) if loss is not None]
        if len(active) > 1:
            names = self.output_names or [self.losses[i].name for i in range(len(self.losses))]
            self.trackers = [metrics_module.Mean(name=f"{names[i]}_loss") if i in active
                             else None for i in range(len(self.losses))]
        if len(self.losses) == 1 and active and self.weights[0] == 1.0:
            self._single = self.losses[0]

    def __call__(self, y_true: list, y_pred: list, sample_weight: list | None) -> Any:
        if self.losses is None:
            self.build(y_true, [p.shape for p in y_pred])
        single = self._single
        if single is not None and len(y_true) == 1:
            yt = y_true[0]
            return single(wrap(yt) if type(yt) is np.ndarray else yt, y_pred[0],
                          sample_weight[0] if sample_weight else None)
        total = None
        batch = y_pred[0].shape[0] if y_pred[0].ndim else 1
        for i, loss in enumerate(self.losses):
            if loss is None:
                continue
            sw = sample_weight[i] if sample_weight else None
            yt = y_true[i]
            value = loss(Tensor(yt) if type(yt) is np.ndarray else yt, y_pred[i], sw)
            if self.trackers:
                self.trackers[i].add(float(value.value), batch)
            w = self.weights[i]
            term = value if w == 1.0 else P.multiply(value, w)
            total = term if total is None else P.add(total, term)
        return total

    @property
    def metrics(self) -> list:
        return [t for t in self.trackers if t is not None]

    def reset(self) -> None:
        for t in self.metrics:
            t.reset_state()


class CompileMetrics:
    """The compiled metrics of every output, built on the first batch.

    For several outputs, metrics may be a dict by output name, a list with one entry (a
    metric or a list of metrics) per output, or a flat list applied to every output (Keras
    2's rule; Keras 3 refuses that last form). Names get the output's name as prefix.
    """

    def __init__(self, metrics: Any, weighted_metrics: Any,
                 output_names: list[str] | None) -> None:
        self.output_names = output_names
        self._raw = (metrics, weighted_metrics)
        for spec in (metrics, weighted_metrics):
            if spec is not None and not isinstance(spec, (list, tuple, dict)):
                raise TypeError(f"`metrics` must be a list or a dict, got "
                                f"{type(spec).__name__}: {spec!r}")
            for s in _leaves(spec):
                if isinstance(s, str) and s.lower() not in ("accuracy", "acc"):
                    # unknown names fail at compile time; nothing is instantiated here, so
                    # automatic metric names (auc, auc_1, ...) come out as in Keras
                    metrics_module.deserialize(s)
        self.has_metrics = bool(_leaves(metrics) or _leaves(weighted_metrics))
        self.specs: list = []
        self.weighted_specs: list = []
        if output_names is not None:
            self._spread(output_names)
        self.built = False
        self.metrics: list = []
        self._entries: list = []  # (output index, metric, weighted)


    def _spread(self, names: list) -> None:
        self.specs = self._normalize(self._raw[0], "metrics", names)
        self.weighted_specs = self._normalize(self._raw[1], "weighted_metrics", names)

    @staticmethod
    def _normalize(spec: Any, what: str, names: list) -> list[list]:
        n = len(names)
        if spec is None:
            return [[] for _ in range(n)]
        if isinstance(spec, dict):
            per = _per_output(spec, names, what)
            return [[] if s is None else (list(s) if isinstance(s, (list, tuple)) else [s])
                    for s in per]
        if n > 1 and len(spec) == n:  # one entry (a metric or a list of them) per output
            return [[] if s is None else (list(s) if isinstance(s, (list, tuple)) else [s])
                    for s in spec]
        return [list(spec) for _ in range(n)]

    def build(self, y_true: list, y_pred_shapes: list) -> None:
        if self.output_names is None:
            self._spread([None] * len(y_pred_shapes))
        multi = len(y_pred_shapes) > 1 and self.output_names is not None
        for weighted, spec_lists in ((False, self.specs), (True, self.weighted_specs)):
            for i, specs in enumerate(spec_lists):
                for s in specs:
                    m = resolve_metric(s, y_true[i], y_pred_shapes[i])
                    if multi:
                        m.name = f"{self.output_names[i]}_{m.name}"
                    elif weighted and any(m.name == other.name for other in self.metrics):
                        m.name = "weighted_" + m.name
                    self.metrics.append(m)
                    self._entries.append((i, m, weighted))
        self.built = True

    def update(self, y_true: list, y_pred: list, sample_weight: list | None) -> None:
        if not self.built:
            self.build(y_true, [p.shape for p in y_pred])
        for i, m, weighted in self._entries:
            sw = sample_weight[i] if (weighted and sample_weight) else None
            m.update_state(y_true[i], y_pred[i], sample_weight=sw)

    def reset(self) -> None:
        for m in self.metrics:
            m.reset_state()

    # Keras 3 lists the compiled metrics as one entry of `model.metrics`, a metric named
    # "compile_metrics" whose result is the dict of their results.
    name = "compile_metrics"

    def reset_state(self) -> None:
        self.reset()

    def result(self) -> dict:
        return {m.name: m.result() for m in self.metrics}

    @property
    def variables(self) -> list:
        return [v for m in self.metrics for v in m.variables]


class NoCompiledLoss:
    """`compile()` without a loss: the model's own losses (`add_loss`, regularisers) are
    the whole training loss, as in Keras 3; no targets are needed."""

    needs_targets = False
    metrics: list = []
    losses = None
    output_names = None

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        return None


def _leaves(spec: Any) -> list:
    if spec is None:
        return []
    if isinstance(spec, dict):
        return [x for v in spec.values() for x in _leaves(v)]
    if isinstance(spec, (list, tuple)):
        return [x for v in spec for x in _leaves(v)]
    return [spec]
