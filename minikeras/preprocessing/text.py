"""`keras.preprocessing.text`: Keras 2's word tokenizer and hashing helpers.

Keras 2 (tf_keras/src/preprocessing/text.py) ships these as pure Python; Keras 3 dropped the
module (its `TextVectorization` layer replaces it). Behaviour follows tf_keras 2.21: words are
ranked by count (ties keep first-seen order), index 0 is never assigned, the `oov_token` (when
given) takes index 1, and `num_words` keeps only indices below it when turning texts into
sequences or matrices (the word index itself keeps every word).
"""

from __future__ import annotations

import collections
import hashlib
import json
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from minikeras.utils.naming import closest

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_MODES = ("binary", "count", "tfidf", "freq")


def text_to_word_sequence(input_text: str, filters: str = DEFAULT_FILTERS, lower: bool = True,
                          split: str = " ") -> list[str]:
    """Lower-case (optionally), replace every character of `filters` by `split`, then split
    and drop empty pieces; as Keras."""
    if lower:
        input_text = input_text.lower()
    # Filtered characters become separators, so "a,b" splits into two words.
    input_text = input_text.translate(str.maketrans({c: split for c in filters}))
    return [w for w in input_text.split(split) if w]


def _md5_hash(word: str) -> int:
    return int(hashlib.md5(word.encode()).hexdigest(), 16)


def hashing_trick(text: str, n: int, hash_function: Callable[[str], int] | str | None = None,
                  filters: str = DEFAULT_FILTERS, lower: bool = True, split: str = " ",
                  analyzer: Callable[[str], list[str]] | None = None) -> list[int]:
    """Map each word to `hash(word) % (n - 1) + 1` (index 0 stays free, as in Keras).

    `hash_function=None` uses Python's `hash`, which changes between processes unless
    PYTHONHASHSEED is set; `"md5"` is stable across runs and machines.
    """
    if hash_function is None:
        hash_function = hash
    elif isinstance(hash_function, str):
        if hash_function != "md5":
            raise ValueError("hashing_trick: `hash_function` must be None, 'md5' or a "
                             f"callable, got hash_function={hash_function!r}")
        hash_function = _md5_hash
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"hashing_trick: `n` must be an integer >= 2, got n={n!r}")
    words = (text_to_word_sequence(text, filters=filters, lower=lower, split=split)
             if analyzer is None else analyzer(text))
    return [hash_function(w) % (n - 1) + 1 for w in words]


def one_hot(input_text: str, n: int, filters: str = DEFAULT_FILTERS, lower: bool = True,
            split: str = " ", analyzer: Callable[[str], list[str]] | None = None) -> list[int]:
    """`hashing_trick` with Python's `hash` (so not stable across processes, as in Keras)."""
    return hashing_trick(input_text, n, hash_function=hash, filters=filters, lower=lower,
                         split=split, analyzer=analyzer)


