"""minikeras loads sequence-model files written by real Keras 3 and tf_keras
(compat_tests/files/rnn_k3, rnn_k2; see generate_rnn_files.py), predicts what Keras predicted,
and trains on them as Keras does after reloading."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

import minikeras as keras

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rnn_file_cases as F  # noqa: E402


def _cases():
    out = []
    for major in (3, 2):
        folder = os.path.join(HERE, "files", f"rnn_k{major}")
        for name in F.case_names():
            with open(os.path.join(folder, name + ".json")) as f:
                meta = json.load(f)
            for kind in meta["kinds"]:
                out.append((major, name, kind))
    return out


CASES = _cases()


def test_all_files_present():
    assert len(CASES) == 5 * 3 + 5 * 2


@pytest.mark.parametrize("major,name,kind", CASES,
                         ids=[f"k{m}-{n}-{k}" for m, n, k in CASES])
def test_keras_written_file(major, name, kind):
    base = os.path.join(HERE, "files", f"rnn_k{major}", name)
    with open(base + ".json") as f:
        meta = json.load(f)
    arrays = np.load(base + ".npz")
    x, y, pred = arrays["x"], arrays["y"], arrays["pred"]
    if kind == "weights_h5":
        model = F.build(keras, name)
        model.load_weights(base + ".weights.h5")
    else:
        model = keras.models.load_model(base + (".keras" if kind == "keras" else ".h5"))
    np.testing.assert_allclose(model.predict(x, verbose=0), pred, rtol=1e-5, atol=1e-6)
    loss = model.evaluate(x, y, batch_size=8, verbose=0)
    loss = loss[0] if isinstance(loss, list) else loss
    np.testing.assert_allclose(loss, meta["evaluate_loss"], rtol=1e-5, atol=1e-6)
    if meta["reloaded_from"].endswith("." + ("keras" if kind == "keras" else "h5")) and \
            kind != "weights_h5":
        h = model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
        np.testing.assert_allclose(h.history["loss"][0], meta["next_epoch_loss_after_reload"],
                                   rtol=1e-4, atol=1e-6)
    else:  # trains, at least
        if model.optimizer is None:
            model.compile(**F._models(keras)[name][1]())
        h = model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
        assert np.isfinite(h.history["loss"][0])


@pytest.mark.parametrize("name", F.case_names())
@pytest.mark.parametrize("suffix", [".h5", ".keras", ".weights.h5"])
def test_round_trip(tmp_path, name, suffix):
    model = F.build(keras, name)
    x, y = F.data(name)
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    path = str(tmp_path / ("m" + suffix))
    if suffix == ".weights.h5":
        model.save_weights(path)
        again = F.build(keras, name)
        again.load_weights(path)
    else:
        model.save(path)
        again = keras.models.load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-7)
    assert [type(a).__name__ for a in again.layers] == [type(a).__name__ for a in model.layers]
    if suffix != ".weights.h5":
        h1 = model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
        h2 = again.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
        np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-6)
