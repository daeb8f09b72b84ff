"""The training API shared by every model: compile, fit, evaluate, predict and the
`*_on_batch` methods. The loop over epochs and batches exists only here.

One training step: forward pass (recorded on a tape) -> loss (compiled loss + every
regularisation penalty) -> backward pass -> optimizer update -> metrics, from the
forward values, without recording.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import warnings
from typing import Any

import numpy as np

from minikeras import config as _config
from minikeras import optimizers as optimizers_module
from minikeras.autodiff.masks import get_keras_mask, set_keras_mask
from minikeras.autodiff.tensor import Tape, Tensor, Variable, no_grad
from minikeras.autodiff import primitives as P
from minikeras.callbacks.callback import CallbackList
from minikeras.layers.layer import Layer, flatten_structure, pack_like
from minikeras.metrics import Mean, Metric
from minikeras.random import generator
from minikeras.trainers import data_adapter as da
from minikeras.trainers import structures
from minikeras.trainers.compile_utils import (CompileLoss, CompileMetrics, NoCompiledLoss,
                                              output_skeleton)
from minikeras.trainers.threads import largest_product, threads_for
from minikeras.trainers.step_plan import plan_train_step
from minikeras.trainers.inference_plan import plan_inference


def _capped_steps(steps: int | None) -> int | None:
    """`keras.config.set_max_steps_per_epoch`'s cap on the steps of fit/evaluate/predict
    (None: as many as the data gives)."""
    cap = _config.max_steps_per_epoch()
    if not cap:
        return steps
    return cap if steps is None else min(steps, cap)


def _wants_nonfinite(callbacks: Any) -> bool:
    """Whether `fit(callbacks=...)` holds a TerminateOnNaN: the user's opt-in to training on
    data with NaN/inf, which Keras accepts and minikeras otherwise refuses."""
    from minikeras.callbacks.simple import TerminateOnNaN

    items = getattr(callbacks, "callbacks", callbacks) or []
    if not isinstance(items, (list, tuple)):
        items = [items]
    return any(isinstance(c, TerminateOnNaN) for c in items)


class _HoldSigint:
    """While training, a Ctrl-C (SIGINT) that arrives during an optimizer update is held
    until the update is complete, so that the weights are never left half-updated; at any
    other moment it interrupts at once, as usual. Installed only in the main thread and only
    over Python's default handler; nested uses share one installation."""

    def __init__(self) -> None:
        self.depth = 0
        self.updating = False
        self.pending = False
        self._previous: Any = None

    def __enter__(self) -> "_HoldSigint":
        if self.depth == 0 and threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._previous = signal.signal(signal.SIGINT, self._handler)
        self.depth += 1
        return self

    def __exit__(self, *exc: Any) -> None:
        self.depth -= 1
        if self.depth == 0:
            if self._previous is not None:
                signal.signal(signal.SIGINT, self._previous)
                self._previous = None
            self.updating = self.pending = False

    def _handler(self, signum: int, frame: Any) -> None:
        if self.updating:
            self.pending = True
        else:
            raise KeyboardInterrupt


_SIGINT = _HoldSigint()


def _check_verbose(verbose: Any) -> int:
    """`verbose`: "auto" (= 1), 0, 1 or 2."""
    if verbose == "auto" and isinstance(verbose, str):
        return 1
    if isinstance(verbose, (bool, np.bool_)) or not isinstance(verbose, (int, np.integer)) \
            or verbose not in (0, 1, 2):
        raise ValueError(f'`verbose` must be "auto", 0, 1 or 2, got verbose={verbose!r}')
    return int(verbose)


def _check_validation_freq(freq: Any) -> Any:
    """As Keras: an integer >= 1 (validate every `freq` epochs) or a collection of epoch
    numbers, counted from 1."""
    if isinstance(freq, (int, np.integer)) and not isinstance(freq, bool):
        if freq < 1:
            raise ValueError(f"`validation_freq` must be an integer >= 1 or a list of epochs "
                             f"(counted from 1), got validation_freq={freq!r}")
        return int(freq)
    if isinstance(freq, (list, tuple, set, range)) and all(
            isinstance(e, (int, np.integer)) and not isinstance(e, bool) for e in freq):
        return {int(e) for e in freq}
    raise ValueError(f"`validation_freq` must be an integer >= 1 or a list of epochs (counted "
                     f"from 1), got validation_freq={freq!r}")


def _should_validate(epoch: int, freq: Any) -> bool:
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return epoch + 1 in freq


def _pop_keras2_worker_arguments(kwargs: dict) -> None:
    """Keras 2's `workers`, `use_multiprocessing` and `max_queue_size` on fit/evaluate/
    predict: checked and accepted; batches are always fetched in the calling thread."""
    for name in ("workers", "max_queue_size"):
        if name in kwargs:
            value = kwargs.pop(name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"`{name}` must be an integer, got {name}={value!r}")
    if "use_multiprocessing" in kwargs:
        value = kwargs.pop("use_multiprocessing")
        if not isinstance(value, bool):
            raise ValueError("`use_multiprocessing` must be True or False, got "
                             f"use_multiprocessing={value!r}")


