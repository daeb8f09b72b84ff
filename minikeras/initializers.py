"""Weight initialisers (`keras.initializers`), with Keras 3's defaults and formulas.

An initialiser with `seed=` draws from its own generator and returns the same values on
every call, as in Keras 3. Without a seed it draws from minikeras' global generator.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minikeras import config
from minikeras.random import SeedGenerator, generator
from minikeras.random import truncated_normal_array as _truncated_normal
from minikeras.utils.naming import to_snake_case, unknown_name_error


class Initializer:
    """Base class: `__call__(shape, dtype=None)` returns a NumPy array."""

    def __call__(self, shape, dtype=None) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Initializer":
        return cls(**config)

    def clone(self) -> "Initializer":
        return self.__class__.from_config(self.get_config())


def _dtype(dtype) -> np.dtype:
    return np.dtype(dtype or config.floatx())


class _Seeded(Initializer):
    """A random initializer. `seed`: None (the global generator), an int (the same values
    at every call, as Keras 3), a `keras.random.SeedGenerator` (new values at every call,
    the sequence fixed by its seed) or a SeedGenerator's serialized config."""

    def __init__(self, seed: Any = None) -> None:
        self._init_seed = seed
        if isinstance(seed, dict):
            inner = seed.get("config", seed) if "class_name" in seed else seed
            seed = SeedGenerator.from_config(dict(inner))
        elif seed is not None and not isinstance(seed, SeedGenerator) and (
                not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)):
            raise ValueError("`seed` argument should be an instance of "
                             "`keras.random.SeedGenerator()` or an integer. Received: "
                             f"seed={seed!r}")
        self.seed = seed

    def _rng(self) -> np.random.RandomState:
        if isinstance(self.seed, SeedGenerator):
            return self.seed.rng()
        return generator(self.seed)

    def _seed_config(self) -> Any:
        from minikeras.saving.serialization import serialize_keras_object

        if isinstance(self._init_seed, dict):
            return self._init_seed  # already a serialized SeedGenerator
        return serialize_keras_object(self._init_seed)


class Zeros(Initializer):
    def __call__(self, shape, dtype=None) -> np.ndarray:
        return np.zeros(shape, dtype=_dtype(dtype))


class Ones(Initializer):
    def __call__(self, shape, dtype=None) -> np.ndarray:
        return np.ones(shape, dtype=_dtype(dtype))


class Constant(Initializer):
    """`value` broadcast to the shape: a number, or an array that broadcasts to it."""

    def __init__(self, value: Any = 0.0) -> None:
        if isinstance(value, dict) and value.get("class_name") == "__numpy__":
            inner = value["config"]  # Keras 3's serialized array
            value = np.asarray(inner["value"], dtype=inner.get("dtype"))
        elif hasattr(value, "numpy") and not isinstance(value, np.ndarray):
            value = value.numpy()
        self.value = value

    def __call__(self, shape, dtype=None) -> np.ndarray:
        return (np.asarray(self.value, dtype=_dtype(dtype)) *
                np.ones(shape, dtype=_dtype(dtype)))

    def get_config(self) -> dict:
        if isinstance(self.value, (np.ndarray, np.generic)):
            arr = np.asarray(self.value)
            if arr.ndim == 0:
                return {"value": arr.item()}
            return {"value": {"class_name": "__numpy__",
                              "config": {"value": arr.tolist(), "dtype": str(arr.dtype)}}}
        return {"value": self.value}


class Identity(Initializer):
    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape, dtype=None) -> np.ndarray:
        if len(shape) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices. "
                             f"Received: shape={tuple(shape)} of rank {len(shape)}.")
        return (self.gain * np.eye(*shape)).astype(_dtype(dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain}


class RandomNormal(_Seeded):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None) -> np.ndarray:
        return self._rng().normal(self.mean, self.stddev, size=shape).astype(_dtype(dtype))

    def get_config(self) -> dict:
        return {"seed": self._seed_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(_Seeded):
    def __init__(self, minval: float = -0.05, maxval: float = 0.05,
                 seed: int | None = None) -> None:
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None) -> np.ndarray:
        return self._rng().uniform(self.minval, self.maxval, size=shape).astype(_dtype(dtype))

    def get_config(self) -> dict:
        return {"seed": self._seed_config(), "minval": self.minval, "maxval": self.maxval}


class TruncatedNormal(_Seeded):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None) -> np.ndarray:
        return _truncated_normal(self._rng(), self.mean, self.stddev, shape).astype(_dtype(dtype))

    def get_config(self) -> dict:
        return {"seed": self._seed_config(), "mean": self.mean, "stddev": self.stddev}