class Tokenizer:
    """Keras 2's `Tokenizer`: builds a word index from texts and turns texts into index
    sequences or bag-of-words matrices. `char_level=True`, or a text given as a list of
    tokens, skips the splitting (tokens are only lower-cased)."""

    def __init__(self, num_words: int | None = None, filters: str = DEFAULT_FILTERS,
                 lower: bool = True, split: str = " ", char_level: bool = False,
                 oov_token: str | None = None,
                 analyzer: Callable[[str], list[str]] | None = None, **kwargs: Any) -> None:
        if "nb_words" in kwargs:  # Keras 1 spelling, still accepted by Keras 2
            warnings.warn("The `nb_words` argument in `Tokenizer` has been renamed "
                          "`num_words`.")
            num_words = kwargs.pop("nb_words")
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError(f"Tokenizer: unrecognized keyword arguments: {sorted(kwargs)}")
        if num_words is not None and (isinstance(num_words, bool)
                                      or not isinstance(num_words, (int, np.integer))
                                      or num_words < 0):
            raise ValueError("Tokenizer: `num_words` must be None or an integer >= 0, got "
                             f"num_words={num_words!r}")
        self.word_counts: dict[str, int] = collections.OrderedDict()
        self.word_docs: dict[str, int] = collections.defaultdict(int)
        self.filters = filters
        self.split = split
        self.lower = lower
        self.num_words = num_words
        self.document_count = document_count
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs: dict[int, int] = collections.defaultdict(int)
        self.word_index: dict[str, int] = {}
        self.index_word: dict[int, str] = {}
        self.analyzer = analyzer

    def _tokens(self, text: str | list[str]) -> list[str] | str:
        if self.char_level or isinstance(text, list):
            if not self.lower:
                return text
            return [t.lower() for t in text] if isinstance(text, list) else text.lower()
        if self.analyzer is not None:
            return self.analyzer(text)
        return text_to_word_sequence(text, filters=self.filters, lower=self.lower,
                                     split=self.split)

    def fit_on_texts(self, texts: Iterable[str | list[str]]) -> None:
        """Count words over `texts` and (re)build `word_index`/`index_word`/`index_docs`."""
        if isinstance(texts, str):
            # Keras iterates the string's characters; almost always a mistake, so say so.
            raise TypeError("Tokenizer.fit_on_texts: `texts` must be a list of strings, got "
                            "a single string")
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for w in tokens:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(tokens):
                self.word_docs[w] += 1
        # sorted() is stable: equal counts keep first-seen order, as in Keras.
        ranked = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        vocab = ([] if self.oov_token is None else [self.oov_token]) + [w for w, _ in ranked]
        self.word_index = {w: i for i, w in enumerate(vocab, start=1)}
        self.index_word = {i: w for w, i in self.word_index.items()}
        for w, c in self.word_docs.items():
            self.index_docs[self.word_index[w]] = c

    def fit_on_sequences(self, sequences: Iterable[Iterable[int]]) -> None:
        """Count document frequencies of indices (needed by tfidf on sequences only)."""
        sequences = list(sequences)
        self.document_count += len(sequences)
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] += 1

    def texts_to_sequences(self, texts: Iterable[str | list[str]]) -> list[list[int]]:
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts: Iterable[str | list[str]]
                                     ) -> Iterator[list[int]]:
        """Yield each text's word indices; unknown or too-rare words map to the OOV index,
        or are dropped when there is no `oov_token`."""
        oov = self.word_index.get(self.oov_token)
        for text in texts:
            out = []
            for w in self._tokens(text):
                i = self.word_index.get(w)
                if i is None or (self.num_words and i >= self.num_words):
                    if oov is not None:
                        out.append(oov)
                else:
                    out.append(i)
            yield out

    def sequences_to_texts(self, sequences: Iterable[Iterable[int]]) -> list[str]:
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences: Iterable[Iterable[int]]
                                     ) -> Iterator[str]:
        """Yield the space-joined words of each sequence (unknown indices as the OOV token,
        or dropped)."""
        oov = self.word_index.get(self.oov_token)
        for seq in sequences:
            words = []
            for num in seq:
                word = self.index_word.get(num)
                if word is None or (self.num_words and num >= self.num_words):
                    # Keras looks the OOV word up through its index (KeyError if an
                    # oov_token was set but never fitted); we skip instead of crashing.
                    if oov is not None:
                        words.append(self.index_word[oov])
                else:
                    words.append(word)
            yield " ".join(words)

    def texts_to_matrix(self, texts: Iterable[str | list[str]], mode: str = "binary"
                        ) -> np.ndarray:
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences: Iterable[Iterable[int]], mode: str = "binary"
                            ) -> np.ndarray:
        """A float64 `(len(sequences), num_words)` matrix: per index 1 (binary), its count,
        count/len(seq) (freq), or (1 + log count) * log(1 + docs / (1 + docs_with_index))
        (tfidf); indices >= num_words are ignored."""
        if mode not in _MODES:
            guess = closest(str(mode), _MODES)
            hint = f" Did you mean {guess!r}?" if guess else ""
            raise ValueError(f"Unknown vectorization mode: mode={mode!r}; expected one of "
                             f"{list(_MODES)}.{hint}")
        if self.num_words:
            num_words = self.num_words
        elif self.word_index:
            num_words = len(self.word_index) + 1
        else:
            raise ValueError("Specify a dimension (`num_words` argument), or fit on some "
                             "text data first.")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Fit the Tokenizer on some data before using tfidf mode.")
        sequences = [list(s) for s in sequences]
        x = np.zeros((len(sequences), num_words))
        for row, seq in enumerate(sequences):
            if not seq:
                continue
            counts = collections.Counter(j for j in seq if j < num_words)
            for j, c in counts.items():
                if mode == "count":
                    x[row, j] = c
                elif mode == "freq":
                    x[row, j] = c / len(seq)
                elif mode == "binary":
                    x[row, j] = 1
                else:
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
                    x[row, j] = (1 + np.log(c)) * idf
        return x

    def get_config(self) -> dict[str, Any]:
        """Keras' config: the vocabulary tables are JSON strings inside the dict."""
        return {
            "num_words": self.num_words, "filters": self.filters, "lower": self.lower,
            "split": self.split, "char_level": self.char_level, "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs: Any) -> str:
        """`{"class_name": "Tokenizer", "config": ...}`; kwargs go to `json.dumps`."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()},
                          **kwargs)


def tokenizer_from_json(json_string: str) -> Tokenizer:
    """Rebuild a `Tokenizer` from `Tokenizer.to_json()` (ours or Keras 2's)."""
    config = dict(json.loads(json_string).get("config"))
    tables = {name: json.loads(config.pop(name)) for name in
              ("word_counts", "word_docs", "index_docs", "index_word", "word_index")}
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = tables["word_counts"]
    tokenizer.word_docs = tables["word_docs"]
    # JSON object keys are strings; the index tables are keyed by int.
    tokenizer.index_docs = {int(k): v for k, v in tables["index_docs"].items()}
    tokenizer.index_word = {int(k): v for k, v in tables["index_word"].items()}
    tokenizer.word_index = tables["word_index"]
    return tokenizer
