"""Logging a training run for TensorBoard, without TensorFlow.

`keras.callbacks.TensorBoard(log_dir)` writes event files that `tensorboard --logdir logs`
shows: `logs/train/` and `logs/validation/` hold the losses and metrics of every epoch
(`epoch_loss`, `epoch_accuracy`, ...), the learning rate, the evaluations
(`evaluation_loss_vs_iterations`), with `update_freq="batch"` (or an integer) the batch values
(`batch_loss`), with `histogram_freq=1` a histogram of every weight each epoch, and with
`write_graph` the model for the graph tab. minikeras writes them with the `tensorboard`
package (`pip install tensorboard`), which does not need TensorFlow.

Here a small classifier trains on the noisy half-moons with a learning-rate schedule, and the
script then reads its own log files back with TensorBoard's reader (EventAccumulator) and
draws what the TensorBoard page shows: the epoch curves of both runs, the batch loss, the
learning rate, and how the first layer's weight histogram spreads out during training.

Run: python examples/tensorboard_logging.py   (MINIKERAS_FAST=1 shortens it; --docs copies
the figure into docs/images/); then `tensorboard --logdir examples/output/logs`
"""

from _common import fast, half_moons, output_dir, pyplot, save  # first: it sets up BLAS

import shutil

import numpy as np

import minikeras as keras

FAST = fast()


def read_run(folder):
    """{tag: (steps, values)} of one TensorBoard run, read with TensorBoard's own reader."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    acc = EventAccumulator(str(folder), size_guidance={"tensors": 0})
    acc.Reload()
    out = {}
    for tag in acc.Tags()["tensors"]:
        events = acc.Tensors(tag)
        out[tag] = (np.array([e.step for e in events]),
                    [tensor_util.make_ndarray(e.tensor_proto) for e in events])
    return out


def main():
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        print("the tensorboard package is not installed: pip install tensorboard")
        return None
    keras.utils.set_random_seed(0)
    x, y = half_moons(600, seed=0)
    logs = output_dir() / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    model = keras.Sequential([keras.Input((2,)),
                              keras.layers.Dense(32, activation="relu", name="hidden"),
                              keras.layers.Dense(1, activation="sigmoid", name="output")],
                             name="classifier")
    model.compile(keras.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    epochs = 12 if FAST else 40
    callbacks = [keras.callbacks.TensorBoard(log_dir=logs, histogram_freq=1, update_freq=5),
                 keras.callbacks.LearningRateScheduler(
                     lambda epoch, lr: lr * 0.5 if epoch and epoch % 10 == 0 else lr)]
    history = model.fit(x, y, epochs=epochs, batch_size=32, validation_split=0.25,
                        callbacks=callbacks, verbose=0)
    train, val = read_run(logs / "train"), read_run(logs / "validation")
    print(f"wrote {logs}: train tags {sorted(t for t in train if 'histogram' not in t)}, "
          f"{sum('histogram' in t for t in train)} weight histograms; validation tags "
          f"{sorted(val)}")
    logged = np.array([float(v) for v in train["epoch_loss"][1]])
    print(f"epoch_loss as TensorBoard reads it equals history['loss']: "
          f"{np.allclose(logged, history.history['loss'], rtol=1e-6)}")

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 4, figsize=(17, 4))
        ax = axes[0]
        for run, data, style in (("train", train, "-"), ("validation", val, "--")):
            steps, values = data["epoch_loss"]
            ax.plot(steps, [float(v) for v in values], style, label=f"{run} epoch_loss")
        ax.set_xlabel("epoch")
        ax.set_title("epoch_loss (train/ and validation/)")
        ax.legend()
        ax = axes[1]
        steps, values = train["batch_loss"]
        ax.plot(steps, [float(v) for v in values], ".-", ms=3)
        ax.set_xlabel("batch (over the whole run)")
        ax.set_title("batch_loss, every 5 batches (update_freq=5)")
        ax = axes[2]
        steps, values = train["epoch_learning_rate"]
        ax.step(steps, [float(v) for v in values], where="post")
        ax.set_xlabel("epoch")
        ax.set_title("epoch_learning_rate")
        ax = axes[3]
        steps, hists = train["classifier/hidden/kernel/histogram"]
        for k, colour in ((0, "C0"), (len(steps) - 1, "C1")):
            h = hists[k]
            ax.stairs(h[:, 2], np.r_[h[:, 0], h[-1, 1]], fill=True, alpha=0.5, color=colour,
                      label=f"epoch {steps[k]}")
        ax.set_xlabel("weight value")
        ax.set_ylabel("count")
        ax.set_title("hidden/kernel/histogram")
        ax.legend()
        fig.suptitle("what TensorBoard shows, read back from minikeras' event files")
        save(fig, "tensorboard_logging")
    return {"history": history.history, "train": train, "validation": val,
            "logged_loss": logged}


if __name__ == "__main__":
    main()
