"""Noise layers for data augmentation and regularisation; all are identities at inference."""

from __future__ import annotations

import math
from typing import Any

from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.layer import Layer
from minikeras.random import generator


def _check_rate(layer: str, name: str, value: Any, upper: float | None = 1.0) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{layer}: `{name}` must be a number, got {value!r}") from None
    if value < 0 or (upper is not None and value > upper) or value != value:
        bound = f"[0, {upper}]" if upper is not None else ">= 0"
        raise ValueError(f"{layer}: `{name}` must be {bound}, got {name}={value}")
    return value


class _Noise(Layer):
    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True  # passes masks through, as Keras 3
        self.seed = seed
        self._rng = generator(seed) if seed is not None else None
        self.built = True

    def rng(self):
        return self._rng if self._rng is not None else generator()

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape


class GaussianNoise(_Noise):
    """Adds N(0, stddev²) noise in training only."""

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        self.stddev = _check_rate("GaussianNoise", "stddev", stddev, upper=None)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        if not training or self.stddev == 0:
            return inputs
        noise = self.rng().normal(0.0, self.stddev, size=inputs.shape).astype(inputs.dtype)
        return P.add(inputs, noise)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"stddev": self.stddev, "seed": self.seed})
        return cfg


class GaussianDropout(_Noise):
    """Multiplies by N(1, rate/(1-rate)) noise in training only."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate("GaussianDropout", "rate", rate)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        if not training or not 0 < self.rate < 1:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = self.rng().normal(1.0, stddev, size=inputs.shape).astype(inputs.dtype)
        return P.multiply(inputs, noise)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "seed": self.seed})
        return cfg


class AlphaDropout(_Noise):
    """Dropout that keeps SELU's self-normalisation: dropped units are set to SELU's negative
    saturation value and an affine correction restores mean and variance."""

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate("AlphaDropout", "rate", rate)
        self.noise_shape = noise_shape

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        if not training or not 0 < self.rate < 1:
            return inputs
        alpha = 1.6732632423543772848170429916717
        scale = 1.0507009873554804934193349852946
        alpha_p = -alpha * scale
        shape = inputs.shape if self.noise_shape is None else tuple(
            inputs.shape[i] if d is None else d for i, d in enumerate(self.noise_shape))
        keep = (self.rng().uniform(size=shape) >= self.rate).astype(inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        x = P.add(P.multiply(inputs, keep), alpha_p * (1 - keep))
        return P.add(P.multiply(x, a), b)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return cfg
