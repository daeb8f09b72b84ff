"""Keras 3's `Hashing` layer, and the two string hashes it relies on, in pure Python.

Keras hashes with TensorFlow: `tf.strings.to_hash_bucket_fast` (FarmHash64, Google's
`farmhashna::Hash64` of the UTF-8 bytes, modulo the number of bins) or, with a `salt`,
`tf.strings.to_hash_bucket_strong` (SipHash-2-4 keyed by two 64-bit integers). Both are
written here from their published descriptions and checked value for value against
TensorFlow (compat_tests/fixtures/textprep_k3.json, `raw_hashes`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import config as _config
from minikeras.layers.layer import INPUT_DTYPES
from minikeras.layers.preprocessing_text import _check_name, _DataLayer, _encode, _numpy

_M64 = (1 << 64) - 1
# FarmHash's constants (primes between 2^63 and 2^64)
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F


def _u64(b: bytes, i: int) -> int:
    return int.from_bytes(b[i:i + 8], "little")


def _u32(b: bytes, i: int) -> int:
    return int.from_bytes(b[i:i + 4], "little")


def _rot(v: int, s: int) -> int:
    """Rotate a 64-bit value right by `s` bits."""
    return v if s == 0 else ((v >> s) | (v << (64 - s))) & _M64


def _shift_mix(v: int) -> int:
    return v ^ (v >> 47)


def _mix16(u: int, v: int, mul: int) -> int:
    a = ((u ^ v) * mul) & _M64
    a ^= a >> 47
    b = ((v ^ a) * mul) & _M64
    b ^= b >> 47
    return (b * mul) & _M64


def _len_0_to_16(s: bytes) -> int:
    n = len(s)
    if n >= 8:
        mul = (_K2 + n * 2) & _M64
        a = (_u64(s, 0) + _K2) & _M64
        b = _u64(s, n - 8)
        c = (_rot(b, 37) * mul + a) & _M64
        d = ((_rot(a, 25) + b) * mul) & _M64
        return _mix16(c, d, mul)
    if n >= 4:
        mul = (_K2 + n * 2) & _M64
        return _mix16((n + (_u32(s, 0) << 3)) & _M64, _u32(s, n - 4), mul)
    if n > 0:
        y = (s[0] + (s[n >> 1] << 8)) & 0xFFFFFFFF
        z = (n + (s[n - 1] << 2)) & 0xFFFFFFFF
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _M64) * _K2) & _M64
    return _K2


def _len_17_to_32(s: bytes) -> int:
    n = len(s)
    mul = (_K2 + n * 2) & _M64
    a = (_u64(s, 0) * _K1) & _M64
    b = _u64(s, 8)
    c = (_u64(s, n - 8) * mul) & _M64
    d = (_u64(s, n - 16) * _K2) & _M64
    return _mix16((_rot((a + b) & _M64, 43) + _rot(c, 30) + d) & _M64,
                  (a + _rot((b + _K2) & _M64, 18) + c) & _M64, mul)


def _len_33_to_64(s: bytes) -> int:
    n = len(s)
    mul = (_K2 + n * 2) & _M64
    a = (_u64(s, 0) * _K2) & _M64
    b = _u64(s, 8)
    c = (_u64(s, n - 8) * mul) & _M64
    d = (_u64(s, n - 16) * _K2) & _M64
    y = (_rot((a + b) & _M64, 43) + _rot(c, 30) + d) & _M64
    z = _mix16(y, (a + _rot((b + _K2) & _M64, 18) + c) & _M64, mul)
    e = (_u64(s, 16) * mul) & _M64
    f = _u64(s, 24)
    g = ((y + _u64(s, n - 32)) * mul) & _M64
    h = ((z + _u64(s, n - 24)) * mul) & _M64
    return _mix16((_rot((e + f) & _M64, 43) + _rot(g, 30) + h) & _M64,
                  (e + _rot((f + a) & _M64, 18) + g) & _M64, mul)


def _weak32(s: bytes, i: int, a: int, b: int) -> tuple:
    w, x, y, z = _u64(s, i), _u64(s, i + 8), _u64(s, i + 16), _u64(s, i + 24)
    a = (a + w) & _M64
    b = _rot((b + a + z) & _M64, 21)
    c = a
    a = (a + x + y) & _M64
    b = (b + _rot(a, 44)) & _M64
    return (a + z) & _M64, (b + c) & _M64


def farmhash64(data: bytes) -> int:
    """FarmHash64 (`farmhashna::Hash64`, TensorFlow's `Fingerprint64`) of `data`."""
    n = len(data)
    if n <= 16:
        return _len_0_to_16(data)
    if n <= 32:
        return _len_17_to_32(data)
    if n <= 64:
        return _len_33_to_64(data)
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _M64
    z = (_shift_mix((y * _K2 + 113) & _M64) * _K2) & _M64
    v = (0, 0)
    w = (0, 0)
    x = (x * _K2 + _u64(data, 0)) & _M64
    end = ((n - 1) // 64) * 64
    last64 = n - 64
    i = 0
    while True:
        x = (_rot((x + y + v[0] + _u64(data, i + 8)) & _M64, 37) * _K1) & _M64
        y = (_rot((y + v[1] + _u64(data, i + 48)) & _M64, 42) * _K1) & _M64
        x ^= w[1]
        y = (y + v[0] + _u64(data, i + 40)) & _M64
        z = (_rot((z + w[0]) & _M64, 33) * _K1) & _M64
        v = _weak32(data, i, (v[1] * _K1) & _M64, (x + w[0]) & _M64)
        w = _weak32(data, i + 32, (z + w[1]) & _M64, (y + _u64(data, i + 16)) & _M64)
        z, x = x, z
        i += 64
        if i == end:
            break
    mul = (_K1 + ((z & 0xFF) << 1)) & _M64
    i = last64
    w0 = (w[0] + ((n - 1) & 63)) & _M64
    v0 = (v[0] + w0) & _M64
    w0 = (w0 + v0) & _M64
    v = (v0, v[1])
    w = (w0, w[1])
    x = (_rot((x + y + v[0] + _u64(data, i + 8)) & _M64, 37) * mul) & _M64
    y = (_rot((y + v[1] + _u64(data, i + 48)) & _M64, 42) * mul) & _M64
    x ^= (w[1] * 9) & _M64
    y = (y + v[0] * 9 + _u64(data, i + 40)) & _M64
    z = (_rot((z + w[0]) & _M64, 33) * mul) & _M64
    v = _weak32(data, i, (v[1] * mul) & _M64, (x + w[0]) & _M64)
    w = _weak32(data, i + 32, (z + w[1]) & _M64, (y + _u64(data, i + 16)) & _M64)
    z, x = x, z
    return _mix16((_mix16(v[0], w[0], mul) + _shift_mix(y) * _K0 + z) & _M64,
                  (_mix16(v[1], w[1], mul) + x) & _M64, mul)


def _rotl(v: int, s: int) -> int:
    return ((v << s) | (v >> (64 - s))) & _M64


def siphash24(key: tuple, data: bytes) -> int:
    """SipHash-2-4 of `data` under the 128-bit key (k0, k1) (TensorFlow's
    `StrongKeyedHash`)."""
    k0, k1 = key[0] & _M64, key[1] & _M64
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573

    def rounds(count: int) -> None:
        nonlocal v0, v1, v2, v3
        for _ in range(count):
            v0 = (v0 + v1) & _M64
            v1 = _rotl(v1, 13) ^ v0
            v0 = _rotl(v0, 32)
            v2 = (v2 + v3) & _M64
            v3 = _rotl(v3, 16) ^ v2
            v0 = (v0 + v3) & _M64
            v3 = _rotl(v3, 21) ^ v0
            v2 = (v2 + v1) & _M64
            v1 = _rotl(v1, 17) ^ v2
            v2 = _rotl(v2, 32)

    n = len(data)
    full = n - n % 8
    for i in range(0, full, 8):
        m = _u64(data, i)
        v3 ^= m
        rounds(2)
        v0 ^= m
    last = ((n & 0xFF) << 56) | int.from_bytes(data[full:], "little")
    v3 ^= last
    rounds(2)
    v0 ^= last
    v2 ^= 0xFF
    rounds(4)
    return v0 ^ v1 ^ v2 ^ v3


class Hashing(_DataLayer):
    """Strings or integers to `num_bins` bins by hashing, as Keras 3 (FarmHash64, or
    SipHash-2-4 with `salt`; integers and floats hash as their decimal text, floats
    truncated to integers first). With `mask_value`, that value goes to bin 0 and the
    others to 1..num_bins-1. Outputs int64 ids, or one-hot/multi-hot/count vectors.
    No `sparse=True`."""

    _allowed_dtypes = INPUT_DTYPES

    def __init__(self, num_bins: int, mask_value: Any = None, salt: Any = None,
                 output_mode: str = "int", sparse: bool = False, **kwargs: Any) -> None:
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else _config.floatx()
        super().__init__(**kwargs)
        if num_bins is None or isinstance(num_bins, bool) or not isinstance(
                num_bins, (int, np.integer)) or num_bins <= 0:
            raise ValueError("The `num_bins` for `Hashing` cannot be `None` or non-positive "
                             f"values. Received: num_bins={num_bins}.")
        _check_name("Hashing", "output_mode", output_mode,
                    ("int", "one_hot", "multi_hot", "count"))
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError("When `output_mode=\"int\"`, `dtype` should be an integer type, "
                             f"'int32' or 'int64'. Received: dtype={kwargs['dtype']}")
        if sparse:
            raise ValueError("Hashing: sparse=True is not supported by minikeras (no sparse "
                             "tensors)")
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2 and all(
                    isinstance(s, (int, np.integer)) for s in salt):
                salt = [int(s) for s in salt]
            elif isinstance(salt, (int, np.integer)) and not isinstance(salt, bool):
                salt = [int(salt), int(salt)]
            else:
                raise ValueError("The `salt` argument for `Hashing` can only be a tuple of "
                                 f"size 2 integers, or a single integer. Received: "
                                 f"salt={salt}.")
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.salt = salt
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = False
        self.built = True

    def _hash(self, text: str) -> int:
        data = text.encode("utf-8")
        return siphash24(self.salt, data) if self.strong_hash else farmhash64(data)

    def _bins(self, values: np.ndarray) -> np.ndarray:
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = values == self.mask_value
        if values.dtype.kind == "f":
            values = values.astype(np.int64)
        if values.dtype.kind in "iub":
            texts = [str(int(v)) for v in values.ravel().tolist()]
        else:
            texts = []
            for v in values.ravel().tolist():
                if isinstance(v, bytes):
                    v = v.decode("utf-8")
                if not isinstance(v, str):
                    raise TypeError(f"Hashing expects strings or numbers, got {v!r} of type "
                                    f"{type(v).__name__}")
                texts.append(v)
        out = np.array([self._hash(t) % bins for t in texts], dtype=np.int64).reshape(
            values.shape)
        if mask is not None:
            out = np.where(np.asarray(mask, dtype=bool), 0, out + 1)
        return out

    def call(self, inputs: Any) -> np.ndarray:
        values = np.asarray(_numpy(inputs))
        if values.dtype.kind in "US":
            values = values.astype(object)
        if values.dtype.kind not in "fiubO":
            raise TypeError(f"Hashing expects strings or numbers, got dtype {values.dtype}")
        if self.output_mode == "one_hot" and values.ndim and values.shape[-1] == 1:
            values = values[..., 0]
        ids = self._bins(values)
        if self.output_mode == "int":
            return ids.astype(self.dtype)
        return _encode(ids, self.output_mode, self.num_bins, self.dtype)

    def _output_dtype(self) -> str:
        return self.dtype

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if self.output_mode == "int":
            return tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_bins,)
        return tuple(input_shape[:-1]) + (self.num_bins,)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"num_bins": self.num_bins, "salt": self.salt,
                    "mask_value": self.mask_value, "output_mode": self.output_mode,
                    "sparse": self.sparse})
        return cfg
