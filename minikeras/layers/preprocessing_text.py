"""Keras 3's text and categorical preprocessing layers, on NumPy: `TextVectorization`,
`StringLookup`, `IntegerLookup`, `CategoryEncoding`, `Discretization`.

Keras 3 runs these layers on TensorFlow (lookup tables, `tf.strings`, bincount) whatever the
backend. Here they are plain Python/NumPy: they are not differentiable, have no weights, and
their outputs are constants (`Tensor` without a graph). Vocabularies follow Keras' rules:
after `adapt`, tokens sorted by count (high to low), ties broken by the token itself (high to
low: bytes for strings, values for integers); reserved indices first (mask, then OOV).
Files: the vocabulary is an asset (`assets/<layer path>/vocabulary.txt` of a `.keras`
archive) unless it was passed to the constructor (then it is in the config); TF-IDF weights
are a variable named `idf_weights` -- the layout Keras 3 writes.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from typing import Any
from collections.abc import Callable, Iterable

import numpy as np

from minikeras import config as _config
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.layer import KerasTensor, Layer
from minikeras.tree import flatten as _flatten
from minikeras.utils.naming import unknown_name_error

_INT64_MAX = np.iinfo(np.int64).max


def _check_name(layer: str, arg: str, value: Any, allowed: tuple, allow_none: bool = False,
                allow_callable: bool = False) -> None:
    """A string option must be one of `allowed` (the error suggests the closest one)."""
    if value is None and allow_none or callable(value) and allow_callable:
        return
    if not isinstance(value, str) or value not in allowed:
        err = unknown_name_error(f"{layer} `{arg}`", value, allowed)
        raise ValueError(f"{err} Allowed values: {list(allowed)}"
                         + (" or None" if allow_none else "")
                         + (" or a callable" if allow_callable else "") + ".")


def _numpy(x: Any) -> Any:
    return x.value if isinstance(x, Tensor) else x


def _is_batches(data: Any) -> bool:
    """An iterable of batches (generator, iterator, dataset-like), not one array/list."""
    return hasattr(data, "__iter__") and not isinstance(
        data, (list, tuple, np.ndarray, Tensor, str, bytes))


def _batches(data: Any, steps: int | None, batch_size: int | None) -> Iterable:
    """What `adapt` reads: the batches of an iterable (at most `steps`), else one array
    (in slices of `batch_size` when given)."""
    if _is_batches(data):
        for i, batch in enumerate(data):
            if steps is not None and i >= steps:
                break
            yield _numpy(batch), True
        return
    yield _numpy(data), False


def _output(value: np.ndarray) -> Tensor:
    return Tensor(value)


def _check_adaptable(layer: Any, lookup: Any) -> None:
    """Keras' error for `adapt` on a layer given its vocabulary (`lookup` holds it)."""
    if lookup._has_input_vocabulary:
        raise ValueError(f"Cannot adapt layer '{layer.name}' after setting a static "
                         "vocabulary via `vocabulary` argument or `set_vocabulary()` "
                         "method.")


