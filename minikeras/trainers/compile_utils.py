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
from minikeras.layers.layer import flatten_structure, pack_like
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


class LossPathError(KeyError, ValueError):
    """A loss (or loss weight) given for an output the model does not have. Keras 3 raises
    KeyError; this is also a ValueError, the error minikeras raises for bad arguments."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _did_you_mean(given: Any, known: list) -> str:
    from minikeras.utils.naming import closest

    for k in given:
        if k not in known and isinstance(k, str):
            guess = closest(k, [str(n) for n in known])
            if guess:
                return f". Did you mean {guess!r} for {k!r}?"
    return ""


def _is_nested(x: Any) -> bool:
    return isinstance(x, (list, tuple, dict))


def _leaf_paths(struct: Any, prefix: tuple = ()) -> list[tuple]:
    """The path of every leaf, in `flatten_structure` order (dict keys sorted, as Keras'
    `tree.flatten`)."""
    if isinstance(struct, dict):
        return [p for k in sorted(struct) for p in _leaf_paths(struct[k], prefix + (k,))]
    if isinstance(struct, (list, tuple)):
        return [p for i, s in enumerate(struct) for p in _leaf_paths(s, prefix + (i,))]
    return [prefix]


def _at(struct: Any, path: tuple) -> Any:
    for key in path:
        struct = struct[key]
    return struct


def _map_leaves(struct: Any, fn) -> Any:
    if isinstance(struct, dict):
        return {k: _map_leaves(v, fn) for k, v in struct.items()}
    if isinstance(struct, (list, tuple)):
        return type(struct)(_map_leaves(v, fn) for v in struct)
    return fn(struct)


def _same_structure(a: Any, b: Any) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b) and all(
            _same_structure(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and \
            len(a) == len(b) and all(_same_structure(x, y) for x, y in zip(a, b))
    return True


def output_skeleton(outputs: Any, names: list | None) -> Any:
    """The structure of a model's outputs with each leaf replaced by its output's name (""
    when it has none): what compile spreads losses and metrics over."""
    flat = flatten_structure(outputs)
    names = list(names) if names else [""] * len(flat)
    return pack_like(outputs, names)


def _is_flat(skeleton: Any) -> bool:
    """A dict, list or tuple of outputs, none of them nested (Keras' `y_pred_is_flat`)."""
    children = skeleton.values() if isinstance(skeleton, dict) else skeleton
    return _is_nested(skeleton) and not any(_is_nested(c) for c in children)


def _flat_output_names(skeleton: Any) -> list:
    """Keras' output names for a flat structure: the keys of a dict of outputs, else the
    names of the output layers (None when unnamed, as for a subclassed model)."""
    if isinstance(skeleton, dict):
        return sorted(skeleton)
    return [_at(skeleton, p) or None for p in _leaf_paths(skeleton)]


class _WeightedLoss:
    __slots__ = ("loss", "weight")

    def __init__(self, loss: Any, weight: Any) -> None:
        self.loss = loss
        self.weight = weight


def spread_losses(loss: Any, loss_weights: Any, skeleton: Any) -> list:
    """Keras 3's rules for `loss` and `loss_weights` against the outputs' structure: a single
    loss goes to every output; a flat list with one entry per output follows the outputs'
    flat order; a dict names the outputs (dict outputs: its keys; list outputs: the output
    layers' names, every one of them); otherwise the loss must follow the outputs'
    structure (None: no loss for that output). Returns (flat output index, loss spec,
    weight, Keras' name for it) in Keras' order."""
    flat_names = [_at(skeleton, p) for p in _leaf_paths(skeleton)]
    if isinstance(loss, dict) and not isinstance(skeleton, dict) and all(flat_names):
        if set(loss) != set(flat_names):
            raise ValueError(f"Expected keys {flat_names} in loss dict, but found "
                             f"loss.keys()={list(loss)}; the model's outputs are "
                             f"{flat_names} (a dict of losses for list outputs names every "
                             f"output; give None for an output without a loss)" +
                             _did_you_mean(loss, flat_names))
        loss = [loss[n] for n in flat_names]
        if isinstance(loss_weights, dict):
            unknown = [k for k in loss_weights if k not in flat_names]
            if unknown:
                raise LossPathError(f"loss_weights has keys {unknown} that are not output "
                                    f"names; the model's outputs are {flat_names}")
            loss_weights = [loss_weights.get(n) for n in flat_names]
    if loss_weights is None:
        combined = _map_leaves(loss, lambda x: None if x is None else _WeightedLoss(x, None))
    else:
        if not isinstance(loss_weights, (list, tuple, dict, int, float)) or \
                isinstance(loss_weights, bool):
            raise ValueError("Expected `loss_weights` argument to be a float (single output "
                             "case) or a list, tuple, or dict (multiple output case). "
                             f"Received instead: loss_weights={loss_weights!r}")
        flat_l, flat_w = flatten_structure(loss), flatten_structure(loss_weights)
        if not _same_structure(loss, loss_weights) and len(flat_l) != len(flat_w):
            raise ValueError(f"`loss_weights` must match the number of losses, got "
                             f"{len(flat_l)} losses and {len(flat_w)} weights.")
        combined = pack_like(loss, [None if x is None else _WeightedLoss(x, w)
                                    for x, w in zip(flat_l, flat_w)])
    paths = _leaf_paths(skeleton)
    index = {p: i for i, p in enumerate(paths)}
    out: list = []

    def add(wl: _WeightedLoss, path: tuple) -> None:
        for p in _leaf_paths(_at(skeleton, path), path):
            name_path = p
            leaf = _at(skeleton, p)
            if leaf and (not name_path or isinstance(name_path[-1], int)):
                name_path = name_path[:-1] + (leaf,)
            out.append([index[p], wl.loss, wl.weight, name_path])

    def walk(spec: Any, sub: Any, path: tuple) -> None:
        if spec is None:
            return
        if isinstance(spec, _WeightedLoss):
            add(spec, path)
            return
        n_leaves = len(_leaf_paths(sub))
        if isinstance(spec, (list, tuple)) and len(spec) == n_leaves and \
                not any(_is_nested(s) for s in spec):
            spec = pack_like(sub, list(spec))
        elif isinstance(spec, (list, tuple)) and not isinstance(sub, type(spec)):
            for s in spec:  # Keras applies each entry to the whole structure
                walk(s, sub, path)
            return
        if not _is_nested(spec):
            walk(spec, sub, path)
            return
        if not isinstance(spec, type(sub)):
            raise LossPathError(f"The path: {path} in the `loss` argument, can't be found "
                                f"in the model's output (`y_pred`).")
        items = spec.items() if isinstance(spec, dict) else enumerate(spec)
        for key, s in items:
            if s is None:
                continue
            if (key not in sub) if isinstance(sub, dict) else key >= len(sub):
                raise LossPathError(f"The path: {path + (key,)} in the `loss` argument, "
                                    "can't be found in either the model's output (`y_pred`)"
                                    f" or in the labels (`y_true`). The model's outputs "
                                    f"are {skeleton}" + (_did_you_mean([key], list(sub))
                                                         if isinstance(sub, dict) else ""))
            walk(s, sub[key], path + (key,))

    walk(combined, skeleton, ())
    return out


class CompileLoss:
    """Weighted sum of the losses of the outputs, spread over them by Keras 3's rules
    (`spread_losses`). When more than one output has a loss, each one is also tracked
    (unweighted) as `<name>_loss`: the output's dict key or layer name, `1/z` inside a
    nested structure (Keras' path name), the loss' own name for unnamed outputs.

    `skeleton` (see `output_skeleton`) may be None (a subclassed model): the structure is
    then taken from the first prediction (`self.skeleton`, set by the trainer).
    """

    def __init__(self, loss: Any, loss_weights: Any, skeleton: Any) -> None:
        self._loss = loss
        self._loss_weights = loss_weights
        for spec in flatten_structure(loss):
            if spec is not None and str(spec).lower() not in ("crossentropy", "ce"):
                losses_module.get(spec)  # fail now on unknown names, not at fit time
        self.skeleton = skeleton
        if skeleton is not None:
            self._spread(skeleton)
        self.needs_targets = True
        self.losses: list | None = None
        self.trackers: list = []
        self._single = None  # the loss, when there is one output with weight 1

    def _spread(self, skeleton: Any) -> None:
        self.entries = spread_losses(self._loss, self._loss_weights, skeleton)
        self.n_outputs = len(_leaf_paths(skeleton))
        if not self.entries:
            raise ValueError("compile(): no loss given for any output")

    def build(self, y_true: list, y_pred_shapes: list) -> None:
        if self.skeleton is None:
            self.skeleton = [""] * len(y_pred_shapes) if len(y_pred_shapes) > 1 else ""
            self._spread(self.skeleton)
        if len(y_true) != self.n_outputs:
            raise ValueError(f"The model has {self.n_outputs} output(s) but {len(y_true)} "
                             "target array(s) were given")
        self.losses = []
        for entry in self.entries:
            i, spec = entry[0], entry[1]
            resolved = resolve_loss(spec, y_true[i], y_pred_shapes[i])
            name_path = entry[3]
            if not name_path or (isinstance(name_path[-1], int)):
                name_path = name_path[:-1] + (resolved.name,)
            self.losses.append((i, resolved, entry[2], "/".join(str(p) for p in name_path)))
        if len(self.losses) > 1:
            self.trackers = [metrics_module.Mean(name=f"{name}_loss")
                             for _, _, _, name in self.losses]
        if len(self.losses) == 1 and self.n_outputs == 1 and self.losses[0][2] in (None, 1):
            self._single = self.losses[0][1]

    def __call__(self, y_true: list, y_pred: list, sample_weight: list | None) -> Any:
        if self.losses is None:
            self.build(y_true, [p.shape for p in y_pred])
        single = self._single
        if single is not None and len(y_true) == 1:
            yt = y_true[0]
            return single(wrap(yt) if type(yt) is np.ndarray else yt, y_pred[0],
                          sample_weight[0] if sample_weight else None)
        total = None
        for k, (i, loss, w, _) in enumerate(self.losses):
            sw = sample_weight[i] if sample_weight else None
            yt = y_true[i]
            value = loss(Tensor(yt) if type(yt) is np.ndarray else yt, y_pred[i], sw)
            if self.trackers:
                p = y_pred[i]
                self.trackers[k].add(float(value.value), p.shape[0] if p.ndim else 1)
            term = value if w is None or w == 1 else P.multiply(value, float(w))
            total = term if total is None else P.add(total, term)
        return total

    @property
    def metrics(self) -> list:
        return list(self.trackers)

    def reset(self) -> None:
        for t in self.metrics:
            t.reset_state()


def _metric_list(spec: Any, what: str, full: Any) -> list:
    """One output's metrics: a metric or a list of them (a list inside is refused)."""
    if spec is None:
        return []
    items = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    for s in items:
        if _is_nested(s):
            raise ValueError(f"Could not interpret metric identifier: {s}\n"
                             f"Received: {what}={full}")
    return items


def spread_metrics(spec: Any, skeleton: Any, what: str) -> tuple[list, list]:
    """Keras 3's rules for `metrics`/`weighted_metrics`: one output takes every metric given
    (dicts and lists flattened); for a flat dict/list of outputs, a list with one entry per
    output or a dict by output name (a subset of them); otherwise the metrics must follow the
    outputs' structure. Returns per flat output the metric identifiers and the prefix of
    their names (None: unprefixed)."""
    paths = _leaf_paths(skeleton)
    n = len(paths)
    if not spec:
        return [[] for _ in range(n)], [None] * n
    if n == 1:
        return [flatten_structure(spec)], [None]
    if _is_flat(skeleton):
        names = _flat_output_names(skeleton)
        per = None
        if isinstance(spec, (list, tuple)) and len(spec) == n:
            per = list(spec)
        elif isinstance(spec, dict) and all(names) and set(spec) <= set(names):
            per = [spec.get(name) for name in names]
        if per is not None:
            return [_metric_list(s, what, spec) for s in per], names
    leaf_names = [_at(skeleton, p) or None for p in paths]
    out: list = [None] * n
    index = {p: i for i, p in enumerate(paths)}

    def walk(s: Any, sub: Any, path: tuple) -> None:
        if not _is_nested(sub):
            out[index[path]] = _metric_list(s, what, spec)
            return
        ok = (isinstance(sub, dict) and isinstance(s, dict) and set(s) == set(sub)) or (
            isinstance(sub, (list, tuple)) and isinstance(s, (list, tuple)) and
            len(s) == len(sub))
        if not ok:
            raise ValueError(f"Invalid `{what}`. `{what}` should contain metrics objects and "
                             "either be a dict or a list matching the output names of the "
                             "functional model or match the output structure of the model: "
                             f"{_map_leaves(skeleton, lambda _: 'X')}.\n"
                             f"Received: {what}={spec}")
        for key in (sub if isinstance(sub, dict) else range(len(sub))):
            walk(s[key], sub[key], path + (key,))

    walk(spec, skeleton, ())
    return out, leaf_names


class CompileMetrics:
    """The compiled metrics of every output, spread by `spread_metrics` and built on the
    first batch (where 'accuracy' is resolved from the shapes). Each metric is renamed to
    its log name as Keras 3 names it: `<output>_<metric>` for several outputs, `_1`, `_2`
    for repeated names, `weighted_<metric>` for a weighted metric whose name is taken.
    `raw_names` keeps the names before that, which `evaluate`'s order is made from."""

    def __init__(self, metrics: Any, weighted_metrics: Any, skeleton: Any) -> None:
        self._raw = (metrics, weighted_metrics)
        for what, spec in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if spec and not isinstance(spec, (list, tuple, dict)):
                raise ValueError(f"Expected `{what}` argument to be a list, tuple, or dict. "
                                 f"Received instead: {what}={spec!r} of type {type(spec)}")
            for s in flatten_structure(spec) if spec else []:
                if isinstance(s, str) and s.lower() not in ("accuracy", "acc"):
                    # unknown names fail at compile time; nothing is instantiated here, so
                    # automatic metric names (auc, auc_1, ...) come out as in Keras
                    metrics_module.deserialize(s)
        self.has_metrics = bool(flatten_structure(metrics or []) or
                                flatten_structure(weighted_metrics or []))
        self.skeleton = skeleton
        if skeleton is not None:
            self._spread(skeleton)
        self.built = False
        self.metrics: list = []
        self.raw_names: list = []
        self._entries: list = []  # (output index, metric, weighted)

    def _spread(self, skeleton: Any) -> None:
        self.specs, self.prefixes = spread_metrics(self._raw[0], skeleton, "metrics")
        self.weighted_specs, _ = spread_metrics(self._raw[1], skeleton, "weighted_metrics")

    def build(self, y_true: list, y_pred_shapes: list) -> None:
        if self.skeleton is None:
            self.skeleton = [""] * len(y_pred_shapes) if len(y_pred_shapes) > 1 else ""
            self._spread(self.skeleton)
        taken: dict = {}
        for weighted, spec_lists in ((False, self.specs), (True, self.weighted_specs)):
            for i, specs in enumerate(spec_lists):
                prefix = self.prefixes[i]
                for s in specs:
                    m = resolve_metric(s, y_true[i], y_pred_shapes[i])
                    raw = m.name
                    name = f"{prefix}_{raw}" if prefix else raw
                    if name in taken and weighted:
                        name = f"{prefix}_weighted_{raw}" if prefix else f"weighted_{raw}"
                    if name in taken:
                        taken[name] += 1
                        name = f"{name}_{taken[name] - 1}"
                    else:
                        taken[name] = 1
                    m.name = name
                    self.metrics.append(m)
                    self.raw_names.append(raw)
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

