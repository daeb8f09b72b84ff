"""Regression: a linear output unit and mean squared error.

The target is a real number, so the last layer has no activation (linear): its output can
take any value. The loss is the mean squared error between prediction and target. The data
are noisy samples of a smooth curve; the network learns the curve, not the noise.

Run: python examples/regression.py   (MINIKERAS_FAST=1 shortens it; --docs copies the figure
into docs/images/)
"""

from _common import fast, pyplot, save  # first: it sets up BLAS before NumPy loads

import numpy as np

import minikeras as keras

FAST = fast()
NOISE = 0.2


def curve(x):
    return np.sin(2 * x) + 0.3 * x


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, (n, 1))
    y = curve(x) + rng.normal(0, NOISE, (n, 1))
    return x.astype("float32"), y.astype("float32")


def main():
    keras.utils.set_random_seed(0)
    x, y = make_data(500, seed=0)
    x_test, y_test = make_data(500, seed=1)

    model = keras.Sequential([
        keras.Input(shape=(1,)),
        keras.layers.Dense(32, activation="tanh"),
        keras.layers.Dense(32, activation="tanh"),
        keras.layers.Dense(1),                      # linear output: any real value
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005), loss="mse",
                  metrics=["mae"])
    history = model.fit(x, y, batch_size=32, epochs=150 if FAST else 500,
                        validation_split=0.2, verbose=0)
    test_mse, test_mae = model.evaluate(x_test, y_test, verbose=0)
    baseline = float(np.mean((y_test - y.mean()) ** 2))  # always predicting the mean
    r2 = 1 - test_mse / baseline
    print(f"test MSE {test_mse:.4f} (noise variance {NOISE ** 2:.4f}; predicting the mean "
          f"gives {baseline:.4f}), MAE {test_mae:.3f}, R² {r2:.3f}")

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 3, figsize=(16, 4.3))
        grid = np.linspace(-3, 3, 300, dtype="float32")[:, None]
        axes[0].scatter(x_test[:, 0], y_test[:, 0], s=6, c="0.6", label="test data")
        axes[0].plot(grid, curve(grid), "k--", label="true curve (no noise)")
        axes[0].plot(grid, model.predict(grid, verbose=0), "tab:red", lw=2,
                     label="network's prediction")
        axes[0].set_xlabel("x")
        axes[0].set_ylabel("y")
        axes[0].set_title(f"regression: test R² = {r2:.3f}")
        axes[0].legend()
        keras.utils.plot_history(history, axes=axes[1:], logy=True,
                     title="linear output + mean squared error")
        save(fig, "regression")
    return {"test_mse": float(test_mse), "baseline_mse": baseline, "r2": float(r2),
            "noise_variance": NOISE ** 2}


if __name__ == "__main__":
    main()
