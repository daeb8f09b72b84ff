"""TextVectorization and the lookup/encoding layers inside models, in files, and on bad
input (their outputs are checked against Keras in compat_tests/test_textprep_compat.py)."""

from __future__ import annotations

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers

TEXTS = np.array(["the cat sat", "a dog barked", "the dog sat", "cats and dogs"])
Y = np.array([0.0, 1.0, 1.0, 0.0])


def _text_model():
    vec = layers.TextVectorization(max_tokens=20, output_sequence_length=5)
    vec.adapt(TEXTS)
    inp = keras.Input(shape=(1,), dtype="string")
    x = layers.Embedding(20, 4)(vec(inp))
    x = layers.LSTM(3)(x)
    model = keras.Model(inp, layers.Dense(1, activation="sigmoid")(x))
    model.compile("adam", "binary_crossentropy")
    return model, vec


def test_string_input_model_fits_and_predicts():
    keras.utils.set_random_seed(0)
    model, vec = _text_model()
    assert model.layers[1].output.dtype == "int64"
    before = [w.copy() for w in model.get_weights()]
    hist = model.fit(TEXTS[:, None], Y, epochs=2, batch_size=2, verbose=0)
    assert len(hist.history["loss"]) == 2 and np.isfinite(hist.history["loss"]).all()
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    p = model.predict(TEXTS[:, None], verbose=0)
    assert p.shape == (4, 1)
    # the layer outside the model gives ids that fit/predict take as usual
    ids = np.asarray(vec(TEXTS).value)
    assert ids.dtype == np.int64 and ids.shape == (4, 5)


