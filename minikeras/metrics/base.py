"""The stateful `Metric` base class and the reduction metrics `Mean`, `Sum` and
`MeanMetricWrapper`.

Metrics compute on NumPy values and never record a graph. Their state lives in non-trainable
`Variable`s made with `add_variable`, so `variables`, `reset_state` and saving see it.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import numpy as np

from minikeras import config, losses, ops
from minikeras.autodiff.tensor import Tensor, no_grad
from minikeras.utils.naming import auto_name, to_snake_case


def to_numpy(x: Any, dtype: Any = None) -> np.ndarray:
    """The NumPy value of a tensor or array-like, optionally cast."""
    arr = np.asarray(x.value if isinstance(x, Tensor) else x)
    return arr.astype(dtype, copy=False) if dtype is not None else arr


def squeeze_or_expand_to_same_rank(x1: Any, x2: Any, expand_rank_1: bool = True) -> tuple:
    """Keras' rank alignment (see `losses.squeeze_or_expand_to_same_rank`), on arrays."""
    return losses.squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1)


def divide_no_nan(a: Any, b: Any) -> np.ndarray:
    """a / b, and 0 where b == 0."""
    a, b = np.asarray(a), np.asarray(b)
    safe = np.where(b == 0, 1, b)
    return np.where(b == 0, 0, a / safe).astype(np.result_type(a, b), copy=False)


class Metric:
    """Base class. Subclasses keep their state in variables made with `add_variable`,
    and implement `update_state(...)` and `result()`."""

    _direction: str | None = None  # "up" or "down": whether higher values are better

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        self.name = name or auto_name(to_snake_case(type(self).__name__))
        self.dtype = str(np.dtype(dtype)) if dtype is not None else config.floatx()
        self._variables: list = []

    def add_variable(self, shape: Any = (), initializer: Any = "zeros", dtype: Any = None,
                     aggregation: str = "sum", name: str | None = None):
        from minikeras import initializers
        from minikeras.autodiff.tensor import Variable

        if not hasattr(self, "_variables"):
            raise RuntimeError("You forgot to call `super().__init__()` in the `__init__()` "
                               "method of your Metric. Go add it!")
        if shape is None:
            shape = ()
        shape = tuple(int(n) for n in shape) if isinstance(shape, (list, tuple, np.ndarray)) \
            else (int(shape),)
        dtype = dtype or self.dtype
        init = initializers.get(initializer if initializer is not None else "zeros")
        value = np.asarray(init(shape, dtype=dtype)).astype(dtype)
        var = Variable(value, dtype=dtype, name=name or "variable", trainable=False)
        var.path = f"{self.name}/{var.name}"
        self._variables.append(var)
        return var

    def add_weight(self, shape: Any = (), initializer: Any = None, dtype: Any = None,
                   name: str | None = None, **kwargs: Any):
        """Keras 2 spelling of `add_variable`. Keras 2 took the name first, so
        `add_weight("tp", initializer="zeros")` names the variable."""
        if isinstance(shape, str):
            shape, name = kwargs.pop("shape", ()), shape
        unknown = set(kwargs) - {"aggregation", "synchronization", "trainable"}
        if unknown:
            raise TypeError(f"add_weight() got unexpected arguments {sorted(unknown)}")
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self) -> list:
        return list(self._variables)

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    def result(self) -> Any:
        raise NotImplementedError

    def reset_state(self) -> None:
        for v in self._variables:
            v.value[...] = 0

    def reset_states(self) -> None:
        """Keras 2 spelling of `reset_state`."""
        self.reset_state()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> "Metric":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def reduce_to_samplewise_values(values: np.ndarray, sample_weight: Any, reduce_fn: Callable,
                                dtype: Any, mask: Any = None) -> tuple:
    """Bring values (and weights) down to one per sample, as Keras' `Mean` and `Sum` do.

    The weights are aligned to the values' rank, the values reduced (with `reduce_fn`) to
    the weights' rank, multiplied by the weights; the weights themselves are then averaged
    down to one per sample. Whatever dimensions remain are reduced with `reduce_fn`.
    """
    values = np.asarray(values, dtype=dtype)
    if sample_weight is not None:
        sw = to_numpy(sample_weight, dtype)
        if mask is not None:
            # as in Keras, a mask on the values (sparse cross-entropy's ignore_class) only
            # takes effect together with sample weights; without them the masked values
            # (zeros) count in the mean
            sw = losses.apply_mask(sw, mask, dtype, "sum")
        values, sw = squeeze_or_expand_to_same_rank(values, sw)
        if values.ndim > sw.ndim:
            values = reduce_fn(values, axis=tuple(range(sw.ndim, values.ndim)))
        sw = np.broadcast_to(sw, values.shape)
        values = values * sw
        if sw.ndim > 1:
            sw = np.mean(sw, axis=tuple(range(1, sw.ndim)))
    else:
        sw = None
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sw


class Sum(Metric):
    """The (weighted) sum of the values seen."""

    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        mask = losses.get_keras_mask(values)
        values, _ = reduce_to_samplewise_values(to_numpy(values), sample_weight, np.sum,
                                                self.dtype, mask)
        self.total.value[...] += np.sum(values)

    def result(self) -> Tensor:
        return Tensor(np.array(self.total.value, dtype=self.dtype))


