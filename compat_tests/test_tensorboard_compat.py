"""keras.callbacks.TensorBoard against Keras 3 (fixtures/tensorboard_k3.json: the summaries
Keras 3's callback asks TensorFlow to write, recorded by generate_tensorboard_fixtures.py on
the same model, weights and data) and TensorBoard's own reader (EventAccumulator reads back
minikeras' files; fixtures/tensorboard_format.json holds what it reads from summaries made by
the tensorboard package's own builders). Skipped when `tensorboard` is not installed."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

import minikeras as keras

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.histogram.summary import histogram_pb  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

FIX = Path(__file__).parent / "fixtures"
K3 = json.loads((FIX / "tensorboard_k3.json").read_text())
FORMAT = json.loads((FIX / "tensorboard_format.json").read_text())
EPOCH_END = ("epoch_", "evaluation_")


def run_scenario(name, log_dir):
    sc, data = K3["scenarios"][name], K3["data"]
    model = keras.Sequential([keras.Input((3,)),
                              keras.layers.Dense(4, activation="relu", name="hidden"),
                              keras.layers.Dense(1, name="out")], name=f"net_{name}")
    model.set_weights([np.array(w, dtype="float32") for w in data["weights"]])
    model.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    tb = keras.callbacks.TensorBoard(log_dir=str(log_dir), **sc["options"])
    f32 = lambda k: np.array(data[k], dtype="float32")  # noqa: E731
    val = None if sc["no_validation"] else (f32("x_val"), f32("y_val"))
    model.fit(f32("x"), f32("y"), epochs=3, batch_size=8, shuffle=False, verbose=0,
              validation_data=val, callbacks=[tb])
    return read(log_dir)


def read(log_dir):
    """{(run, tag, step): (plugin, value array)} as TensorBoard's reader sees the files."""
    out = {}
    for run in sorted(os.listdir(log_dir)):
        files = os.listdir(os.path.join(log_dir, run))
        assert all(f.startswith("events.out.tfevents.") and f.endswith(
            FORMAT["file_name_suffix"]) for f in files), files
        acc = EventAccumulator(os.path.join(log_dir, run), size_guidance={"tensors": 0})
        acc.Reload()
        for tag in acc.Tags()["tensors"]:
            plugin = acc.SummaryMetadata(tag).plugin_data.plugin_name
            for ev in acc.Tensors(tag):
                assert (run, tag, ev.step) not in out, "a summary written twice"
                out[(run, tag, ev.step)] = (plugin, ev.tensor_proto)
    return out


@pytest.mark.parametrize("name", sorted(K3["scenarios"]))
def test_summaries_equal_what_keras3_writes(name, tmp_path):
    got = run_scenario(name, tmp_path)
    expected = {(e["run"], e["tag"], e["step"]): e for e in K3["scenarios"][name]["events"]}
    missing = set(expected) - set(got)
    assert not missing, f"Keras 3 writes these, minikeras does not: {sorted(missing)}"
    extra = set(got) - set(expected)
    if K3["scenarios"][name]["options"]["update_freq"] in ("epoch", "batch"):
        assert not extra, sorted(extra)
    else:
        # Keras 3's record_if drops epoch-end summaries of epochs whose last batch number is
        # not a multiple of update_freq; minikeras writes them (docs/decisions.md).
        assert extra and all(tag.startswith(EPOCH_END) or tag.endswith("/histogram")
                             for _, tag, _ in extra), sorted(extra)
    for key, e in expected.items():
        plugin, proto = got[key]
        if e["kind"] == "scalar":
            assert plugin == FORMAT["plugins"]["epoch_loss"]
            assert proto.dtype == FORMAT["scalar"]["dtype"]
            assert [d.size for d in proto.tensor_shape.dim] == FORMAT["scalar"]["shape"]
            if "steps_per_second" not in key[1]:
                np.testing.assert_allclose(tensor_util.make_ndarray(proto), e["value"],
                                           rtol=2e-5, err_msg=str(key))
        elif e["kind"] == "histogram":
            assert plugin == FORMAT["plugins"]["hidden/kernel/histogram"]
            assert proto.dtype == FORMAT["histogram"]["dtype"]
            reference = histogram_pb("h", np.array(e["value"], dtype=np.float64))
            np.testing.assert_allclose(tensor_util.make_ndarray(proto),
                                       tensor_util.make_ndarray(reference.value[0].tensor),
                                       rtol=1e-5, atol=1e-6, err_msg=str(key))
        else:
            assert e["kind"] == "write:" + plugin
            model = json.loads(tensor_util.make_ndarray(proto).item().decode())
            assert model["class_name"] == "Sequential"


def test_write_images_and_errors(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d")], name="net")
    model.compile("sgd", "mse")
    tb = keras.callbacks.TensorBoard(log_dir=tmp_path, histogram_freq=1, write_images=True,
                                     write_graph=False)
    model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=1, verbose=0, callbacks=[tb])
    acc = EventAccumulator(str(tmp_path / "train"), size_guidance={"tensors": 0})
    acc.Reload()
    tags = set(acc.Tags()["tensors"])
    assert {"net/d/kernel/image", "net/d/bias/image"} <= tags
    blobs = tensor_util.make_ndarray(acc.Tensors("net/d/kernel/image")[0].tensor_proto)
    assert blobs[0] == b"3" and blobs[1] == b"2" and blobs[2][:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="update_freq"):
        keras.callbacks.TensorBoard(update_freq="sometimes")
    with pytest.raises(ValueError, match="profile_batch"):
        keras.callbacks.TensorBoard(profile_batch=-1)
    with pytest.warns(UserWarning, match="profiler"):
        keras.callbacks.TensorBoard(profile_batch=(2, 4))


def test_embeddings_freq_saves_weights_and_a_projector_config(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d")], name="net")
    model.compile("sgd", "mse")
    tb = keras.callbacks.TensorBoard(log_dir=tmp_path, embeddings_freq=2, write_graph=False)
    model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=3, verbose=0, callbacks=[tb])
    saved = sorted(p.name for p in (tmp_path / "train").glob("keras_embedding.ckpt-*"))
    assert saved == ["keras_embedding.ckpt-0.weights.h5", "keras_embedding.ckpt-2.weights.h5"]
    assert (tmp_path / "projector_config.pbtxt").exists()
    bad = keras.callbacks.TensorBoard(log_dir=tmp_path / "b", embeddings_freq=1,
                                      embeddings_metadata={"no_such_layer": "meta.tsv"})
    with pytest.raises(ValueError, match="no_such_layer"):
        model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=1, verbose=0, callbacks=[bad])