class _DataLayer(Layer):
    """Base of layers that take data Keras turns into TF tensors (strings, ids): called on
    data they compute on NumPy directly; on a `KerasTensor` they add a node as any layer."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        inputs = args[0] if args else kwargs.get("inputs")
        if any(isinstance(t, KerasTensor) for t in _flatten(inputs)):
            out = super().__call__(*args, **kwargs)
            out.dtype = self._output_dtype()  # ids are int64, TF-IDF floats (as Keras)
            return out
        if not args:
            kwargs = dict(kwargs)
            args = (kwargs.pop("inputs"),)
        kwargs.pop("training", None)
        kwargs.pop("mask", None)
        self.built = True
        return _output(self.call(_numpy(args[0]), *args[1:], **kwargs))

    def build(self, input_shape: Any = None) -> None:
        self.built = True

    def _output_dtype(self) -> str:
        return self.compute_dtype


# --- lookups -----------------------------------------------------------------------------

_LOOKUP_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def _encode(ids: np.ndarray, mode: str, depth: int, dtype: Any,
            weights: np.ndarray | None = None) -> np.ndarray:
    """One-hot, multi-hot or count encoding of integer ids over the last axis (rank <= 2
    as Keras' TensorFlow path); ids outside [0, depth) (masked values) count for nothing.
    `weights` (per id) turns counts into weighted counts."""
    ids = np.asarray(ids)
    if ids.ndim == 0:
        ids = ids[None]
    if mode == "one_hot":
        if ids.shape[-1] != 1:
            ids = ids[..., None]
    if ids.ndim > 2:
        raise ValueError(f"When output_mode is not 'int', the maximum supported output rank "
                         f"is 2. Received output_mode {mode!r} and input shape "
                         f"{ids.shape}")
    rows = ids if ids.ndim == 2 else ids[None]
    out = np.zeros((rows.shape[0], depth), dtype=np.float64)
    valid = (rows >= 0) & (rows < depth)
    r, c = np.nonzero(valid)
    w = np.ones(len(r)) if weights is None else np.asarray(weights, np.float64).reshape(
        rows.shape)[r, c]
    np.add.at(out, (r, rows[r, c]), w)
    if mode in ("multi_hot", "one_hot"):
        out = np.minimum(out, 1.0)
    out = out.astype(dtype)
    return out if ids.ndim == 2 else out[0]


class _IndexLookup(_DataLayer):
    """What StringLookup and IntegerLookup share (Keras' IndexLookup)."""

    _string = True

    def __init__(self, max_tokens: int | None, num_oov_indices: int, mask_token: Any,
                 oov_token: Any, vocabulary: Any, idf_weights: Any, invert: bool,
                 output_mode: str, pad_to_max_tokens: bool, sparse: bool,
                 name: str | None, oov_method: str = "floormod", salt: Any = None,
                 **kwargs: Any) -> None:
        cls = type(self).__name__
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"{cls}: if set, `max_tokens` must be greater than 1. "
                             f"Received: max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{cls}: if pad_to_max_tokens is True, must set `max_tokens`. "
                             f"Received: max_tokens={max_tokens}")
        if not isinstance(num_oov_indices, (int, np.integer)) or num_oov_indices < 0:
            raise ValueError(f"{cls}: `num_oov_indices` must be greater than or equal to 0. "
                             f"Received: num_oov_indices={num_oov_indices}")
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        _check_name(cls, "output_mode", output_mode, _LOOKUP_MODES)
        _check_name(cls, "oov_method", oov_method, ("floormod", "farmhash"))
        if salt is not None:
            if not self._string and oov_method != "farmhash":
                raise ValueError("`salt` can only be used when `oov_method='farmhash'`. "
                                 f"Received: oov_method={oov_method}")
            if isinstance(salt, (tuple, list)) and len(salt) == 2 and all(
                    isinstance(v, (int, np.integer)) for v in salt):
                salt = [int(v) for v in salt]
            elif isinstance(salt, (int, np.integer)) and not isinstance(salt, bool):
                salt = [int(salt), int(salt)]
            else:
                raise ValueError(f"The `salt` argument for `{cls}` can only be a tuple of 2 "
                                 f"integers, or a single integer. Received: salt={salt}.")
        if invert and output_mode != "int":
            raise ValueError(f"{cls}: `output_mode` must be 'int' when `invert` is true. "
                             f"Received: output_mode={output_mode}")
        if sparse:
            raise ValueError(f"{cls}: sparse=True needs TensorFlow's sparse tensors, which "
                             "minikeras does not have")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{cls}: `idf_weights` should only be set if `output_mode` is "
                             f"'tf_idf'. Received: output_mode={output_mode}")
        self._frozen_vocab_size = kwargs.pop("vocabulary_size", None)
        has_vocab = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("dtype", None)
        kwargs.pop("trainable", None)
        if kwargs:
            raise ValueError(f"{cls}: unrecognized keyword argument(s): {kwargs}")
        super().__init__(name=name)
        self.max_tokens = max_tokens
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = bool(invert)
        self.output_mode = output_mode
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.sparse = False
        self.oov_method = oov_method
        self.salt = salt
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = bool(has_vocab)
        self._tokens: list = []
        self._index: dict = {}
        self.idf_weights: np.ndarray | None = None
        self.built = True
        if output_mode == "tf_idf" and self._has_input_vocabulary and idf_weights is None:
            raise ValueError(f"{cls}: when specifying the `vocabulary` argument in TF-IDF "
                             "output mode, the `idf_weights` argument must also be provided.")
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # indices: [mask (int mode only)] [OOV x num_oov_indices] [tokens ...]
    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def _to_key(self, x: Any) -> Any:
        raise NotImplementedError

    def vocabulary_size(self) -> int:
        """The vocabulary's size, mask and OOV indices included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary, index i holding the token that maps to i (mask and OOV tokens
        first unless `include_special_tokens=False`)."""
        vocab = [self.oov_token] * self._token_start_index() + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        return vocab if include_special_tokens else vocab[self._token_start_index():]

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Set the vocabulary (list/array of tokens, or a path to a file with one token a
        line) and, in TF-IDF mode, the idf weights (one per token)."""
        cls = type(self).__name__
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(f"{cls}: `idf_weights` must be set if output_mode is "
                                 "'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(f"{cls}: `idf_weights` should only be set if output_mode is "
                             f"'tf_idf'. Received: output_mode={self.output_mode}")
        if isinstance(vocabulary, (str, os.PathLike)):
            if self.output_mode == "tf_idf":
                raise ValueError("output_mode 'tf_idf' does not support loading a "
                                 "vocabulary from file.")
            if not os.path.exists(vocabulary):
                raise ValueError(f"Vocabulary file {vocabulary} does not exist.")
            with open(vocabulary, encoding="utf-8") as f:
                lines = f.read().splitlines()
            vocabulary = self._parse_lines(lines)
        vocabulary = [self._to_key(v) for v in np.asarray(_numpy(vocabulary),
                                                          dtype=object).ravel().tolist()]
        if not vocabulary:
            raise ValueError(f"{cls}: cannot set an empty vocabulary. Received: "
                             f"vocabulary={vocabulary}")
        start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + \
            [self.oov_token] * self.num_oov_indices
        found_special = vocabulary[:start] == special
        tokens = vocabulary[start:] if found_special else vocabulary
        repeated = [t for t, n in Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(f"{cls}: the passed vocabulary has at least one repeated term. "
                             f"Please uniquify your dataset. The repeated terms are: "
                             f"{repeated}")
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(f"{cls}: found reserved mask token {self.mask_token!r} at an "
                             "unexpected location in `vocabulary`. Either remove all mask and "
                             "OOV tokens, or include them only at the start of the vocabulary "
                             f"in precisely this order: {special}.")
        if self.oov_token is not None and self.invert and self.oov_token in tokens:
            raise ValueError(f"{cls}: found reserved OOV token {self.oov_token!r} at an "
                             "unexpected location in `vocabulary`. Either remove all mask and "
                             "OOV tokens, or include them only at the start of the vocabulary "
                             f"in precisely this order: {special}.")
        if self.max_tokens is not None and start + len(tokens) > self.max_tokens:
            raise ValueError(f"{cls}: attempted to set a vocabulary larger than the maximum "
                             f"vocab size. Received vocabulary size is {start + len(tokens)}; "
                             f"`max_tokens` is {self.max_tokens}.")
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            weights = np.asarray(_numpy(idf_weights), dtype=np.float64)
            if weights.ndim != 1:
                raise ValueError(f"{cls}: TF-IDF data must be a 1-index array. Received "
                                 f"shape {weights.shape}")
            if len(weights) != len(vocabulary):
                raise ValueError(f"{cls}: `idf_weights` must be the same length as "
                                 f"vocabulary. len(idf_weights) is {len(weights)}; "
                                 f"len(vocabulary) is {len(vocabulary)}")
            front = 0 if found_special else start
            front_value = 0.0 if found_special else np.average(weights)
            back = self.max_tokens - front - len(weights) if (
                self.pad_to_max_tokens and self.max_tokens is not None) else 0
            self.idf_weights = np.pad(weights, (front, back), "constant",
                                      constant_values=(front_value, 0)).astype(
                                          _config.floatx())

    def _set_tokens(self, tokens: list) -> None:
        start = self._token_start_index()
        self._tokens = list(tokens)
        self._index = {t: i + start for i, t in enumerate(self._tokens)}
        size = self.vocabulary_size()
        if self.output_mode != "int" and not self.pad_to_max_tokens and \
                self._frozen_vocab_size is not None and size != self._frozen_vocab_size:
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and "
                               "`pad_to_max_tokens=False`, the vocabulary size cannot be "
                               f"changed after the layer is called. Old vocab size is "
                               f"{self._frozen_vocab_size}, new vocab size is {size}")
        self._frozen_vocab_size = size

    # --- adapt ---------------------------------------------------------------------------
    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the vocabulary (and, in TF-IDF mode, document frequencies) from `data`:
        an array or list (each row a document), or an iterable of batches."""
        _check_adaptable(self, self)
        counts: Counter = Counter()
        doc_counts: Counter = Counter()
        state = {"docs": 0}
        for batch, from_iter in _batches(data, steps, batch_size):
            docs = self._documents(batch, from_iter)
            self._update(docs, counts, doc_counts, state)
        self._finalize(counts, doc_counts, state["docs"])

    def _documents(self, batch: Any, from_iter: bool) -> list:
        """The documents of one batch as lists of keys (Keras: a 1-D array given whole
        is a column of one-token documents; a 1-D batch of an iterable is one document)."""
        arr = self._as_keys(batch)
        if arr.ndim == 0:
            arr = arr[None]
        if arr.ndim == 1:
            arr = arr[None] if from_iter else arr[:, None]
        return [list(row.ravel()) for row in arr]

    def _update(self, docs: list, counts: Counter, doc_counts: Counter, state: dict) -> None:
        for doc in docs:
            counts.update(doc)
        if self.output_mode == "tf_idf":
            for doc in docs:
                doc_counts.update(set(doc))
            state["docs"] += len(docs)

    def _sort_key(self, token: Any) -> Any:
        return token

    def _finalize(self, counts: Counter, doc_counts: Counter, num_docs: int) -> None:
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(special, None)
        if not counts:
            return
        # by count, then by token, both from high to low (Keras' lexsort, reversed)
        tokens = sorted(counts, key=lambda t: (counts[t], self._sort_key(t)), reverse=True)
        if self.max_tokens:
            tokens = tokens[:self.max_tokens - self._token_start_index()]
        self._frozen_vocab_size = None
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            df = np.array([doc_counts[t] for t in tokens], dtype=np.float64)
            idf = np.log(1.0 + num_docs / (1.0 + df)).astype(_config.floatx())
            mean = np.mean(idf, dtype=idf.dtype) if len(idf) else 0.0
            idf = np.concatenate([np.full(self._token_start_index(), mean, idf.dtype), idf])
            if self.pad_to_max_tokens and self.max_tokens is not None:
                idf = np.pad(idf, (0, self.max_tokens - len(idf)))
            self.idf_weights = idf

    # --- call ----------------------------------------------------------------------------
    def _as_keys(self, x: Any) -> np.ndarray:
        raise NotImplementedError

    def _lookup(self, keys: np.ndarray) -> np.ndarray:
        """Keys (object array) to indices, with the mask and OOV rules of Keras."""
        flat = keys.ravel().tolist()
        mask_value = 0 if self.output_mode == "int" else _INT64_MAX
        oov_start = self._oov_start_index()
        out = np.empty(len(flat), dtype=np.int64)
        missing = []
        for i, k in enumerate(flat):
            j = self._index.get(k)
            if self.mask_token is not None and k == self.mask_token:
                j = mask_value
            elif j is None:
                if self.num_oov_indices == 0:
                    missing.append(k)
                    j = -1
                elif self.num_oov_indices == 1:
                    j = oov_start
                else:
                    j = oov_start + self._oov_bucket(k)
            out[i] = j
        if missing:
            raise ValueError(f"When `num_oov_indices=0` all inputs should be in vocabulary, "
                             f"found OOV values {missing[:10]}, consider setting "
                             "`num_oov_indices=1`.")
        return out.reshape(keys.shape)

    def _oov_bucket(self, key: Any) -> int:
        """Which of the OOV indices an unknown key takes (num_oov_indices > 1): as Keras,
        integers by floormod unless oov_method="farmhash"; strings (and integers then, as
        their decimal text) by FarmHash64, or SipHash-2-4 keyed by `salt`."""
        if not self._string and self.oov_method != "farmhash":
            return key % self.num_oov_indices  # (non-negative, as tf.math.floormod)
        from minikeras.layers.preprocessing_hashing import farmhash64, siphash24

        data = (key if self._string else str(key)).encode("utf-8")
        h = siphash24(self.salt, data) if self.salt is not None else farmhash64(data)
        return h % self.num_oov_indices

    def _invert(self, ids: Any) -> np.ndarray:
        arr = np.asarray(_numpy(ids))
        if arr.dtype.kind not in "iu":
            raise TypeError(f"{type(self).__name__} with invert=True maps integer indices "
                            f"to tokens; got inputs of dtype {arr.dtype}")
        vocab = self.get_vocabulary()
        start = self._token_start_index()
        flat = arr.ravel().tolist()
        out = [vocab[i] if start <= i < len(vocab) else
               (self.mask_token if (i == 0 and self.mask_token is not None) else
                self.oov_token) for i in flat]
        return self._token_array(out, arr.shape)

    def _token_array(self, tokens: list, shape: tuple) -> np.ndarray:
        out = np.empty(len(tokens), dtype=object)
        out[:] = tokens
        return out.reshape(shape)

    def _depth(self) -> int:
        if self.pad_to_max_tokens:
            return self.max_tokens
        if self._frozen_vocab_size is None:
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and "
                               "`pad_to_max_tokens=False`, you must set the layer's "
                               "vocabulary before calling it. Either pass a `vocabulary` "
                               "argument to the layer, or call `adapt` with some sample "
                               "data.")
        return self._frozen_vocab_size

    def _encode_ids(self, ids: np.ndarray) -> np.ndarray:
        if self.output_mode == "int":
            return ids
        depth = self._depth()
        if self.output_mode == "tf_idf":
            if self.idf_weights is None:
                raise ValueError("When `output_mode` is 'tf_idf', `idf_weights` must be "
                                 "provided (adapt the layer or pass them).")
            counts = _encode(ids, "count", depth, np.int64)
            return (counts.astype(self.idf_weights.dtype) * self.idf_weights[:depth])
        return _encode(ids, self.output_mode, depth, np.int64)

    def call(self, inputs: Any) -> np.ndarray:
        if self.invert:
            return self._invert(inputs)
        if self.output_mode != "int":
            self._depth()
        keys = self._as_keys(inputs)
        scalar = keys.ndim == 0
        ids = self._lookup(keys.reshape(1) if scalar else keys)
        if self.output_mode == "int":
            return ids[0] if scalar else ids
        return self._encode_ids(ids)

    def _ragged_call(self, rows: list) -> np.ndarray:
        """Encode documents of different lengths (TextVectorization's tokens) per row."""
        depth = self._depth()
        out = np.stack([self._encode_ids(self._lookup(self._token_array(r, (len(r),)))[None])
                        [0] for r in rows]) if rows else np.zeros((0, depth))
        if self.output_mode != "tf_idf":
            out = out.astype(np.int64)
        return out

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        shape = tuple(input_shape)
        if self.output_mode == "one_hot":
            if len(shape) > 1 and shape[-1] == 1:
                return shape[:-1] + (depth,)
            return shape + (depth,)
        return shape[:-1] + (depth,)

    def _output_dtype(self) -> str:
        if self.invert:
            return "string" if self._string else "int64"
        return "int64" if self.output_mode in ("int", "one_hot", "multi_hot", "count") \
            else _config.floatx()

    def get_config(self) -> dict:
        cfg = super().get_config()

        def listify(x: Any) -> Any:
            x = _numpy(x)
            return x.tolist() if isinstance(x, np.ndarray) else x

        cfg.update({"invert": self.invert, "max_tokens": self.max_tokens,
                    "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
                    "mask_token": self.mask_token, "output_mode": self.output_mode,
                    "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
                    "idf_weights": listify(self.input_idf_weights),
                    "vocabulary": listify(self.input_vocabulary),
                    "vocabulary_size": self._frozen_vocab_size})
        return cfg

    # --- files (Keras 3's layout) ----------------------------------------------------------
    def save_own_variables(self, store: dict) -> None:
        if self.output_mode == "tf_idf":
            store["idf_weights"] = np.asarray(self.idf_weights)

    def load_own_variables(self, store: dict) -> None:
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            self.idf_weights = np.asarray(store["idf_weights"]).astype(_config.floatx())

    def save_assets(self, dir_path: str) -> None:
        if self.input_vocabulary is not None:
            return  # (in the config)
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(w) for w in self.get_vocabulary()))

    def load_assets(self, dir_path: str) -> None:
        if self.input_vocabulary is not None:
            return
        path = os.path.join(dir_path, "vocabulary.txt")
        if not os.path.exists(path):
            return
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        idf = self.idf_weights
        has = self._has_input_vocabulary
        self._has_input_vocabulary = False
        self._frozen_vocab_size = None
        tokens = self._parse_lines(lines)[self._token_start_index():]
        self._set_tokens(tokens)
        self._has_input_vocabulary = has
        if idf is not None:
            self.idf_weights = idf

    def _parse_lines(self, lines: list) -> list:
        return [self._to_key(t) for t in lines]


