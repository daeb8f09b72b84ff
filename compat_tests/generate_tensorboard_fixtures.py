#!/usr/bin/env python
"""Reference fixtures for `keras.callbacks.TensorBoard`, from REAL Keras 3 and TensorBoard.

    KERAS_BACKEND=jax /work/venvs/k3/bin/python compat_tests/generate_tensorboard_fixtures.py
    python compat_tests/generate_tensorboard_fixtures.py --read     # needs `tensorboard`

Step 1 (Keras 3 venv). Keras 3's TensorBoard callback writes through `tensorflow.summary`,
and the Keras 3 venv has no TensorFlow. So this script installs a stand-in
`tensorflow.summary` module that *records* every summary Keras 3's callback asks for (the
run folder - train/ or validation/ -, the kind, the tag, the step, and the value), honouring
the default-writer and `record_if` rules of TensorFlow (a summary with no default writer, or
whose `record_if` condition is false, is not written), and trains small models whose weights
are set from a seeded generator, without shuffling, so minikeras can replay the same
trajectories. Output: `fixtures/tensorboard_k3.json` (scenarios, data, initial weights, and
the recorded summaries).

Step 2 (`--read`, any Python with the `tensorboard` package): how TensorFlow itself lays the
summaries out on disk, for the file-format checks: scalars are float32 tensors with the
`scalars` plugin, histograms (k, 3) float64 tensors with the `histograms` plugin, as read back
by TensorBoard's EventAccumulator from the `tensorboard` package's own summary builders.
Output: `fixtures/tensorboard_format.json`.
"""

import argparse
import contextlib
import json
import os
import sys
import tempfile
import types

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIXDIR = os.path.join(HERE, "fixtures")

SCENARIOS = {
    "update_freq_2": {"update_freq": 2, "histogram_freq": 1, "write_graph": True},
    "epoch_hist_2": {"update_freq": "epoch", "histogram_freq": 2, "write_graph": False,
                     "write_steps_per_second": True},
    "batch_no_val": {"update_freq": "batch", "histogram_freq": 0, "write_graph": True,
                     "no_validation": True},
}


