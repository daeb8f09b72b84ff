"""Multi-label classification: sigmoid outputs and binary cross-entropy.

Here a sample can carry several labels at once (a photo can show a cat *and* a dog). Each
label is its own yes/no question: one sigmoid output unit per label, targets of 0s and 1s
(several 1s allowed), and binary cross-entropy averaged over the labels. Unlike a softmax,
the outputs do not compete: they need not sum to 1. The points here are in a square; the
labels are "right half", "upper half" and "near the centre", which overlap freely.

Run: python examples/multilabel_classification.py   (MINIKERAS_FAST=1 shortens it; --docs
copies the figure into docs/images/)
"""

from _common import fast, grid, pyplot, save  # first: it sets up BLAS before NumPy loads

import numpy as np

import minikeras as keras

FAST = fast()
LABELS = ["right half (x₁ > 0)", "upper half (x₂ > 0)", "near the centre (r < 0.7)"]


def labels_of(x):
    return np.c_[x[:, 0] > 0, x[:, 1] > 0, np.hypot(x[:, 0], x[:, 1]) < 0.7].astype("float32")


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2)).astype("float32")
    return x, labels_of(x)


def main():
    keras.utils.set_random_seed(0)
    x, y = make_data(1500, seed=0)
    x_test, y_test = make_data(1500, seed=1)

    model = keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(len(LABELS), activation="sigmoid"),   # one yes/no per label
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
                  loss="binary_crossentropy", metrics=["binary_accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=30 if FAST else 100,
                        validation_split=0.2, verbose=0)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    p = model.predict(x_test, verbose=0)
    predicted = p > 0.5
    per_label = (predicted == (y_test > 0.5)).mean(axis=0)
    exact = float(np.all(predicted == (y_test > 0.5), axis=1).mean())
    several = float((predicted.sum(axis=1) >= 2).mean())
    for name, acc in zip(LABELS, per_label):
        print(f"label {name:28s}: accuracy {acc:.3f}")
    print(f"test binary cross-entropy {test_loss:.4f}; all three labels right for "
          f"{exact:.1%} of the points; {several:.1%} of the points get 2 or more labels "
          f"(truth: {(y_test.sum(axis=1) >= 2).mean():.1%}); output sums range "
          f"{p.sum(axis=1).min():.2f}..{p.sum(axis=1).max():.2f}")

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 4, figsize=(19, 4.3))
        points, g0, g1 = grid(x_test, steps=200, margin=0.0)
        probs = model.predict(points, verbose=0)
        truth_map = labels_of(points)
        from matplotlib.lines import Line2D

        for k, ax in enumerate(axes[:3]):
            area = ax.contourf(g0, g1, probs[:, k].reshape(g0.shape),
                               levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.8)
            ax.contour(g0, g1, probs[:, k].reshape(g0.shape), levels=[0.5], colors="k")
            ax.contour(g0, g1, truth_map[:, k].reshape(g0.shape), levels=[0.5],
                       colors="gold", linestyles="--", linewidths=2)
            ax.legend(handles=[Line2D([], [], color="k", label="P = 0.5"),
                               Line2D([], [], color="gold", ls="--", label="true boundary")],
                      loc="lower left", fontsize=8)
            ax.set_title(f"output {k}: {LABELS[k]}\ntest accuracy {per_label[k]:.3f}",
                         fontsize=10)
            ax.set_xlabel("$x_1$")
            ax.set_ylabel("$x_2$")
            ax.set_aspect("equal")
            fig.colorbar(area, ax=ax, label=f"P(label {k})", shrink=0.8)
        counts = np.bincount(predicted.sum(axis=1), minlength=4)
        truth = np.bincount(y_test.sum(axis=1).astype(int), minlength=4)
        bars = np.arange(4)
        axes[3].bar(bars - 0.2, truth, width=0.4, label="true labels")
        axes[3].bar(bars + 0.2, counts, width=0.4, label="predicted (P > 0.5)")
        axes[3].set_xticks(bars)
        axes[3].set_xlabel("number of labels on a test point")
        axes[3].set_ylabel("test points")
        axes[3].set_title("several labels at once")
        axes[3].legend()
        fig.suptitle("three sigmoid outputs + binary cross-entropy: each output answers its "
                     "own yes/no question")
        save(fig, "multilabel_classification")
    return {"per_label_accuracy": [float(a) for a in per_label], "exact_match": exact,
            "fraction_with_several_labels": several, "test_loss": float(test_loss),
            "history": history.history}


if __name__ == "__main__":
    main()