class StringLookup(_IndexLookup):
    """Strings to integer indices (or one-hot/multi-hot/count/TF-IDF vectors); with
    `invert=True`, indices back to strings. As Keras 3 (several OOV indices: by FarmHash64,
    or SipHash-2-4 with `salt`), except: no `sparse=True`."""

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1,
                 mask_token: str | None = None, oov_token: str = "[UNK]",
                 vocabulary: Any = None, idf_weights: Any = None, invert: bool = False,
                 output_mode: str = "int", pad_to_max_tokens: bool = False,
                 sparse: bool = False, encoding: str = "utf-8", name: str | None = None,
                 salt: Any = None, **kwargs: Any) -> None:
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                         idf_weights, invert, output_mode, pad_to_max_tokens, sparse, name,
                         oov_method=kwargs.pop("oov_method", "floormod"), salt=salt,
                         **kwargs)

    def _to_key(self, x: Any) -> str:
        if isinstance(x, bytes):
            return x.decode(self.encoding)
        if isinstance(x, np.str_):
            return str(x)
        if not isinstance(x, str):
            raise TypeError(f"{type(self).__name__} expects string tokens, got {x!r} of type "
                            f"{type(x).__name__}")
        return x

    def _sort_key(self, token: str) -> bytes:
        return token.encode("utf-8")

    def _as_keys(self, x: Any) -> np.ndarray:
        return _string_array(x, type(self).__name__, self.encoding)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"oov_method": self.oov_method, "salt": self.salt,
                    "encoding": self.encoding})
        return cfg


