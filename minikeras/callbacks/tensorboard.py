"""`keras.callbacks.TensorBoard`: event files that TensorBoard shows, without TensorFlow.

The files are written with the `tensorboard` package's own event writer and summary builders
(`pip install tensorboard`, or `minikeras[tensorboard]`; it does not need TensorFlow), in the
layout Keras 3 uses: `<log_dir>/train/` and `<log_dir>/validation/`, one
`events.out.tfevents.*.v2` file per run, and the tags Keras 3 writes:

- `epoch_<metric>` per epoch in both runs (`val_` removed in validation/), plus
  `epoch_learning_rate` (and `epoch_steps_per_second` with `write_steps_per_second`) in train/;
- `evaluation_<metric>_vs_iterations` in validation/ at each evaluation, the step being the
  optimizer's update count;
- `batch_<metric>` (and `batch_steps_per_second`) in train/ every `update_freq` batches when
  `update_freq` is `"batch"` or an integer, the step counting batches over the whole fit;
- `<weight path>/histogram` (and `/image` with `write_images`) in train/ every
  `histogram_freq` epochs; the weight path is Keras 3's (`sequential/dense/kernel` in a
  Sequential model, `dense/kernel` in a functional one);
- `keras`: the model's JSON for TensorBoard's graph tab, with `write_graph`.

Where we differ: Keras 3 (through `tf.summary.record_if`) drops the epoch and evaluation
summaries of the epochs whose last batch number is not a multiple of `update_freq`; minikeras
writes them for every epoch, as Keras 2 did. There is no profiler: a non-zero
`profile_batch` is accepted with a warning (Keras 3 on JAX before Python 3.12 does the same).
"""

from __future__ import annotations

import importlib.util
import json
import os
import struct
import time
import warnings
import zlib
from typing import Any

import numpy as np

from minikeras.callbacks.callback import Callback

_MISSING = ("The TensorBoard callback writes its files with the `tensorboard` package, which "
            "is not installed: `pip install tensorboard` (or `pip install "
            "minikeras[tensorboard]`). TensorFlow is not needed.")


