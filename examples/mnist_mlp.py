"""The classic first network: a multilayer perceptron on MNIST, loaded with keras.datasets.

`keras.datasets.mnist.load_data()` downloads `mnist.npz` once (11 MB) into
`~/.keras/datasets/` (or `$KERAS_HOME/datasets/`), checks its SHA-256, and returns uint8
images (60000, 28, 28) and labels (60000,), plus 10000 test images. A file that real Keras
downloaded is used as is. Offline, it raises an error naming the URL and where to put the
file.

The script is the usual tutorial: scale the pixels to [0, 1], flatten them, one-hot encode
the labels, train a 784-256-256-10 network with dropout and Adam, and report the test
accuracy (Keras' own MNIST MLP example reports about 98% on the real data). The figure shows
the learning curves and test digits with their predicted labels, mistakes in red.

Run: python examples/mnist_mlp.py   (MINIKERAS_FAST=1 shortens it; --docs copies the figure
into docs/images/)
"""

from _common import fast, pyplot, save  # first: it sets up BLAS before NumPy loads

import numpy as np

import minikeras as keras

FAST = fast()


def load():
    """MNIST as the tutorials prepare it: flat float32 pixels in [0, 1], one-hot labels."""
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    print(f"loaded {len(x_train)} training and {len(x_test)} test images of shape "
          f"{x_train.shape[1:]} ({x_train.dtype})")
    x_train = x_train.reshape(len(x_train), 784).astype("float32") / 255
    x_test = x_test.reshape(len(x_test), 784).astype("float32") / 255
    return (x_train, keras.utils.to_categorical(y_train, 10), y_train), \
        (x_test, keras.utils.to_categorical(y_test, 10), y_test)


def main():
    keras.utils.set_random_seed(0)
    (x_train, y_train, labels_train), (x_test, y_test, labels_test) = load()
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=128, epochs=4 if FAST else 10,
                        validation_split=0.1, verbose=0 if FAST else 2)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    predicted = model.predict(x_test, verbose=0).argmax(axis=1)
    print(f"test loss {test_loss:.4f}, test accuracy {test_acc:.4f} "
          f"({int((predicted != labels_test).sum())} of {len(x_test)} test images wrong)")

    plt = pyplot()
    if plt is not None:
        fig = plt.figure(figsize=(13, 5))
        grid = fig.add_gridspec(4, 10, width_ratios=[1.4] * 4 + [1] * 6)
        ax = fig.add_subplot(grid[:, :4])
        epochs = np.arange(1, len(history.history["loss"]) + 1)
        ax.plot(epochs, history.history["accuracy"], "o-", label="training accuracy")
        ax.plot(epochs, history.history["val_accuracy"], "s-", label="validation accuracy")
        ax.axhline(test_acc, color="k", ls="--", lw=1, label=f"test accuracy {test_acc:.3f}")
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy")
        ax.set_title(f"784-256-256-10 MLP, {len(x_train)} training images")
        ax.legend(loc="lower right")
        wrong = np.flatnonzero(predicted != labels_test)[:6]
        shown = np.concatenate([wrong, np.flatnonzero(predicted == labels_test)])[:24]
        for k, i in enumerate(sorted(shown)):
            ax = fig.add_subplot(grid[k // 6, 4 + k % 6])
            ax.imshow(x_test[i].reshape(28, 28), cmap="gray_r")
            ok = predicted[i] == labels_test[i]
            ax.set_title(f"{predicted[i]}" + ("" if ok else f" (is {labels_test[i]})"),
                         color="k" if ok else "red", fontsize=9)
            ax.axis("off")
        save(fig, "mnist_mlp")
    return {"test_accuracy": float(test_acc), "history": history.history,
            "n_train": len(x_train)}


if __name__ == "__main__":
    main()
