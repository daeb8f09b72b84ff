"""Normalisation layers for features: `Normalization` (z-score, with `adapt`) and
`Rescaling` (x * scale + offset, e.g. min-max scaling)."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import config
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.layer import Layer


class Normalization(Layer):
    """(x - mean) / max(sqrt(variance), epsilon) per feature along `axis`.

    `mean`/`variance` may be given, or learnt from data with `adapt(data)`. `invert=True`
    maps normalised values back.
    """

    def __init__(self, axis: Any = -1, mean: Any = None, variance: Any = None,
                 invert: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True  # passes masks through, as Keras 3
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        self.axis = tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: give both `mean` and `variance`, or neither "
                             f"(got mean={mean!r}, variance={variance!r})")
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)

    def build(self, input_shape: tuple) -> None:
        ndim = len(input_shape)
        for a in self.axis:
            if not -ndim <= a < ndim:
                raise ValueError(f"Normalization: axis {a} is out of range for inputs of rank "
                                 f"{ndim} (shape {input_shape})")
        self._keep = tuple(sorted(a % ndim for a in self.axis))
        for d in self._keep:
            if input_shape[d] is None:
                raise ValueError(f"Normalization: axis {d} must have a known size, got input "
                                 f"shape {input_shape}")
        self._reduce = tuple(d for d in range(ndim) if d not in self._keep)
        self._broadcast = tuple(input_shape[d] if d in self._keep else 1 for d in range(ndim))
        shape = tuple(input_shape[d] for d in self._keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=shape, initializer="zeros",
                                              trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int64",
                                         initializer="zeros", trainable=False)
        self.built = True

    def adapt(self, data: Any, batch_size: Any = None, steps: Any = None) -> None:
        """Set mean and variance from `data` (population variance, as Keras computes)."""
        data = np.asarray(data.value if isinstance(data, Tensor) else data, dtype=np.float64)
        if data.ndim == 1 and self.axis:  # (axis=None: Keras 3 builds on (None,), so that
            data = data[:, None]          # the layer maps 1-D inputs to 1-D outputs)
        if data.size == 0:
            raise ValueError("Normalization.adapt: `data` is empty")
        if not self.built:
            self.build((None,) + data.shape[1:])
        if self.input_mean is not None:
            raise ValueError("Normalization: cannot adapt a layer built with fixed mean and "
                             "variance")
        mean = data.mean(axis=self._reduce)
        var = data.var(axis=self._reduce)
        self.adapt_mean.assign(mean.reshape(self.adapt_mean.shape).astype(self.dtype))
        self.adapt_variance.assign(var.reshape(self.adapt_variance.shape).astype(self.dtype))
        self.count.assign(np.asarray(np.prod([data.shape[d] for d in self._reduce]),
                                     dtype=np.int64))

    @property
    def mean(self) -> Tensor | None:
        """As Keras 3: the mean in the inputs' broadcast shape (e.g. (1, 3) for inputs
        (None, 3)), in the layer's dtype; None before the layer is built."""
        return Tensor(np.array(self._stats()[0], dtype=self.dtype)) if self.built else None

    @property
    def variance(self) -> Tensor | None:
        """As Keras 3: the variance, shaped as `mean`; None before the layer is built."""
        return Tensor(np.array(self._stats()[1], dtype=self.dtype)) if self.built else None

    def _stats(self) -> tuple[np.ndarray, np.ndarray]:
        if self.input_mean is not None:
            m = np.asarray(self.input_mean, dtype=self.dtype)
            v = np.asarray(self.input_variance, dtype=self.dtype)
            if m.ndim == 0:
                return np.broadcast_to(m, self._broadcast), np.broadcast_to(v, self._broadcast)
            shape = [1] * len(self._broadcast)
            for i in range(1, m.ndim + 1):
                shape[self._keep[-i]] = m.shape[-i]
            return (np.broadcast_to(m.reshape(shape), self._broadcast),
                    np.broadcast_to(v.reshape(shape), self._broadcast))
        return (self.adapt_mean.value.reshape(self._broadcast),
                self.adapt_variance.value.reshape(self._broadcast))

    def call(self, inputs: Tensor) -> Tensor:
        mean, var = self._stats()
        std = np.maximum(np.sqrt(var), np.asarray(config.epsilon(), dtype=var.dtype))
        if self.invert:
            return P.add(P.multiply(inputs, std), mean)
        return P.divide(P.subtract(inputs, mean), std)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"axis": list(self.axis), "invert": self.invert,
                    "mean": None if self.input_mean is None else
                    np.asarray(self.input_mean).tolist(),
                    "variance": None if self.input_variance is None else
                    np.asarray(self.input_variance).tolist()})
        return cfg


class Rescaling(Layer):
    """x * scale + offset: `Rescaling(1/255)` maps pixels to [0, 1]; min-max scaling to [a, b]
    is `Rescaling((b-a)/(max-min), offset=a - min*(b-a)/(max-min))`."""

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True  # passes masks through, as Keras 3
        self.scale = scale
        self.offset = offset
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        scale = np.asarray(self.scale, dtype=inputs.dtype)
        offset = np.asarray(self.offset, dtype=inputs.dtype)
        return P.add(P.multiply(inputs, scale), offset)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"scale": np.asarray(self.scale).tolist(),
                    "offset": np.asarray(self.offset).tolist()})
        return cfg