def _png(image: np.ndarray) -> bytes:
    """A greyscale/RGB/RGBA uint8 image (h, w, c) as PNG bytes."""
    h, w, c = image.shape
    colour = {1: 0, 3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + image[row].tobytes() for row in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class TensorBoard(Callback):
    """Log losses, metrics, the learning rate, weight histograms and the model graph for
    TensorBoard (`tensorboard --logdir logs`). Arguments as Keras 3."""

    def __init__(self, log_dir: str = "logs", histogram_freq: int = 0,
                 write_graph: bool = True, write_images: bool = False,
                 write_steps_per_second: bool = False, update_freq: Any = "epoch",
                 profile_batch: Any = 0, embeddings_freq: int = 0,
                 embeddings_metadata: Any = None) -> None:
        super().__init__()
        if importlib.util.find_spec("tensorboard") is None:
            raise ImportError(_MISSING)
        if update_freq not in ("batch", "epoch") and not (
                isinstance(update_freq, (int, np.integer)) and not isinstance(update_freq, bool)
                and update_freq > 0):
            raise ValueError("update_freq must be 'batch', 'epoch' or a positive integer, got "
                             f"{update_freq!r}")
        for name, value in (("histogram_freq", histogram_freq),
                            ("embeddings_freq", embeddings_freq)):
            if not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = int(histogram_freq)
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.embeddings_freq = int(embeddings_freq)
        self.embeddings_metadata = embeddings_metadata
        self._check_profile_batch(profile_batch)
        self._writers: dict = {}
        self._global_train_batch = 0
        self._global_test_batch = 0
        self._batch_start_time = 0.0
        self._epoch_start_time = 0.0
        self._epoch_start_iterations = 0

    @staticmethod
    def _check_profile_batch(profile_batch: Any) -> None:
        message = ("profile_batch must be a non-negative integer or 2-tuple of positive "
                   f"integers. A pair of positive integers signifies a range of batches to "
                   f"profile. Found: {profile_batch}")
        value = profile_batch
        if isinstance(value, str):
            try:
                value = [int(v) for v in value.split(",")]
            except ValueError:
                raise ValueError(message) from None
        if isinstance(value, (int, np.integer)):
            start = stop = int(value)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            start, stop = value
        else:
            raise ValueError(message)
        if start < 0 or stop < start:
            raise ValueError(message)
        if start or stop:
            warnings.warn("minikeras has no profiler: profile_batch is accepted, but no "
                          "profile is written", stacklevel=3)

    # ------------------------------------------------------------------ writing
    def _writer(self, run: str) -> Any:
        if run not in self._writers:
            try:
                from tensorboard.summary.writer.event_file_writer import EventFileWriter
            except ImportError:
                raise ImportError(_MISSING) from None
            # TensorFlow 2 names its files `...v2`; TensorBoard reads either.
            self._writers[run] = EventFileWriter(os.path.join(self.log_dir, run),
                                                 filename_suffix=".v2")
        return self._writers[run]

    def _write(self, run: str, summary: Any, step: int) -> None:
        from tensorboard.compat.proto import event_pb2

        self._writer(run).add_event(event_pb2.Event(wall_time=time.time(), step=int(step),
                                                    summary=summary))

    def _scalar(self, run: str, tag: str, value: Any, step: int) -> None:
        from tensorboard.plugins.scalar.summary import scalar_pb

        value = value.value if hasattr(value, "value") else value
        try:
            value = float(np.asarray(value))
        except (TypeError, ValueError):
            return  # a non-numeric log entry: TensorBoard has no use for it
        self._write(run, scalar_pb(tag, value), step)

    def _histogram(self, tag: str, values: np.ndarray, step: int) -> None:
        from tensorboard.plugins.histogram.summary import histogram_pb

        self._write("train", histogram_pb(tag, np.asarray(values, dtype=np.float64)), step)

    def _image(self, tag: str, images: np.ndarray, step: int) -> None:
        """Keras' weight images: floats clipped to [0, 1] then scaled to 0-255, as
        TensorFlow's image summary converts them."""
        from tensorboard.compat.proto import summary_pb2, tensor_pb2, tensor_shape_pb2
        from tensorboard.plugins.image import metadata

        pixels = np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)[:3]
        blobs = [str(pixels.shape[2]).encode(), str(pixels.shape[1]).encode()] + \
            [_png(img) for img in pixels]
        tensor = tensor_pb2.TensorProto(
            dtype=7, string_val=blobs,  # 7 = DT_STRING
            tensor_shape=tensor_shape_pb2.TensorShapeProto(
                dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=len(blobs))]))
        meta = metadata.create_summary_metadata(display_name=None, description=None)
        self._write("train", summary_pb2.Summary(value=[summary_pb2.Summary.Value(
            tag=tag, metadata=meta, tensor=tensor)]), step)

    def _graph(self) -> None:
        """The model's JSON under the tag `keras` for TensorBoard's graph tab (the summary
        Keras writes with `keras_model_summary`)."""
        from tensorboard.compat.proto import summary_pb2, tensor_pb2, tensor_shape_pb2

        try:
            text = self.model.to_json()
        except Exception as e:  # a model without a config: Keras warns and skips it too
            warnings.warn(f"Model failed to serialize as JSON. Ignoring... {e}", stacklevel=2)
            return
        meta = summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="graph_keras_model",
                                                               content=b"1"))
        tensor = tensor_pb2.TensorProto(dtype=7, string_val=[text.encode()],
                                        tensor_shape=tensor_shape_pb2.TensorShapeProto())
        self._write("train", summary_pb2.Summary(value=[summary_pb2.Summary.Value(
            tag="keras", metadata=meta, tensor=tensor)]), 0)

    def _close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # ------------------------------------------------------------------ hooks
    def set_model(self, model: Any) -> None:
        super().set_model(model)
        self._close()
        if self.write_graph and type(model).__name__ in ("Sequential", "Functional"):
            self._graph()
        if self.embeddings_freq:
            self._configure_embeddings()

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0

    def on_train_end(self, logs=None):
        self._close()

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "iterations"):
            step = int(np.asarray(getattr(optimizer.iterations, "value", optimizer.iterations)))
            for name, value in (logs or {}).items():
                self._scalar("validation", f"evaluation_{name}_vs_iterations", value, step)
        for writer in self._writers.values():
            writer.flush()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        step = self._global_train_batch
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._batch_start_time, 1e-9)
            self._scalar("train", "batch_steps_per_second", 1.0 / elapsed, step)
        for name, value in (logs or {}).items():
            self._scalar("train", f"batch_{name}", value, step)

    def on_test_batch_begin(self, batch, logs=None):
        self._global_test_batch += 1

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._epoch_start_time = time.time()
            self._epoch_start_iterations = self._iterations()

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs or {})
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self.model.save_weights(os.path.join(
                self.log_dir, "train", f"keras_embedding.ckpt-{epoch}.weights.h5"))
        for writer in self._writers.values():
            writer.flush()

    # ------------------------------------------------------------------ helpers
    def _iterations(self) -> int:
        optimizer = getattr(self.model, "optimizer", None)
        it = getattr(optimizer, "iterations", 0)
        return int(np.asarray(getattr(it, "value", it)))

    def _learning_rates(self) -> dict:
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if optimizer is None or not hasattr(optimizer, "learning_rate"):
            return {}
        lr = optimizer.learning_rate
        lr = getattr(lr, "value", lr)
        try:
            return {"learning_rate": float(np.asarray(lr))}
        except (TypeError, ValueError):
            return {}

    def _log_epoch_metrics(self, epoch: int, logs: dict) -> None:
        if not logs:
            return
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        train.update(self._learning_rates())
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._epoch_start_time, 1e-9)
            train["steps_per_second"] = (self._iterations() - self._epoch_start_iterations) / \
                elapsed
        for name, value in train.items():
            self._scalar("train", f"epoch_{name}", value, epoch)
        for name, value in val.items():
            self._scalar("validation", f"epoch_{name}", value, epoch)

    def _weight_path(self, weight: Any) -> str:
        from minikeras.models.sequential import Sequential

        path = str(getattr(weight, "path", None) or weight.name)
        if isinstance(self.model, Sequential) and not path.startswith(self.model.name + "/"):
            path = f"{self.model.name}/{path}"  # Keras 3 builds a Sequential's layers in its scope
        return path.replace(":", "_")

    def _log_weights(self, epoch: int) -> None:
        for layer in self.model.layers:
            for weight in layer.weights:
                name = self._weight_path(weight)
                values = np.asarray(weight.numpy() if hasattr(weight, "numpy") else weight)
                self._histogram(f"{name}/histogram", values, epoch)
                if self.write_images:
                    self._log_weight_as_image(values, f"{name}/image", epoch)

    def _log_weight_as_image(self, w: np.ndarray, tag: str, epoch: int) -> None:
        """Keras' layout: a vector is one row, a matrix is drawn wide, a 3-D kernel one
        image per output channel; other shapes are not drawn."""
        from minikeras import config

        w = np.squeeze(w)
        if w.ndim == 1:
            w = w.reshape(1, w.shape[0], 1, 1)
        elif w.ndim == 2:
            if w.shape[0] > w.shape[1]:
                w = w.T
            w = w.reshape(1, w.shape[0], w.shape[1], 1)
        elif w.ndim == 3:
            if config.image_data_format() == "channels_last":
                w = np.transpose(w, (2, 0, 1))
            w = w.reshape(w.shape[0], w.shape[1], w.shape[2], 1)
        if w.ndim == 4 and w.shape[-1] in (1, 3, 4):
            self._image(tag, w, epoch)

    def _configure_embeddings(self) -> None:
        """`projector_config.pbtxt` naming each Embedding layer's weights, as Keras writes
        it; the weights themselves are saved every `embeddings_freq` epochs."""
        metadata = self.embeddings_metadata
        if isinstance(metadata, dict):
            metadata = dict(metadata)
        lines = []
        for layer in self.model.layers:
            if type(layer).__name__ != "Embedding":
                continue
            lines.append("embeddings {")
            lines.append('  tensor_name: "layer_with_weights-0/embeddings/.ATTRIBUTES/'
                         'VARIABLE_VALUE"')
            path = metadata if isinstance(metadata, str) else \
                (metadata.pop(layer.name, None) if isinstance(metadata, dict) else None)
            if path is not None:
                lines.append(f"  metadata_path: {json.dumps(path)}")
            lines.append("}")
        if isinstance(metadata, dict) and metadata:
            raise ValueError("Unrecognized `Embedding` layer names passed to "
                             "`keras.callbacks.TensorBoard` `embeddings_metadata` argument: "
                             f"{list(metadata)}")
        os.makedirs(self.log_dir, exist_ok=True)
        with open(os.path.join(self.log_dir, "projector_config.pbtxt"), "w") as f:
            f.write("\n".join(lines) + ("\n" if lines else ""))
