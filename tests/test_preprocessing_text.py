"""Keras 2's `keras.preprocessing.text` / `.sequence` utilities: errors and integration
(values against tf_keras are in compat_tests/test_prep_compat.py)."""

import random

import numpy as np
import pytest

import minikeras as keras
from minikeras.preprocessing import sequence, text


def test_tokenizer_bad_mode_suggests_closest():
    tok = text.Tokenizer()
    tok.fit_on_texts(["a b"])
    with pytest.raises(ValueError, match="tfidf"):
        tok.texts_to_matrix(["a"], mode="tfid")


def test_tokenizer_matrix_needs_dimension_and_tfidf_needs_fit():
    with pytest.raises(ValueError, match="num_words"):
        text.Tokenizer().sequences_to_matrix([[1, 2]])
    with pytest.raises(ValueError, match="tfidf"):
        text.Tokenizer(num_words=3).sequences_to_matrix([[1, 2]], mode="tfidf")


def test_tokenizer_rejects_unknown_kwargs_and_single_string():
    with pytest.raises(TypeError, match="num_wrds"):
        text.Tokenizer(num_wrds=3)
    with pytest.raises(TypeError, match="list of strings"):
        text.Tokenizer().fit_on_texts("just one text")


def test_tokenizer_nb_words_spelling_warns():
    with pytest.warns(UserWarning, match="num_words"):
        tok = text.Tokenizer(nb_words=4)
    assert tok.num_words == 4


def test_hashing_trick_range_and_bad_args():
    out = text.one_hot("a b c d e f g", 5)
    assert all(1 <= i <= 4 for i in out) and len(out) == 7
    with pytest.raises(ValueError, match="hash_function"):
        text.hashing_trick("a", 5, hash_function="sha1")
    with pytest.raises(ValueError, match="n=1"):
        text.hashing_trick("a", 1)


def test_timeseries_generator_errors():
    with pytest.raises(ValueError, match="same length"):
        sequence.TimeseriesGenerator(np.zeros(5), np.zeros(4), length=2)
    with pytest.raises(ValueError, match="end_index"):
        sequence.TimeseriesGenerator(np.zeros(5), np.zeros(5), length=9)
    with pytest.raises(ValueError, match="length"):
        sequence.TimeseriesGenerator(np.zeros(5), np.zeros(5), length=0)


def test_timeseries_generator_trains_in_fit():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(40, 2)).astype("float32")
    gen = sequence.TimeseriesGenerator(data, data[:, :1], length=4, batch_size=8)
    assert isinstance(gen, keras.utils.Sequence)
    model = keras.Sequential([keras.layers.Input((4, 2)), keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    hist = model.fit(gen, epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2


def test_timeseries_generator_shuffle_uses_numpy_global_rng():
    gen = sequence.TimeseriesGenerator(np.arange(30.0), np.arange(30.0), length=3,
                                       shuffle=True, batch_size=5)
    np.random.seed(0)
    a = gen[0]
    np.random.seed(0)
    b = gen[0]
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[0][:, -1] + 1, a[1])  # target follows its window


def test_skipgrams_labels_align_with_pairs():
    random.seed(0)
    couples, labels = sequence.skipgrams([1, 2, 3, 4], 5, window_size=1)
    positives = {(1, 2), (2, 1), (2, 3), (3, 2), (3, 4), (4, 3)}
    assert sum(labels) == 6 and len(labels) == 12
    for pair, label in zip(couples, labels):
        if label == 1:
            assert tuple(pair) in positives
    table = sequence.make_sampling_table(5)
    assert table.shape == (5,) and np.all(table <= 1.0)