def _looks_like_metrics(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(
        isinstance(v, str) or callable(v) for v in value)


class Trainer:
    """Mixed into `Model`. Keras 3 signatures; Keras 2 spellings accepted where they differ."""

    _nonfinite_ok = False  # set by `fit` while a TerminateOnNaN callback is given

    _train_plan: Any = None  # set by _plan_step, once per fit
    _infer_plan: Any = None  # set by evaluate and fit for their calls (inference_plan.py)
    # the replayed training step (step_plan.py): None until planned after the first step
    # of a fit, False when the step cannot be replayed
    _replay: Any = None
    _trust_flat = False  # fit: no user code between the steps of this epoch (see FlatUpdate)

    loss: Any = None  # what compile() was given (Keras 3: None before compile)

    # --- compile ----------------------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, *args: Any,
                loss_weights: Any = None, metrics: Any = None, weighted_metrics: Any = None,
                run_eagerly: bool = False, steps_per_execution: int = 1,
                jit_compile: Any = "auto", auto_scale_loss: bool = True,
                **kwargs: Any) -> None:
        """`compile(optimizer, loss, ...)`. A third positional argument is taken as
        `metrics` when it looks like a list of metrics (Keras 2 order), else as
        `loss_weights` (Keras 3 order)."""
        if args:
            if len(args) > 2:
                raise TypeError("compile() takes at most 4 positional arguments")
            if _looks_like_metrics(args[0]) and metrics is None:
                metrics = args[0]
                if len(args) > 1:
                    loss_weights = args[1]
            else:
                loss_weights = args[0]
                if len(args) > 1:
                    metrics = args[1]
        for dropped in ("sample_weight_mode", "target_tensors", "distribute",
                        "pss_evaluation_shards"):
            kwargs.pop(dropped, None)
        if kwargs:
            from minikeras.utils.naming import closest

            k = next(iter(kwargs))
            guess = closest(k, ["optimizer", "loss", "loss_weights", "metrics",
                                "weighted_metrics", "run_eagerly", "steps_per_execution",
                                "jit_compile"])
            raise TypeError(f"compile() got an unexpected keyword argument {k!r}" +
                            (f". Did you mean {guess!r}?" if guess else ""))
        steps_per_execution = structures.check_steps_per_execution(steps_per_execution)
        opt = optimizers_module.get(optimizer)
        # dtype policies: as Keras 3, a "mixed_float16" model's optimizer is wrapped in a
        # LossScaleOptimizer (dynamic loss scaling against float16 underflow)
        policy = getattr(self, "dtype_policy", None)
        if auto_scale_loss and policy is not None and policy.name == "mixed_float16" and \
                not isinstance(opt, optimizers_module.LossScaleOptimizer):
            opt = optimizers_module.LossScaleOptimizer(opt, name="loss_scale_optimizer")
        skeleton = self._output_skeleton()
        # no loss: the model's own losses (add_loss) are the training loss (Keras 3); a
        # model without any gets Keras' error at the first step
        compile_loss = NoCompiledLoss() if loss is None else \
            CompileLoss(loss, loss_weights, skeleton)
        compile_metrics = CompileMetrics(metrics, weighted_metrics, skeleton)
        # everything validated: now change state
        self.optimizer = opt
        self.loss = loss
        self._compile_config = {"loss": loss, "metrics": metrics, "loss_weights": loss_weights,
                                "weighted_metrics": weighted_metrics}
        self.compiled_loss = compile_loss
        self.compiled_metrics = compile_metrics
        self._loss_tracker = Mean(name="loss")
        self.steps_per_execution = steps_per_execution
        self._data_seen = False  # Keras 3 peeks at a PyDataset again after compile
        self.compiled = True
        self.stop_training = False

    def _output_structure(self) -> Any:
        """The structure of the model's outputs (a functional model's `outputs`), or None
        when unknown before a first call (a subclassed model) or a single output."""
        struct = getattr(self, "_outputs_struct", None)
        if struct is None:
            struct = getattr(self, "_seen_output_struct", None)
        return struct if isinstance(struct, (list, tuple, dict)) else None

    def _output_skeleton(self) -> Any:
        """The outputs' structure with their names as leaves (see compile_utils), or None
        when not known before the first batch."""
        names = self._output_names_for_compile()
        struct = getattr(self, "_outputs_struct", None)
        if struct is not None and names:
            return output_skeleton(struct, names)
        if names:
            return names[0] if len(names) == 1 else list(names)
        return None

    def _output_names_for_compile(self) -> list[str] | None:
        """The output names, or None for a subclassed model (known from the first batch)."""
        names = getattr(self, "output_names", None)
        return list(names) if names else None

    @property
    def metrics(self) -> list:
        """Keras 3's list: the loss tracker, the compiled metrics as one entry (named
        "compile_metrics", when there are any), the per-output loss trackers."""
        own = self._attribute_metrics()
        if not getattr(self, "compiled", False):
            return own
        out: list = [self._loss_tracker]
        if self.compiled_metrics.has_metrics:
            out.append(self.compiled_metrics)
        out += self.compiled_loss.metrics
        return out + own

    def _attribute_metrics(self) -> list:
        """Metrics the model holds as attributes (`self.my_metric = keras.metrics.Mean()`),
        which Keras 3 tracks in `model.metrics` after the compiled ones."""
        return [v for k, v in vars(self).items()
                if isinstance(v, Metric) and k != "_loss_tracker"]

    @property
    def metrics_variables(self) -> list:
        return [v for m in self.metrics for v in m.variables]

    def _flat_metrics(self) -> list:
        """Every metric object, in the order of the logs: loss, per-output losses, metrics."""
        if not getattr(self, "compiled", False):
            return self._attribute_metrics()
        return ([self._loss_tracker] + self.compiled_loss.metrics +
                self.compiled_metrics.metrics + self._attribute_metrics())

    @property
    def metrics_names(self) -> list[str]:
        """The names of the logs (Keras 2's meaning, which `zip(model.metrics_names,
        model.evaluate(...))` relies on; Keras 3 gives the names of `model.metrics`)."""
        return [m.name for m in self._flat_metrics()]

    def reset_metrics(self) -> None:
        for m in self._flat_metrics():
            m.reset_state()

    def _needs_targets(self) -> bool:
        """False when compiled without a loss: then `y` may be left out (Keras 3)."""
        return getattr(self.compiled_loss, "needs_targets", True)

    def _require_compiled(self, what: str) -> None:
        if not getattr(self, "compiled", False):
            raise RuntimeError(f"You must call compile() before using the model for {what}, "
                               "e.g. model.compile('sgd', 'mse').")

    # --- data -------------------------------------------------------------------------
    def _n_inputs(self) -> int | None:
        names = getattr(self, "input_names", None)
        return len(names) if names else None

    def _n_outputs(self) -> int | None:
        names = self._output_names_for_compile()
        return len(names) if names else None

    def _takes_strings(self) -> bool:
        """Whether an input is `keras.Input(dtype="string")` (text layers; branch textprep):
        then string arrays reach the model as they are."""
        return any(getattr(t, "dtype", None) == "string"
                   for t in (getattr(self, "inputs", None) or []))

    def _prepare(self, x: Any, y: Any = None, sample_weight: Any = None,
                 class_weight: Any = None, need_y: bool = True,
                 allow_nonfinite: bool = False) -> tuple:
        if x is None:
            raise ValueError("`x` must be given (an array, a list of arrays, or a dict)")
        x = structures.flatten_inputs(self, x)
        xs = da.cast_inputs(da.to_flat_arrays(x, "x", getattr(self, "input_names", None),
                                              self._n_inputs(), self._takes_strings()))
        ys = None
        if y is not None:
            y = structures.flatten_targets(self, y, "y")
            ys = da.cast_targets(da.to_flat_arrays(y, "y", getattr(self, "output_names", None),
                                                   self._n_outputs()))
        elif need_y:
            raise ValueError("`y` must be given: the targets for `x`")
        n_out = self._n_outputs()
        if ys is not None and n_out is not None and len(ys) != n_out:
            raise ValueError(f"The model has {n_out} outputs {self.output_names}, but `y` holds "
                             f"{len(ys)} array(s); pass a list or a dict with one target per "
                             "output")
        sws = None
        if sample_weight is not None:
            sample_weight = structures.flatten_targets(self, sample_weight, "sample_weight")
            sws = da.to_flat_arrays(sample_weight, "sample_weight",
                                    getattr(self, "output_names", None), self._n_outputs())
            sws = [s.astype(np.float64).astype(np.dtype(xs[0].dtype) if xs[0].dtype.kind == "f"
                                                else np.float32) for s in sws]
            if len(sws) == 1 and ys is not None and len(ys) > 1:
                sws = sws * len(ys)
        if class_weight is not None:
            if ys is None:
                raise ValueError("class_weight needs `y`")
            sws = self._apply_class_weight(ys, sws, class_weight)
        groups = {"x": xs}
        if ys is not None:
            groups["y"] = ys
        if sws is not None:
            groups["sample_weight"] = sws
        da.check_lengths(groups)
        # refused unless fit's caller opted in (a TerminateOnNaN callback, see `fit`)
        if not (allow_nonfinite or self._nonfinite_ok):
            da.check_finite(xs, "x")
            if ys is not None:
                da.check_finite(ys, "y")
        if sws is not None:
            da.check_finite(sws, "sample_weight")
            for s in sws:
                if s.ndim > 2 or (s.ndim == 2 and s.shape[1] != 1 and ys is not None and
                                  s.shape[1:] != ys[0].shape[1:len(s.shape)]):
                    raise ValueError(f"sample_weight must have shape (samples,), got {s.shape}")
        self._check_input_shapes(xs)
        return xs, ys, sws

    @staticmethod
    def _apply_class_weight(ys: list, sws: list | None, class_weight: dict) -> list:
        """Per-sample weights from the class of each target. Keras 3 refuses `class_weight`
        together with sample weights (Keras 2 multiplied them); so do we."""
        if sws is not None:
            raise ValueError("You cannot use `class_weight` and `sample_weight` at the same "
                             "time (Keras 3 refuses it too): fold the class weights into "
                             "`sample_weight` instead")
        if len(ys) > 1:
            raise ValueError("class_weight is only supported for models with one output")
        return [da.class_weight_to_sample_weight(ys[0], class_weight)]

    def _check_input_shapes(self, xs: list) -> None:
        """Raise on inputs that do not fit the model's Inputs; `xs` is adjusted in place."""
        expected = self._expected_input_shapes()
        if expected is None:
            return
        from minikeras.models.input_rank import adjust_input_rank  # (models import trainers)

        for i, (a, shape) in enumerate(zip(xs, expected)):
            if shape is None:
                continue
            # Keras' Functional adds/drops one trailing size-1 axis (see models/input_rank)
            xs[i] = a = adjust_input_rank(a, tuple(shape))
            want = tuple(shape[1:])
            got = a.shape[1:]
            ok = len(want) == len(got) and all(w is None or w == g for w, g in zip(want, got))
            if not ok:
                label = "x" if len(xs) == 1 else f"x[{i}]"
                raise ValueError(f"Input {i} of model {self.name!r} is incompatible: the model "
                                 f"expects inputs of shape {(None,) + want}, but `{label}` has "
                                 f"shape {a.shape}")

    def _expected_input_shapes(self) -> list | None:
        return None

    # --- steps ------------------------------------------------------------------------
    def _forward(self, xs: list, training: bool) -> list:
        if training:
            plan = self._train_plan
            if plan is not None and len(xs) == 1:
                return [plan(xs[0])]
        else:
            plan = self._infer_plan
            if plan is not None and len(xs) == 1 and plan.fits(xs[0]):
                return [plan.forward(xs[0])]
        inputs = xs[0] if len(xs) == 1 else xs
        out = self(inputs, training=training)
        if isinstance(out, (list, tuple, dict)):
            if getattr(self, "_outputs_struct", None) is None and \
                    getattr(self, "_seen_output_struct", None) is None:
                # a subclassed model: its outputs' structure, for compile and predict
                object.__setattr__(self, "_seen_output_struct",
                                   pack_like(out, [None] * len(flatten_structure(out))))
            return flatten_structure(out)
        return [out]

    def _total_loss(self, ys: list, preds: list, sws: list | None) -> Tensor:
        """The compiled loss plus every penalty: weight regularisers (recomputed, so they
        take part in differentiation) and losses added by layers during this call."""
        self._give_structure()
        loss = self.compiled_loss(ys, preds, sws)
        extras = self._collect_losses()
        if loss is None:  # compiled without a loss: the model's own losses only
            if not extras:
                raise ValueError("No loss to compute. Provide a `loss` argument in "
                                 "`compile()`, or add losses in the model (add_loss).")
            loss, extras = extras[0], extras[1:]
        for extra in extras:
            loss = P.add(loss, extra)
        return loss

    def _give_structure(self) -> None:
        """A subclassed model's outputs' structure, known from its first call, to the
        compiled loss and metrics (which spread themselves over it)."""
        seen = getattr(self, "_seen_output_struct", None)
        if seen is None:
            return
        for c in (self.compiled_loss, self.compiled_metrics):
            if getattr(c, "skeleton", False) is None and not getattr(c, "built", False) \
                    and getattr(c, "losses", None) is None:
                c.skeleton = output_skeleton(seen, None)
                c._spread(c.skeleton)

    def _collect_losses(self) -> list:
        plan = getattr(self, "_loss_plan", None)
        if plan is None:
            return self.losses
        regularized, layers = plan
        out = [reg(v) for v, reg in regularized]
        for layer in layers:
            if layer._losses:
                out.extend(layer._losses)
        return out

    def _make_train_plan(self) -> Any:
        """A function for the training step's forward pass (array in, output out), or None
        to call the model. Sequential models plan one (see Sequential._make_train_plan)."""
        return None

    def _plan_step(self) -> None:
        """Find, once per fit, which variables carry a regulariser and which layers may add
        losses, so the step does not walk the whole layer tree each time; which variables
        a forward pass in training may change (BatchNormalization's moving statistics: the
        non-trainable variables of trainable layers); and the forward pass itself."""
        object.__setattr__(self, "_train_plan", self._make_train_plan())
        object.__setattr__(self, "_infer_plan", plan_inference(self))
        object.__setattr__(self, "_replay", None)
        layers: list = []
        stack = [self]
        while stack:
            layer = stack.pop()
            layers.append(layer)
            stack.extend(reversed(layer._layers))
        self._step_state = [w for layer in layers if layer.trainable
                            for w in layer._non_trainable_weights]
        if type(self).losses is not Layer.losses:
            self._loss_plan = None  # a model that defines its own `losses` keeps it
            return
        regularized = [(w, w.regularizer) for layer in layers
                       for w in layer._trainable_weights + layer._non_trainable_weights
                       if w.regularizer is not None]
        self._loss_plan = (regularized, layers)

    def _train_step(self, xs: list, ys: list, sws: list | None, variables: list) -> float:
        """One step, all or nothing: an exception (KeyboardInterrupt included) in the
        forward pass, the gradients or the optimizer update (which restores its own
        variables, see `Optimizer.apply`) undoes what the forward pass changed
        (BatchNormalization's moving statistics), and a SIGINT during the update is raised
        once the update is complete. A step the replay covers (step_plan.py) runs there."""
        replay = self._replay
        if replay is None:
            replay = self._plan_replay(xs, ys, variables)
        if replay and sws is None and replay.variables is variables and \
                replay.fits(xs[0], ys[0]):
            value = self._replayed_step(replay, xs[0], ys[0], variables)
            if value is not None:
                return value
        return self._layer_step(xs, ys, sws, variables)

    def _plan_replay(self, xs: list, ys: list, variables: list) -> Any:
        """The replayed step of this fit (False when there is none), planned on its first
        batch."""
        replay = False
        if self._train_plan is not None and len(xs) == 1 and len(ys) == 1:
            replay = plan_train_step(self, variables, ys[0],
                                     getattr(self, "_fit_targets", None)) or False
            if replay:
                replay.variables = variables
        object.__setattr__(self, "_replay", replay)
        return replay

    def _train_pair(self, x: np.ndarray, y: np.ndarray, variables: list) -> float:
        """`_train_step` for one input and one target array, without sample weights."""
        replay = self._replay
        if replay is None:
            replay = self._plan_replay([x], [y], variables)
        if replay and replay.variables is variables and replay.fits(x, y):
            value = self._replayed_step(replay, x, y, variables)
            if value is not None:
                return value
        return self._train_step([x], [y], None, variables)

    def _replayed_step(self, replay: Any, x: np.ndarray, y: np.ndarray,
                       variables: list) -> float | None:
        """The step through the replay: its forward and backward write only its own work
        arrays, then the optimizer's all-or-nothing update (a SIGINT held until done).
        None when the batch needs the regular step (e.g. to raise its error)."""
        flat = replay.flat
        if flat is not None and not flat.trusted:
            if not flat.usable():
                flat = replay.flat = None
            else:  # until the epoch ends, only when no user code runs between steps
                flat.trusted = self._trust_flat
        if flat is not None and x.shape[0] == replay.rows and replay.compiles:
            result = replay.run_full(x, y)
        else:
            result = replay.run(x, y)
        if result is None:
            return None
        value, pred, grads = result
        _SIGINT.updating = True
        try:
            if flat is not None:
                flat.apply()
            else:
                self.optimizer.apply(grads, variables)
        finally:
            _SIGINT.updating = False
        if _SIGINT.pending:
            _SIGINT.pending = False
            raise KeyboardInterrupt
        self._loss_tracker.add(value, x.shape[0])
        if self.compiled_metrics.has_metrics:
            self.compiled_metrics.update([y], [Tensor(pred)], None)
        return value

    def _layer_step(self, xs: list, ys: list, sws: list | None, variables: list) -> float:
        """The step through the layers and the tape."""
        state = getattr(self, "_step_state", None)
        saved = [v.value.copy() for v in state] if state else None
        try:
            with Tape() as tape:
                preds = self._forward(xs, training=True)
                loss = self._total_loss(ys, preds, sws)
                # as Keras' train step: a loss-scaling optimizer gets the scaled loss's
                # gradients (its `apply` divides them back); the logs keep the loss
                target = self.optimizer.scale_loss(loss) if self.optimizer._scales_loss \
                    else loss
            if loss.ndim:
                raise ValueError(f"The loss must be a scalar, got shape {loss.shape}; a "
                                 "custom loss should return one value per sample or a scalar")
            # a scaled float16 backward pass may overflow: that is what the loss scaler
            # detects (it skips the step and halves the scale), so no NumPy warning
            with np.errstate(over="ignore", invalid="ignore") if self.optimizer._scales_loss \
                    else contextlib.nullcontext():
                grads = tape.leaf_gradients(target, variables)  # trainable weights are leaves
            _SIGINT.updating = True
            try:
                # all or nothing itself (Optimizer.apply); when it fails, the moving
                # statistics of this forward pass are undone below too
                self.optimizer.apply(grads, variables)
            finally:
                _SIGINT.updating = False
        except BaseException:
            if saved is not None:
                for v, old in zip(state, saved):
                    v.value[...] = old
            raise
        if _SIGINT.pending:
            _SIGINT.pending = False
            raise KeyboardInterrupt
        value = float(loss.value)
        self._loss_tracker.add(value, xs[0].shape[0])
        if self.compiled_metrics.has_metrics:
            self.compiled_metrics.update(ys, [_detached(p) for p in preds], sws)
        return value

    def _test_step(self, xs: list, ys: list, sws: list | None) -> float:
        with no_grad():
            preds = self._forward(xs, training=False)
            loss = self._total_loss(ys, preds, sws)
        value = float(loss.value)
        self._loss_tracker.add(value, xs[0].shape[0])
        if ys:  # (a model compiled without a loss may be evaluated without targets)
            self.compiled_metrics.update(ys, preds, sws)
        return value

    def _ordered_values(self, logs: dict) -> Any:
        """`evaluate`'s list as Keras 3 orders it: the logs named by `model.metrics` in its
        order (the loss, the compiled metrics by their names before any output prefix, the
        per-output losses), then every other log sorted by name. So one output's metrics
        come in compile order, several outputs' metrics after the losses, sorted."""
        head = ["loss"] + list(getattr(self.compiled_metrics, "raw_names", [])) + \
            [m.name for m in self.compiled_loss.metrics] + \
            [m.name for m in self._attribute_metrics()]
        values = [logs[k] for k in head if k in logs]
        values += [logs[k] for k in sorted(logs) if k not in head]
        return values[0] if len(values) == 1 else values

    def _logs(self) -> dict:
        """Each metric's result: a float, or an array for vector results (e.g. F1Score with
        average=None), as Keras keeps them."""
        logs = {}
        for m in self._flat_metrics():
            r = m.result()
            v = np.asarray(r.value if isinstance(r, Tensor) else r)
            logs[m.name] = float(v) if v.ndim == 0 else v
        return logs

    # --- fit --------------------------------------------------------------------------
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: Any = None, validation_split: float = 0.0,
            validation_data: Any = None, shuffle: Any = True, class_weight: Any = None,
            sample_weight: Any = None, initial_epoch: int = 0, steps_per_epoch: Any = None,
            validation_steps: Any = None, validation_batch_size: Any = None,
            validation_freq: Any = 1, **kwargs: Any):
        """Train for `epochs` epochs; returns a `History`. Keras 3 semantics (see DESIGN).
        `x` may be arrays, a Python generator or iterator of batches, or a PyDataset."""
        if "nb_epoch" in kwargs:  # Keras 1
            epochs = kwargs.pop("nb_epoch")
        _pop_keras2_worker_arguments(kwargs)
        if kwargs:
            raise TypeError(f"fit() got unexpected keyword arguments {sorted(kwargs)}")
        self._require_compiled("training")
        batch_size = da.check_batch_size(batch_size) or 32
        validation_batch_size = da.check_batch_size(validation_batch_size,
                                                    "validation_batch_size")
        if not isinstance(epochs, (int, np.integer)) or isinstance(epochs, bool) or epochs < 0:
            raise ValueError(f"`epochs` must be a non-negative integer, got epochs={epochs!r}")
        if not isinstance(validation_split, (int, float)) or not 0 <= validation_split < 1:
            raise ValueError(f"`validation_split` must be a float in [0, 1), got "
                             f"validation_split={validation_split!r}")
        if shuffle not in (True, False, "batch"):
            raise ValueError(f"`shuffle` must be True, False or 'batch', got {shuffle!r}")
        verbose = _check_verbose(verbose)
        validation_freq = _check_validation_freq(validation_freq)
        steps_per_epoch = _capped_steps(da.check_steps(steps_per_epoch, "steps_per_epoch"))
        validation_steps = _capped_steps(da.check_steps(validation_steps, "validation_steps"))
        if _config.max_epochs() and _config.max_epochs() < epochs:  # keras.config's cap
            warnings.warn(f"Limiting epochs to {_config.max_epochs()}", stacklevel=2)
            epochs = _config.max_epochs()
        # NaN/inf in the data is refused, unless a TerminateOnNaN callback is there to act
        # on the NaN loss it gives (Keras trains on such data; see docs/decisions.md)
        self._nonfinite_ok = _wants_nonfinite(callbacks)
        try:
            return self._fit_sources(x, y, batch_size, epochs, verbose, callbacks,
                                     validation_split, validation_data, shuffle, class_weight,
                                     sample_weight, initial_epoch, steps_per_epoch,
                                     validation_steps, validation_batch_size, validation_freq)
        finally:
            self._nonfinite_ok = False
            object.__setattr__(self, "_trust_flat", False)
            object.__setattr__(self, "_fit_targets", None)

    def _fit_sources(self, x: Any, y: Any, batch_size: int, epochs: int, verbose: int,
                     callbacks: Any, validation_split: float, validation_data: Any,
                     shuffle: Any, class_weight: Any, sample_weight: Any, initial_epoch: int,
                     steps_per_epoch: int | None, validation_steps: int | None,
                     validation_batch_size: int | None, validation_freq: Any):
        """`fit` after its arguments are checked: the batch sources, then the epochs."""
        first_use = not getattr(self, "_data_seen", False)
        if da.is_stream(x):
            if validation_split:
                raise ValueError("`validation_split` is only supported for arrays; with a "
                                 "generator or PyDataset, pass `validation_data`")
            train, first = self._stream_source(x, y, sample_weight, steps_per_epoch, shuffle,
                                               class_weight, first_use)
        else:
            # compiled without a loss: `y` may be left out (Keras 3)
            xs, ys, sws = self._prepare(x, y, sample_weight, need_y=self._needs_targets())
            ys = [] if ys is None else ys
            if class_weight is not None:
                da.class_weight_to_sample_weight(ys[0], class_weight)  # validate before work
            if validation_split and validation_data is None:
                groups = [xs, ys] + ([sws] if sws is not None else [])
                part, held = da.split_validation(groups, validation_split)
                xs, ys = part[0], part[1]
                sws = part[2] if sws is not None else None
                validation_data = (held[0], held[1], held[2] if sws is not None else None)
            if class_weight is not None:  # the training part only: Keras leaves validation
                sws = self._apply_class_weight(ys, sws, class_weight)
            if xs[0].shape[0] == 0:
                raise ValueError("fit() received no training samples")
            train = da.ArrayBatches(xs, ys, sws, batch_size, shuffle, steps_per_epoch,
                                    carry=True)
            first = (xs, ys, sws)
        val = None
        if validation_data is not None:
            val = self._validation_source(validation_data, validation_steps,
                                          validation_batch_size or batch_size)
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=train.num_batches)
        self._ensure_built(first[0] if first is not None else None)
        self._data_seen = True
        if val is not None:
            self._probe_validation(first, val, batch_size)
        variables = self.trainable_weights
        rng = generator()
        self.stop_training = False
        batch_hooks = cbs.has_batch_hooks("train")
        hooks = structures.ExecutionHooks(getattr(self, "steps_per_execution", 1))
        # the whole target array, for the replayed step's plan (cleared by `fit`)
        object.__setattr__(self, "_fit_targets", train.ys[0] if train.prepared and
                           train.ys is not None and len(train.ys) == 1 else None)
        with _SIGINT, threads_for(lambda: largest_product(self, batch_size)):
            cbs.on_train_begin()
            # BackupAndRestore sets `_initial_epoch` in on_train_begin (as in Keras 3)
            initial_epoch = getattr(self, "_initial_epoch", None) or initial_epoch
            logs: dict = {}
            epoch_logs: dict = {}
            for epoch in range(initial_epoch, epochs):
                if not train.has_more():  # a generator that stopped cannot start again
                    if not train.warned:
                        train.warn_ran_out()
                    break
                self.reset_metrics()
                cbs.on_epoch_begin(epoch)
                # the flat update's checks hold for the epoch when no user code runs
                # between its steps: no batch hooks, no metrics (a custom one is user
                # code), a learning rate that is a plain Variable
                replay = self._replay
                if replay and replay.flat is not None:
                    replay.flat.trusted = False
                object.__setattr__(self, "_trust_flat", not batch_hooks and type(
                    self.optimizer._learning_rate) is Variable and
                    not self.compiled_metrics.has_metrics)
                pairs = train.single_pairs(rng) if train.prepared else None
                # one input, one target: no lists per batch
                batches = pairs if pairs is not None else \
                    self._batches(train, rng, class_weight)
                pending = None  # the end index of an execution whose end hook is due
                if pairs is not None and not batch_hooks:  # (the loop below, less its hooks)
                    train_pair = self._train_pair
                    for x, y in pairs:
                        train_pair(x, y, variables)
                        if self.stop_training:
                            break
                    batches = ()
                for step, batch in enumerate(batches):
                    if batch_hooks and hooks.begins(step):
                        cbs.on_train_batch_begin(step)
                    if pairs is not None:
                        self._train_pair(batch[0], batch[1], variables)
                    else:
                        self._train_step(batch[0], batch[1], batch[2], variables)
                    if batch_hooks:
                        pending = hooks.end_index(step)
                        if hooks.ends(step):
                            logs = self._logs()
                            cbs.on_train_batch_end(pending, logs)
                            pending = None
                    if self.stop_training:
                        break
                if pending is not None:
                    logs = self._logs()
                    cbs.on_train_batch_end(pending, logs)
                epoch_logs = self._logs()
                if val is not None and _should_validate(epoch, validation_freq):
                    val_logs = self._evaluate_source(val, cbs)
                    epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
                cbs.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
            if epochs > 0:
                self.optimizer.finalize_variable_values(variables)
            cbs.on_train_end(epoch_logs)
        return cbs.history

    def fit_generator(self, generator: Any, steps_per_epoch: Any = None, epochs: int = 1,
                      verbose: Any = 1, callbacks: Any = None, validation_data: Any = None,
                      validation_steps: Any = None, validation_freq: Any = 1,
                      class_weight: Any = None, max_queue_size: int = 10, workers: int = 1,
                      use_multiprocessing: bool = False, shuffle: bool = True,
                      initial_epoch: int = 0):
        """Keras 2: `fit` on a generator or Sequence (removed in Keras 3). The worker
        arguments are accepted; batches are fetched in the training thread."""
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs,
                        verbose=verbose, callbacks=callbacks, validation_data=validation_data,
                        validation_steps=validation_steps, validation_freq=validation_freq,
                        class_weight=class_weight, shuffle=shuffle,
                        initial_epoch=initial_epoch, max_queue_size=max_queue_size,
                        workers=workers, use_multiprocessing=use_multiprocessing)

    def _stream_source(self, x: Any, y: Any, sample_weight: Any, steps: int | None,
                       shuffle: Any, class_weight: Any, first_use: bool,
                       need_y: bool = True, cache: bool = False) -> tuple:
        """A generator or PyDataset as a batch source, and the checked inputs of its first
        batch (to build the model). As Keras 3 does at the start of `fit`/`evaluate`, a
        PyDataset is read once at batch 0 on first use, and its `on_epoch_end` is called."""
        source = da.StreamBatches(x, steps, shuffle, cache=cache)
        da.refuse_with_stream(source.kind, y=y, sample_weight=sample_weight)
        if source.dataset is not None and not first_use and self.built:
            source.reset()
            return source, None
        if source.dataset is not None:
            source.dataset.on_epoch_begin()
        first = source.peek()
        source.reset()
        bx, by, bw = da.unpack_batch(first, source.kind)
        if not need_y:
            by = bw = class_weight = None
        return source, self._prepare(bx, by, bw, class_weight, need_y=need_y)

    def _probe_validation(self, first: tuple | None, val: Any, batch_size: int) -> None:
        """Run the test step on the first training batch, then on the first validation
        batch, so that validation targets the loss or metrics would refuse at the end of
        the first epoch fail now, before any weight changes. (Metrics are reset at each
        epoch's start, so the probe leaves no trace.) If the training batch itself fails
        here, the probe is skipped: the first training step will report it."""
        try:
            if first is not None and first[1] is not None:
                xs, ys, sws = first
                self._test_step([a[:batch_size] for a in xs], [a[:batch_size] for a in ys],
                                [a[:batch_size] for a in sws] if sws is not None else None)
        except Exception:  # noqa: BLE001 - reported by the training step itself
            self.reset_metrics()
            return
        if val.prepared:
            xs, ys, sws = val.xs, val.ys, val.sws
            n = val.batch_size
        elif val.dataset is None:
            xs, ys, sws = self._prepare(*da.unpack_batch(val.peek(), val.kind))
            n = None
        else:
            return
        try:
            self._test_step([a[:n] for a in xs], [a[:n] for a in ys],
                            [a[:n] for a in sws] if sws is not None else None)
        except ValueError as e:
            raise ValueError(f"validation_data does not fit the model: {e}") from None
        finally:
            self.reset_metrics()

    def _validation_source(self, data: Any, steps: int | None, batch_size: int) -> Any:
        """`validation_data`: a tuple of arrays (checked now, before any weight changes),
        or a generator/PyDataset (batches checked as they come). The batches of a finite
        validation generator without `validation_steps` are kept after the first pass and
        reused each epoch; Keras 3 reuses only the first two batches it peeked at."""
        if da.is_stream(data):
            source = da.StreamBatches(data, steps, False, cache=True)
            if source.dataset is None:
                bx, by, bw = da.unpack_batch(source.peek(), source.kind)
                self._prepare(bx, by, bw)
            return source
        if isinstance(data, (list, tuple)) and len(data) in (2, 3):
            vx, vy = data[0], data[1]
            vsw = data[2] if len(data) == 3 else None
        else:
            raise ValueError("validation_data must be a tuple (x_val, y_val) or "
                             f"(x_val, y_val, val_sample_weight); got {type(data).__name__}"
                             + (f" of length {len(data)}" if hasattr(data, "__len__") else ""))
        try:
            xs, ys, sws = self._prepare(vx, vy, vsw)
        except ValueError as e:
            raise ValueError(f"validation_data: {e}") from None
        if xs[0].shape[0] == 0:
            raise ValueError("validation_data holds no samples")
        return da.ArrayBatches(xs, ys, sws, batch_size, False, steps)

    def _batches(self, source: Any, rng: Any = None, class_weight: Any = None,
                 need_y: bool = True) -> Any:
        """The batches of one epoch as checked lists (xs, ys, sws). Batches of a stream
        are checked one by one here, before the step that uses them."""
        if source.prepared:
            yield from source.epoch(rng)
            return
        for raw in source.epoch(rng):
            bx, by, bw = da.unpack_batch(raw, source.kind)
            if not need_y:
                yield self._prepare(bx, None, None, need_y=False)
                continue
            yield self._prepare(bx, by, bw, class_weight)

    def _ensure_built(self, xs: list | None) -> None:
        """Build a lazily defined model on a first batch, so that weights exist before the
        optimizer sees them."""
        if not self.built and xs is not None:
            object.__setattr__(self, "_infer_plan", None)
            with no_grad():
                self._forward([a[:1] for a in xs], training=False)
        self._plan_step()

    # --- evaluate ---------------------------------------------------------------------
    def _evaluate_source(self, source: Any, cbs: CallbackList, reset: bool = True) -> dict:
        """One pass of the test step over `source`; raises when it yields no batch."""
        self.reset_metrics()
        if reset and getattr(source, "dataset", None) is not None:
            source.reset()  # Keras 3 resets a PyDataset before each evaluation
        cbs.on_test_begin()
        batch_hooks = cbs.has_batch_hooks("test")
        hooks = structures.ExecutionHooks(getattr(self, "steps_per_execution", 1))
        n_steps = 0
        plan = self._infer_plan
        pairs = source.single_pairs() if plan is not None and source.prepared and \
            not batch_hooks else None
        loss_value = plan.loss_function(self, source.ys[0]) if pairs is not None else None
        if loss_value is None:
            pairs = None
        else:  # the loss alone, through the inference plan
            tracker = self._loss_tracker
            for bx, by in pairs:
                value = loss_value(bx, by)
                if value is None:
                    self._test_step([bx], [by], None)
                else:
                    tracker.add(value, bx.shape[0])
                n_steps += 1
            pairs = ()
        pending = None
        for step, (bx, by, bw) in enumerate(self._batches(source) if pairs is None else ()):
            if batch_hooks and hooks.begins(step):
                cbs.on_test_batch_begin(step)
            self._test_step(bx, by, bw)
            n_steps += 1
            if batch_hooks:
                pending = hooks.end_index(step)
                if hooks.ends(step):
                    cbs.on_test_batch_end(pending, self._logs())
                    pending = None
        if pending is not None:
            cbs.on_test_batch_end(pending, self._logs())
        if n_steps == 0:
            raise ValueError("evaluate() received no data: the input yielded no batch")
        logs = self._logs()
        cbs.on_test_end(logs)
        return logs

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: Any = "auto", sample_weight: Any = None, steps: Any = None,
                 callbacks: Any = None, return_dict: bool = False, **kwargs: Any):
        """The loss and metrics on the given data: a scalar when there are no metrics, else a
        list `[loss, metric...]`, or a dict with `return_dict=True`. `x` may also be a
        generator or PyDataset (then `steps` bounds the number of batches)."""
        _pop_keras2_worker_arguments(kwargs)
        if kwargs:
            raise TypeError(f"evaluate() got unexpected keyword arguments {sorted(kwargs)}")
        self._require_compiled("evaluation")
        batch_size = da.check_batch_size(batch_size) or 32
        verbose = _check_verbose(verbose)
        steps = _capped_steps(da.check_steps(steps, "steps"))
        if da.is_stream(x):
            source, first = self._stream_source(x, y, sample_weight, steps, False, None,
                                                not getattr(self, "_data_seen", False))
            first = first[0] if first is not None else None
        else:
            xs, ys, sws = self._prepare(x, y, sample_weight, need_y=self._needs_targets())
            ys = [] if ys is None else ys
            if xs[0].shape[0] == 0:
                raise ValueError("evaluate() received no samples: `x` has shape "
                                 f"{xs[0].shape}")
            source, first = da.ArrayBatches(xs, ys, sws, batch_size, False, steps), xs
        self._ensure_built(first)
        self._data_seen = True
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=None,
            steps=source.num_batches)
        with threads_for((lambda: largest_product(self, batch_size))
                         if source.num_batches != 1 else None):
            logs = self._evaluate_source(source, cbs, reset=False)
        if return_dict:
            return logs
        return self._ordered_values(logs)

    def evaluate_generator(self, generator: Any, steps: Any = None, callbacks: Any = None,
                           max_queue_size: int = 10, workers: int = 1,
                           use_multiprocessing: bool = False, verbose: Any = 0):
        """Keras 2: `evaluate` on a generator or Sequence (removed in Keras 3)."""
        return self.evaluate(generator, steps=steps, callbacks=callbacks, verbose=verbose,
                             max_queue_size=max_queue_size, workers=workers,
                             use_multiprocessing=use_multiprocessing)

    # --- predict ----------------------------------------------------------------------
    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto",
                steps: Any = None, callbacks: Any = None, **kwargs: Any):
        """Outputs for `x`, batch by batch, in inference mode (Dropout off). A NumPy array,
        or a list of arrays for several outputs. `x` may also be a generator or PyDataset
        of batches `x`, `(x,)` or `(x, y, ...)` (targets ignored)."""
        if (type(x) is np.ndarray and x.ndim == 2 and type(verbose) is int and verbose == 0
                and callbacks is None and steps is None and not kwargs and self.built and
                (batch_size is None or type(batch_size) is int and batch_size > 0) and
                x.flags.c_contiguous and x.dtype == _config.floatx() and
                not _config.max_steps_per_epoch()):
            # the usual quiet call on one array (students predict in loops): nothing to
            # check but the plan's own conditions
            plan = plan_inference(self)
            if plan is not None and plan.fits(x):
                object.__setattr__(self, "_infer_plan", plan)
                size = batch_size or 32
                if x.shape[0] <= size:
                    return self._predict_planned(plan, x, size, x.shape[0], None)
                with threads_for(size * plan.max_product):
                    return self._predict_planned(plan, x, size, x.shape[0], None)
        _pop_keras2_worker_arguments(kwargs)
        if kwargs:
            raise TypeError(f"predict() got unexpected keyword arguments {sorted(kwargs)}")
        batch_size = da.check_batch_size(batch_size) or 32
        verbose = _check_verbose(verbose)
        steps = _capped_steps(da.check_steps(steps, "steps"))
        if da.is_stream(x):
            source = da.StreamBatches(x, steps, False)
            bx = da.unpack_batch(source.peek(), source.kind)[0]
            xs = self._prepare(bx, None, None, need_y=False)[0]
        else:
            xs = da.cast_inputs(da.to_flat_arrays(structures.flatten_inputs(self, x), "x",
                                                  getattr(self, "input_names", None),
                                                  self._n_inputs(), self._takes_strings()))
            da.check_lengths({"x": xs})
            self._check_input_shapes(xs)
            source = da.ArrayBatches(xs, None, None, batch_size, False, steps)
        plan = plan_inference(self) if self.built else None
        object.__setattr__(self, "_infer_plan", plan)
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=None,
            steps=source.num_batches)
        if plan is not None and source.prepared and len(xs) == 1 and plan.fits(xs[0]):
            x = xs[0]
            n = min(x.shape[0], source.num_batches * batch_size)
            with threads_for(batch_size * plan.max_product if source.num_batches > 1
                             else None):
                return self._predict_planned(plan, x, batch_size, n, cbs)
        cbs.on_predict_begin()
        batch_hooks = cbs.has_batch_hooks("predict")
        hooks = structures.ExecutionHooks(getattr(self, "steps_per_execution", 1))
        outputs: list = []
        pending = None

        def execution_outputs(step: int) -> Any:
            # the outputs of the steps of this execution, in the outputs' structure
            done = outputs[step - step % hooks.n:]
            return structures.pack_predictions(self, [
                np.concatenate([o[i] for o in done], axis=0) for i in range(len(done[0]))])

        with no_grad():
            for step, (bx, _, _) in enumerate(self._batches(source, need_y=False)):
                if batch_hooks and hooks.begins(step):
                    cbs.on_predict_batch_begin(step)
                preds = self._forward(bx, training=False)
                outputs.append([p.value for p in preds])
                if batch_hooks:
                    pending = (hooks.end_index(step), step)
                    if hooks.ends(step):
                        cbs.on_predict_batch_end(pending[0],
                                                 {"outputs": execution_outputs(step)})
                        pending = None
            if pending is not None:
                cbs.on_predict_batch_end(pending[0], {"outputs": execution_outputs(pending[1])})
        cbs.on_predict_end()
        if not outputs:
            with no_grad():
                preds = self._forward([a[:0] for a in xs], training=False)
            outputs = [[p.value for p in preds]]
        result = [np.concatenate([o[i] for o in outputs], axis=0)
                  for i in range(len(outputs[0]))]
        return structures.pack_predictions(self, result)

    def _predict_planned(self, plan: Any, x: np.ndarray, size: int, n: int,
                         cbs: CallbackList | None) -> np.ndarray:
        """`predict` of the first `n` samples of `x` through the inference plan, in
        batches of `size`: each batch's output is written straight into the result, with
        work arrays reused over the batches. `cbs` None: no callbacks at all."""
        result = np.empty((n, plan.units), plan.dtype)
        buffers = plan.buffers(min(size, n))
        if cbs is None:
            run = plan.run
            for start in range(0, n, size):
                end = start + size
                run(x[start:end], result[start:end], buffers)
            return result
        batch_hooks = cbs.has_batch_hooks("predict")
        cbs.on_predict_begin()
        run = plan.run
        hooks = structures.ExecutionHooks(getattr(self, "steps_per_execution", 1))
        for step, start in enumerate(range(0, n, size)):
            if batch_hooks and hooks.begins(step):
                cbs.on_predict_batch_begin(step)
            end = start + size
            run(x[start:end], result[start:end], buffers)
            if batch_hooks and (hooks.ends(step) or end >= n):
                first = (step - step % hooks.n) * size  # the execution's first sample
                cbs.on_predict_batch_end(hooks.end_index(step),
                                         {"outputs": [result[first:end]]})
        cbs.on_predict_end()
        return result

    def predict_generator(self, generator: Any, steps: Any = None, callbacks: Any = None,
                          max_queue_size: int = 10, workers: int = 1,
                          use_multiprocessing: bool = False, verbose: Any = 0):
        """Keras 2: `predict` on a generator or Sequence (removed in Keras 3)."""
        return self.predict(da.keras2_x_batches(generator), steps=steps, callbacks=callbacks,
                            verbose=verbose,
                            max_queue_size=max_queue_size, workers=workers,
                            use_multiprocessing=use_multiprocessing)

    # --- on_batch ---------------------------------------------------------------------
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: Any = None, return_dict: bool = False):
        """One optimizer step on one batch; returns the loss (and metrics) of that batch."""
        self._require_compiled("training")
        xs, ys, sws = self._prepare(x, y, sample_weight, class_weight,
                                    need_y=self._needs_targets())
        ys = [] if ys is None else ys
        self._ensure_built(xs)
        object.__setattr__(self, "_replay", False)  # replayed steps are planned per fit
        self.reset_metrics()
        with _SIGINT:
            self._train_step(xs, ys, sws, self.trainable_weights)
        return self._batch_result(return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False):
        self._require_compiled("evaluation")
        xs, ys, sws = self._prepare(x, y, sample_weight, need_y=self._needs_targets())
        ys = [] if ys is None else ys
        self._ensure_built(xs)
        self.reset_metrics()
        self._test_step(xs, ys, sws)
        return self._batch_result(return_dict)

    def predict_on_batch(self, x: Any):
        return self.predict(x, batch_size=max(1, len(np.asarray(x[0] if isinstance(
            x, (list, tuple)) and self._n_inputs() > 1 else x))), verbose=0)

    def _batch_result(self, return_dict: bool):
        logs = self._logs()
        if return_dict:
            return logs
        return self._ordered_values(logs)



def _detached(p: Tensor) -> Tensor:
    """The prediction without its graph, keeping its Keras mask (metrics weigh by it)."""
    out = Tensor(p.value)
    mask = get_keras_mask(p)
    if mask is not None:
        set_keras_mask(out, mask)
    return out
