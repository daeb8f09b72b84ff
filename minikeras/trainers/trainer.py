"""The training API shared by every model: compile, fit, evaluate, predict and the
`*_on_batch` methods. The loop over epochs and batches exists only here.

One training step: forward pass (recorded on a tape) -> loss (compiled loss + every
regularisation penalty) -> backward pass -> optimizer update -> metrics, from the
forward values, without recording.
"""

from __future__ import annotations

import signal
import threading
import warnings
from typing import Any

import numpy as np

from minikeras import config as _config
from minikeras import optimizers as optimizers_module
from minikeras.autodiff.tensor import Tape, Tensor, no_grad
from minikeras.autodiff import primitives as P
from minikeras.callbacks.callback import CallbackList
from minikeras.layers.layer import Layer
from minikeras.metrics import Mean, Metric
from minikeras.random import generator
from minikeras.trainers import data_adapter as da
from minikeras.trainers.compile_utils import CompileLoss, CompileMetrics, NoCompiledLoss


def _capped_steps(steps: int) -> int:
    """`keras.config.set_max_steps_per_epoch`'s cap on the steps of fit/evaluate/predict."""
    cap = _config.max_steps_per_epoch()
    return min(steps, cap) if cap else steps


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


def _looks_like_metrics(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(
        isinstance(v, str) or callable(v) for v in value)


class Trainer:
    """Mixed into `Model`. Keras 3 signatures; Keras 2 spellings accepted where they differ."""

    _train_plan: Any = None  # set by _plan_step, once per fit

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
        opt = optimizers_module.get(optimizer)
        output_names = self._output_names_for_compile()
        # no loss: the model's own losses (add_loss) are the training loss (Keras 3); a
        # model without any gets Keras' error at the first step
        compile_loss = NoCompiledLoss() if loss is None else \
            CompileLoss(loss, loss_weights, output_names)
        compile_metrics = CompileMetrics(metrics, weighted_metrics, output_names)
        # everything validated: now change state
        self.optimizer = opt
        self.loss = loss
        self._compile_config = {"loss": loss, "metrics": metrics, "loss_weights": loss_weights,
                                "weighted_metrics": weighted_metrics}
        self.compiled_loss = compile_loss
        self.compiled_metrics = compile_metrics
        self._loss_tracker = Mean(name="loss")
        self.compiled = True
        self.stop_training = False

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

    def _prepare(self, x: Any, y: Any = None, sample_weight: Any = None,
                 class_weight: Any = None, need_y: bool = True,
                 allow_nonfinite: bool = False) -> tuple:
        if x is None:
            raise ValueError("`x` must be given (an array, a list of arrays, or a dict)")
        xs = da.cast_inputs(da.to_flat_arrays(x, "x", getattr(self, "input_names", None),
                                              self._n_inputs()))
        ys = None
        if y is not None:
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
        if not allow_nonfinite:  # refused unless fit's caller opted in (TerminateOnNaN)
            da.check_finite(xs, "x")
            if ys is not None:
                da.check_finite(ys, "y")
        if sws is not None:
            for s in sws:
                if s.ndim > 2 or (s.ndim == 2 and s.shape[1] != 1 and ys is not None and
                                  s.shape[1:] != ys[0].shape[1:len(s.shape)]):
                    raise ValueError(f"sample_weight must have shape (samples,), got {s.shape}")
        self._check_input_shapes(xs)
        return xs, ys, sws

    @staticmethod
    def _apply_class_weight(ys: list, sws: list | None, class_weight: dict) -> list:
        """Per-sample weights from the class of each target, times any sample weights."""
        if len(ys) > 1:
            raise ValueError("class_weight is only supported for models with one output")
        cw = da.class_weight_to_sample_weight(ys[0], class_weight)
        if sws is None:
            return [cw]
        return [sws[0] * cw.reshape(sws[0].shape[:1] + (1,) * (sws[0].ndim - 1))]

    def _check_input_shapes(self, xs: list) -> None:
        expected = self._expected_input_shapes()
        if expected is None:
            return
        for i, (a, shape) in enumerate(zip(xs, expected)):
            if shape is None:
                continue
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
        plan = self._train_plan if training else None
        if plan is not None and len(xs) == 1:
            return [plan(xs[0])]
        inputs = xs[0] if len(xs) == 1 else xs
        out = self(inputs, training=training)
        return list(out) if isinstance(out, (list, tuple)) else [out]

    def _total_loss(self, ys: list, preds: list, sws: list | None) -> Tensor:
        """The compiled loss plus every penalty: weight regularisers (recomputed, so they
        take part in differentiation) and losses added by layers during this call."""
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
        """One step, atomic with respect to interrupts: an exception (KeyboardInterrupt
        included) before the update undoes what the forward pass changed, and a SIGINT
        during the update is raised once the update is complete."""
        state = getattr(self, "_step_state", None)
        saved = [v.value.copy() for v in state] if state else None
        try:
            with Tape() as tape:
                preds = self._forward(xs, training=True)
                loss = self._total_loss(ys, preds, sws)
            if loss.ndim:
                raise ValueError(f"The loss must be a scalar, got shape {loss.shape}; a "
                                 "custom loss should return one value per sample or a scalar")
            grads = tape.leaf_gradients(loss, variables)  # trainable weights are leaves
        except BaseException:
            if saved is not None:
                for v, old in zip(state, saved):
                    v.value[...] = old
            raise
        _SIGINT.updating = True
        try:
            self.optimizer.apply(grads, variables)
        finally:
            _SIGINT.updating = False
        if _SIGINT.pending:
            _SIGINT.pending = False
            raise KeyboardInterrupt
        value = float(loss.value)
        self._loss_tracker.add(value, xs[0].shape[0])
        if self.compiled_metrics.has_metrics:
            self.compiled_metrics.update(ys, [Tensor(p.value) for p in preds], sws)
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
        """`evaluate`'s list: loss, the per-output losses, then the metrics (in compile order
        for one output; sorted by name for several, as Keras 3 returns them)."""
        head = ["loss"] + [m.name for m in self.compiled_loss.metrics]
        rest = [k for k in logs if k not in head]
        if len(self.compiled_loss.losses or ()) > 1:
            rest = sorted(rest)
        values = [logs[k] for k in head + rest if k in logs]
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
            validation_freq: int = 1, **kwargs: Any):
        """Train for `epochs` epochs; returns a `History`. Keras 3 semantics (see DESIGN)."""
        if "nb_epoch" in kwargs:  # Keras 1
            epochs = kwargs.pop("nb_epoch")
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
        # NaN/inf in the data is refused, unless a TerminateOnNaN callback is there to act
        # on the NaN loss it gives (Keras trains on such data; see docs/decisions.md)
        nan_ok = _wants_nonfinite(callbacks)
        xs, ys, sws = self._prepare(x, y, sample_weight, allow_nonfinite=nan_ok,
                                    need_y=self._needs_targets())
        ys = [] if ys is None else ys
        if class_weight is not None:
            da.class_weight_to_sample_weight(ys[0], class_weight)  # validate before any work
        val = None
        if validation_data is not None:
            val = self._unpack_validation(validation_data, nan_ok)
        elif validation_split:
            groups = [xs, ys] + ([sws] if sws is not None else [])
            train, valid = da.split_validation(groups, validation_split)
            xs, ys = train[0], train[1]
            sws = train[2] if sws is not None else None
            val = (valid[0], valid[1], valid[2] if sws is not None else None)
        if class_weight is not None:  # the training part only: Keras leaves validation alone
            sws = self._apply_class_weight(ys, sws, class_weight)
        n = xs[0].shape[0]
        if n == 0:
            raise ValueError("fit() received no training samples")
        steps = da.num_batches(n, batch_size)
        if steps_per_epoch is not None:
            steps = min(steps, int(steps_per_epoch))
        steps = _capped_steps(steps)
        if _config.max_epochs() and _config.max_epochs() < epochs:  # keras.config's cap
            warnings.warn(f"Limiting epochs to {_config.max_epochs()}", stacklevel=2)
            epochs = _config.max_epochs()
        verbose = 1 if verbose == "auto" else int(verbose)
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=steps)
        self._ensure_built(xs)
        variables = self.trainable_weights
        rng = generator()
        self.stop_training = False
        batch_hooks = cbs.has_batch_hooks("train")
        with _SIGINT:
            cbs.on_train_begin()
            # BackupAndRestore sets `_initial_epoch` in on_train_begin (as in Keras 3)
            initial_epoch = getattr(self, "_initial_epoch", None) or initial_epoch
            logs: dict = {}
            epoch_logs: dict = {}
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                cbs.on_epoch_begin(epoch)
                for step, index in enumerate(da.batch_slices(n, batch_size, shuffle, rng)):
                    if step >= steps:
                        break
                    bx = [a[index] for a in xs]
                    by = [a[index] for a in ys]
                    bw = [a[index] for a in sws] if sws is not None else None
                    if batch_hooks:
                        cbs.on_train_batch_begin(step)
                    self._train_step(bx, by, bw, variables)
                    if batch_hooks:
                        logs = self._logs()
                        cbs.on_train_batch_end(step, logs)
                    if self.stop_training:
                        break
                epoch_logs = self._logs()
                if val is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._evaluate_arrays(val[0], val[1], val[2],
                                                     validation_batch_size or batch_size, cbs,
                                                     validation_steps)
                    epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
                cbs.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
            if epochs > 0:
                self.optimizer.finalize_variable_values(variables)
            cbs.on_train_end(epoch_logs)
        return cbs.history

    def _unpack_validation(self, data: Any, allow_nonfinite: bool = False) -> tuple:
        if isinstance(data, (list, tuple)) and len(data) in (2, 3):
            vx, vy = data[0], data[1]
            vsw = data[2] if len(data) == 3 else None
        else:
            raise ValueError("validation_data must be a tuple (x_val, y_val) or "
                             f"(x_val, y_val, val_sample_weight); got {type(data).__name__}"
                             + (f" of length {len(data)}" if hasattr(data, "__len__") else ""))
        xs, ys, sws = self._prepare(vx, vy, vsw, allow_nonfinite=allow_nonfinite)
        return xs, ys, sws

    def _ensure_built(self, xs: list) -> None:
        """Build a lazily defined model on a first batch, so that weights exist before the
        optimizer sees them."""
        if not self.built:
            with no_grad():
                self._forward([a[:1] for a in xs], training=False)
        self._plan_step()

    # --- evaluate ---------------------------------------------------------------------
    def _evaluate_arrays(self, xs: list, ys: list, sws: list | None, batch_size: int,
                         cbs: CallbackList, steps: Any = None) -> dict:
        self.reset_metrics()
        n = xs[0].shape[0]
        n_steps = da.num_batches(n, batch_size)
        if steps is not None:
            n_steps = min(n_steps, int(steps))
        n_steps = _capped_steps(n_steps)
        cbs.on_test_begin()
        batch_hooks = cbs.has_batch_hooks("test")
        for step, index in enumerate(da.batch_slices(n, batch_size, False, None)):
            if step >= n_steps:
                break
            if batch_hooks:
                cbs.on_test_batch_begin(step)
            self._test_step([a[index] for a in xs], [a[index] for a in ys],
                            [a[index] for a in sws] if sws is not None else None)
            if batch_hooks:
                cbs.on_test_batch_end(step, self._logs())
        logs = self._logs()
        cbs.on_test_end(logs)
        return logs

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: Any = "auto", sample_weight: Any = None, steps: Any = None,
                 callbacks: Any = None, return_dict: bool = False, **kwargs: Any):
        """The loss and metrics on the given data: a scalar when there are no metrics, else a
        list `[loss, metric...]`, or a dict with `return_dict=True`."""
        if kwargs:
            raise TypeError(f"evaluate() got unexpected keyword arguments {sorted(kwargs)}")
        self._require_compiled("evaluation")
        batch_size = da.check_batch_size(batch_size) or 32
        xs, ys, sws = self._prepare(x, y, sample_weight, need_y=self._needs_targets())
        ys = [] if ys is None else ys
        self._ensure_built(xs)
        verbose = 1 if verbose == "auto" else int(verbose)
        steps_n = da.num_batches(xs[0].shape[0], batch_size)
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=None,
            steps=steps_n)
        logs = self._evaluate_arrays(xs, ys, sws, batch_size, cbs, steps)
        if return_dict:
            return logs
        return self._ordered_values(logs)

    # --- predict ----------------------------------------------------------------------
    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto",
                steps: Any = None, callbacks: Any = None, **kwargs: Any):
        """Outputs for `x`, batch by batch, in inference mode (Dropout off). A NumPy array,
        or a list of arrays for several outputs."""
        if kwargs:
            raise TypeError(f"predict() got unexpected keyword arguments {sorted(kwargs)}")
        batch_size = da.check_batch_size(batch_size) or 32
        xs = da.cast_inputs(da.to_flat_arrays(x, "x", getattr(self, "input_names", None),
                                              self._n_inputs()))
        n = da.check_lengths({"x": xs})
        self._check_input_shapes(xs)
        verbose = 1 if verbose == "auto" else int(verbose)
        n_steps = da.num_batches(n, batch_size)
        if steps is not None:
            n_steps = min(n_steps, int(steps))
        n_steps = _capped_steps(n_steps)
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=None,
            steps=n_steps)
        cbs.on_predict_begin()
        batch_hooks = cbs.has_batch_hooks("predict")
        outputs: list = []
        with no_grad():
            for step, index in enumerate(da.batch_slices(n, batch_size, False, None)):
                if step >= n_steps:
                    break
                if batch_hooks:
                    cbs.on_predict_batch_begin(step)
                preds = self._forward([a[index] for a in xs], training=False)
                outputs.append([p.value for p in preds])
                if batch_hooks:
                    cbs.on_predict_batch_end(step, {"outputs": outputs[-1]})
        cbs.on_predict_end()
        if not outputs:
            with no_grad():
                preds = self._forward([a[:0] for a in xs], training=False)
            outputs = [[p.value for p in preds]]
        result = [np.concatenate([o[i] for o in outputs], axis=0)
                  for i in range(len(outputs[0]))]
        return result[0] if len(result) == 1 else result

    # --- on_batch ---------------------------------------------------------------------
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: Any = None, return_dict: bool = False):
        """One optimizer step on one batch; returns the loss (and metrics) of that batch."""
        self._require_compiled("training")
        xs, ys, sws = self._prepare(x, y, sample_weight, class_weight,
                                    need_y=self._needs_targets())
        ys = [] if ys is None else ys
        self._ensure_built(xs)
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

