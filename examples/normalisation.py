"""Input normalisation: raw, min-max-scaled and z-scored inputs.

The inputs describe flats: floor area (30-250 m²), rooms (1-7), distance to the centre
(0.1-30 km) and age (0-100 years). Their scales differ by a factor of 100, so with raw inputs
the loss surface is a long narrow valley: a learning rate small enough for the steep
direction (area) crawls along the flat one. Two standard fixes, both written as the model's
first layer so the model takes raw data:

- min-max scaling to [a, b] = [-1, 1]: x' = a + (x - min)(b - a)/(max - min), as
  `keras.layers.Rescaling(scale=(b - a)/(max - min), offset=a - min·scale)`;
- z-score standardisation: x' = (x - mean)/std, as `keras.layers.Normalization()` followed by
  `adapt(x_train)`.

min, max, mean and std come from the training data only. For a fair race each version is
trained with SGD at each learning rate of a grid, and its best one is kept; all get the same
epochs and batches.

Run: python examples/normalisation.py   (MINIKERAS_FAST=1 shortens it; --docs copies the
figure into docs/images/)
"""

from _common import fast, pyplot, save  # first: it sets up BLAS before NumPy loads

import numpy as np

import minikeras as keras

FAST = fast()
FEATURES = ["area (m²)", "rooms", "distance (km)", "age (years)"]
LEARNING_RATES = [1e-5, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0]
A, B = -1.0, 1.0


def make_data(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    x = np.c_[rng.uniform(30, 250, n), rng.integers(1, 8, n), rng.uniform(0.1, 30, n),
              rng.uniform(0, 100, n)].astype("float32")
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    price = (np.tanh(z[:, 0]) + 0.5 * z[:, 1] - 0.8 * np.exp(-z[:, 2]) + 0.3 * z[:, 3] * z[:, 0]
             + rng.normal(0, 0.1, n))
    return x, price[:, None].astype("float32")


def first_layer(kind, x_train):
    """The preprocessing layer of each version (None: raw inputs)."""
    if kind == "raw inputs":
        return None
    if kind == f"min-max to [{A:g}, {B:g}]":
        lo, hi = x_train.min(axis=0), x_train.max(axis=0)
        scale = (B - A) / (hi - lo)
        return keras.layers.Rescaling(scale=scale, offset=A - lo * scale)
    layer = keras.layers.Normalization()
    layer.adapt(x_train)
    return layer


KINDS = ["raw inputs", f"min-max to [{A:g}, {B:g}]", "z-score"]


def train(kind, x, y, x_val, y_val, learning_rate, epochs):
    keras.utils.set_random_seed(0)   # same initial weights and batches for every run
    layers = [keras.Input(shape=(len(FEATURES),))]
    pre = first_layer(kind, x)
    if pre is not None:
        layers.append(pre)
    layers += [keras.layers.Dense(32, activation="relu"),
               keras.layers.Dense(32, activation="relu"),
               keras.layers.Dense(1)]
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    with np.errstate(all="ignore"):   # a learning rate too large for raw inputs overflows
        history = model.fit(x, y, batch_size=32, epochs=epochs, validation_data=(x_val, y_val),
                            callbacks=[keras.callbacks.TerminateOnNaN()], verbose=0)
    loss = history.history["loss"]
    diverged = len(loss) < epochs or not np.isfinite(loss[-1]) or loss[-1] > 1e3
    return history.history, model, diverged


def draw(best, sweep, x, models):
    plt = pyplot()
    if plt is None:
        return
    fig, axes = plt.subplots(1, 3, figsize=(18, 4.8))
    for i, (kind, r) in enumerate(best.items()):
        h = r["history"]
        epochs = np.arange(1, len(h["loss"]) + 1)
        axes[0].semilogy(epochs, h["loss"], color=f"C{i}",
                         label=f"{kind}, best α = {r['learning_rate']:g}: training")
        axes[0].semilogy(epochs, h["val_loss"], "--", color=f"C{i}", label="  validation")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("mean squared error (log scale)")
    axes[0].set_title("convergence, each at its best learning rate")
    axes[0].legend(fontsize=8)
    axes[0].grid(True, alpha=0.3)
    ceiling = max(v for s in sweep.values() for v in s if v is not None) * 3
    for i, (kind, losses) in enumerate(sweep.items()):
        ok = [(lr, v) for lr, v in zip(LEARNING_RATES, losses) if v is not None]
        bad = [lr for lr, v in zip(LEARNING_RATES, losses) if v is None]
        axes[1].loglog(*zip(*ok), "o-", color=f"C{i}", label=kind)
        if bad:
            axes[1].scatter(bad, [ceiling * 1.5 ** i] * len(bad), marker="x", s=80, color=f"C{i}",
                            label=f"{kind}: diverged")
    axes[1].set_xlabel("SGD learning rate α")
    axes[1].set_ylabel("final training loss (log scale)")
    axes[1].set_title("which learning rates work")
    axes[1].legend(fontsize=8)
    axes[1].grid(True, alpha=0.3)
    for i, kind in enumerate(KINDS):
        pre = models[kind].layers[0] if kind != "raw inputs" else None
        values = x if pre is None else keras.ops.convert_to_numpy(pre(x))
        pos = np.arange(len(FEATURES)) + (i - 1) * 0.25
        axes[2].errorbar(values.mean(axis=0), pos,
                         xerr=[values.mean(axis=0) - values.min(axis=0),
                               values.max(axis=0) - values.mean(axis=0)],
                         fmt="o", color=f"C{i}", capsize=4, label=kind)
    axes[2].set_xscale("symlog", linthresh=1)
    axes[2].set_yticks(range(len(FEATURES)), FEATURES)
    axes[2].set_xlabel("input value seen by the first Dense layer (symlog scale)")
    axes[2].set_title("the inputs: range (bars) and mean (dot)")
    axes[2].set_ylim(-0.6, len(FEATURES) + 0.2)
    axes[2].legend(fontsize=8, loc="upper center", ncol=3)
    save(fig, "normalisation")


def main():
    x_all, y_all = make_data()
    x, y, x_val, y_val = x_all[:800], y_all[:800], x_all[800:], y_all[800:]
    epochs = 15 if FAST else 50
    sweep, best, models = {}, {}, {}
    print("(TerminateOnNaN ends a run whose loss overflows, with an 'Invalid loss' line)")
    for kind in KINDS:
        sweep[kind] = []
        for lr in LEARNING_RATES:
            h, model, diverged = train(kind, x, y, x_val, y_val, lr, epochs)
            sweep[kind].append(None if diverged else float(h["loss"][-1]))
            if not diverged and (kind not in best or h["loss"][-1] < best[kind]["loss"]):
                best[kind] = {"learning_rate": lr, "loss": float(h["loss"][-1]),
                              "val_loss": float(h["val_loss"][-1]), "history": h}
                models[kind] = model
        shown = ", ".join(f"{lr:g}: " + ("diverged" if v is None else f"{v:.3f}")
                          for lr, v in zip(LEARNING_RATES, sweep[kind]))
        print(f"{kind:18s} final loss by learning rate: {shown}")
    for kind, r in best.items():
        print(f"{kind:18s}: best learning rate {r['learning_rate']:g}, after {epochs} epochs "
              f"training loss {r['loss']:.4f}, validation loss {r['val_loss']:.4f}")
    draw(best, sweep, x, models)
    return {"best": {k: {n: v for n, v in r.items() if n != "history"}
                     for k, r in best.items()},
            "sweep": sweep, "epochs": epochs}


if __name__ == "__main__":
    main()
