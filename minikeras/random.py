"""The one random generator behind initialisers, shuffling, dropout and noise.

It is NumPy's global generator, so `np.random.seed(s)` and
`keras.utils.set_random_seed(s)` both make runs repeat bit for bit.
An explicit `seed=` argument gives its own, independent generator.
"""

from __future__ import annotations

import numpy as np


def generator(seed: int | None = None) -> np.random.RandomState:
    if seed is None:
        return np.random.mtrand._rand
    return np.random.RandomState(int(seed) % (2**32))


def set_seed(seed: int) -> None:
    np.random.seed(int(seed) % (2**32))
