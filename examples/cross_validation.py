"""k-fold cross-validation with a small helper, used to choose a network's size.

With little data, one validation split gives a noisy estimate: it depends on which points
happened to land in it. k-fold cross-validation splits the data into k folds, trains k fresh
models, each validated on one fold and trained on the other k - 1, and averages the k
scores. Every sample is used for validation exactly once.

Keras has no k-fold helper (`validation_split` always takes the last fraction), so here is
one: `kfold_indices` makes the folds and `cross_validate` trains a fresh model per fold. It
compares three hidden-layer sizes; the chosen size is then retrained on all the data and
checked on a test set that played no part in the choice.

Run: python examples/cross_validation.py   (MINIKERAS_FAST=1 shortens it; --docs copies the
figure into docs/images/)
"""

from _common import fast, pyplot, save  # first: it sets up BLAS before NumPy loads

import numpy as np

import minikeras as keras

FAST = fast()
K = 5
HIDDEN_UNITS = [1, 4, 32]


def kfold_indices(n, k, shuffle=True, seed=0):
    """The k (train_indices, validation_indices) pairs of k-fold cross-validation over n
    samples. Folds differ in size by at most one; each index is in exactly one validation
    fold."""
    if not 2 <= k <= n:
        raise ValueError(f"kfold_indices: need 2 <= k <= n, got k={k}, n={n}")
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    folds = np.array_split(order, k)
    return [(np.concatenate(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]


def cross_validate(build_model, x, y, k=5, seed=0, **fit_kwargs):
    """Train a fresh `build_model()` on each of k folds; return the per-fold validation
    scores as a dict {metric name: array of k values} (from `model.evaluate`)."""
    scores = {}
    for train_idx, val_idx in kfold_indices(len(x), k, seed=seed):
        model = build_model()
        model.fit(x[train_idx], y[train_idx], verbose=0, **fit_kwargs)
        result = model.evaluate(x[val_idx], y[val_idx], verbose=0, return_dict=True)
        for name, value in result.items():
            scores.setdefault(name, []).append(float(value))
    return {name: np.array(values) for name, values in scores.items()}


def make_data(n, seed):
    """Two interleaved half-moons."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    upper = rng.integers(0, 2, n)
    x = np.where(upper[:, None] == 1, np.c_[np.cos(t), np.sin(t)],
                 np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    x += rng.normal(0, 0.2, x.shape)
    return x.astype("float32"), upper.astype("float32")


def builder(units):
    def build():
        model = keras.Sequential([
            keras.Input(shape=(2,)),
            keras.layers.Dense(units, activation="tanh"),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.02),
                      loss="binary_crossentropy", metrics=["accuracy"])
        return model
    return build


def main():
    keras.utils.set_random_seed(0)
    x, y = make_data(300, seed=0)
    x_test, y_test = make_data(2000, seed=1)
    fit = {"epochs": 30 if FAST else 100, "batch_size": 32}
    results = {}
    for units in HIDDEN_UNITS:
        scores = cross_validate(builder(units), x, y, k=K, **fit)
        results[units] = scores
        acc = scores["accuracy"]
        print(f"{units:2d} hidden unit{'s' * (units > 1)}: {K}-fold accuracy "
              f"{acc.mean():.3f} ± {acc.std():.3f} "
              f"(folds: {', '.join(f'{a:.3f}' for a in acc)})")
    chosen = max(HIDDEN_UNITS, key=lambda u: results[u]["accuracy"].mean())
    final = builder(chosen)()
    final.fit(x, y, verbose=0, **fit)
    _, test_acc = final.evaluate(x_test, y_test, verbose=0)
    cv_acc = results[chosen]["accuracy"].mean()
    print(f"chosen: {chosen} hidden units; retrained on all {len(x)} samples, accuracy on "
          f"{len(x_test)} new test samples {test_acc:.3f} (cross-validation estimated "
          f"{cv_acc:.3f})")

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 2, figsize=(14, 4.8),
                                 gridspec_kw={"width_ratios": [1.3, 1]})
        ax = axes[0]
        width = 0.8 / K
        for i, units in enumerate(HIDDEN_UNITS):
            acc = results[units]["accuracy"]
            ax.bar(i + (np.arange(K) - (K - 1) / 2) * width, acc, width=width * 0.9,
                   color=[f"C{f}" for f in range(K)])
            ax.hlines(acc.mean(), i - 0.42, i + 0.42, colors="k", lw=2)
            ax.text(i, acc.max() + 0.01, f"mean {acc.mean():.3f}\n± {acc.std():.3f}",
                    ha="center", va="bottom", fontsize=9)
        handles = [plt.Rectangle((0, 0), 1, 1, color=f"C{f}") for f in range(K)]
        handles.append(plt.Line2D([], [], color="k", lw=2))
        ax.legend(handles, [f"fold {f + 1}" for f in range(K)] + ["mean of the folds"],
                  loc="upper center", ncol=6, fontsize=8)
        ax.set_xticks(range(len(HIDDEN_UNITS)),
                      [f"{u} hidden unit{'s' * (u > 1)}" for u in HIDDEN_UNITS])
        ax.set_ylabel("validation accuracy")
        ax.set_ylim(0.5, 1.17)
        ax.set_title(f"{K}-fold cross-validation on {len(x)} samples")
        ax = axes[1]
        folds = kfold_indices(len(x), K)
        for f, (_, val_idx) in enumerate(folds):
            for cls, marker in ((0, "o"), (1, "^")):
                pts = x[val_idx][y[val_idx] == cls]
                ax.scatter(*pts.T, s=14, c=f"C{f}", marker=marker,
                           label=f"fold {f + 1}" if cls == 0 else None)
        ax.scatter([], [], marker="o", c="0.5", label="class 0")
        ax.scatter([], [], marker="^", c="0.5", label="class 1")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_title("the data: colour = validation fold, marker = class")
        ax.legend(fontsize=8, loc="lower left")
        save(fig, "cross_validation")
    return {"scores": {u: r["accuracy"].tolist() for u, r in results.items()},
            "chosen": chosen, "cv_accuracy": float(cv_acc), "test_accuracy": float(test_acc)}


if __name__ == "__main__":
    main()
