"""XOR needs a hidden layer.

A network without a hidden layer (inputs straight into one sigmoid unit) draws a single
straight line through the plane, and no straight line puts (0,1) and (1,0) on one side and
(0,0) and (1,1) on the other: at best it gets 3 of the 4 points right. One hidden layer of a
few tanh units bends the boundary and learns XOR exactly.

Run: python examples/xor.py   (MINIKERAS_FAST=1 shortens it; --docs copies the figure into
docs/images/)
"""

from _common import fast, grid, pyplot, save  # first: it sets up BLAS before NumPy loads

import numpy as np

import minikeras as keras

FAST = fast()

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
Y = np.array([0, 1, 1, 0], dtype="float32")


def build(hidden_units):
    """A sigmoid output unit, with a tanh hidden layer of `hidden_units` units (0: none)."""
    model = keras.models.Sequential()
    if hidden_units:
        model.add(keras.layers.Dense(hidden_units, activation="tanh", input_dim=2))
        model.add(keras.layers.Dense(1, activation="sigmoid"))
    else:
        model.add(keras.layers.Dense(1, activation="sigmoid", input_dim=2))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def draw(models, histories):
    plt = pyplot()
    if plt is None:
        return
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))
    points, g0, g1 = grid(X, steps=200, margin=0.5)
    for ax, (name, model) in zip(axes, models.items()):
        p = model.predict(points, verbose=0).reshape(g0.shape)
        area = ax.contourf(g0, g1, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.8)
        ax.contour(g0, g1, p, levels=[0.5], colors="k", linewidths=2)
        for cls, marker in ((0, "o"), (1, "s")):
            pts = X[Y == cls]
            ax.scatter(pts[:, 0], pts[:, 1], s=180, marker=marker, edgecolors="k",
                       c="tab:blue" if cls == 0 else "tab:red", label=f"XOR = {cls}", zorder=3)
        acc = float(np.mean((model.predict(X, verbose=0).ravel() > 0.5) == Y))
        ax.set_title(f"{name}: accuracy {acc:.2f}\n(outputs from {p.min():.2f} to "
                     f"{p.max():.2f}; black line: 0.5)", fontsize=10)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        if ax is axes[0]:
            ax.legend(loc="center right", fontsize=9)
        fig.colorbar(area, ax=ax, label="predicted P(XOR = 1)")
    for name, h in histories.items():
        axes[2].plot(np.arange(1, len(h.history["loss"]) + 1), h.history["loss"], label=name)
    axes[2].set_xlabel("epoch")
    axes[2].set_ylabel("binary cross-entropy")
    axes[2].set_title("training loss")
    axes[2].legend()
    save(fig, "xor")


def main():
    keras.utils.set_random_seed(1)
    epochs = 500 if FAST else 1000
    models, histories, accuracy = {}, {}, {}
    for name, hidden in (("no hidden layer", 0), ("hidden layer of 4 tanh units", 4)):
        model = build(hidden)
        histories[name] = model.fit(X, Y, batch_size=4, epochs=epochs, verbose=0)
        loss, acc = model.evaluate(X, Y, verbose=0)
        models[name] = model
        accuracy[name] = float(acc)
        print(f"{name:30s}: loss {loss:.4f}, accuracy {acc:.2f}, predictions "
              f"{np.round(model.predict(X, verbose=0).ravel(), 2)}")
    draw(models, histories)
    return {"with_hidden": accuracy["hidden layer of 4 tanh units"],
            "without_hidden": accuracy["no hidden layer"]}


if __name__ == "__main__":
    main()