class IntegerLookup(_IndexLookup):
    """Integer values to contiguous indices (or one-hot/multi-hot/count/TF-IDF vectors);
    with `invert=True`, indices back to values. As Keras 3 (OOV values over several OOV
    indices by `floormod`, or by hashing with `oov_method="farmhash"`), except: no
    `sparse=True`."""

    _string = False

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1,
                 mask_token: int | None = None, oov_token: int = -1, vocabulary: Any = None,
                 vocabulary_dtype: str = "int64", idf_weights: Any = None,
                 invert: bool = False, output_mode: str = "int", sparse: bool = False,
                 pad_to_max_tokens: bool = False, oov_method: str = "floormod",
                 salt: Any = None, name: str | None = None, **kwargs: Any) -> None:
        if vocabulary_dtype != "int64":
            raise ValueError("Only `vocabulary_dtype='int64'` is supported at this time. "
                             f"Received: vocabulary_dtype={vocabulary_dtype}")
        if mask_token is not None and not isinstance(mask_token, (int, np.integer)):
            raise ValueError(f"IntegerLookup: `mask_token` must be an int or None. "
                             f"Received: mask_token={mask_token!r}")
        self.vocabulary_dtype = vocabulary_dtype
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                         idf_weights, invert, output_mode, pad_to_max_tokens, sparse, name,
                         oov_method=oov_method, salt=salt, **kwargs)

    def _to_key(self, x: Any) -> int:
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)):
            if isinstance(x, (float, np.floating)) and float(x).is_integer():
                return int(x)
            raise TypeError(f"IntegerLookup expects integer values, got {x!r} of type "
                            f"{type(x).__name__}")
        return int(x)

    def _parse_lines(self, lines: list) -> list:
        return [int(t) for t in lines]

    def _as_keys(self, x: Any) -> np.ndarray:
        arr = np.asarray(_numpy(x))
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"IntegerLookup expects integer inputs, got dtype {arr.dtype} "
                            f"(shape {arr.shape})")
        return arr.astype(np.int64).astype(object)

    def _token_array(self, tokens: list, shape: tuple) -> np.ndarray:
        if self.invert:
            return np.asarray(tokens, dtype=self.vocabulary_dtype).reshape(shape)
        return super()._token_array(tokens, shape)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"vocabulary_dtype": self.vocabulary_dtype, "oov_method": self.oov_method,
                    "salt": self.salt})
        return cfg


