"""The perceptron learning rule, written out in NumPy, on the AND, OR and XOR truth tables.

A perceptron computes y = step(wᵀx), with the bias folded into w by the "bias trick" (a
constant input 1 prepended to every x). Its learning rule, for each sample in turn, is

    w <- w + η (t - y) x

which moves w only when the prediction y differs from the target t. If the two classes can
be separated by a straight line, the rule stops making mistakes after finitely many updates
(the perceptron convergence theorem). AND and OR are separable; XOR is not, and the rule
keeps making mistakes forever.

Run: python examples/perceptron.py   (MINIKERAS_FAST=1 shortens it; --docs copies the figure
into docs/images/)
"""

from _common import fast, pyplot, save  # first: it sets up BLAS before NumPy loads

import numpy as np


FAST = fast()

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
GATES = {
    "AND": np.array([0, 0, 0, 1]),
    "OR": np.array([0, 1, 1, 1]),
    "XOR": np.array([0, 1, 1, 0]),
}


def step(z):
    """The perceptron's activation: 1 where z >= 0, else 0."""
    return (z >= 0).astype(int)


def train_perceptron(x, t, learning_rate=1.0, max_epochs=100):
    """Apply the perceptron rule until an epoch makes no mistake, or `max_epochs` epochs.

    Returns the weights (bias first), the number of mistakes in each epoch, and whether it
    converged (an epoch without mistakes).
    """
    x1 = np.c_[np.ones(len(x)), x]  # the bias trick: x = (1, x_1, x_2)
    w = np.zeros(x1.shape[1])
    w[0] = -0.5  # a starting threshold of 0.5: no input then ever lies exactly on the line
    mistakes = []
    for _ in range(max_epochs):
        errors = 0
        for xi, ti in zip(x1, t):
            yi = step(xi @ w)
            if yi != ti:
                w = w + learning_rate * (ti - yi) * xi
                errors += 1
        mistakes.append(errors)
        if errors == 0:
            return w, mistakes, True
    return w, mistakes, False


def draw(results):
    plt = pyplot()
    if plt is None:
        return
    fig, axes = plt.subplots(1, 4, figsize=(17, 4))
    xs = np.linspace(-0.5, 1.5, 201)
    for ax, (gate, r) in zip(axes, results.items()):
        t = GATES[gate]
        g0, g1 = np.meshgrid(xs, xs)
        z = r["weights"][0] + r["weights"][1] * g0 + r["weights"][2] * g1
        ax.contourf(g0, g1, step(z), levels=[-0.5, 0.5, 1.5], colors=["#dbe8f5", "#f7d9d9"])
        for cls, marker, colour in ((0, "o", "tab:blue"), (1, "s", "tab:red")):
            pts = INPUTS[t == cls]
            ax.scatter(pts[:, 0], pts[:, 1], s=160, marker=marker, c=colour,
                       label=f"target {cls}", zorder=3)
        b, w1, w2 = r["weights"]
        if abs(w2) > 1e-12:
            ax.plot(xs, -(b + w1 * xs) / w2, "k-", label="decision line (final w)")
        elif abs(w1) > 1e-12:
            ax.axvline(-b / w1, color="k", label="decision line (final w)")
        state = (f"converged in {r['epochs']} epochs" if r["converged"]
                 else f"not converged after {r['epochs']} epochs")
        ax.set_title(f"{gate}: {state}\n(shaded: the final w's output, red = 1)", fontsize=10)
        ax.set_xlim(-0.5, 1.5)
        ax.set_ylim(-0.5, 1.5)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.legend(loc="upper left", fontsize=8)
    ax = axes[3]
    for gate, r in results.items():
        ax.plot(np.arange(1, r["epochs"] + 1), r["mistakes"], "o-", label=gate, markersize=3)
    ax.set_xlabel("epoch")
    ax.set_ylabel("mistakes in the epoch (of 4)")
    ax.set_title("perceptron rule: mistakes per epoch")
    ax.set_ylim(-0.2, 4.2)
    ax.legend()
    save(fig, "perceptron")


def main():
    max_epochs = 20 if FAST else 100
    results = {}
    for gate, t in GATES.items():
        w, mistakes, converged = train_perceptron(INPUTS, t, max_epochs=max_epochs)
        accuracy = float(np.mean(step(np.c_[np.ones(4), INPUTS] @ w) == t))
        results[gate] = {"weights": w, "mistakes": mistakes, "converged": converged,
                         "epochs": len(mistakes), "accuracy": accuracy}
        state = (f"converged after {len(mistakes)} epochs" if converged
                 else f"did NOT converge in {max_epochs} epochs "
                      f"(fewest mistakes in an epoch: {min(mistakes)})")
        print(f"{gate:3s}: {state}; w = (bias {w[0]:+.1f}, {w[1]:+.0f}, {w[2]:+.0f}), "
              f"accuracy of the final w {accuracy:.2f}")
    draw(results)
    return results


if __name__ == "__main__":
    main()
