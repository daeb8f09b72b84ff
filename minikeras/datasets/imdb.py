"""IMDB movie reviews, sentiment labels (`keras.datasets.imdb`)."""

from __future__ import annotations

import json
import warnings

import numpy as np

from minikeras.datasets._files import (
    ORIGIN_FOLDER,
    check_kwargs,
    index_sequences,
    limit_vocabulary,
    load_npz,
    object_array,
    remove_long_seq,
)
from minikeras.utils.file_utils import get_file

FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(path: str = "imdb.npz", num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, seed: int = 113, start_char: int | None = 1,
              oov_char: int | None = 2, index_from: int = 3, **kwargs) -> tuple:
    """`(x_train, y_train), (x_test, y_test)`: object arrays of word-index lists and 0/1
    labels, 25000 reviews each. Each set is shuffled with `np.random.RandomState(seed)`;
    reviews of `maxlen` words or more are dropped; each review starts with `start_char`;
    word indices are shifted by `index_from`; words ranked below `skip_top` or from
    `num_words` on become `oov_char` (or are dropped when it is None).

    Keras 2's `nb_words` is accepted as `num_words`; other unknown keywords raise."""
    if "nb_words" in kwargs:
        warnings.warn("The `nb_words` argument in `load_data` has been renamed `num_words`.",
                      stacklevel=2)
        num_words = kwargs.pop("nb_words")
    check_kwargs("imdb.load_data", kwargs)
    path = get_file(fname=path, origin=f"{ORIGIN_FOLDER}imdb.npz", file_hash=FILE_HASH)
    f = load_npz(path)
    x_train, labels_train = f["x_train"], f["y_train"]
    x_test, labels_test = f["x_test"], f["y_test"]

    # One generator for both sets, train first: the test permutation depends on it.
    rng = np.random.RandomState(seed)
    indices = np.arange(len(x_train))
    rng.shuffle(indices)
    x_train, labels_train = x_train[indices], labels_train[indices]
    indices = np.arange(len(x_test))
    rng.shuffle(indices)
    x_test, labels_test = x_test[indices], labels_test[indices]

    x_train = index_sequences(x_train, start_char, index_from)
    x_test = index_sequences(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = remove_long_seq(maxlen, x_train, labels_train)
        x_test, labels_test = remove_long_seq(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, "
                             "no sequence was kept. Increase maxlen.")
    xs = limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    idx = len(x_train)
    return (object_array(xs[:idx]), labels[:idx]), (object_array(xs[idx:]), labels[idx:])


def get_word_index(path: str = "imdb_word_index.json") -> dict:
    """The word -> index dictionary (index 1 is the most frequent word; `load_data` shifts
    indices by `index_from`)."""
    path = get_file(fname=path, origin=f"{ORIGIN_FOLDER}imdb_word_index.json",
                    file_hash=WORD_INDEX_HASH)
    with open(path, encoding="utf-8") as f:
        return json.load(f)