def _string_array(x: Any, who: str, encoding: str = "utf-8") -> np.ndarray:
    """Strings (list, NumPy str/bytes/object array) as an object array of `str`; anything
    else is a TypeError."""
    x = _numpy(x)
    if isinstance(x, (str, bytes)):
        arr = np.empty((), dtype=object)
        arr[()] = x
    else:
        arr = np.asarray(x, dtype=object) if not isinstance(x, np.ndarray) else x
    if arr.dtype.kind == "U":
        return arr.astype(object)
    if arr.dtype.kind == "S":
        return np.vectorize(lambda b: b.decode(encoding), otypes=[object])(arr) \
            if arr.size else arr.astype(object)
    if arr.dtype.kind != "O":
        raise TypeError(f"{who} expects string inputs (a list of str or a NumPy array of "
                        f"str/bytes/object), got an array of dtype {arr.dtype} with shape "
                        f"{arr.shape}")
    flat = arr.ravel().tolist()
    out = []
    for v in flat:
        if isinstance(v, bytes):
            v = v.decode(encoding)
        elif isinstance(v, np.str_):
            v = str(v)
        elif not isinstance(v, str):
            raise TypeError(f"{who} expects string inputs, got {v!r} of type "
                            f"{type(v).__name__} (input shape {arr.shape})")
        out.append(v)
    res = np.empty(len(out), dtype=object)
    res[:] = out
    return res.reshape(arr.shape)


