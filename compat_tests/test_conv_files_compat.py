"""Model files with convolution and pooling layers written by real Keras 3 and tf_keras
(files/conv_k3/, files/conv_k2/, from generate_conv_model_files.py): minikeras loads them,
predicts the same values, and trains on like Keras did (one more epoch from the saved
optimizer state gives the loss Keras got)."""

import glob
import json
import os

import numpy as np
import pytest

import minikeras as keras

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = []
for _gen in ("conv_k3", "conv_k2"):
    for _path in sorted(glob.glob(os.path.join(HERE, "files", _gen, "*.json"))):
        CASES.append((_gen, os.path.splitext(os.path.basename(_path))[0]))
MODEL_FILES = [(g, c, s) for g, c in CASES for s in (".h5", ".keras")
               if os.path.exists(os.path.join(HERE, "files", g, c + s))]


def _load(gen, case):
    base = os.path.join(HERE, "files", gen, case)
    with open(base + ".json") as fh:
        meta = json.load(fh)
    return base, meta, np.load(base + ".npz")


def test_there_are_files_of_both_generations():
    assert {g for g, _ in CASES} == {"conv_k3", "conv_k2"}
    assert len(CASES) >= 10


@pytest.mark.parametrize("gen,case,suffix", MODEL_FILES)
def test_loads_predicts_and_trains_on(gen, case, suffix):
    base, meta, z = _load(gen, case)
    model = keras.models.load_model(base + suffix)
    assert [type(layer).__name__ for layer in model.layers] == meta["layers"]
    np.testing.assert_allclose(model.predict(z["x"], verbose=0), z["pred"], rtol=1e-5,
                               atol=1e-5)
    if not meta["compiled"]:
        return
    loss = model.fit(z["x"], z["y"], epochs=1, batch_size=8, shuffle=False,
                     verbose=0).history["loss"][0]
    np.testing.assert_allclose(loss, float(z["cont_loss"]), rtol=1e-4)


@pytest.mark.parametrize("gen,case", CASES)
def test_weights_file_loads(gen, case):
    base, meta, z = _load(gen, case)
    model = keras.models.load_model(base + ".h5", compile=False)
    for w in model.weights:
        w.assign(np.zeros(w.shape, dtype=w.dtype))
    model.load_weights(base + ".weights.h5")
    np.testing.assert_allclose(model.predict(z["x"], verbose=0), z["pred"], rtol=1e-5,
                               atol=1e-5)
