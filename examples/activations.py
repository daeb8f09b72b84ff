"""Activation functions, their derivatives, and why a network needs non-linear ones.

Each activation f is drawn with its derivative f'(z). The derivatives are not typed in: they
come from minikeras' automatic differentiation (`K.gradients`), the same machinery that
trains networks, and are checked against the textbook formulas:

    linear   f(z) = z                 f'(z) = 1
    sigmoid  σ(z) = 1 / (1 + e^-z)    σ'(z) = σ(z) (1 - σ(z))
    tanh     tanh(z)                  tanh'(z) = 1 - tanh(z)²
    ReLU     max(0, z)                1 where z > 0, else 0
    softmax  p_i = e^z_i / Σ_j e^z_j  ∂p_i/∂z_i = p_i (1 - p_i)

Why non-linearity: a stack of layers without activations is one linear map, however deep.
The last panel fits the same curve with three linear layers and with three tanh layers.

Run: python examples/activations.py   (MINIKERAS_FAST=1 shortens it; --docs copies the
figure into docs/images/)
"""

from _common import fast, pyplot, save  # first: it sets up BLAS before NumPy loads

import numpy as np

import minikeras as keras
from minikeras import backend as K

FAST = fast()

Z = np.linspace(-4, 4, 401).astype("float32")


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# name -> (textbook value, textbook derivative)
TEXTBOOK = {
    "linear": (lambda z: z, lambda z: np.ones_like(z)),
    "sigmoid": (sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(z.dtype)),
}


def value_and_derivative(name):
    """f(Z) and f'(Z) computed by minikeras: the activation on a variable, then K.gradients
    (the sum of an element-wise function's outputs has the derivatives as its gradient)."""
    z = K.variable(Z)
    y = keras.activations.get(name)(z)
    (grad,) = K.gradients(K.sum(y), [z])
    return K.eval(y), K.eval(grad)


def softmax_and_derivative():
    """Softmax over the three inputs (z, 1, -1) as z varies, and ∂p_0/∂z."""
    logits = np.c_[Z, np.ones_like(Z), -np.ones_like(Z)]
    z = K.variable(logits)
    p = keras.activations.softmax(z)
    (grad,) = K.gradients(K.sum(p[:, 0]), [z])
    return K.eval(p), K.eval(grad)[:, 0]


def deep_fit(activation, epochs):
    """Three hidden layers with `activation`, fitted to a curve; returns the model and MSE."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, (256, 1)).astype("float32")
    y = np.sin(1.5 * x).astype("float32")
    model = keras.Sequential([keras.Input(shape=(1,))] +
                             [keras.layers.Dense(16, activation=activation) for _ in range(3)] +
                             [keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=0)
    return model, float(model.evaluate(x, y, verbose=0)), x, y


def collapse_error(model):
    """How far the all-linear network is from the single affine map x W + b obtained by
    multiplying its layers' weights together."""
    w, b = np.eye(1, dtype="float64"), np.zeros(1)
    for layer in model.layers:
        kernel, bias = (np.asarray(v, dtype="float64") for v in layer.get_weights())
        w, b = w @ kernel, b @ kernel + bias
    x = np.linspace(-3, 3, 50, dtype="float32")[:, None]
    return float(np.abs(model.predict(x, verbose=0) - (x @ w + b)).max()), w, b


def main():
    keras.utils.set_random_seed(0)
    curves, errors = {}, {}
    for name, (value, derivative) in TEXTBOOK.items():
        y, dy = value_and_derivative(name)
        curves[name] = (y, dy)
        errors[name] = float(max(np.abs(y - value(Z)).max(), np.abs(dy - derivative(Z)).max()))
    p, dp = softmax_and_derivative()
    errors["softmax"] = float(np.abs(dp - p[:, 0] * (1 - p[:, 0])).max())
    for name, err in errors.items():
        print(f"{name:8s}: autodiff derivative vs textbook formula, max difference {err:.1e}")

    epochs = 60 if FAST else 200
    linear_model, linear_mse, x, y = deep_fit("linear", epochs)
    tanh_model, tanh_mse, _, _ = deep_fit("tanh", epochs)
    collapse, w, b = collapse_error(linear_model)
    print(f"3 linear hidden layers = one affine map y = {w[0, 0]:.3f} x {b[0]:+.3f} "
          f"(max difference {collapse:.1e}); fit MSE {linear_mse:.3f}")
    print(f"3 tanh hidden layers: fit MSE {tanh_mse:.4f}")

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(2, 3, figsize=(15, 8))
        axes = axes.ravel()
        for ax, (name, (y_, dy)) in zip(axes, curves.items()):
            ax.plot(Z, y_, lw=2, label=f"{name}(z)")
            ax.plot(Z, dy, "--", lw=2, label=f"{name}'(z) (autodiff)")
            ax.set_title(name)
            ax.set_xlabel("z")
            ax.set_ylabel("value")
            ax.grid(True, alpha=0.3)
            ax.legend()
        ax = axes[4]
        for i, name in enumerate(["z", "1", "-1"]):
            ax.plot(Z, p[:, i], lw=2, label=f"p_{i} (input {name})")
        ax.plot(Z, dp, "--", lw=2, label="∂p_0/∂z (autodiff)")
        ax.set_title("softmax of (z, 1, -1): outputs sum to 1")
        ax.set_xlabel("z")
        ax.set_ylabel("value")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        ax = axes[5]
        grid = np.linspace(-3, 3, 200, dtype="float32")[:, None]
        ax.scatter(x[:, 0], y[:, 0], s=5, c="0.6", label="data: sin(1.5 x)")
        ax.plot(grid, linear_model.predict(grid, verbose=0), lw=2,
                label=f"3 linear hidden layers (MSE {linear_mse:.3f})")
        ax.plot(grid, tanh_model.predict(grid, verbose=0), lw=2,
                label=f"3 tanh hidden layers (MSE {tanh_mse:.4f})")
        ax.set_title("why non-linearity: linear layers stack to a line")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_ylim(-2.1, 1.3)
        ax.legend(fontsize=8, loc="lower center")
        save(fig, "activations")
    return {"derivative_errors": errors, "collapse_error": collapse,
            "linear_mse": linear_mse, "tanh_mse": tanh_mse}


if __name__ == "__main__":
    main()
