"""Model selection with scikit-learn: cross_val_score and GridSearchCV on a Keras model.

`keras.wrappers.SKLearnClassifier` (Keras 3.5+) makes a Keras model a scikit-learn estimator:
give it a function that builds and compiles a model from the data (`model(X, y,
**model_kwargs)`) and the arguments for `fit` (`fit_kwargs`). It one-hot encodes the labels,
so any label values work and the model ends in a softmax; `predict` gives labels back. Then
everything scikit-learn offers applies: `cross_val_score` for a k-fold estimate,
`GridSearchCV` to choose hyperparameters by cross-validation, pipelines with a scaler in
front. (Keras 2's `keras.wrappers.scikit_learn.KerasClassifier(build_fn=...)` works too.)

Here a grid search picks the hidden-layer size and the learning rate of a classifier of the
noisy half-moons; the chosen model is then scored on test data it never saw. The figure
shows the mean cross-validated accuracy of each combination and the chosen model's decision
regions.

Run: python examples/sklearn_cross_validation.py   (needs scikit-learn; MINIKERAS_FAST=1
shortens it; --docs copies the figure into docs/images/)
"""

from _common import fast, grid, half_moons, pyplot, save  # first: it sets up BLAS

import numpy as np

import minikeras as keras

FAST = fast()
UNITS = [2, 16]
RATES = [0.003, 0.03]


def build_model(X, y, units=16, learning_rate=0.01):
    """Called by the wrapper at each fit with the (one-hot) training data."""
    model = keras.Sequential([keras.Input((X.shape[1],)),
                              keras.layers.Dense(units, activation="tanh"),
                              keras.layers.Dense(y.shape[1], activation="softmax")])
    model.compile(keras.optimizers.Adam(learning_rate), "categorical_crossentropy")
    return model


def main():
    try:
        from sklearn.model_selection import GridSearchCV, cross_val_score
    except ImportError:
        print("scikit-learn is not installed: pip install scikit-learn")
        return None
    from minikeras.wrappers import SKLearnClassifier

    keras.utils.set_random_seed(0)
    x, y = half_moons(300, seed=0)
    labels = np.where(y == 1, "upper", "lower")
    x_test, y_test = half_moons(2000, seed=1)
    labels_test = np.where(y_test == 1, "upper", "lower")
    fit_kwargs = {"epochs": 15 if FAST else 60, "batch_size": 32, "verbose": 0}
    clf = SKLearnClassifier(model=build_model, model_kwargs={"units": 16},
                            fit_kwargs=fit_kwargs)
    scores = cross_val_score(clf, x, labels, cv=5)
    print(f"5-fold accuracy with 16 hidden units: {scores.mean():.3f} ± {scores.std():.3f}")
    search = GridSearchCV(clf, {"model_kwargs": [{"units": u, "learning_rate": r}
                                                  for u in UNITS for r in RATES]}, cv=3)
    search.fit(x, labels)
    table = {(p["model_kwargs"]["units"], p["model_kwargs"]["learning_rate"]): s
             for p, s in zip(search.cv_results_["params"],
                             search.cv_results_["mean_test_score"])}
    for (u, r), s in table.items():
        print(f"  units={u:2d} learning_rate={r}: mean 3-fold accuracy {s:.3f}")
    best = search.best_params_["model_kwargs"]
    test_acc = search.score(x_test, labels_test)
    print(f"chosen: {best}; accuracy on {len(x_test)} new samples {test_acc:.3f} "
          f"(cross-validation estimated {search.best_score_:.3f})")

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
        ax = axes[0]
        matrix = np.array([[table[(u, r)] for r in RATES] for u in UNITS])
        im = ax.imshow(matrix, cmap="viridis", vmin=0.5, vmax=1)
        for i in range(len(UNITS)):
            for j in range(len(RATES)):
                ax.text(j, i, f"{matrix[i, j]:.3f}", ha="center", va="center",
                        color="w" if matrix[i, j] < 0.8 else "k")
        ax.set_xticks(range(len(RATES)), [str(r) for r in RATES])
        ax.set_yticks(range(len(UNITS)), [str(u) for u in UNITS])
        ax.set_xlabel("learning_rate")
        ax.set_ylabel("hidden units")
        ax.set_title("GridSearchCV: mean 3-fold accuracy")
        fig.colorbar(im, ax=ax)
        ax = axes[1]
        g, g0, g1 = grid(x)
        proba = search.best_estimator_.decision_function(g)[:, 1].reshape(g0.shape)
        ax.contourf(g0, g1, proba, levels=20, cmap="RdBu_r", alpha=0.6)
        ax.contour(g0, g1, proba, levels=[0.5], colors="k")
        for cls, marker in (("lower", "o"), ("upper", "^")):
            pts = x[labels == cls]
            ax.scatter(*pts.T, s=12, marker=marker, edgecolors="k", linewidths=0.3,
                       label=cls)
        ax.set_title(f"chosen model {best}: test accuracy {test_acc:.3f}")
        ax.legend(loc="lower left")
        save(fig, "sklearn_cross_validation")
    return {"cv_scores": scores, "grid": table, "best": best, "best_score": search.best_score_,
            "test_accuracy": test_acc}


if __name__ == "__main__":
    main()
