"""A small convolutional network on 8x8 images of handwritten digits.

Conv2D(8, 3x3, relu) slides eight 3x3 filters over the image: each output pixel is the dot
product of a filter with the 3x3 patch under it, plus a bias, so the same few weights look
for the same pattern everywhere (72 + 8 weights instead of a Dense layer's thousands).
MaxPooling2D(2) keeps the largest response in each 2x2 block, halving the resolution and
making the features a little tolerant to shifts. A Dense softmax layer reads the pooled
feature maps. The pictures: the eight learned filters, what they respond to in one image,
the learning curves, and the confusion matrix on images the network never saw.

The data are scikit-learn's 8x8 digits (1797 images, `sklearn.datasets.load_digits`) when
scikit-learn is installed; otherwise digits drawn from a small bitmap font with random
shifts, stroke strengths and noise, so that the example runs with minikeras alone.

Run: python examples/cnn_digits.py   (MINIKERAS_FAST=1 shortens it; --docs copies the
figure into docs/images/)
"""

from _common import fast, pyplot, save  # first: it sets up BLAS before NumPy loads

import numpy as np

import minikeras as keras

FAST = fast()

# 5x7 bitmaps of 0-9 (rows top to bottom), for the fallback data
_FONT = {
    0: ["01110", "10001", "10011", "10101", "11001", "10001", "01110"],
    1: ["00100", "01100", "00100", "00100", "00100", "00100", "01110"],
    2: ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
    3: ["11110", "00001", "00001", "01110", "00001", "00001", "11110"],
    4: ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
    5: ["11111", "10000", "11110", "00001", "00001", "10001", "01110"],
    6: ["00110", "01000", "10000", "11110", "10001", "10001", "01110"],
    7: ["11111", "00001", "00010", "00100", "01000", "01000", "01000"],
    8: ["01110", "10001", "10001", "01110", "10001", "10001", "01110"],
    9: ["01110", "10001", "10001", "01111", "00001", "00010", "01100"],
}


def font_digits(n, seed):
    """n 8x8 glyphs in [0, 16] (the range of the real data): a digit of the font at a random
    offset, with a random stroke strength, a blur and noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    images = np.zeros((n, 8, 8))
    for i, d in enumerate(labels):
        glyph = np.array([[int(c) for c in row] for row in _FONT[int(d)]], dtype=float)
        r, c = rng.integers(0, 2), rng.integers(0, 4)
        images[i, r:r + 7, c:c + 5] = glyph * rng.uniform(0.6, 1.0)
    # a little blur (neighbours add a quarter) and noise, clipped to the data's range
    blur = images.copy()
    blur[:, 1:] += 0.25 * images[:, :-1]
    blur[:, :, 1:] += 0.25 * images[:, :, :-1]
    images = np.clip(16 * blur / blur.max() + rng.normal(0, 1.5, blur.shape), 0, 16)
    return images, labels


def load_data():
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        x, y = font_digits(1800, seed=0)
        source = "font glyphs (scikit-learn not installed)"
    else:
        digits = load_digits()
        x, y = digits.images, digits.target
        source = "scikit-learn's 8x8 digits"
    x = (x / 16.0).astype("float32")[..., None]       # (n, 8, 8, 1), values in [0, 1]
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    split = int(0.75 * len(x))
    return (x[:split], y[:split]), (x[split:], y[split:]), source


def main():
    keras.utils.set_random_seed(0)
    (x, label), (x_test, label_test), source = load_data()
    y = keras.utils.to_categorical(label, 10)
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        keras.layers.Conv2D(8, (3, 3), activation="relu"),   # 8 filters -> (6, 6, 8)
        keras.layers.MaxPooling2D((2, 2)),                    # -> (3, 3, 8)
        keras.layers.Flatten(),                               # -> 72
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=15 if FAST else 40,
                        validation_split=0.2, verbose=0)
    pred = model.predict(x_test, verbose=0).argmax(axis=1)
    accuracy = float(np.mean(pred == label_test))
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (label_test, pred), 1)
    print(f"data: {source}; {len(x)} training and {len(x_test)} test images")
    print(f"test accuracy {accuracy:.3f} (chance 0.100) with "
          f"{model.count_params()} weights")

    plt = pyplot()
    if plt is not None:
        kernel = model.layers[0].get_weights()[0]        # (3, 3, 1, 8)
        feature = keras.Model(model.inputs, model.layers[0].output)
        maps = feature.predict(x_test[:1], verbose=0)[0]  # (6, 6, 8)
        fig = plt.figure(figsize=(15, 8.5))
        grid = fig.add_gridspec(4, 9)
        ax = fig.add_subplot(grid[0:2, 0])
        ax.imshow(x_test[0, :, :, 0], cmap="gray_r")
        ax.set_title(f"test image\n(label {label_test[0]})", fontsize=10)
        ax.axis("off")
        lim = np.abs(kernel).max()
        for k in range(8):
            ax = fig.add_subplot(grid[0, 1 + k])
            ax.imshow(kernel[:, :, 0, k], cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_title(f"filter {k} (3x3)", fontsize=9)
            ax.axis("off")
            ax = fig.add_subplot(grid[1, 1 + k])
            ax.imshow(maps[:, :, k], cmap="viridis")
            ax.set_title("its relu map (6x6)", fontsize=9)
            ax.axis("off")
        keras.utils.plot_history(history, axes=[fig.add_subplot(grid[2:4, 0:3]),
                                                fig.add_subplot(grid[2:4, 3:6])],
                                 title="Conv2D(8) + MaxPooling2D + softmax")
        ax = fig.add_subplot(grid[2:4, 6:9])
        ax.imshow(confusion, cmap="Blues")
        for i in range(10):
            for j in range(10):
                if confusion[i, j]:
                    ax.text(j, i, str(confusion[i, j]), ha="center", va="center", fontsize=7,
                            color="white" if confusion[i, j] > confusion.max() / 2 else "black")
        ax.set_xticks(range(10))
        ax.set_yticks(range(10))
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"test confusion matrix, accuracy {accuracy:.3f}", fontsize=10)
        save(fig, "cnn_digits")
    return {"test_accuracy": accuracy, "params": model.count_params(),
            "confusion_total": int(confusion.sum()), "n_test": len(x_test)}


if __name__ == "__main__":
    main()
