"""Keras 2's `keras.wrappers.scikit_learn`: `KerasClassifier` and `KerasRegressor` around a
`build_fn` that returns a compiled model (Keras 2.3 semantics; Keras 3 removed them in favour
of `keras.wrappers.SKLearnClassifier`/`SKLearnRegressor`).

`sk_params` mixes the arguments of `build_fn` and those of `fit`/`predict`/`evaluate`
(`epochs`, `batch_size`, `verbose`, ...); each call gets the ones it accepts. They are the
estimator's parameters, so `GridSearchCV` can search over both. scikit-learn itself is not
needed to use them (only `clone`, which cross-validation uses, comes from it).
"""

from __future__ import annotations

import copy
import inspect
import types
from typing import Any

import numpy as np

from minikeras.utils import to_categorical

# With scikit-learn installed, the wrappers take its base classes, which modern scikit-learn
# (1.6+) requires of anything it clones or cross-validates (`__sklearn_tags__`); without it
# these are empty stand-ins and the wrappers still work on their own.
from minikeras.wrappers.sklearn_wrapper import (  # noqa: E402
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
)


class BaseWrapper(BaseEstimator):
    """What the two Keras 2 wrappers share: parameters, argument routing, building."""

    def __init__(self, build_fn: Any = None, **sk_params: Any) -> None:
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def check_params(self, params: dict) -> None:
        """Refuse a parameter that neither `build_fn` nor fit/predict/evaluate accepts."""
        from minikeras.models import Sequential

        legal = [Sequential.fit, Sequential.predict, Sequential.evaluate]
        if self.build_fn is None:
            legal.append(self.__call__)
        elif not isinstance(self.build_fn, (types.FunctionType, types.MethodType)):
            legal.append(self.build_fn.__call__)
        else:
            legal.append(self.build_fn)
        for name in params:
            if not any(name in inspect.signature(fn).parameters for fn in legal):
                raise ValueError(f"{name} is not a legal parameter of {type(self).__name__}: "
                                 "it is neither an argument of build_fn nor of "
                                 "fit/predict/evaluate")

    def get_params(self, **params: Any) -> dict:
        res = copy.deepcopy(self.sk_params)
        res.update({"build_fn": self.build_fn})
        return res

    def set_params(self, **params: Any) -> "BaseWrapper":
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def filter_sk_params(self, fn: Any, override: dict | None = None) -> dict:
        """The sk_params (then `override`) that `fn` accepts by name."""
        names = inspect.signature(fn).parameters
        res = {k: v for k, v in self.sk_params.items() if k in names}
        res.update({k: v for k, v in (override or {}).items() if k in names})
        return res

    def _build(self) -> Any:
        if self.build_fn is None:
            return self.__call__(**self.filter_sk_params(self.__call__))
        if not isinstance(self.build_fn, (types.FunctionType, types.MethodType)):
            return self.build_fn(**self.filter_sk_params(self.build_fn.__call__))
        return self.build_fn(**self.filter_sk_params(self.build_fn))

    def fit(self, x: Any, y: Any, **kwargs: Any) -> Any:
        """Build a fresh model and train it; returns the History."""
        self.model = self._build()
        y = np.asarray(y)
        loss = getattr(self.model, "loss", None)
        names = [loss] if not isinstance(loss, (list, tuple)) else list(loss)
        if any(getattr(n, "__name__", n) == "categorical_crossentropy" for n in names) and \
                len(y.shape) != 2:
            y = to_categorical(y)
        fit_args = self.filter_sk_params(self.model.fit, kwargs)
        return self.model.fit(x, y, **fit_args)


class KerasClassifier(ClassifierMixin, BaseWrapper):
    """Keras 2's scikit-learn classifier: labels may be any values (they are mapped to
    0..n-1, and one-hot encoded when the loss is `categorical_crossentropy`)."""

    def fit(self, x: Any, y: Any, **kwargs: Any) -> Any:
        y = np.array(y)
        if len(y.shape) == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif (len(y.shape) == 2 and y.shape[1] == 1) or len(y.shape) == 1:
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        else:
            raise ValueError(f"Invalid shape for y: {y.shape}")
        self.n_classes_ = len(self.classes_)
        return super().fit(x, y, **kwargs)

    def predict_proba(self, x: Any, **kwargs: Any) -> np.ndarray:
        """Class probabilities; a single sigmoid column becomes [1 - p, p]."""
        kwargs = self.filter_sk_params(self.model.predict, kwargs)
        kwargs.setdefault("verbose", 0)
        probs = np.asarray(self.model.predict(x, **kwargs))
        if probs.shape[1] == 1:
            probs = np.hstack([1 - probs, probs])
        return probs

    def predict(self, x: Any, **kwargs: Any) -> np.ndarray:
        """The class labels (argmax, or p > 0.5 for one sigmoid column)."""
        kwargs = self.filter_sk_params(self.model.predict, kwargs)
        kwargs.setdefault("verbose", 0)
        probs = np.asarray(self.model.predict(x, **kwargs))
        idx = probs.argmax(axis=-1) if probs.shape[-1] > 1 else (probs > 0.5).astype("int32")
        return self.classes_[np.squeeze(idx)] if idx.ndim > 1 else self.classes_[idx]

    def score(self, x: Any, y: Any, **kwargs: Any) -> float:
        """The model's accuracy on x, y (the model must be compiled with an accuracy
        metric, as Keras 2 required)."""
        y = np.searchsorted(self.classes_, np.asarray(y))
        kwargs = self.filter_sk_params(self.model.evaluate, kwargs)
        kwargs.setdefault("verbose", 0)
        loss = getattr(self.model, "loss", None)
        if getattr(loss, "__name__", loss) == "categorical_crossentropy" and len(y.shape) != 2:
            y = to_categorical(y)
        outputs = self.model.evaluate(x, y, return_dict=True, **kwargs)
        for name in ("accuracy", "acc", "categorical_accuracy", "binary_accuracy",
                     "sparse_categorical_accuracy"):
            if name in outputs:
                return float(outputs[name])
        raise ValueError("The model is not configured to compute accuracy. You should pass "
                         "`metrics=['accuracy']` to the `model.compile()` method.")


class KerasRegressor(RegressorMixin, BaseWrapper):
    """Keras 2's scikit-learn regressor; `score` is minus the loss."""

    def predict(self, x: Any, **kwargs: Any) -> np.ndarray:
        """The model's predictions; a single output column is squeezed (Keras 2)."""
        kwargs = self.filter_sk_params(self.model.predict, kwargs)
        kwargs.setdefault("verbose", 0)
        out = np.asarray(self.model.predict(x, **kwargs))
        return np.squeeze(out, axis=-1) if out.ndim > 1 and out.shape[-1] == 1 else out

    def score(self, x: Any, y: Any, **kwargs: Any) -> float:
        kwargs = self.filter_sk_params(self.model.evaluate, kwargs)
        kwargs.setdefault("verbose", 0)
        loss = self.model.evaluate(x, y, **kwargs)
        return -float(loss[0] if isinstance(loss, (list, tuple)) else loss)