def compute_fans(shape, input_axes: Any = None, output_axes: Any = None) -> tuple[int, int]:
    """Keras' fan-in/fan-out: dense (in, out); conv kernels multiply in the receptive field.
    With `input_axes` and `output_axes` (Keras 3.15), the products of those axes' sizes."""
    shape = tuple(int(d) for d in shape)
    if input_axes is not None and output_axes is not None:
        return (int(np.prod([shape[a] for a in input_axes])),
                int(np.prod([shape[a] for a in output_axes])))
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(_Seeded):
    """Draws with variance `scale / n`, n = fan_in, fan_out or their mean (`mode`);
    `input_axes`/`output_axes` say which axes make the fans (Keras 3.15)."""

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform", "normal")

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: Any = None,
                 input_axes: Any = None, output_axes: Any = None) -> None:
        if not isinstance(scale, (int, float, np.number)) or isinstance(scale, bool) or \
                not scale > 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: "
                             f"scale={scale!r}")
        if mode not in self._MODES:
            err = unknown_name_error("mode", mode, self._MODES)
            raise ValueError(f"Invalid `mode` argument: {mode}. Please use one of "
                             f"{set(self._MODES)}. {err}")
        dist = str(distribution).lower()
        if dist not in self._DISTRIBUTIONS:
            err = unknown_name_error("distribution", distribution, self._DISTRIBUTIONS)
            raise ValueError(f"Invalid `distribution` argument: {distribution}. Please use one "
                             f"of {set(self._DISTRIBUTIONS) - {'normal'}}. {err}")
        if dist == "normal":
            dist = "truncated_normal"
        for name, axes in (("input_axes", input_axes), ("output_axes", output_axes)):
            if axes is not None and not (isinstance(axes, (list, tuple)) and all(
                    isinstance(a, (int, np.integer)) for a in axes)):
                raise ValueError(f"`{name}` must be a list of axis indices or None. "
                                 f"Received: {name}={axes!r}")
        super().__init__(seed)
        self.scale, self.mode, self.distribution = scale, mode, dist
        self.input_axes = None if input_axes is None else list(input_axes)
        self.output_axes = None if output_axes is None else list(output_axes)

    def __call__(self, shape, dtype=None) -> np.ndarray:
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution == "truncated_normal":
            # 0.879... is the stddev of a unit normal truncated to [-2, 2]
            stddev = math.sqrt(scale) / 0.87962566103423978
            values = _truncated_normal(rng, 0.0, stddev, shape)
        elif self.distribution == "untruncated_normal":
            values = rng.normal(0.0, math.sqrt(scale), size=shape)
        else:
            limit = math.sqrt(3.0 * scale)
            values = rng.uniform(-limit, limit, size=shape)
        return np.asarray(values).astype(_dtype(dtype))

    def get_config(self) -> dict:
        return {"seed": self._seed_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


def _fixed(name: str, scale: float, mode: str, distribution: str):
    def __init__(self, seed: Any = None, input_axes: Any = None,
                 output_axes: Any = None) -> None:
        VarianceScaling.__init__(self, scale, mode, distribution, seed, input_axes,
                                 output_axes)

    def get_config(self) -> dict:
        return {"seed": self._seed_config(), "input_axes": self.input_axes,
                "output_axes": self.output_axes}

    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                           "__doc__": f"VarianceScaling({scale}, {mode!r}, "
                                                      f"{distribution!r})."})


GlorotUniform = _fixed("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _fixed("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeNormal = _fixed("HeNormal", 2.0, "fan_in", "truncated_normal")
HeUniform = _fixed("HeUniform", 2.0, "fan_in", "uniform")
LecunNormal = _fixed("LecunNormal", 1.0, "fan_in", "truncated_normal")
LecunUniform = _fixed("LecunUniform", 1.0, "fan_in", "uniform")
for _cls in (GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal, LecunUniform):
    _cls.__module__ = __name__


class Orthogonal(_Seeded):
    def __init__(self, gain: float = 1.0, seed: Any = None) -> None:
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None) -> np.ndarray:
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional. "
                             f"Received: shape={tuple(shape)} of rank {len(shape)}.")
        rows = int(np.prod(shape[:-1]))
        cols = shape[-1]
        a = self._rng().normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(_dtype(dtype))

    def get_config(self) -> dict:
        return {"seed": self._seed_config(), "gain": self.gain}


_CLASSES = (Zeros, Ones, Constant, Identity, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal,
            LecunUniform, Orthogonal)
_TABLE: dict[str, Any] = {}
for _cls in _CLASSES:
    _TABLE[_cls.__name__] = _cls
    _TABLE[to_snake_case(_cls.__name__)] = _cls
_TABLE.update({"zero": Zeros, "one": Ones, "constant": Constant, "uniform": RandomUniform,
               "normal": RandomNormal, "identity": Identity, "orthogonal": Orthogonal,
               "IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal})

# Keras 2 functional aliases
zeros, ones = Zeros, Ones
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_normal, he_uniform, lecun_normal, lecun_uniform = HeNormal, HeUniform, LecunNormal, LecunUniform
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
# Keras 3's other public names
constant, identity, orthogonal, variance_scaling = Constant, Identity, Orthogonal, VarianceScaling
IdentityInitializer, OrthogonalInitializer = Identity, Orthogonal


def serialize(initializer: Initializer) -> dict:
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(initializer)


def deserialize(config: Any, custom_objects: dict | None = None) -> Initializer:
    from minikeras.saving.serialization import deserialize_from_table

    obj = deserialize_from_table(config, _TABLE, "initializer", custom_objects)
    return obj() if isinstance(obj, type) else obj


def get(identifier: Any) -> Any:
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, np.ndarray) or hasattr(identifier, "numpy"):
        # Keras 3: an array is an initializer that returns it, for exactly its shape
        value = np.asarray(identifier.numpy() if hasattr(identifier, "numpy") else identifier)

        def initialize_fn(shape, dtype=None) -> np.ndarray:
            if tuple(shape) != value.shape:
                raise ValueError(f"Expected `shape` to be {value.shape} for direct tensor as "
                                 f"initializer. Received shape={tuple(shape)}")
            return value.astype(_dtype(dtype))

        return initialize_fn
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")