# --- TextVectorization ---------------------------------------------------------------------

_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
# TensorFlow's `strings.lower` (no encoding given, as Keras calls it) and `strings.split`
# touch ASCII only: "É" stays upper case and a no-break space does not split
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_ASCII_SPACE = re.compile(r"[ \t\n\r\x0b\x0c]+")


class TextVectorization(_DataLayer):
    """Raw strings to token ids (`output_mode="int"`, padded with 0 to the longest text or
    to `output_sequence_length`) or to multi-hot/count/TF-IDF vectors over a vocabulary
    learnt by `adapt` or given. Standardization and splitting are TensorFlow's
    (ASCII-only lower-casing, ASCII punctuation and whitespace). A callable `standardize`
    gets a NumPy object array of str and returns strings; a callable `split` gets a 1-D
    array of str and returns one list of tokens per string (Keras passes TF tensors).
    No `sparse`/`ragged` outputs."""

    def __init__(self, max_tokens: int | None = None,
                 standardize: str | Callable | None = "lower_and_strip_punctuation",
                 split: str | Callable | None = "whitespace", ngrams: Any = None,
                 output_mode: str = "int", output_sequence_length: int | None = None,
                 pad_to_max_tokens: bool = False, vocabulary: Any = None,
                 idf_weights: Any = None, sparse: bool = False, ragged: bool = False,
                 encoding: str = "utf-8", name: str | None = None, **kwargs: Any) -> None:
        _check_name("TextVectorization", "standardize", standardize,
                    ("lower_and_strip_punctuation", "lower", "strip_punctuation"),
                    allow_none=True, allow_callable=True)
        _check_name("TextVectorization", "split", split, ("whitespace", "character"),
                    allow_none=True, allow_callable=True)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        _check_name("TextVectorization", "output_mode", output_mode, _LOOKUP_MODES)
        if not (ngrams is None or isinstance(ngrams, int) and not isinstance(ngrams, bool)
                or isinstance(ngrams, tuple) and all(isinstance(i, int) for i in ngrams)):
            raise ValueError("`ngrams` must be None, an integer, or a tuple of integers. "
                             f"Received: ngrams={ngrams}")
        if output_mode == "int" and not (output_sequence_length is None or
                                         isinstance(output_sequence_length, int)):
            raise ValueError("`output_sequence_length` must be either None or an integer "
                             "when `output_mode` is 'int'. Received: "
                             f"output_sequence_length={output_sequence_length}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError("`output_sequence_length` must not be set if `output_mode` is "
                             f"not 'int'. Received output_sequence_length="
                             f"{output_sequence_length}.")
        if ragged:
            raise ValueError("TextVectorization: ragged=True needs TensorFlow's ragged "
                             "tensors, which minikeras does not have")
        if sparse:
            raise ValueError("TextVectorization: sparse=True needs TensorFlow's sparse "
                             "tensors, which minikeras does not have")
        has_vocab = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocab_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        self._max_tokens = max_tokens
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = False
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            encoding=encoding, has_input_vocabulary=has_vocab, vocabulary_size=vocab_size)
        self.built = True

    # the vocabulary is the lookup layer's
    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary: "" (padding) and "[UNK]" first in int mode, "[UNK]" first
        otherwise, unless `include_special_tokens=False`."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the vocabulary from texts: a list/array of strings (shape (N,) or (N, 1)),
        or an iterable of such batches (at most `steps` of them). `batch_size` changes
        nothing for arrays (Keras reads them whole too)."""
        lookup = self._lookup_layer
        _check_adaptable(self, lookup)
        counts: Counter = Counter()
        doc_counts: Counter = Counter()
        state = {"docs": 0}
        for batch, _ in _batches(data, steps, batch_size):
            arr = _string_array(batch, "TextVectorization")
            if arr.ndim == 0:
                arr = arr[None]
            docs = self._preprocess(arr)
            if isinstance(docs, np.ndarray):  # split=None: each row its own document
                docs = [list(r.ravel()) for r in (docs[None] if docs.ndim == 1 else docs)]
            lookup._update(docs, counts, doc_counts, state)
        lookup._finalize(counts, doc_counts, state["docs"])

    def _preprocess(self, texts: np.ndarray) -> Any:
        """Standardize, split and make ngrams: a list of token lists (one per text), or
        (split=None) the standardized strings' array."""
        std = self._standardize
        if std in ("lower", "lower_and_strip_punctuation"):
            texts = _map_strings(texts, lambda s: s.translate(_ASCII_LOWER))
        if std in ("strip_punctuation", "lower_and_strip_punctuation"):
            texts = _map_strings(texts, lambda s: _PUNCTUATION.sub("", s))
        if callable(std):
            texts = _string_array(std(texts), "TextVectorization (the result of "
                                  "`standardize`)")
        if self._split is None:
            if self._ngrams is not None:
                rows = texts.reshape(len(texts), -1) if texts.ndim else texts.reshape(1, 1)
                return [_ngrams(list(r), self._ngrams) for r in rows.tolist()]
            return texts
        if texts.ndim > 1:
            if texts.shape[-1] != 1:
                raise ValueError("When using `TextVectorization` to tokenize strings, the "
                                 "input rank must be 1 or the last shape dimension must be 1. "
                                 f"Received: inputs.shape={texts.shape} with "
                                 f"rank={texts.ndim}")
            texts = texts[..., 0]
        if texts.ndim > 1:
            raise ValueError(f"TextVectorization: inputs of shape {texts.shape} are not "
                             "supported; give (N,) or (N, 1)")
        if self._split == "whitespace":
            rows = [[t for t in _ASCII_SPACE.split(s) if t] for s in texts.tolist()]
        elif self._split == "character":
            rows = [list(s) for s in texts.tolist()]
        else:
            rows = [[_string_array(t, "TextVectorization (the result of `split`)")[()]
                     if not isinstance(t, str) else t for t in list(_numpy(r))]
                    for r in self._split(texts)]
        if self._ngrams is not None:
            rows = [_ngrams(r, self._ngrams) for r in rows]
        return rows

    def call(self, inputs: Any) -> np.ndarray:
        arr = _string_array(inputs, "TextVectorization")
        scalar = arr.ndim == 0
        if scalar:
            arr = arr[None]
        out = self._vectorize(arr)
        return out[0] if scalar else out  # (one text in, one row out, as Keras)

    def _vectorize(self, arr: np.ndarray) -> np.ndarray:
        data = self._preprocess(arr)
        lookup = self._lookup_layer
        if isinstance(data, np.ndarray):  # split=None and no ngrams: a lookup per string
            out = lookup.call(data)
            if self._output_mode == "int" and self._output_sequence_length is not None:
                out = _fit_length(out, self._output_sequence_length)
            return out
        if self._output_mode != "int":
            return lookup._ragged_call(data)
        ids = [lookup._lookup(lookup._token_array(r, (len(r),))) for r in data]
        width = self._output_sequence_length
        if width is None:
            width = max((len(r) for r in ids), default=0)
        out = np.zeros((len(ids), width), dtype=np.int64)
        for i, r in enumerate(ids):
            r = r[:width]
            out[i, :len(r)] = r
        return out

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        shape = tuple(input_shape)
        if self._split is None:
            if len(shape) <= 1:
                shape = shape + (1,)
        else:
            shape = shape + (None,)
        return self._lookup_layer.compute_output_shape(shape)

    def _output_dtype(self) -> str:
        return self._lookup_layer._output_dtype()

    def get_config(self) -> dict:
        from minikeras.saving.serialization import serialize_keras_object

        lookup = self._lookup_layer
        cfg = super().get_config()
        cfg.update({
            "max_tokens": lookup.max_tokens,
            "standardize": self._standardize if not callable(self._standardize) else
            serialize_keras_object(self._standardize),
            "split": self._split if not callable(self._split) else
            serialize_keras_object(self._split),
            "ngrams": self._ngrams_arg, "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": lookup.pad_to_max_tokens, "sparse": False, "ragged": False,
            "vocabulary": lookup.get_config()["vocabulary"],
            "idf_weights": lookup.get_config()["idf_weights"],
            "encoding": self._encoding, "vocabulary_size": self.vocabulary_size()})
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None
                    ) -> "TextVectorization":
        from minikeras.saving.serialization import deserialize_keras_object

        config = dict(config)
        for key in ("standardize", "split"):
            if config.get(key) is not None and not isinstance(config[key], str):
                config[key] = deserialize_keras_object(config[key],
                                                       custom_objects=custom_objects)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)

    def save_own_variables(self, store: dict) -> None:
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store: dict) -> None:
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path: str) -> None:
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path: str) -> None:
        self._lookup_layer.load_assets(dir_path)