def make_data():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(20, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32") + 0.3).astype("float32")
    xv = rng.normal(size=(6, 3)).astype("float32")
    yv = (xv @ np.array([[1.0], [-2.0], [0.5]], dtype="float32") + 0.3).astype("float32")
    weights = [rng.normal(0, 0.5, (3, 4)).astype("float32"), np.zeros(4, "float32") + 0.1,
               rng.normal(0, 0.5, (4, 1)).astype("float32"), np.zeros(1, "float32")]
    return x, y, xv, yv, weights


class Recorder:
    """The stand-in `tensorflow.summary`: records instead of writing."""

    def __init__(self, root):
        self.root = root
        self.events = []
        self.default = []  # stack of (writer, step)
        self.conditions = []

    def _run(self, writer):
        return os.path.relpath(writer.logdir, self.root)

    def _record(self, kind, tag, step, value):
        if not self.default:
            return False
        if any(not (c() if callable(c) else c) for c in self.conditions):
            return False
        writer, default_step = self.default[-1]
        step = default_step if step is None else step
        self.events.append({"run": self._run(writer), "kind": kind, "tag": tag,
                            "step": int(np.asarray(step)), "value": value})
        return True

    def module(self):
        rec = self

        class Writer:
            def __init__(self, logdir):
                self.logdir = logdir

            @contextlib.contextmanager
            def _ctx(self, step):
                rec.default.append((self, step))
                try:
                    yield self
                finally:
                    rec.default.pop()

            def as_default(self, step=None):
                return self._ctx(step)

            def flush(self):
                pass

            def close(self):
                pass

        @contextlib.contextmanager
        def record_if(condition):
            rec.conditions.append(condition)
            try:
                yield
            finally:
                rec.conditions.pop()

        def scalar(name, data, step=None, description=None):
            return rec._record("scalar", name, step, float(np.asarray(data)))

        def histogram(name, data, step=None, buckets=None, description=None):
            return rec._record("histogram", name, step, np.asarray(data).tolist())

        def image(name, data, step=None, max_outputs=3, description=None):
            return rec._record("image", name, step, list(np.asarray(data).shape))

        def write(tag, tensor, step=None, metadata=None, name=None):
            plugin = metadata.plugin_data.plugin_name if metadata is not None else None
            return rec._record("write:" + str(plugin), tag, step, None)

        @contextlib.contextmanager
        def summary_scope(name, default_name=None, values=None):
            yield name, name

        summary = types.ModuleType("tensorflow.summary")
        summary.create_file_writer = Writer
        summary.record_if = record_if
        summary.scalar = scalar
        summary.histogram = histogram
        summary.image = image
        summary.write = write
        summary.experimental = types.SimpleNamespace(summary_scope=summary_scope)
        summary.graph = lambda *a, **k: None
        return summary


def install_fake_tensorflow(recorder):
    tf = types.ModuleType("tensorflow")
    summary = recorder.module()
    tf.summary = summary
    # Keras' JSON encoder checks `isinstance(obj, tf.TensorShape)`, `tf.DType`, ... when
    # TensorFlow is present: any other attribute is a class nothing is an instance of.
    tf.__getattr__ = lambda name: type(name, (), {})
    compat = types.ModuleType("tensorflow.compat")
    v1 = types.ModuleType("tensorflow.compat.v1")

    class SummaryMetadata:
        def __init__(self):
            self.plugin_data = types.SimpleNamespace(plugin_name=None, content=None)

    v1.SummaryMetadata = SummaryMetadata
    compat.v1 = v1
    tf.compat = compat
    sys.modules.update({"tensorflow": tf, "tensorflow.summary": summary,
                        "tensorflow.compat": compat, "tensorflow.compat.v1": v1})


def run_keras3():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    root = tempfile.mkdtemp()
    recorder = Recorder(root)
    install_fake_tensorflow(recorder)
    import keras

    x, y, xv, yv, weights = make_data()
    out = {"keras_version": keras.__version__, "data": {
        "x": x.tolist(), "y": y.tolist(), "x_val": xv.tolist(), "y_val": yv.tolist(),
        "weights": [w.tolist() for w in weights]}, "fit": {"epochs": 3, "batch_size": 8,
                                                          "shuffle": False},
        "model": "Sequential(name=net_<scenario>): Input(3) -> Dense(4, relu, name=hidden) -> "
                 "Dense(1, name=out); "
                 "SGD(0.05), mse, metrics=['mae']", "scenarios": {}}
    for name, options in SCENARIOS.items():
        options = dict(options)
        no_val = options.pop("no_validation", False)
        recorder.events = []
        model = keras.Sequential([keras.Input((3,)),
                                  keras.layers.Dense(4, activation="relu", name="hidden"),
                                  keras.layers.Dense(1, name="out")], name=f"net_{name}")
        model.set_weights(weights)
        model.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
        tb = keras.callbacks.TensorBoard(log_dir=os.path.join(root, name), **options)
        history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0,
                            validation_data=None if no_val else (xv, yv), callbacks=[tb])
        for e in recorder.events:
            e["run"] = os.path.relpath(os.path.join(root, e["run"]), os.path.join(root, name))
        out["scenarios"][name] = {"options": options, "no_validation": no_val,
                                  "events": recorder.events,
                                  "history": {k: [float(v) for v in vs]
                                              for k, vs in history.history.items()}}
    os.makedirs(FIXDIR, exist_ok=True)
    with open(os.path.join(FIXDIR, "tensorboard_k3.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    print("wrote fixtures/tensorboard_k3.json")


def read_format():
    """What TensorBoard's reader sees for the summaries TensorFlow's writer makes (built here
    with the tensorboard package's own summary builders and event writer)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.compat.proto import event_pb2
    from tensorboard.plugins.histogram import summary as histogram_summary
    from tensorboard.plugins.scalar import summary as scalar_summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    import tensorboard

    folder = tempfile.mkdtemp()
    writer = EventFileWriter(folder, filename_suffix=".v2")
    writer.add_event(event_pb2.Event(step=3, summary=scalar_summary.scalar_pb("epoch_loss",
                                                                              0.25)))
    writer.add_event(event_pb2.Event(step=1, summary=histogram_summary.histogram_pb(
        "hidden/kernel/histogram", np.linspace(-1, 1, 12))))
    writer.close()
    acc = EventAccumulator(folder, size_guidance={"tensors": 0})
    acc.Reload()
    scalar = acc.Tensors("epoch_loss")[0]
    hist = acc.Tensors("hidden/kernel/histogram")[0]
    meta = {tag: acc.SummaryMetadata(tag).plugin_data.plugin_name
            for tag in acc.Tags()["tensors"]}
    out = {"tensorboard_version": tensorboard.__version__,
           "file_name_suffix": ".v2",
           "scalar": {"dtype": int(scalar.tensor_proto.dtype),
                      "shape": [d.size for d in scalar.tensor_proto.tensor_shape.dim],
                      "step": scalar.step},
           "histogram": {"dtype": int(hist.tensor_proto.dtype),
                         "shape": [d.size for d in hist.tensor_proto.tensor_shape.dim],
                         "step": hist.step},
           "plugins": meta}
    with open(os.path.join(FIXDIR, "tensorboard_format.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    print("wrote fixtures/tensorboard_format.json")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--read", action="store_true")
    args = p.parse_args()
    read_format() if args.read else run_keras3()
