"""The optimizer base class: everything that Keras 3 optimizers share.

One call of `apply(grads, variables)` follows Keras 3 (`BaseOptimizer.apply` and the JAX
backend's `_backend_apply_gradients`) in this order:

1. drop the variables whose gradient is None (warning; an error if all are None);
2. divide the gradients by `loss_scale_factor`;
3. clip them: `clipnorm` (each gradient on its own), else `global_clipnorm`, else
   `clipvalue`;
4. decoupled weight decay: `w -= w * weight_decay * lr`;
5. the optimizer's own `update_step(gradient, variable, learning_rate)` for each variable;
6. with `use_ema`: the moving average of the weights (`ema_momentum`; the first step copies
   the weights), and every `ema_overwrite_frequency` steps the weights are replaced by it;
7. the variables' constraints;
8. `iterations += 1`.

The update is all or nothing: when any of it raises (a constraint, a schedule, a user's
`update_step`), every variable, slot, EMA average and `iterations` is as before the call.
Everything that cannot write is done first; the variables whose step runs a user's code are
stepped first, after a copy of what they hold (no copy at all in the common case).

The learning rate of a step is the float (a settable variable), or `schedule(iterations)`,
or `callable()`. Keras 2's `lr=` is accepted as `learning_rate=`, and Keras 2's `decay=d`
divides that rate by `1 + d * t`, t being the number of updates done so far.

An optimizer spelled the Keras 2 way (`lr=` or `decay=` given, a Keras 2 config, or a class
from `keras.optimizers.legacy`) follows Keras 2 (tf.keras's legacy optimizers, as Keras
2.3) wherever Keras 2 and 3 differ: `RMSprop` without momentum and `Adagrad` add epsilon
outside the square root, `Nadam` uses Keras 2's momentum schedule (`schedule_decay`).
Everywhere else the rules are the same in both.

Subclasses implement `build(variables)` (create the slots with
`add_variable_from_reference`) and `update_step(gradient, variable, learning_rate)`. The
built-in ones work in place on the NumPy arrays (`variable.value`): the gradient is an
array of the variable's dtype and shape, the learning rate a scalar of that dtype.
"""

from __future__ import annotations

import inspect
import math
import re
import numbers
import warnings
from typing import Any

import numpy as np

from minikeras import config
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor, Variable, no_grad
from minikeras.optimizers import schedules as schedules_module
from minikeras.utils.naming import auto_name, closest, to_snake_case

_COMMON = ("learning_rate", "weight_decay", "clipnorm", "clipvalue", "global_clipnorm",
           "use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
           "gradient_accumulation_steps", "name", "lr", "decay")
# Keys that Keras 2 (tf.keras 2.11+) writes into optimizer configs and that have no meaning
# here: accepted so that those configs load.
_KERAS2_NO_OP = ("jit_compile", "is_legacy_optimizer", "mesh")


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def check_epsilon(owner: str, value: Any) -> float:
    """`epsilon`: a number >= 0; None means the backend's epsilon (`keras.backend.epsilon()`,
    1e-7 by default), as in Keras 2 (`Adam(epsilon=None)`); Keras 3 refuses None."""
    return check_number(owner, "epsilon", config.epsilon() if value is None else value, 0)


def check_number(owner: str, name: str, value: Any, low: float | None = None,
                 high: float | None = None, low_open: bool = False,
                 high_open: bool = False) -> float:
    """`value` as a float, or a ValueError naming the argument and the allowed range."""
    v = value.value if isinstance(value, Tensor) else value
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
    ok = _is_number(v) and v == v
    if ok and low is not None:
        ok = v > low if low_open else v >= low
    if ok and high is not None:
        ok = v < high if high_open else v <= high
    if not ok:
        if low is not None and high is not None:
            what = (f"a number in {'(' if low_open else '['}{low}, {high}"
                    f"{')' if high_open else ']'}")
        elif low is not None:
            what = f"a number {'>' if low_open else '>='} {low}"
        elif high is not None:
            what = f"a number {'<' if high_open else '<='} {high}"
        else:
            what = "a number"
        raise ValueError(f"{owner}: `{name}` must be {what}. Received: {name}={value!r}")
    return float(v)