def _map_strings(texts: np.ndarray, fn: Callable) -> np.ndarray:
    out = np.empty(texts.size, dtype=object)
    out[:] = [fn(s) for s in texts.ravel().tolist()]
    return out.reshape(texts.shape)


def _ngrams(tokens: list, widths: tuple) -> list:
    """TensorFlow's `strings.ngrams` (separator " ", no padding): every width in turn."""
    out: list = []
    for w in widths:
        out.extend(" ".join(tokens[i:i + w]) for i in range(len(tokens) - w + 1))
    return out


def _fit_length(ids: np.ndarray, length: int) -> np.ndarray:
    ids = ids[..., :length]
    pad = length - ids.shape[-1]
    if pad > 0:
        ids = np.concatenate([ids, np.zeros(ids.shape[:-1] + (pad,), ids.dtype)], axis=-1)
    return ids


# --- CategoryEncoding and Discretization --------------------------------------------------

class CategoryEncoding(_DataLayer):
    """Integer ids in [0, num_tokens) to one-hot, multi-hot or count vectors (the last axis
    is the sample's ids, except one-hot, which encodes every id). `count_weights` (same
    shape as the inputs) weighs counts. No `sparse=True`."""

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot",
                 sparse: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        _check_name("CategoryEncoding", "output_mode", output_mode,
                    ("count", "one_hot", "multi_hot"))
        if num_tokens is None:
            raise ValueError("num_tokens must be set to use this layer. If the number of "
                             "tokens is not known beforehand, use the IntegerLookup layer "
                             "instead.")
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError("CategoryEncoding: sparse=True is not supported by minikeras "
                             "(no sparse tensors)")
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False
        self.built = True

    def call(self, inputs: Any, count_weights: Any = None) -> np.ndarray:
        ids = np.asarray(_numpy(inputs))
        if ids.dtype.kind == "f":
            if not np.all(ids == np.round(ids)):
                raise ValueError("CategoryEncoding: inputs must be integer ids, got "
                                 f"non-integer values (shape {ids.shape})")
            ids = ids.astype(np.int64)
        elif ids.dtype.kind not in "iu":
            raise TypeError(f"CategoryEncoding expects integer ids, got dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_tokens):
            raise ValueError(f"CategoryEncoding: input values must be in the range "
                             f"0 <= values < num_tokens with num_tokens={self.num_tokens}; "
                             f"got min {ids.min()}, max {ids.max()}")
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError("`count_weights` is not used when `output_mode` is not "
                                 f"'count'. Received `count_weights={count_weights}`.")
            count_weights = np.asarray(_numpy(count_weights), dtype=self.dtype)
            if count_weights.shape != ids.shape:
                raise ValueError(f"CategoryEncoding: `count_weights` must have the inputs' "
                                 f"shape {ids.shape}, got {count_weights.shape}")
        return _encode(ids, self.output_mode, self.num_tokens, self.dtype, count_weights)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        if not shape:
            return (self.num_tokens,)
        if self.output_mode == "one_hot":
            if shape[-1] != 1 or len(shape) == 1:
                return shape + (self.num_tokens,)
            return shape[:-1] + (self.num_tokens,)
        return shape[:-1] + (self.num_tokens,)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode})
        return cfg


