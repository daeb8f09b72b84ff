"""Binary classification: one sigmoid output unit and binary cross-entropy.

Each point belongs to one of two classes (0 or 1). The sigmoid squashes the output into
(0, 1), read as the probability of class 1; binary cross-entropy
-[t log p + (1 - t) log(1 - p)] is the loss. Predict class 1 where p > 0.5. The classes here
are a disc inside a ring, which no straight line separates.

Run: python examples/binary_classification.py   (MINIKERAS_FAST=1 shortens it; --docs copies
the figure into docs/images/)
"""

from _common import fast, grid, pyplot, save  # first: it sets up BLAS before NumPy loads

import numpy as np

import minikeras as keras

FAST = fast()


def make_data(n, seed):
    """Class 1: a disc of radius 1; class 0: a ring from radius 1.4 to 2.2; plus noise."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    radius = np.where(label == 1, np.sqrt(rng.uniform(0, 1, n)), rng.uniform(1.4, 2.2, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    x = np.c_[radius * np.cos(angle), radius * np.sin(angle)] + rng.normal(0, 0.15, (n, 2))
    return x.astype("float32"), label.astype("float32")


def main():
    keras.utils.set_random_seed(0)
    x, y = make_data(600, seed=0)
    x_test, y_test = make_data(1000, seed=1)

    model = keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),   # P(class 1)
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=30 if FAST else 100,
                        validation_split=0.2, verbose=0)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    p = model.predict(x_test, verbose=0)
    print(f"test binary cross-entropy {test_loss:.4f}, accuracy {test_acc:.3f} "
          f"(chance: {max(y_test.mean(), 1 - y_test.mean()):.3f}); "
          f"outputs in [{p.min():.3f}, {p.max():.3f}]")

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
        points, g0, g1 = grid(x_test, steps=200, margin=0.3)
        prob = model.predict(points, verbose=0).reshape(g0.shape)
        area = axes[0].contourf(g0, g1, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r",
                                alpha=0.7)
        axes[0].contour(g0, g1, prob, levels=[0.5], colors="k", linewidths=2)
        for cls, colour in ((0, "tab:blue"), (1, "tab:red")):
            pts = x_test[y_test == cls]
            axes[0].scatter(pts[:, 0], pts[:, 1], s=8, c=colour, edgecolors="white",
                            linewidths=0.3, label=f"class {cls}")
        fig.colorbar(area, ax=axes[0], label="sigmoid output = P(class 1)")
        axes[0].set_xlabel("$x_1$")
        axes[0].set_ylabel("$x_2$")
        axes[0].set_title(f"test accuracy {test_acc:.3f} (black line: P = 0.5)")
        axes[0].legend(loc="upper right")
        axes[0].set_aspect("equal")
        keras.utils.plot_history(history, axes=axes[1:],
                                 title="sigmoid output + binary cross-entropy")
        save(fig, "binary_classification")
    return {"test_accuracy": float(test_acc), "test_loss": float(test_loss),
            "p_min": float(p.min()), "p_max": float(p.max())}


if __name__ == "__main__":
    main()