class Mean(Metric):
    """The weighted mean of the values seen: sum(values * w) / sum(w) (0 before any)."""

    def __init__(self, name: str | None = "mean", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total")
        self.count = self.add_variable(name="count")
        # (value, weight) pairs given to `add`, folded into the state when it is read
        self._pending: list = []

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        self._fold()
        mask = losses.get_keras_mask(values)
        values, sw = reduce_to_samplewise_values(to_numpy(values), sample_weight, np.mean,
                                                 self.dtype, mask)
        self.total.value[...] += np.sum(values)
        if sw is not None:
            self.count.value[...] += np.sum(sw)
        else:
            self.count.value[...] += values.shape[0] if values.ndim else 1

    def add(self, value: float, weight: float = 1.0) -> None:
        """Add one scalar with a weight: the training loop's fast path (deferred; see _fold)."""
        self._pending.append((value, weight))
        if len(self._pending) >= 4096:  # bounded memory over long epochs
            self._fold()

    def _fold(self) -> None:
        """Add the pending `add`s to the state, one at a time in the state's dtype (a
        cumulative sum adds in order), so each addition rounds as Keras' does."""
        if self._pending:
            dtype = self.total.value.dtype
            pairs = np.array(self._pending, dtype=dtype)
            self._pending = []
            for var, terms in ((self.total, pairs[:, 0] * pairs[:, 1]), (self.count, pairs[:, 1])):
                var.value[...] = np.cumsum(np.concatenate([var.value.reshape(1), terms]),
                                           dtype=dtype)[-1]

    @property
    def variables(self) -> list:
        self._fold()
        return list(self._variables)

    def reset_state(self) -> None:
        self._pending = []
        super().reset_state()

    def result(self) -> Tensor:
        self._fold()
        return Tensor(divide_no_nan(self.total.value, self.count.value).astype(self.dtype))


class MeanMetricWrapper(Mean):
    """The running (weighted) mean of a per-sample function `fn(y_true, y_pred, **kwargs)`."""

    def __init__(self, fn: Callable, name: str | None = None, dtype: Any = None,
                 **kwargs: Any) -> None:
        if isinstance(fn, MeanMetricWrapper):  # e.g. metrics.get("mse"): use its function
            kwargs = {**fn._fn_kwargs, **kwargs}
            fn = fn._fn
        if not callable(fn) or isinstance(fn, Metric):
            raise TypeError(f"MeanMetricWrapper needs a function fn(y_true, y_pred), got "
                            f"{fn!r}")
        Mean.__init__(self, name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        # wrapping a loss means lower is better (EarlyStopping's mode='auto' reads this)
        if fn in losses.ALL_OBJECTS or type(fn) in losses.ALL_OBJECTS:
            self._direction = "down"

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        with no_grad():
            y_pred_t = y_pred if isinstance(y_pred, Tensor) else ops.convert_to_tensor(y_pred)
            y_true_t = y_true if isinstance(y_true, Tensor) else Tensor(to_numpy(y_true))
            values = self._fn(y_true_t, y_pred_t, **self._fn_kwargs)
        mask = losses.get_keras_mask(y_pred)
        if mask is not None:  # Keras 3: the prediction's mask weighs the values (0 or 1)
            sample_weight = losses.apply_mask(sample_weight, mask, self.dtype, "sum")
        Mean.update_state(self, values, sample_weight)

    def get_config(self) -> dict:
        cfg = Mean.get_config(self)
        cfg["fn"] = serialize_function(losses.canonical_name(self._fn) or
                                       _function_name(self._fn))
        cfg.update(self._fn_kwargs)
        return cfg

    @classmethod
    def from_config(cls, config: dict) -> "Metric":
        if cls is MeanMetricWrapper:
            from minikeras import metrics

            config = dict(config)
            fn = config.pop("fn", None)
            if isinstance(fn, dict) and fn.get("class_name") == "function":
                fn = fn.get("config")
            if isinstance(fn, str) and custom_objects_fn(fn) is not None:
                fn = custom_objects_fn(fn)
            if isinstance(fn, str):
                fn = metrics.get_function(fn)
            if fn is None:
                raise ValueError("MeanMetricWrapper config needs its function `fn`")
            return cls(fn, **config)
        return cls(**config)


def serialize_function(name: str | None) -> dict:
    """Keras 3's config form of a plain function: its name, as class "function"."""
    return {"module": "builtins", "class_name": "function", "config": name,
            "registered_name": "function"}


def custom_objects_fn(name: str) -> Callable | None:
    """A function registered under `name` with the saving registry, if any."""
    from minikeras.saving.object_registry import get_registered_object

    obj = get_registered_object(name, None, None)
    return obj if callable(obj) and not isinstance(obj, type) else None


def _function_name(fn: Callable) -> str | None:
    from minikeras import metrics

    for name, f in metrics.FUNCTIONS.items():
        if f is fn:
            return name
    return getattr(fn, "__name__", None)