def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """Keras' quantile sketch of one batch: every step-th sorted value, weighing step."""
    values = np.sort(np.reshape(values, [-1]))
    step = max(np.size(values) / (1.0 / epsilon), 1)
    picks = values[int(step - 1)::int(step)]
    return np.stack([picks, np.ones_like(picks) * step])


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """Resample a sketch at cumulative-weight fractions epsilon, 2 epsilon, ..., 1."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    where = cum / cum[-1]
    bins = np.interp(fractions, where, summary[0])
    cum = np.interp(fractions, where, cum)
    weights = cum - np.concatenate((np.array([0]), cum[:-1]))
    return np.stack((bins, weights)).astype("float32")


def _merge(a: np.ndarray, b: np.ndarray, epsilon: float) -> np.ndarray:
    merged = np.concatenate((a, b), axis=1)
    return _compress(np.take(merged, np.argsort(merged[0]), axis=1), epsilon)


class Discretization(_DataLayer):
    """Numbers to bin indices (`np.digitize`: bin i holds boundaries[i-1] <= x <
    boundaries[i]), or one-hot/multi-hot/count vectors of them. `adapt` estimates
    `num_bins` quantile boundaries with Keras' sketch (one summary per batch, merged)."""

    def __init__(self, bin_boundaries: Any = None, num_bins: int | None = None,
                 epsilon: float = 0.01, output_mode: str = "int", sparse: bool = False,
                 dtype: Any = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError("Discretization: sparse=True is not supported by minikeras "
                             "(no sparse tensors)")
        _check_name("Discretization", "output_mode", output_mode,
                    ("int", "one_hot", "multi_hot", "count"))
        if num_bins is not None and num_bins < 0:
            raise ValueError("`num_bins` must be greater than or equal to 0. "
                             f"Received: `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError("Both `num_bins` and `bin_boundaries` should not be set. "
                             f"Received: `num_bins={num_bins}` and "
                             f"`bin_boundaries={bin_boundaries}`")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries = list(bin_boundaries) if bin_boundaries is not None else None
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = False
        self.summary = None if self.bin_boundaries else np.array([[], []], dtype="float32")
        self.built = True

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Estimate the bin boundaries from `data` (an array, or an iterable of batches;
        with `batch_size`, an array is read in slices of that size, as a batched dataset)."""
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized "
                             "with `bin_boundaries`, use `num_bins` instead.")
        summary = np.array([[], []], dtype="float32")
        for batch, from_iter in _batches(data, steps, batch_size):
            arr = np.asarray(batch)
            if arr.dtype.kind not in "fiub":
                raise TypeError(f"Discretization.adapt expects numbers, got dtype {arr.dtype}")
            arr = arr.astype("float32")
            parts = [arr] if from_iter or not batch_size else \
                [arr[i:i + batch_size] for i in range(0, len(arr), batch_size)]
            for i, part in enumerate(parts):
                if steps is not None and not from_iter and i >= steps:
                    break
                summary = _merge(_summarize(part, self.epsilon), summary, self.epsilon)
        self.summary = summary
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs: Any) -> np.ndarray:
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at "
                             "construction time or call `adapt(dataset)` before you can "
                             "start using the `Discretization` layer.")
        x = np.asarray(_numpy(inputs))
        if x.dtype.kind not in "fiub":
            raise TypeError(f"Discretization expects numbers, got dtype {x.dtype}")
        ids = np.digitize(x.astype(self.dtype),
                          np.asarray(self.bin_boundaries, dtype=self.dtype)).astype(np.int64)
        depth = len(self.bin_boundaries) + 1
        if self.output_mode == "int":
            return ids.astype(np.int32)
        return _encode(ids, self.output_mode, depth, self.dtype)

    def _output_dtype(self) -> str:
        return "int32" if self.output_mode == "int" else self.compute_dtype

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None \
            else self.num_bins
        shape = tuple(input_shape)
        if self.output_mode == "one_hot":
            if shape and shape[-1] == 1 and len(shape) > 1:
                return shape[:-1] + (depth,)
            return shape + (depth,)
        if shape and len(shape) >= 2:
            return (shape[0],) + shape[2:] + (depth,)
        return (depth,)

    def get_config(self) -> dict:
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> "Discretization":
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = list(boundaries)
            return layer
        return cls(**config)


CLASSES = (TextVectorization, StringLookup, IntegerLookup, CategoryEncoding, Discretization)
