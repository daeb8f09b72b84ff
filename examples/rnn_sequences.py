"""An LSTM learns to add: the "adding problem", with sequences of different lengths.

Each sequence holds 4 to 12 steps of two features: a random number in (0, 1), and a marker
that is 1 at exactly two steps. The target is the sum of the two marked numbers. The
sequences are padded with zeros to 12 steps, and `Masking()` tells the LSTM to skip the
padding, so a short sequence is read exactly as if it had no padding at all.

No single step tells the answer: the network must remember the first marked number until
it meets the second one. A model that always predicts the average sum gets the variance of
the targets as its mean squared error (about 0.17); the LSTM gets well below it. The figure
shows the learning curves against that baseline and the predictions against the true sums.

Run: python examples/rnn_sequences.py   (MINIKERAS_FAST=1 shortens it; --docs copies the
figure into docs/images/)
"""

from _common import fast, pyplot, save  # first: it sets up BLAS before NumPy loads

import numpy as np

import minikeras as keras

FAST = fast()
STEPS = 12


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, STEPS, 2), dtype="float32")
    y = np.zeros((n, 1), dtype="float32")
    for i in range(n):
        length = rng.integers(4, STEPS + 1)
        x[i, :length, 0] = rng.uniform(0.05, 1.0, size=length)  # never 0: 0 means padding
        a, b = rng.choice(length, size=2, replace=False)
        x[i, [a, b], 1] = 1.0
        y[i, 0] = x[i, a, 0] + x[i, b, 0]
    return x, y


def build():
    model = keras.Sequential([
        keras.Input(shape=(STEPS, 2)),
        keras.layers.Masking(mask_value=0.0),
        keras.layers.LSTM(24),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    return model


def draw(history, baseline, y_val, pred):
    plt = pyplot()
    if plt is None:
        return
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax1.plot(epochs, history["loss"], label="training loss")
    ax1.plot(epochs, history["val_loss"], label="validation loss")
    ax1.axhline(baseline, color="gray", linestyle="--", label="always predict the mean")
    ax1.set_yscale("log")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("mean squared error")
    ax1.set_title("Learning curve of the LSTM")
    ax1.legend()
    ax2.scatter(y_val[:, 0], pred[:, 0], s=8, alpha=0.6)
    ax2.plot([0, 2], [0, 2], color="k", linewidth=1)
    ax2.set_xlabel("true sum of the two marked numbers")
    ax2.set_ylabel("LSTM's prediction")
    ax2.set_title("Validation sequences")
    save(fig, "rnn_sequences")


def main():
    keras.utils.set_random_seed(3)
    n_train = 512 if FAST else 4096
    epochs = 20 if FAST else 40
    x, y = make_data(n_train, seed=0)
    x_val, y_val = make_data(512, seed=1)
    model = build()
    history = model.fit(x, y, batch_size=32, epochs=epochs, validation_data=(x_val, y_val),
                        verbose=0).history
    baseline = float(np.mean((y_val - y.mean()) ** 2))
    pred = model.predict(x_val, verbose=0)
    val_mse = float(np.mean((pred - y_val) ** 2))
    # the padding changes nothing: a sequence alone gives the same prediction
    short = x_val[:1, :int((x_val[0, :, 0] > 0).sum())]
    same = float(np.abs(model.layers[1](short).numpy() @ model.layers[2].kernel.numpy() +
                        model.layers[2].bias.numpy() - pred[:1]).max())
    print(f"always-the-mean baseline MSE {baseline:.4f}; LSTM validation MSE {val_mse:.4f} "
          f"({val_mse / baseline:.1%} of the baseline)")
    print(f"padded vs unpadded prediction of one sequence differ by {same:.2e}")
    draw(history, baseline, y_val, pred)
    return {"baseline": baseline, "val_mse": val_mse, "padding_difference": same,
            "history": history}


if __name__ == "__main__":
    main()