class Optimizer:
    """Base class of every optimizer (`keras.optimizers.Optimizer`)."""

    # Built-in optimizers update NumPy arrays directly; a user's subclass may use
    # `keras.ops` on the variables, which then runs without recording a graph.
    _numpy_update_step = False
    # True for the classes of `keras.optimizers.legacy` (always Keras 2 rules).
    _legacy_class = False

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        owner = type(self).__name__
        self._keras2 = self._legacy_class or "lr" in kwargs or "decay" in kwargs
        if "lr" in kwargs:  # Keras 2 spelling
            lr = kwargs.pop("lr")
            default = inspect.signature(type(self).__init__).parameters.get("learning_rate")
            default = default.default if default is not None else 0.001
            if learning_rate is not default and learning_rate != default and \
                    learning_rate != lr:
                raise ValueError(f"{owner}: got both `lr={lr!r}` and "
                                 f"`learning_rate={learning_rate!r}`; `lr` is the Keras 2 "
                                 "name of `learning_rate`, pass only one of them")
            learning_rate = lr
        decay = kwargs.pop("decay", None)
        self.decay = 0.0 if decay is None else check_number(owner, "decay", decay, low=0)
        for dropped in _KERAS2_NO_OP:
            kwargs.pop(dropped, None)
        if kwargs:
            k = next(iter(kwargs))
            guess = closest(k, self._accepted())
            hint = f" Did you mean {guess!r}?" if guess else ""
            # Keras 3: ValueError "Argument(s) not recognized: {...}"
            raise ValueError(f"Argument(s) not recognized: {kwargs}. {owner} got an "
                             f"unexpected keyword argument {k!r}.{hint}")
        given = [v for v in (clipnorm, clipvalue, global_clipnorm) if v is not None]
        if len(given) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                             f"set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm} ({owner})")
        for n, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                     ("global_clipnorm", global_clipnorm), ("weight_decay", weight_decay),
                     ("loss_scale_factor", loss_scale_factor)):
            if v is not None:
                check_number(owner, n, v, low=0, low_open=n == "loss_scale_factor")
        if not isinstance(use_ema, (bool, np.bool_)):
            raise ValueError(f"{owner}: `use_ema` must be True or False. "
                             f"Received: use_ema={use_ema!r}")
        check_number(owner, "ema_momentum", ema_momentum, 0, 1)
        if ema_overwrite_frequency is not None and (
                not isinstance(ema_overwrite_frequency, (int, np.integer)) or
                isinstance(ema_overwrite_frequency, bool) or ema_overwrite_frequency < 1):
            raise ValueError(f"{owner}: `ema_overwrite_frequency` must be an integer >= 1 or "
                             f"None. Received: ema_overwrite_frequency="
                             f"{ema_overwrite_frequency!r}")
        if gradient_accumulation_steps and not (
                isinstance(gradient_accumulation_steps, (int, np.integer)) and
                not isinstance(gradient_accumulation_steps, bool) and
                gradient_accumulation_steps >= 2):
            raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. "
                             "Received: gradient_accumulation_steps="
                             f"{gradient_accumulation_steps}")
        if name is not None and not isinstance(name, str):
            raise ValueError(f"{owner}: `name` must be a string. Received: name={name!r}")
        self.name = name or auto_name(to_snake_case(owner))
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = bool(use_ema)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = int(gradient_accumulation_steps) \
            if gradient_accumulation_steps else None
        self._accumulated_gradients: list = []
        # the raw step counter (Keras 3's `_iterations`); `iterations` divides it by
        # `gradient_accumulation_steps` when gradients are accumulated
        self._iterations = Variable(np.array(0, dtype=np.int64), dtype=np.int64,
                                    name="iteration", trainable=False)
        self._iterations.path = f"{self.name}/iteration"
        self._iterations.needs_grad = False
        self._learning_rate: Any = None
        self._set_learning_rate(learning_rate)
        self.built = False
        self._slot_variables: list = []
        self._slots_of: dict = {}  # id(variable) -> its slots (add_variable_from_reference)
        self._trainable_variables: list = []
        self._index: dict = {}
        self._ema: list = []
        self._scratch: list = []
        self._scratch2: list = []
        self._exclude_ids: set = set()
        self._exclude_names: Any = None
        self._wd_cache: dict = {}
        self._coef: dict = {}
        self._plain_vars: list | None = None  # a variable list validated by apply()

    @property
    def iterations(self) -> Any:
        """The number of updates done: the step counter, or with
        `gradient_accumulation_steps=n` the counter // n (a tensor), as Keras 3."""
        n = self.gradient_accumulation_steps
        if n:
            return Tensor(np.asarray(int(self._iterations.value) // n, dtype=np.int64))
        return self._iterations

    @property
    def _iteration_variable(self) -> Variable:
        """The variable that counts the steps (what files store as `iteration`)."""
        return self._iterations

    def _accepted(self) -> list:
        names = set(_COMMON)
        names |= set(inspect.signature(type(self).__init__).parameters) - {"self", "kwargs"}
        return sorted(names)

    # --- learning rate ----------------------------------------------------------------
    def _set_learning_rate(self, value: Any) -> None:
        if isinstance(value, schedules_module.LearningRateSchedule):
            self._learning_rate = value
            return
        if callable(value) and not isinstance(value, (Tensor, np.ndarray)):
            self._learning_rate = value
            return
        raw = value.value if isinstance(value, Tensor) else value
        if isinstance(raw, np.ndarray) and raw.ndim == 0:
            raw = raw.item()
        if not _is_number(raw):
            raise ValueError(
                f"{type(self).__name__}: `learning_rate` must be a float, a "
                "LearningRateSchedule or a callable that returns the learning rate. "
                f"Received: learning_rate={value!r}")
        raw = float(raw)
        if not raw >= 0 or math.isinf(raw):
            raise ValueError(f"{type(self).__name__}: `learning_rate` must be a finite "
                             f"number >= 0. Received: learning_rate={raw}")
        current = self._learning_rate
        if isinstance(current, Variable):
            current.value[...] = raw
        else:
            var = Variable(np.asarray(raw, dtype=config.floatx()), name="learning_rate",
                           trainable=False)
            var.path = f"{self.name}/learning_rate"
            var.needs_grad = False
            self._learning_rate = var

    @property
    def learning_rate(self) -> Any:
        """The variable holding the rate (settable; with Keras 2's `decay` this is the
        undecayed rate, as Keras 2's `optimizer.lr`), or the current value of a schedule
        or callable."""
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        return Tensor(self._scheduled_learning_rate(int(self._iterations.value)))

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if isinstance(self._learning_rate, schedules_module.LearningRateSchedule) and \
                not callable(value):
            raise TypeError("This optimizer was created with a LearningRateSchedule as its "
                            "`learning_rate`, so its learning rate cannot be set to a number. "
                            "Create the optimizer with a float `learning_rate` to be able to "
                            "set it.")
        self._set_learning_rate(value)

    lr = learning_rate  # Keras 2 name

    def _scheduled_learning_rate(self, t: int) -> np.ndarray:
        lr = self._learning_rate
        if isinstance(lr, schedules_module.LearningRateSchedule):
            value = lr(Tensor(np.asarray(t, dtype=np.int64)))
            what = "the learning rate schedule"
        else:
            value = lr()
            what = "the learning rate callable"
        value = np.asarray(value.value if isinstance(value, Tensor) else value)
        if value.ndim != 0 or value.dtype.kind not in "fiu":
            raise ValueError(f"{what} must return a scalar number, got {value!r}")
        return value.astype(config.floatx(), copy=False)

    def _has_step_extras(self) -> bool:
        """Whether a step does more than each variable's update rule: clipping, weight
        decay, loss scaling, EMA or gradient accumulation. Shortcuts that apply the update
        rule alone (the short path of `apply`, the replayed step's flat update) check it."""
        return bool(self.clipnorm or self.global_clipnorm or self.clipvalue or
                    self.weight_decay or self.use_ema or self.loss_scale_factor is not None
                    or self.gradient_accumulation_steps)

    def _current_learning_rate(self) -> np.ndarray:
        """The learning rate the next update uses (schedule and Keras 2 `decay` applied)."""
        lr = self._learning_rate
        if type(lr) is Variable:
            value = lr.value
        else:
            # schedules see every step, accumulated or not (Keras 3)
            value = self._scheduled_learning_rate(int(self._iterations.value))
        if self.decay:  # Keras 2: lr / (1 + decay * t), computed in the rate's dtype
            t = value.dtype.type
            value = np.asarray(t(value) / (t(1) + t(self.decay) *
                                           t(int(self.iterations.value))), dtype=value.dtype)
        return value

    # --- state ------------------------------------------------------------------------
    def build(self, variables: list) -> None:
        """Create the per-variable state. Subclasses call `super().build(variables)` first,
        then add their slots with `add_variable_from_reference`."""
        if self.built:
            return
        variables = list(variables)
        for i, v in enumerate(variables):
            if not isinstance(v, Variable):
                raise TypeError(f"{type(self).__name__} can only update Variables; element "
                                f"{i} of `variables` is a {type(v).__name__}")
        self._trainable_variables = variables
        self._index = {id(v): i for i, v in enumerate(variables)}
        self._scratch = [None] * len(variables)
        self._scratch2 = [None] * len(variables)
        if self.use_ema:
            self._ema = [self.add_variable_from_reference(v, "average") for v in variables]
        if self.gradient_accumulation_steps:  # after the averages, as Keras 3
            self._accumulated_gradients = [
                self.add_variable_from_reference(v, "gradient_accumulator") for v in variables]
        self.built = True

    def _get_variable_index(self, variable: Variable) -> int:
        return self._index[id(variable)]

    def add_variable_from_reference(self, reference_variable: Variable, name: str | None = None,
                                    initializer: Any = "zeros") -> Variable:
        """A slot shaped like `reference_variable`, named `<its path>_<name>` as in Keras."""
        name = name or "var"
        ref = str(getattr(reference_variable, "path", None) or reference_variable.name)
        slot = self.add_variable(reference_variable.shape, initializer,
                                 reference_variable.dtype,
                                 name=f"{ref.replace('/', '_').replace(':', '_')}_{name}")
        # which slots belong to which variable: what a failed step must restore (apply)
        self._slots_of.setdefault(id(reference_variable), []).append(slot)
        return slot

    def add_optimizer_variables(self, trainable_variables: list, name: Any,
                                initializer: Any = "zeros") -> Any:
        """Keras 3's helper: one slot per variable for each name (interleaved per
        variable); a list for one name, a tuple of lists for several."""
        names = [name] if isinstance(name, str) else list(name)
        inits = initializer if isinstance(initializer, (list, tuple)) else \
            [initializer] * len(names)
        if len(inits) != len(names):
            raise ValueError(f"add_optimizer_variables: {len(names)} names but "
                             f"{len(inits)} initializers")
        out: tuple = tuple([] for _ in names)
        for v in trainable_variables:
            for lst, n, init in zip(out, names, inits):
                lst.append(self.add_variable_from_reference(v, n, init))
        return out[0] if isinstance(name, str) else out

    def add_variable(self, shape: Any, initializer: Any = "zeros", dtype: Any = None,
                     aggregation: str = "none", name: str | None = None) -> Variable:
        dtype = np.dtype(dtype or config.floatx())
        shape = tuple(shape)
        if isinstance(initializer, str) and initializer == "zeros":
            value = np.zeros(shape, dtype=dtype)
        elif isinstance(initializer, str) and initializer == "ones":
            value = np.ones(shape, dtype=dtype)
        elif _is_number(initializer):
            value = np.full(shape, initializer, dtype=dtype)
        else:
            from minikeras import initializers

            init = initializers.get(initializer)
            raw = init(shape, dtype=dtype)
            value = np.array(raw.value if isinstance(raw, Tensor) else raw, dtype=dtype)
        var = Variable(value, dtype=dtype, name=name or "variable", trainable=False)
        var.path = f"{self.name}/{var.name}"
        var.needs_grad = False
        self._slot_variables.append(var)
        return var

    @property
    def variables(self) -> list:
        """`[iterations, learning_rate (when a float), *slots]`, in Keras 3's order."""
        lr = [self._learning_rate] if isinstance(self._learning_rate, Variable) else []
        return [self._iterations] + lr + list(self._slot_variables)

    def get_weights(self) -> list:
        return [np.array(v.value) for v in self.variables]

    def set_weights(self, weights: list) -> None:
        own = self.variables
        if len(weights) != len(own):
            raise ValueError(f"Optimizer {self.name!r} has {len(own)} variables, but "
                             f"set_weights received {len(weights)} arrays")
        arrays = [np.asarray(w.value if isinstance(w, Tensor) else w) for w in weights]
        for v, w in zip(own, arrays):
            if w.shape != v.shape:
                raise ValueError(f"Optimizer variable {v.path!r} has shape {v.shape}, "
                                 f"got an array of shape {w.shape}")
            problem = self._bad_state_value(v, w)
            if problem:
                raise ValueError(problem)
        for v, w in zip(own, arrays):
            v.value[...] = w.astype(v.dtype)

    def _bad_state_value(self, variable: Variable, value: Any) -> str | None:
        """Why `value` cannot be this optimizer's iteration count or learning rate (NaN,
        infinite, negative, a fractional count), or None. Slots are not checked."""
        if variable is self._iterations:
            what = "iteration count"
        elif variable is self._learning_rate:
            what = "learning rate"
        else:
            return None
        try:
            x = float(np.asarray(value, dtype=np.float64).reshape(()))
        except (TypeError, ValueError):
            return f"the stored {what} {value!r} is not a number"
        if not math.isfinite(x) or x < 0 or (variable is self._iterations and x != int(x)):
            return f"the stored {what} is {x!r}; it must be a finite number >= 0" + \
                (" and whole" if variable is self._iterations else "")
        return None

    def save_own_variables(self, store: Any) -> None:
        for i, v in enumerate(self.variables):
            store[str(i)] = np.array(v.value)

    def load_own_variables(self, store: Any) -> None:
        own = self.variables
        if len(store.keys()) != len(own):
            warnings.warn(f"Skipping variable loading for optimizer {self.name!r}, because "
                          f"it has {len(own)} variables whereas the saved optimizer has "
                          f"{len(store.keys())} variables.", stacklevel=2)
            return
        self.set_weights([store[str(i)] for i in range(len(own))])

    def exclude_from_weight_decay(self, var_list: Any = None, var_names: Any = None) -> None:
        """Variables (or variables whose name contains one of `var_names`) that weight
        decay leaves alone. Call before the optimizer is built."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before "
                             "the optimizer is built.")
        self._exclude_ids = {id(v) for v in (var_list or [])}
        # Keras searches the variable's name for any of the patterns (regular expressions)
        self._exclude_names = re.compile("|".join(sorted(set(var_names)))) if var_names \
            else None
        self._wd_cache = {}

    def _use_weight_decay(self, variable: Variable) -> bool:
        key = id(variable)
        use = self._wd_cache.get(key)
        if use is None:
            pattern = self._exclude_names
            use = key not in self._exclude_ids and \
                (pattern is None or pattern.search(variable.name) is None)
            self._wd_cache[key] = use
        return use

    def _scratch_for(self, i: int, like: np.ndarray) -> np.ndarray:
        """A reusable work array shaped like variable i (no allocation per step)."""
        buf = self._scratch[i]
        if buf is None:
            buf = self._scratch[i] = np.empty_like(like)
        return buf

    def _scratch2_for(self, i: int, like: np.ndarray) -> np.ndarray:
        """A second work array, for the optimizers that need two."""
        buf = self._scratch2[i]
        if buf is None:
            buf = self._scratch2[i] = np.empty_like(like)
        return buf

    def _coefficients(self, dtype: np.dtype, learning_rate: Any) -> tuple:
        """This step's scalar coefficients as 0-d arrays of `dtype` (the fastest operand
        for NumPy's in-place ufuncs), computed once per step and dtype."""
        c = self._coef.get(dtype)
        if c is None:
            c = self._coef[dtype] = tuple(
                np.asarray(x, dtype=dtype)
                for x in self._step_coefficients(dtype.type, learning_rate))
        return c

    def _step_coefficients(self, t: type, learning_rate: Any) -> tuple:
        """The scalars `update_step` needs, computed with the scalar type `t` (the
        variable's dtype) where Keras computes in that dtype."""
        return ()

    # --- the step ---------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars: Any) -> Variable:
        pairs = list(grads_and_vars)
        if not pairs:
            return self._iterations
        self.apply([g for g, _ in pairs], [v for _, v in pairs])
        return self._iterations

    def apply(self, grads: Any, trainable_variables: Any = None) -> None:
        """Update the variables with these gradients (one training step)."""
        if trainable_variables is not None and trainable_variables is self._plain_vars and \
                not (self.clipnorm or self.global_clipnorm or self.clipvalue or
                     self.weight_decay or self.use_ema or self.loss_scale_factor or
                     self.gradient_accumulation_steps):
            # the training loop passes the same, already validated list at every step,
            # with NumPy gradients from backpropagation (None where there is none)
            try:
                fits = [g.shape for g in grads] == self._plain_shapes
            except AttributeError:
                fits = False
            if fits:
                lr = self._current_learning_rate()
                self._coef.clear()
                self._prepare_step(lr)
                self._update_plain(grads, trainable_variables, lr)
                self._count_step()
                return
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer "
                                 "must already be built on a list of variables. Call "
                                 "`optimizer.build(trainable_variables)` first.")
            variables = self._trainable_variables
        else:
            variables = trainable_variables if type(trainable_variables) is list else \
                list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(f"apply: got {len(grads)} gradients for {len(variables)} "
                             "variables; pass one gradient (or None) per variable")
        if not self.built:
            self.build(variables)
        index = self._index
        gs: list = []
        vs: list = []
        missing: list = []
        for g, v in zip(grads, variables):
            if id(v) not in index:
                raise ValueError(f"Unknown variable: {getattr(v, 'path', v)!r}. This optimizer "
                                 "can only be called for the variables it was originally "
                                 "built with; for other variables create a new optimizer.")
            if g is None:
                missing.append(v.path)
                continue
            value = v.value
            if type(g) is not np.ndarray or g.dtype is not value.dtype:
                g = np.asarray(g.value if isinstance(g, Tensor) else g, dtype=value.dtype)
            if g.shape != value.shape:
                raise ValueError(f"apply: the gradient for variable {v.path!r} has shape "
                                 f"{g.shape}, but the variable has shape {value.shape}")
            gs.append(g)
            vs.append(v)
        if not gs:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing "
                          "the loss. If using `model.compile()`, did you forget to provide "
                          "a `loss` argument?", stacklevel=2)
        if self.loss_scale_factor is not None:
            gs = [g / g.dtype.type(self.loss_scale_factor) for g in gs]
        accumulators = None
        if self.gradient_accumulation_steps:
            n = self.gradient_accumulation_steps
            accumulators = [self._accumulated_gradients[index[id(v)]].value for v in vs]
            if (int(self._iterations.value) + 1) % n:
                self._accumulate(gs, vs, accumulators)
                return
            # an update step: the mean of the accumulated gradients and this one (then
            # clipped, as Keras 3 clips the averaged gradient)
            gs = [(g + a) / g.dtype.type(n) for g, a in zip(gs, accumulators)]
        if self.clipnorm or self.global_clipnorm or self.clipvalue:
            gs = self._clip_gradients(gs)
        lr = self._current_learning_rate()
        self._coef.clear()
        lr_dtype = lr.dtype
        # All or nothing: the rate, the gradients and their clipping are ready before the
        # first write. What may still fail is a user's code: a constraint, or the
        # update_step of an optimizer written with keras.ops. The variables it concerns
        # (and their slots, EMA averages, and the optimizer's own scalars such as Nadam's
        # u_product) are stepped first, after a copy of what they hold, and their
        # constrained values are computed into temporaries; on any exception the copies
        # come back. Only then are the other variables stepped, by built-in NumPy code.
        custom = not self._numpy_update_step
        guarded = [i for i, v in enumerate(vs) if custom or v.constraint is not None]
        undo = self._undo_copy([vs[i] for i in guarded], everything=custom) \
            if guarded else None
        rest = [] if custom else [i for i, v in enumerate(vs) if v.constraint is None]
        try:
            self._prepare_step(lr)
            self._step_some(gs, vs, guarded, lr, lr_dtype)
            constrained = []
            for i in guarded:
                v = vs[i]
                if v.constraint is not None:
                    out = v.constraint(v)
                    out = np.asarray(out.value if isinstance(out, Tensor) else out)
                    if out.shape != v.value.shape:
                        raise ValueError(f"The constraint of variable {v.path!r} returned "
                                         f"shape {out.shape}, the variable has shape "
                                         f"{v.value.shape}")
                    constrained.append((v, out))
        except BaseException:
            if undo is not None:
                for array, copy in undo:
                    array[...] = copy
            raise
        for v, out in constrained:
            v.value[...] = out
        self._step_some(gs, vs, rest, lr, lr_dtype)
        if accumulators is not None:
            for a in accumulators:
                a[...] = 0
        if self.use_ema and len(vs) != len(self._trainable_variables):
            stepped = {id(v) for v in vs}  # variables without a gradient are averaged too
            for i, v in enumerate(self._trainable_variables):
                if id(v) not in stepped:
                    self._ema_one(i)
        self._count_step()
        # Remember a list that needs none of the above, so that the next steps can skip
        # straight to the updates (see the top of this method).
        plain = (self._numpy_update_step and not missing and len(vs) == len(variables) and
                 not self._has_step_extras() and
                 all(v.constraint is None and v.value.dtype is lr_dtype for v in vs))
        self._plain_shapes = [v.value.shape for v in vs]
        self._plain_vars = trainable_variables if plain and \
            type(trainable_variables) is list else None

    def _accumulate(self, gs: list, vs: list, accumulators: list) -> None:
        """A step of gradient accumulation that does not update (Keras 3): the gradients
        are added to the accumulators; the moving averages (EMA) and the constraints still
        run, as they do at every Keras step; the step counter advances."""
        constrained = []
        for v in vs:  # (a constraint is a user's code: computed before any write)
            if v.constraint is not None:
                out = v.constraint(v)
                constrained.append((v, np.asarray(out.value if isinstance(out, Tensor)
                                                  else out)))
        for g, a in zip(gs, accumulators):
            a += g
        if self.use_ema:
            for i in range(len(self._trainable_variables)):
                self._ema_one(i)
        for v, out in constrained:
            v.value[...] = out
        self._count_step()

    def _undo_copy(self, variables: list, everything: bool = False) -> list:
        """(array, copy) pairs of what stepping `variables` may write: their values, their
        slots and the optimizer's scalars that belong to no variable (every slot with
        `everything`, for an update_step that may write anywhere)."""
        arrays = [v.value for v in variables]
        if everything:
            arrays += [s.value for s in self._slot_variables]
        else:
            owned = set()
            for v in variables:
                for slot in self._slots_of.get(id(v), ()):
                    arrays.append(slot.value)
            for slots in self._slots_of.values():
                owned.update(id(s) for s in slots)
            arrays += [s.value for s in self._slot_variables if id(s) not in owned]
        return [(a, a.copy()) for a in arrays]

    def _step_some(self, gs: list, vs: list, which: list, lr: np.ndarray,
                   lr_dtype: np.dtype) -> None:
        """Weight decay, update_step and the moving average, for the variables `vs[i]`,
        i in `which` (each variable's step is independent of the others')."""
        if not which:
            return
        if self.weight_decay:
            self._apply_weight_decay([vs[i] for i in which], lr)
        update = self.update_step
        if self._numpy_update_step:
            for i in which:
                g = gs[i]
                update(g, vs[i], lr if g.dtype is lr_dtype else lr.astype(g.dtype))
        else:
            with no_grad():
                for i in which:
                    g = gs[i]
                    update(g, vs[i], lr if g.dtype is lr_dtype else lr.astype(g.dtype))
        if self.use_ema:
            index = self._index
            for i in which:
                self._ema_one(index[id(vs[i])])

    def _count_step(self) -> None:
        it = self._iterations.value
        it[()] = int(it) + 1  # (an in-place += on a 0-d array costs ten times more)

    def _prepare_step(self, learning_rate: np.ndarray) -> None:
        """Work done once per step before the per-variable updates (Nadam's u_product)."""

    def _update_plain(self, grads: list, variables: list, learning_rate: np.ndarray) -> None:
        """`update_step` for each variable of the list validated by `apply`; an optimizer
        may do the same more directly (SGD)."""
        update = self.update_step
        for g, v in zip(grads, variables):
            update(g, v, learning_rate)

    def _apply_weight_decay(self, variables: list, lr: np.ndarray) -> None:
        wd = self.weight_decay
        coefs: dict = {}
        for v in variables:
            if self._use_weight_decay(v):
                value = v.value
                dt = value.dtype
                coef = coefs.get(dt)
                if coef is None:  # w * wd * lr, with wd and lr in the variable's dtype
                    coef = coefs[dt] = np.asarray(dt.type(wd) * dt.type(lr), dtype=dt)
                tmp = self._scratch_for(self._index[id(v)], value)
                np.multiply(value, coef, tmp)
                value -= tmp

    def _clip_gradients(self, grads: list) -> list:
        if self.clipnorm:
            c = self.clipnorm
            out = []
            for g in grads:
                norm = math.sqrt(float(np.dot(g.ravel(), g.ravel())))
                if norm > c or not math.isfinite(norm):
                    with np.errstate(invalid="ignore"):
                        g = g * g.dtype.type(c) / g.dtype.type(norm)
                out.append(g)
            return out
        if self.global_clipnorm:
            c = self.global_clipnorm
            total = math.sqrt(sum(float(np.dot(g.ravel(), g.ravel())) for g in grads))
            if not math.isfinite(total):
                return [np.full_like(g, np.nan) for g in grads]
            if total > c:
                return [g * g.dtype.type(c / total) for g in grads]
            return grads
        c = self.clipvalue
        return [np.clip(g, -c, c) for g in grads]

    def _ema_one(self, i: int) -> None:
        """The moving average of variable i (the first step copies it), and every
        `ema_overwrite_frequency` steps the variable takes the average."""
        var, avg = self._trainable_variables[i], self._ema[i]
        a = avg.value
        w = var.value
        if int(self.iterations.value) == 0:
            a[...] = w
        else:
            t = a.dtype.type
            m = t(self.ema_momentum)
            tmp = self._scratch_for(i, a)
            np.multiply(w, np.asarray(t(1) - m, dtype=a.dtype), tmp)
            a *= np.asarray(m, dtype=a.dtype)
            a += tmp
        freq = self.ema_overwrite_frequency
        if freq and (int(self.iterations.value) + 1) % freq == 0:
            w[...] = a

    def finalize_variable_values(self, var_list: list) -> None:
        """At the end of `fit`: with EMA, the variables take their moving averages."""
        if not (self.use_ema and self.built):
            return
        var_list = list(var_list)
        if len(var_list) != len(self._ema):
            raise ValueError(f"The length of model variables ({len(var_list)}) to override "
                             "does not match the length of model variables stored in the "
                             f"optimizer ({len(self._ema)}). Please check if the optimizer "
                             "was called on your model.")
        for var, avg in zip(var_list, self._ema):
            var.value[...] = avg.value

    def update_step(self, gradient: Any, variable: Variable, learning_rate: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement "
                                  "update_step(gradient, variable, learning_rate)")

    # Keras 3 helpers for optimizers written with `keras.ops`.
    def assign(self, variable: Variable, value: Any) -> None:
        variable.assign(value)

    def assign_add(self, variable: Variable, value: Any) -> None:
        variable.assign_add(value)

    def assign_sub(self, variable: Variable, value: Any) -> None:
        variable.assign_sub(value)

    @property
    def _scales_loss(self) -> bool:
        """Whether training must multiply the loss by `scale_loss` before backpropagation
        (`apply` divides the gradients back)."""
        return self.loss_scale_factor is not None

    def scale_loss(self, loss: Any) -> Any:
        if self.loss_scale_factor is None:
            return loss
        if isinstance(loss, Tensor):
            return P.multiply(loss, float(self.loss_scale_factor))
        return loss * self.loss_scale_factor

    # --- config -----------------------------------------------------------------------
    def get_config(self) -> dict:
        lr = self._learning_rate
        if isinstance(lr, schedules_module.LearningRateSchedule):
            lr_cfg: Any = schedules_module.serialize(lr)
        elif isinstance(lr, Variable):
            lr_cfg = float(lr.value)
        else:  # a callable: its current value (a function cannot be stored in a config)
            lr_cfg = float(self._scheduled_learning_rate(int(self._iterations.value)))
        cfg = {"name": self.name, "learning_rate": lr_cfg, "weight_decay": self.weight_decay,
               "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
               "clipvalue": self.clipvalue, "use_ema": self.use_ema,
               "ema_momentum": self.ema_momentum,
               "ema_overwrite_frequency": self.ema_overwrite_frequency,
               "loss_scale_factor": self.loss_scale_factor,
               "gradient_accumulation_steps": self.gradient_accumulation_steps}
        if self._keras2:  # Keras 2's argument; it also keeps Keras 2's rules on reloading
            cfg["decay"] = self.decay
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Optimizer":
        config = dict(config)
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            config["learning_rate"] = schedules_module.deserialize(lr, custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"
