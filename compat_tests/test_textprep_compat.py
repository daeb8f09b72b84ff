"""Text and categorical preprocessing layers against Keras 3.15 (TensorFlow backend).

Fixtures: compat_tests/fixtures/textprep_k3.json and compat_tests/files/textprep_k3/, written
by compat_tests/generate_textprep_fixtures.py.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import minikeras as keras

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "fixtures", "textprep_k3.json"), encoding="utf-8") as _f:
    FIXTURES = json.load(_f)
CASES = {c["name"]: c for c in FIXTURES["cases"]}
FILES = os.path.join(HERE, "files", "textprep_k3")


def _input(c, data):
    kind = c["as_array"]
    if kind == "column":
        return np.array(data)[:, None]
    if kind == "object":
        return np.array(data, dtype=object)
    if c["cls"] == "Discretization":
        return np.array(data, dtype="float32")
    if c["cls"] in ("IntegerLookup", "CategoryEncoding") or (
            c["cls"] == "StringLookup" and c["kwargs"].get("invert")):
        return np.array(data, dtype="int64")
    return data if c["cls"] == "TextVectorization" else np.array(data)


def _kwargs(c):
    kw = dict(c["kwargs"])
    if isinstance(kw.get("ngrams"), list):
        kw["ngrams"] = tuple(kw["ngrams"])
    return kw


def _make(c):
    layer = getattr(keras.layers, c["cls"])(name=c["name"], **_kwargs(c))
    if c["adapt"] is not None:
        data = _input(c, c["adapt"])
        bs = c["adapt_kwargs"].get("batch_size")
        if bs:
            layer.adapt(iter([data[i:i + bs] for i in range(0, len(data), bs)]))
        else:
            layer.adapt(data)
    return layer


def _check_output(c, y):
    y = np.asarray(y.value if hasattr(y, "value") else y)
    want = c["output"]
    if c["output_dtype"] == "object":
        assert y.tolist() == want
        return
    assert str(y.dtype) == c["output_dtype"], c["name"]
    if c["output_dtype"].startswith("float"):
        np.testing.assert_allclose(y, np.array(want, dtype=y.dtype), rtol=1e-6, atol=1e-7)
    else:
        np.testing.assert_array_equal(y, np.array(want))


def _comparable_config(cfg):
    cfg = dict(cfg)
    cfg.pop("dtype", None)
    return json.loads(json.dumps(cfg))


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_matches_keras(name):
    c = CASES[name]
    layer = _make(c)
    y = layer(_input(c, c["input"]))
    _check_output(c, y)
    if "vocabulary" in c:
        assert layer.get_vocabulary() == c["vocabulary"]
        assert layer.get_vocabulary(include_special_tokens=False) == \
            c["vocabulary_no_special"]
        assert layer.vocabulary_size() == c["vocabulary_size"]
    if "bin_boundaries" in c:
        np.testing.assert_allclose(layer.bin_boundaries, c["bin_boundaries"], rtol=1e-6)
    shape = (None,) + np.shape(_input(c, c["input"]))[1:]
    assert list(layer.compute_output_shape(shape)) == c["output_shape"]
    assert _comparable_config(layer.get_config()) == _comparable_config(c["config"])


@pytest.mark.parametrize("name", ["tv_int_adapt", "tv_tf_idf", "sl_vocab", "il_mask",
                                  "ce_count", "di_adapt4", "tv_ngrams_tuple"])
def test_from_config_round_trip(name):
    """A layer rebuilt from Keras' own config dict (vocabularies given in it) computes the
    same (adapted vocabularies are not in the config: Keras keeps them as assets)."""
    c = CASES[name]
    cls = getattr(keras.layers, c["cls"])
    layer = cls.from_config(dict(c["config"]))
    got, want = _comparable_config(layer.get_config()), _comparable_config(c["config"])
    if c["adapt"] is not None and c["cls"] == "TextVectorization":
        # Keras reports the live vocabulary size, empty until the assets are loaded
        got.pop("vocabulary_size"), want.pop("vocabulary_size")
    assert got == want
    if c["adapt"] is None or c["cls"] == "Discretization":
        _check_output(c, layer(_input(c, c["input"])))


def test_keras_archive_with_text_vectorization():
    """A `.keras` file Keras wrote (string Input -> adapted TextVectorization -> Embedding
    -> pooling -> Dense): same vocabulary, token ids and predictions."""
    with open(os.path.join(FILES, "text_model.json"), encoding="utf-8") as f:
        ref = json.load(f)
    model = keras.saving.load_model(os.path.join(FILES, "text_model.keras"), compile=False)
    vec = model.get_layer("vectorizer")
    assert vec.get_vocabulary() == ref["vocabulary"]
    q = np.array(ref["queries"])[:, None]
    np.testing.assert_array_equal(np.asarray(vec(q).value), ref["vectorized"])
    np.testing.assert_allclose(model.predict(q, verbose=0), ref["predictions"], rtol=1e-5,
                               atol=1e-6)


def test_keras_archive_tf_idf():
    with open(os.path.join(FILES, "text_model.json"), encoding="utf-8") as f:
        ref = json.load(f)
    model = keras.saving.load_model(os.path.join(FILES, "tfidf_model.keras"))
    layer = model.layers[-1]
    assert layer.get_vocabulary() == ref["tfidf_vocabulary"]
    q = np.array(ref["queries"])[:, None]
    np.testing.assert_allclose(np.asarray(layer(q).value), ref["tfidf_output"], rtol=1e-6)


def test_raw_hashes_match_tensorflow():
    """FarmHash64 and SipHash-2-4 of strings of every length 0..199 (all the code paths)
    equal TensorFlow's `to_hash_bucket_fast` / `to_hash_bucket_strong`."""
    from minikeras.layers.preprocessing_hashing import farmhash64, siphash24

    raw = FIXTURES["raw_hashes"]
    n = raw["num_buckets"]
    texts = [t.encode("utf-8") for t in raw["texts"]]
    assert [farmhash64(t) % n for t in texts] == raw["fast"]
    assert [siphash24(raw["strong_key"], t) % n for t in texts] == raw["strong"]
