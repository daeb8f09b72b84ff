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


# --- keras.random: Keras 3's random functions, on the same generator ------------------

class SeedGenerator:
    """Keras 3's stateful seed: successive draws through it differ, and a given seed makes
    the whole sequence repeat. Its config is Keras': `{"seed", "name"}`."""

    def __init__(self, seed: int | None = None, name: str | None = None) -> None:
        if seed is not None and (not isinstance(seed, (int, np.integer)) or
                                 isinstance(seed, bool)):
            raise ValueError(f"SeedGenerator: `seed` must be an integer or None. Received: "
                             f"seed={seed!r}")
        if name is None:
            from minikeras.utils.naming import auto_name

            name = auto_name("seed_generator")
        self.name = name
        self._initial_seed = None if seed is None else int(seed)
        self._rng = generator(seed) if seed is not None else None

    def rng(self) -> np.random.RandomState:
        return self._rng if self._rng is not None else generator()

    def get_config(self) -> dict:
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> "SeedGenerator":
        return cls(**config)


def truncated_normal_array(rng, mean, stddev, shape) -> np.ndarray:
    """Normal values redrawn until they lie within two standard deviations of the mean."""
    out = rng.normal(0.0, 1.0, size=shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.normal(0.0, 1.0, size=int(bad.sum()))
        bad = np.abs(out) > 2.0
    return mean + stddev * out


def _rng(seed) -> np.random.RandomState:
    if isinstance(seed, SeedGenerator):
        return seed.rng()
    return generator(seed)


def _tensor(value, dtype):
    from minikeras import config
    from minikeras.autodiff.tensor import Tensor

    return Tensor(np.asarray(value).astype(dtype or config.floatx()))


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _tensor(_rng(seed).normal(mean, stddev, size=shape), dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return _tensor(_rng(seed).uniform(minval, maxval, size=shape), dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _tensor(truncated_normal_array(_rng(seed), mean, stddev, shape), dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    return _tensor(_rng(seed).randint(minval, maxval, size=shape), dtype)


def shuffle(x, axis=0, seed=None):
    from minikeras.autodiff.tensor import Tensor

    arr = np.asarray(x.value if isinstance(x, Tensor) else x)
    perm = _rng(seed).permutation(arr.shape[axis])
    return Tensor(np.take(arr, perm, axis=axis))


def dropout(inputs, rate, noise_shape=None, seed=None):
    from minikeras.autodiff import primitives as P

    return P.dropout(inputs, rate, _rng(seed))
