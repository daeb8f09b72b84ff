"""L1 and L2 regularisation: weight decay, and sparse weights from L1.

A regulariser adds a penalty on the weights to the loss:

    L2 (weight decay): loss + λ Σ w²     its gradient 2λw shrinks each weight in proportion
    L1:                loss + λ Σ |w|    its gradient λ·sign(w) pulls every weight towards 0
                                         by the same amount, so small weights end at 0

The data have 20 inputs of which only the first 3 matter (y = 2 x₀ - 3 x₁ + x₂ + noise), and
only 200 samples, so an unregularised network also fits the noise through the 17 useless
inputs. The same network is trained with no penalty, `keras.regularizers.l2(0.01)` and
`keras.regularizers.l1(0.01)` on every kernel. L1 sets most weights of the useless inputs to
(almost exactly) zero; L2 makes them small but not zero.

Run: python examples/regularisation.py   (MINIKERAS_FAST=1 shortens it; --docs copies the
figure into docs/images/)
"""

from _common import fast, pyplot, save  # first: it sets up BLAS before NumPy loads

import numpy as np

import minikeras as keras

FAST = fast()
INPUTS, USEFUL = 20, 3
ZERO = 1e-3  # |w| below this counts as an exact zero
REGULARISERS = {
    "no regularisation": lambda: None,
    "L2, λ = 0.01": lambda: keras.regularizers.l2(0.01),
    "L1, λ = 0.01": lambda: keras.regularizers.l1(0.01),
}


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, INPUTS))
    y = 2 * x[:, 0] - 3 * x[:, 1] + x[:, 2] + rng.normal(0, 0.5, n)
    return x.astype("float32"), y[:, None].astype("float32")


def train(regulariser, x, y, x_val, y_val, epochs):
    keras.utils.set_random_seed(0)   # same initial weights and batches for every run
    model = keras.Sequential([
        keras.Input(shape=(INPUTS,)),
        keras.layers.Dense(16, activation="relu", kernel_regularizer=regulariser()),
        keras.layers.Dense(1, kernel_regularizer=regulariser()),
    ])
    # the loss includes the penalty; the "mse" metric is the fit alone
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.02), loss="mse",
                  metrics=["mse"])
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=0)
    _, train_mse = model.evaluate(x, y, verbose=0)
    _, val_mse = model.evaluate(x_val, y_val, verbose=0)
    kernels = [layer.get_weights()[0] for layer in model.layers]
    weights = np.concatenate([k.ravel() for k in kernels])
    return {"weights": weights, "first_kernel": kernels[0], "train_mse": float(train_mse),
            "val_mse": float(val_mse), "zero_fraction": float(np.mean(np.abs(weights) < ZERO)),
            "zeros": int(np.sum(np.abs(weights) < ZERO))}


def draw(results):
    plt = pyplot()
    if plt is None:
        return
    fig, axes = plt.subplots(2, 3, figsize=(16, 8.5))
    largest = max(np.abs(r["weights"]).max() for r in results.values())
    bins = np.linspace(-largest, largest, 81)
    vmax = max(np.abs(r["first_kernel"]).max() for r in results.values())
    for col, (name, r) in enumerate(results.items()):
        ax = axes[0, col]
        ax.hist(r["weights"], bins=bins, color=f"C{col}", label="all kernel weights")
        ax.hist(r["weights"][np.abs(r["weights"]) < ZERO], bins=bins, color="k",
                label=f"|w| < {ZERO:g}: {r['zeros']} of {r['weights'].size}")
        ax.set_yscale("log")
        ax.set_xlabel("weight value")
        ax.set_ylabel("number of weights (log scale)")
        ax.set_title(f"{name}\nvalidation MSE {r['val_mse']:.3f} "
                     f"(training {r['train_mse']:.3f})", fontsize=10)
        ax.legend(loc="upper right", fontsize=8)
        ax = axes[1, col]
        image = ax.imshow(np.abs(r["first_kernel"]), aspect="auto", cmap="magma_r",
                          vmin=0, vmax=vmax)
        ax.axhline(USEFUL - 0.5, color="tab:green", lw=2, label="below: useless inputs")
        ax.set_xlabel("hidden unit")
        ax.set_yticks(range(0, INPUTS, 2))
        ax.set_ylabel("input (0-2 useful, 3-19 noise)")
        ax.set_title("|first-layer weights|", fontsize=10)
        ax.legend(loc="lower right", fontsize=8)
        fig.colorbar(image, ax=ax, label="|w|")
    fig.suptitle("the same network and data with no penalty, L2 and L1 on the kernels")
    save(fig, "regularisation")


def main():
    x, y = make_data(200, seed=0)
    x_val, y_val = make_data(1000, seed=1)
    epochs = 150 if FAST else 400
    results = {}
    for name, regulariser in REGULARISERS.items():
        r = train(regulariser, x, y, x_val, y_val, epochs)
        results[name] = r
        print(f"{name:18s}: {r['zeros']:3d} of {r['weights'].size} kernel weights with "
              f"|w| < {ZERO:g} ({r['zero_fraction']:.0%}); MSE training {r['train_mse']:.3f}, "
              f"validation {r['val_mse']:.3f}")
    draw(results)
    return {name: {k: v for k, v in r.items() if k not in ("weights", "first_kernel")}
            for name, r in results.items()}


if __name__ == "__main__":
    main()
