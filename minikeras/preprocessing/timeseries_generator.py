"""`keras.preprocessing.sequence.TimeseriesGenerator`, `make_sampling_table`, `skipgrams`:
Keras 2's sequence utilities (tf_keras/src/preprocessing/sequence.py; Keras 3 dropped them).

`TimeseriesGenerator` is a `PyDataset` (Keras 2: a `Sequence`), so `model.fit` takes it
directly. Its batch `i` holds the windows ending before rows
`start_index + length + i * batch_size * stride`, stepping by `stride`, each window
`data[row - length:row:sampling_rate]` with target `targets[row]`, as in Keras.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence as _Seq
from typing import Any

import numpy as np

from minikeras.trainers.py_dataset import PyDataset


def _positive_int(owner: str, name: str, value: Any, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{owner}: `{name}` must be an integer >= {minimum}, got "
                         f"{name}={value!r}")


class TimeseriesGenerator(PyDataset):
    """Batches of sliding windows over `data` with the target that follows each window.
    `shuffle=True` draws `batch_size` rows at random with NumPy's global RNG (as Keras)."""

    def __init__(self, data: Any, targets: Any, length: int, sampling_rate: int = 1,
                 stride: int = 1, start_index: int = 0, end_index: int | None = None,
                 shuffle: bool = False, reverse: bool = False, batch_size: int = 128) -> None:
        super().__init__()
        if len(data) != len(targets):
            raise ValueError("TimeseriesGenerator: data and targets have to be of same "
                             f"length. Data length is {len(data)} while target length is "
                             f"{len(targets)}")
        owner = "TimeseriesGenerator"
        _positive_int(owner, "length", length)
        _positive_int(owner, "sampling_rate", sampling_rate)
        _positive_int(owner, "stride", stride)
        _positive_int(owner, "batch_size", batch_size)
        _positive_int(owner, "start_index", start_index, minimum=0)
        self.data = data
        self.targets = targets
        self.length = length
        self.sampling_rate = sampling_rate
        self.stride = stride
        # As Keras: the stored start_index is the first target row, not the argument.
        self.start_index = start_index + length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle = shuffle
        self.reverse = reverse
        self.batch_size = batch_size
        if self.start_index > self.end_index:
            raise ValueError(f"`start_index+length={self.start_index} > end_index="
                             f"{self.end_index}` is disallowed, as no part of the sequence "
                             "would be left to be used as current step.")

    def __len__(self) -> int:
        step = self.batch_size * self.stride
        return (self.end_index - self.start_index + step) // step

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1,
                                     size=self.batch_size)
        else:
            first = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(first, min(first + self.batch_size * self.stride,
                                        self.end_index + 1), self.stride)
        samples = np.array([self.data[r - self.length:r:self.sampling_rate] for r in rows])
        targets = np.array([self.targets[r] for r in rows])
        if self.reverse:
            return samples[:, ::-1, ...], targets
        return samples, targets

    def get_config(self) -> dict[str, Any]:
        """Keras' config: data and targets as JSON strings."""
        def dump(name: str, value: Any) -> str:
            if isinstance(value, np.ndarray):
                value = value.tolist()
            try:
                return json.dumps(value)
            except TypeError as e:
                raise TypeError(f"TimeseriesGenerator: {name} not JSON serializable") from e

        return {"data": dump("data", self.data), "targets": dump("targets", self.targets),
                "length": self.length, "sampling_rate": self.sampling_rate,
                "stride": self.stride, "start_index": self.start_index,
                "end_index": self.end_index, "shuffle": self.shuffle,
                "reverse": self.reverse, "batch_size": self.batch_size}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()},
                          **kwargs)


def make_sampling_table(size: int, sampling_factor: float = 1e-5) -> np.ndarray:
    """Keep-probability of the word of rank i, from a Zipf approximation of its frequency
    (word2vec's subsampling), as Keras: `min(1, f / sqrt(f))` with
    `f = sampling_factor * rank * (log(rank) + gamma) + ...`."""
    gamma = 0.577
    rank = np.arange(size)
    rank[0] = 1  # index 0 is padding: give it rank 1's value
    inv_fq = rank * (np.log(rank) + gamma) + 0.5 - 1.0 / (12.0 * rank)
    f = sampling_factor * inv_fq
    return np.minimum(1.0, f / np.sqrt(f))


def skipgrams(sequence: _Seq[int], vocabulary_size: int, window_size: int = 4,
              negative_samples: float = 1.0, shuffle: bool = True, categorical: bool = False,
              sampling_table: Any = None, seed: int | None = None
              ) -> tuple[list[list[int]], list[Any]]:
    """Word2vec pairs: (word, context) within `window_size` labelled 1, plus
    `negative_samples` times as many (word, random word) pairs labelled 0. Index 0 is
    skipped. Uses Python's `random` module in the same order as Keras, so a given
    `random.seed` gives Keras' pairs; `shuffle` reseeds it with `seed`, as Keras does."""
    couples: list[list[int]] = []
    labels: list[Any] = []
    for i, wi in enumerate(sequence):
        if not wi:
            continue
        if sampling_table is not None and sampling_table[wi] < random.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j == i or not sequence[j]:
                continue
            couples.append([wi, sequence[j]])
            labels.append([0, 1] if categorical else 1)
    if negative_samples > 0:
        n_neg = int(len(labels) * negative_samples)
        words = [c[0] for c in couples]
        random.shuffle(words)
        couples += [[words[i % len(words)], random.randint(1, int(vocabulary_size - 1))]
                    for i in range(n_neg)]
        labels += [[1, 0] if categorical else 0 for _ in range(n_neg)]
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(10e6))
        # the same seed for both shuffles keeps couples and labels aligned
        random.seed(seed)
        random.shuffle(couples)
        random.seed(seed)
        random.shuffle(labels)
    return couples, labels
