"""scikit-learn wrappers (`keras.wrappers`): Keras 3.5+'s `SKLearnClassifier`,
`SKLearnRegressor`, `SKLearnTransformer`, and Keras 2's `keras.wrappers.scikit_learn`
(`KerasClassifier`/`KerasRegressor` with `build_fn`). scikit-learn is optional
(`pip install minikeras[sklearn]`); without it, building a wrapper raises ImportError."""

from minikeras.wrappers.sklearn_wrapper import (  # noqa: F401
    SKLearnClassifier,
    SKLearnRegressor,
    SKLearnTransformer,
)
from minikeras.wrappers import scikit_learn  # noqa: F401,E402
