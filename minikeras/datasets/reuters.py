"""Reuters newswire topics (`keras.datasets.reuters`)."""

from __future__ import annotations

import json

import numpy as np

from minikeras.datasets._files import (
    ORIGIN_FOLDER,
    index_sequences,
    limit_vocabulary,
    load_npz,
    object_array,
    remove_long_seq,
)
from minikeras.utils.file_utils import get_file

FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"
LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(path: str = "reuters.npz", num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, test_split: float = 0.2, seed: int = 113,
              start_char: int | None = 1, oov_char: int | None = 2,
              index_from: int = 3) -> tuple:
    """`(x_train, y_train), (x_test, y_test)`: 11,228 newswires as object arrays of
    word-index lists, labels are 46 topics. Shuffled with `np.random.RandomState(seed)`,
    split at int(n·(1−test_split)); the other arguments act as in `imdb.load_data`."""
    path = get_file(path, origin=f"{ORIGIN_FOLDER}reuters.npz", file_hash=FILE_HASH)
    f = load_npz(path)
    xs, labels = f["x"], f["y"]
    indices = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(indices)
    xs, labels = xs[indices], labels[indices]
    xs = index_sequences(xs, start_char, index_from)
    if maxlen:
        xs, labels = remove_long_seq(maxlen, xs, labels)
    xs = limit_vocabulary(xs, num_words, skip_top, oov_char)
    idx = int(len(xs) * (1 - test_split))
    return ((object_array(xs[:idx]), np.array(labels[:idx])),
            (object_array(xs[idx:]), np.array(labels[idx:])))


def get_word_index(path: str = "reuters_word_index.json") -> dict:
    """The word -> index dictionary."""
    path = get_file(path, origin=f"{ORIGIN_FOLDER}reuters_word_index.json",
                    file_hash=WORD_INDEX_HASH)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def get_label_names() -> tuple:
    """The 46 topic names, in label order (Keras 3)."""
    return LABEL_NAMES