def test_sequential_string_model_save_load_keras(tmp_path):
    vec = layers.TextVectorization(output_mode="tf_idf")
    vec.adapt(TEXTS)
    model = keras.Sequential([keras.Input(shape=(1,), dtype="string"), vec, layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(TEXTS, Y, epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.layers[0].get_vocabulary() == vec.get_vocabulary()
    np.testing.assert_allclose(np.asarray(loaded.layers[0]._lookup_layer.idf_weights),
                               np.asarray(vec._lookup_layer.idf_weights))
    np.testing.assert_allclose(loaded.predict(TEXTS, verbose=0),
                               model.predict(TEXTS, verbose=0), rtol=1e-6)
    import zipfile

    names = zipfile.ZipFile(path).namelist()
    assert "assets/layers/text_vectorization/vocabulary.txt" in names


def test_lookup_layers_save_load_keras(tmp_path):
    sl = layers.StringLookup(output_mode="multi_hot")
    sl.adapt(np.array(["a", "b", "b", "c"]))
    il = layers.IntegerLookup()
    il.adapt(np.array([5, 5, 7, 9]))
    inp = keras.Input(shape=(2,), dtype="string")
    model = keras.Model(inp, sl(inp))
    model.save(tmp_path / "s.keras")
    back = keras.saving.load_model(tmp_path / "s.keras")
    x = np.array([["a", "z"], ["c", "b"]])
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))
    m2 = keras.Sequential([keras.Input(shape=(3,), dtype="int64"), il])
    m2.save(tmp_path / "i.keras")
    back2 = keras.saving.load_model(tmp_path / "i.keras")
    assert back2.layers[0].get_vocabulary() == [-1, 5, 9, 7]


def test_adapt_steps_and_generators():
    vec = layers.TextVectorization()
    vec.adapt((b for b in [TEXTS[:2], TEXTS[2:]]), steps=1)
    assert vec.get_vocabulary() == ["", "[UNK]", "the", "sat", "dog", "cat", "barked", "a"]
    d = layers.Discretization(num_bins=2)
    d.adapt(np.arange(10.0), batch_size=4, steps=1)  # reads [0, 1, 2, 3] only
    first = layers.Discretization(num_bins=2)
    first.adapt(np.arange(4.0))
    assert d.bin_boundaries == first.bin_boundaries


def test_callable_standardize_and_split():
    vec = layers.TextVectorization(
        standardize=lambda a: np.array([s.upper() for s in a.ravel()], dtype=object).reshape(
            a.shape),
        split=lambda a: [s.split("-") for s in a])
    vec.adapt(["a-b-b", "c"])
    assert vec.get_vocabulary() == ["", "[UNK]", "B", "C", "A"]
    np.testing.assert_array_equal(vec(["b-a-x"]).value, [[2, 4, 1]])


def test_summary_and_output_shapes():
    model, _ = _text_model()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "TextVectorization" in text and "(None, 5)" in text


def test_inverse_lookup_round_trip():
    vocab = ["x", "y", "z"]
    fwd = layers.StringLookup(vocabulary=vocab, mask_token="")
    inv = layers.StringLookup(vocabulary=vocab, mask_token="", invert=True)
    words = np.array([["x", "", "q"], ["z", "y", "x"]])
    back = np.asarray(inv(fwd(words)).value)
    assert back.tolist() == [["x", "", "[UNK]"], ["z", "y", "x"]]


@pytest.mark.parametrize("make, match", [
    (lambda: layers.TextVectorization(output_mode="multi_hott"), "multi_hot"),
    (lambda: layers.TextVectorization(standardize="lowr"), "lower"),
    (lambda: layers.TextVectorization(split="whitspace"), "whitespace"),
    (lambda: layers.StringLookup(output_mode="onehot"), "one_hot"),
    (lambda: layers.CategoryEncoding(num_tokens=3, output_mode="counts"), "count"),
    (lambda: layers.Discretization(num_bins=3, output_mode="in"), "int"),
    (lambda: layers.TextVectorization(output_mode="tf_idf", vocabulary=["a"]), "idf_weights"),
    (lambda: layers.StringLookup(vocabulary=["a", "a"]), "repeated"),
    (lambda: layers.StringLookup(invert=True, output_mode="count"), "invert"),
    (lambda: layers.TextVectorization(output_mode="count", output_sequence_length=3),
     "output_sequence_length"),
    (lambda: layers.TextVectorization(ngrams="2"), "ngrams"),
    (lambda: layers.IntegerLookup(salt=3), "farmhash"),
    (lambda: layers.StringLookup(salt="x"), "salt"),
    (lambda: layers.IntegerLookup(oov_method="farmhsh"), "farmhash"),
    (lambda: layers.IntegerLookup(vocabulary_dtype="int32"), "int64"),
    (lambda: layers.Discretization(), "num_bins"),
    (lambda: layers.CategoryEncoding(), "num_tokens"),
    (lambda: layers.TextVectorization(ragged=True), "ragged"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs():
    vec = layers.TextVectorization(vocabulary=["a"])
    with pytest.raises(TypeError, match="string"):
        vec(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="string"):
        vec(["a", 3])
    with pytest.raises(ValueError, match="last shape dimension must be 1"):
        vec(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="integer"):
        layers.IntegerLookup(vocabulary=[1, 2])(np.array(["a"]))
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        layers.StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["b"]))
    with pytest.raises(ValueError, match="range"):
        layers.CategoryEncoding(num_tokens=3)(np.array([[0, 3]]))
    with pytest.raises(RuntimeError, match="vocabulary"):
        layers.StringLookup(output_mode="multi_hot")(np.array([["a"]]))
    with pytest.raises(ValueError, match="Cannot adapt"):
        vec.adapt(["a b"])
    with pytest.raises(ValueError, match="bin_boundaries"):
        layers.Discretization(bin_boundaries=[0.0]).adapt(np.ones(3))
    model, _ = _text_model()
    with pytest.raises((TypeError, ValueError)):
        model.predict(np.array([[1.0], [2.0]]), verbose=0)


def test_hashing_arguments_and_model_round_trip(tmp_path):
    for bad in (dict(num_bins=0), dict(num_bins=3, salt="x"),
                dict(num_bins=3, output_mode="multihot")):
        with pytest.raises(ValueError, match="num_bins|salt|multi_hot"):
            layers.Hashing(**bad)
    h = layers.Hashing(num_bins=10, salt=7)
    model = keras.Sequential([keras.Input(shape=(2,), dtype="string"), h])
    model.save(tmp_path / "h.keras")
    back = keras.saving.load_model(tmp_path / "h.keras")
    x = np.array([["a", "b"], ["c", "d"]])
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))
    assert back.layers[0].get_config()["salt"] == [7, 7]


def test_legacy_h5_keeps_a_given_vocabulary(tmp_path):
    """A vocabulary passed to the constructor is in the config, so a legacy .h5 keeps it
    (an adapted one is an asset, which .h5 files do not hold -- in Keras 3 too)."""
    vec = layers.TextVectorization(vocabulary=["a", "b"], output_mode="count")
    model = keras.Sequential([keras.Input(shape=(1,), dtype="string"), vec, layers.Dense(1)])
    model.save(tmp_path / "v.h5")
    back = keras.saving.load_model(tmp_path / "v.h5")
    assert back.layers[0].get_vocabulary() == ["[UNK]", "a", "b"]
    x = np.array([["a b b z"]])
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))


def test_weights_h5_holds_idf_weights(tmp_path):
    vec = layers.TextVectorization(output_mode="tf_idf")
    vec.adapt(TEXTS)
    model = keras.Sequential([keras.Input(shape=(1,), dtype="string"), vec])
    model.save_weights(tmp_path / "w.weights.h5")
    import h5py

    with h5py.File(tmp_path / "w.weights.h5") as f:
        stored = f["layers/text_vectorization/vars/idf_weights"][()]
    np.testing.assert_array_equal(stored, vec._lookup_layer.idf_weights)
    vec._lookup_layer.idf_weights = np.zeros_like(stored)
    model.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_array_equal(vec._lookup_layer.idf_weights, stored)
