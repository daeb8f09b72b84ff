"""Multi-class classification: a softmax output layer and categorical cross-entropy.

Each point belongs to exactly one of K classes. The targets are one-hot vectors
(`keras.utils.to_categorical`), the output layer has K units with a softmax, so its outputs
are positive and sum to 1 (a probability for each class), and the loss is categorical
cross-entropy -Σ t_k log p_k. The predicted class is the arg-max. The data are three
interleaved spiral arms.

Run: python examples/multiclass_classification.py   (MINIKERAS_FAST=1 shortens it; --docs
copies the figure into docs/images/)
"""

from _common import fast, grid, pyplot, save  # first: it sets up BLAS before NumPy loads

import numpy as np

import minikeras as keras

FAST = fast()
CLASSES = 3
COLOURS = ["tab:blue", "tab:orange", "tab:green"]


def make_data(n, seed):
    """Three spiral arms, one per class, with a little noise."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, CLASSES, n)
    r = rng.uniform(0.1, 1.0, n)
    angle = label * 2 * np.pi / CLASSES + 7.0 * r + rng.normal(0, 0.25, n)
    x = np.c_[r * np.cos(angle), r * np.sin(angle)]
    return x.astype("float32"), label


def main():
    keras.utils.set_random_seed(0)
    x, label = make_data(1500, seed=0)
    x_test, label_test = make_data(1500, seed=1)
    y = keras.utils.to_categorical(label, CLASSES)            # one-hot targets
    y_test = keras.utils.to_categorical(label_test, CLASSES)

    model = keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(CLASSES, activation="softmax"),    # one probability per class
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=25 if FAST else 100,
                        validation_split=0.2, verbose=0)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    p = model.predict(x_test, verbose=0)
    sums = p.sum(axis=1)
    print(f"test categorical cross-entropy {test_loss:.4f}, accuracy {test_acc:.3f} "
          f"(chance: {1 / CLASSES:.3f}); softmax outputs sum to 1 within "
          f"{np.abs(sums - 1).max():.1e}")

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
        points, g0, g1 = grid(x_test, steps=250, margin=0.15)
        winner = model.predict(points, verbose=0).argmax(axis=1).reshape(g0.shape)
        from matplotlib.colors import ListedColormap

        axes[0].contourf(g0, g1, winner, levels=[-0.5, 0.5, 1.5, 2.5],
                         cmap=ListedColormap(COLOURS), alpha=0.3)
        for k in range(CLASSES):
            pts = x_test[label_test == k]
            axes[0].scatter(pts[:, 0], pts[:, 1], s=5, c=COLOURS[k], label=f"class {k}")
        axes[0].set_xlabel("$x_1$")
        axes[0].set_ylabel("$x_2$")
        axes[0].set_title(f"arg-max of the softmax; test accuracy {test_acc:.3f}")
        axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
        axes[0].set_aspect("equal")
        keras.utils.plot_history(history, axes=axes[1:],
                     title="softmax output + categorical cross-entropy")
        save(fig, "multiclass_classification")
    return {"test_accuracy": float(test_acc), "chance": 1 / CLASSES,
            "max_sum_error": float(np.abs(sums - 1).max())}


if __name__ == "__main__":
    main()
