"""Weight initialisation: what zeros, N(0, 1) and Glorot do to a deep stack of tanh layers.

Ten Dense layers of 100 tanh units each; the inputs are standard normal. For each kernel
initialiser (biases are zeros, as in Keras) we push one batch forward and one gradient back,
and look at every layer:

- `Zeros()`: every activation is 0 and every gradient is 0. All units of a layer are the
  same unit, and they stay the same: nothing can learn.
- `RandomNormal(mean=0., stddev=1.)`: with 100 inputs the weighted sums have a variance of
  about 100, so tanh saturates at ±1 (its derivative is then ~0), and the gradient grows by
  a factor at every layer it passes back through: the first layers get gradients thousands
  of times larger than the last.
- `GlorotUniform()` (Keras' default), limit sqrt(6 / (fan_in + fan_out)): weights of variance
  2 / (fan_in + fan_out) keep the activations in tanh's useful range and the gradient the same
  size at every depth.

Run: python examples/initialisation.py   (MINIKERAS_FAST=1 shortens it; --docs copies the
figure into docs/images/)
"""

from _common import fast, pyplot, save  # first: it sets up BLAS before NumPy loads

import numpy as np

import minikeras as keras
from minikeras import backend as K

FAST = fast()
DEPTH, WIDTH = 10, 100

INITIALISERS = {
    "zeros": lambda: keras.initializers.Zeros(),
    "N(0, 1)": lambda: keras.initializers.RandomNormal(mean=0., stddev=1.),
    "Glorot uniform": lambda: keras.initializers.GlorotUniform(),
}


def probe(make_initialiser, x, upstream):
    """Forward `x` through a fresh stack; return per-layer activation variance, fraction of
    saturated units (|a| > 0.99), the spread (std) of the gradient of each layer's kernel
    and the last layer's activations."""
    layers = [keras.layers.Dense(WIDTH, activation="tanh",
                                 kernel_initializer=make_initialiser())
              for _ in range(DEPTH)]
    a, variance, saturated = x, [], []
    for layer in layers:
        a = layer(a)
        values = K.eval(a)
        variance.append(float(values.var()))
        saturated.append(float(np.mean(np.abs(values) > 0.99)))
    # a random upstream gradient (not a plain sum, which hides direction-dependent effects)
    grads = K.gradients(K.mean(a * upstream), [layer.kernel for layer in layers])
    spread = [float(K.eval(g).std()) for g in grads]
    return {"variance": variance, "saturated": saturated, "gradient_std": spread,
            "last": K.eval(a).ravel()}


def draw(results):
    plt = pyplot()
    if plt is None:
        return
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    depth = np.arange(1, DEPTH + 1)
    for name, r in results.items():
        axes[0, 0].plot(depth, r["variance"], "o-", label=name)
        axes[0, 1].plot(depth, r["saturated"], "o-", label=name)
        if max(r["gradient_std"]) > 0:
            axes[1, 0].semilogy(depth, r["gradient_std"], "o-", label=name)
        else:
            axes[1, 0].plot([], [], "o-", label=f"{name}: all exactly 0")
        axes[1, 1].hist(r["last"], bins=60, range=(-1, 1), alpha=0.6, label=name,
                        density=True)
    axes[0, 0].set_ylabel("variance of the activations")
    axes[0, 0].set_title("forward: activation variance per layer")
    axes[0, 1].set_ylabel("fraction of units with |tanh| > 0.99")
    axes[0, 1].set_title("forward: saturated units per layer")
    axes[1, 0].set_ylabel("std of dL/dW (log scale)")
    axes[1, 0].set_title("backward: gradient size per layer")
    for ax in (axes[0, 0], axes[0, 1], axes[1, 0]):
        ax.set_xlabel("layer (1 = nearest the input)")
        ax.set_xticks(depth)
        ax.grid(True, alpha=0.3)
        ax.legend()
    axes[1, 1].set_yscale("log")
    axes[1, 1].set_xlabel(f"activation value in layer {DEPTH}")
    axes[1, 1].set_ylabel("density (log scale)")
    axes[1, 1].set_title(f"layer {DEPTH}: distribution of activations")
    axes[1, 1].set_ylim(1e-4, 1e3)
    axes[1, 1].legend(loc="upper center", ncol=3)
    fig.suptitle(f"{DEPTH} Dense layers of {WIDTH} tanh units, inputs ~ N(0, 1), zero biases")
    save(fig, "initialisation")


def main():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    n = 500 if FAST else 2000
    x = rng.normal(size=(n, WIDTH)).astype("float32")
    upstream = rng.normal(size=(n, WIDTH)).astype("float32")
    results = {name: probe(make, x, upstream) for name, make in INITIALISERS.items()}
    for name, r in results.items():
        g = r["gradient_std"]
        ratio = f"{g[0] / g[-1]:.3g}" if g[-1] > 0 else "undefined (all gradients are 0)"
        print(f"{name:15s}: activation variance layer 1 {r['variance'][0]:.3f} -> layer "
              f"{DEPTH} {r['variance'][-1]:.3f}; saturated {np.mean(r['saturated']):.0%}; "
              f"gradient std layer 1 / layer {DEPTH} = {ratio}")
    draw(results)
    for r in results.values():
        del r["last"]
    return results


if __name__ == "__main__":
    main()
