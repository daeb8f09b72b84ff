"""`keras.wrappers.SKLearnClassifier`, `SKLearnRegressor`, `SKLearnTransformer` (Keras 3.5+).

Each wraps a compiled model, or a callable `model(X=..., y=..., **model_kwargs)` returning
one, as a scikit-learn estimator: `fit` builds a fresh model (a model instance is cloned),
then calls `model.fit(X, y, **fit_kwargs, **kwargs)`; the fitted model is `model_`, the
History `history_`. The classifier one-hot encodes the labels (a 1-D `y` of any label type)
and `predict` returns the labels of the largest outputs; `classes_` holds the labels.
So `cross_val_score`, `GridSearchCV` and pipelines work.

Where we differ from Keras 3: `clone()` keeps `fit_kwargs` (Keras 3's `__sklearn_clone__`
drops them, so `cross_val_score` trained every fold with `fit`'s defaults), and `fit` does
not write its keyword arguments into `fit_kwargs`.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:  # the wrappers still import; building one says what is missing
    sklearn = None

    class BaseEstimator:  # type: ignore[no-redef]
        pass

    class ClassifierMixin:  # type: ignore[no-redef]
        pass

    class RegressorMixin:  # type: ignore[no-redef]
        pass

    class TransformerMixin:  # type: ignore[no-redef]
        pass


def assert_sklearn_installed(name: str) -> None:
    if sklearn is None:
        raise ImportError(f"{name} requires scikit-learn. Install it with `pip install "
                          "scikit-learn` (or `pip install minikeras[sklearn]`).")


def _validate_data(estimator: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        from sklearn.utils.validation import validate_data  # scikit-learn >= 1.6
    except ImportError:
        return estimator._validate_data(*args, **kwargs)
    return validate_data(estimator, *args, **kwargs)


def _check_model(model: Any) -> None:
    if not getattr(model, "compiled", False) or not getattr(model, "loss", None) or \
            not getattr(model, "optimizer", None):
        raise RuntimeError("The model given to the wrapper must be compiled, with a loss and "
                           "an optimizer.")


def _type_of_target(y: Any) -> str:
    from sklearn.utils.multiclass import type_of_target

    kind = type_of_target(y)
    if kind == "unknown":
        raise ValueError(f"Unknown label type for data: {y!r}")
    return kind


def _is_model(obj: Any) -> bool:
    from minikeras.models.model import Model

    return isinstance(obj, Model)


class _PickledModel:
    """A model as the bytes of a `.keras` file (loading it runs no code from the bytes)."""

    def __init__(self, model: Any) -> None:
        import os
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "model.keras")
            model.save(path)
            with open(path, "rb") as f:
                self.data = f.read()

    def load(self) -> Any:
        import os
        import tempfile

        from minikeras.saving import load_model

        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "model.keras")
            with open(path, "wb") as f:
                f.write(self.data)
            return load_model(path)


class TargetReshaper(TransformerMixin, BaseEstimator):
    """1-D targets become a column for Keras, and back again for scikit-learn."""

    def fit(self, y: np.ndarray) -> "TargetReshaper":
        self.ndim_ = y.ndim
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y: np.ndarray) -> np.ndarray:
        return np.squeeze(y, axis=1) if self.ndim_ == 1 and y.ndim == 2 else y


class SKLBase(BaseEstimator):
    """What the three wrappers share."""

    def __init__(self, model: Any, warm_start: bool = False, model_kwargs: dict | None = None,
                 fit_kwargs: dict | None = None) -> None:
        assert_sklearn_installed(type(self).__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def _more_tags(self) -> dict:
        return {"non_deterministic": True}

    def __sklearn_clone__(self) -> "SKLBase":
        model = self.model if callable(self.model) else copy.deepcopy(self.model)
        return type(self)(model=model, warm_start=self.warm_start,
                          model_kwargs=self.model_kwargs, fit_kwargs=self.fit_kwargs)

    def __getstate__(self) -> dict:
        """Pickle support (scikit-learn pickles fitted estimators, e.g. with joblib): models
        travel as the bytes of a `.keras` file, histories as plain values."""
        state = self.__dict__.copy()
        for key in ("model", "model_"):
            if _is_model(state.get(key)):
                state[key] = _PickledModel(state[key])
        history = state.get("history_")
        if history is not None and getattr(history, "model", None) is not None:
            plain = copy.copy(history)
            plain.model = None
            state["history_"] = plain
        return state

    def __setstate__(self, state: dict) -> None:
        for key in ("model", "model_"):
            if isinstance(state.get(key), _PickledModel):
                state[key] = state[key].load()
        self.__dict__.update(state)

    @property
    def epoch_(self) -> int:
        """The number of epochs trained by the last `fit`."""
        return len(getattr(getattr(self, "history_", None), "epoch", []))

    def _get_model(self, X: np.ndarray, y: np.ndarray) -> Any:
        from minikeras.models.cloning import clone_model
        from minikeras.models.model import Model

        if isinstance(self.model, Model):
            return clone_model(self.model)  # fresh weights, compiled like the original
        if not callable(self.model):
            raise TypeError("`model` must be a Keras model or a callable returning one, got "
                            f"{type(self.model).__name__}")
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X: Any, y: Any, **kwargs: Any) -> "SKLBase":
        """Build (or, with `warm_start`, reuse) the model and train it on X, y."""
        X, y = _validate_data(self, X, y)
        y = self._process_target(y, reset=True)
        if self.warm_start and hasattr(self, "model_"):
            model = self.model_
        else:
            model = self._get_model(X, y)
        _check_model(model)
        fit_kwargs = dict(self.fit_kwargs or {})
        fit_kwargs.update(kwargs)
        self.history_ = model.fit(X, y, **fit_kwargs)
        self.model_ = model
        return self

    def predict(self, X: Any) -> np.ndarray:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return self._reverse_process_target(np.asarray(self.model_.predict(X, verbose=0)))

    def _process_target(self, y: np.ndarray, reset: bool = False) -> np.ndarray:
        _type_of_target(y)
        if reset:
            self._target_encoder = TargetReshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y: np.ndarray) -> np.ndarray:
        return self._target_encoder.inverse_transform(y)


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A Keras classifier as a scikit-learn classifier: labels are one-hot encoded for the
    model (so use a softmax output with `categorical_crossentropy`), `predict` returns the
    label of the largest output, `decision_function` the raw model output."""

    def decision_function(self, X: Any) -> np.ndarray:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return np.asarray(self.model_.predict(X, verbose=0))

    def _process_target(self, y: np.ndarray, reset: bool = False) -> np.ndarray:
        kind = _type_of_target(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError("Only binary and multiclass target types are supported. Target "
                             f"type: {kind}")
        if reset:
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import OneHotEncoder

            self._target_encoder = make_pipeline(
                TargetReshaper(), OneHotEncoder(sparse_output=False)).fit(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        return self._target_encoder.transform(y)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags

    def _more_tags(self) -> dict:
        return {"non_deterministic": True, "poor_score": True}


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A Keras regressor as a scikit-learn regressor (1-D targets become a column)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags

    def _more_tags(self) -> dict:
        return {"non_deterministic": True, "poor_score": True}


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A Keras model as a scikit-learn transformer: `transform(X)` is `model.predict(X)`."""

    def transform(self, X: Any) -> np.ndarray:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return np.asarray(self.model_.predict(X, verbose=0))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags

    def _more_tags(self) -> dict:
        return {"non_deterministic": True, "preserves_dtype": []}
