"""Keras 3's image preprocessing and augmentation layers: Resizing, CenterCrop, RandomCrop,
RandomFlip, RandomRotation, RandomTranslation, RandomZoom, RandomContrast, RandomBrightness.

Semantics are Keras 3.15's (`keras/src/layers/preprocessing/image_preprocessing/`): the
random layers transform only when training (`fit`, `layer(x)` or `model(x)` outside a
`predict`/`evaluate`, or `training=True`), as Keras' `call(..., training=True)` default
makes them do; inputs are one image (rank 3) or a batch (rank 4), channels last or first;
each image of a batch gets its own draw. The geometric maps are Keras' affine transform
(output pixel (x, y) samples the input at (a0*x + a1*y + a2, b0*x + b1*y + b2), JAX's
`map_coordinates` neighbours and fill modes). Where we differ: the random numbers come from
NumPy's generator (see `docs/decisions.md`), and bounding boxes, labels and segmentation
masks (dict inputs) are not supported.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minikeras.autodiff import image_primitives as IP
from minikeras.autodiff import primitives as P
from minikeras.autodiff import spatial as S
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.layer import KerasTensor, Layer, _context
from minikeras.layers.reshaping._base import standardize_data_format
from minikeras.random import generator

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
AFFINE_INTERPOLATIONS = ("nearest", "bilinear")
RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")
FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class UnknownOptionError(ValueError, NotImplementedError):
    """An unknown `fill_mode`/`interpolation`/`mode`. Keras raises NotImplementedError for
    some of these and ValueError for others; this is both, so either `except` catches it."""


def _check_option(layer: str, arg: str, value: Any, known: tuple) -> str:
    if value not in known:
        from minikeras.utils.naming import closest  # (late: utils imports saving, layers)

        guess = closest(str(value), known)
        hint = f" Did you mean {guess!r}?" if guess else ""
        raise UnknownOptionError(f"{layer}: unknown `{arg}` {value!r}. Expected one of "
                                 f"{known}.{hint}")
    return value


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


# --- the random generator and the training default ----------------------------------

class _ImageLayer(Layer):
    """What the image layers share: data format, rank check, channels-last batches inside,
    and (random layers) their generator."""

    def __init__(self, data_format: Any = None, seed: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        if seed is not None and (not isinstance(seed, (int, np.integer)) or
                                 isinstance(seed, bool)):
            raise ValueError(f"{type(self).__name__}: `seed` must be an integer or None. "
                             f"Received: seed={seed!r}")
        self.seed = None if seed is None else int(seed)
        self._rng = generator(seed) if seed is not None else None
        self.built = True

    def rng(self) -> np.random.RandomState:
        """The layer's own generator when seeded, else the global one (so that
        `keras.utils.set_random_seed` makes runs repeat)."""
        return self._rng if self._rng is not None else generator()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Keras 3 resolves `training` as: given > the outer call's > call's default (True
        # here). minikeras' Layer turns an unresolved flag into False, so fill in the
        # default first, also inside an outer call that got no flag (`model(x)`); never
        # for symbolic inputs, whose nodes must inherit the flag at run time.
        inputs = args[0] if args else kwargs.get("inputs")
        if not isinstance(inputs, KerasTensor) and (
                _context.training_unset or
                (kwargs.get("training") is None and _context.training is None)):
            kwargs["training"] = True
        return super().__call__(*args, **kwargs)

    def _check_rank(self, shape: tuple) -> None:
        if len(shape) not in (3, 4):
            raise ValueError(f"{type(self).__name__}: expected image tensor to have rank 3 "
                             f"(single image) or 4 (batch of images). Received: "
                             f"inputs.shape={tuple(shape)}")

    def call(self, inputs: Tensor, training: bool = True) -> Tensor:
        self._check_rank(inputs.shape)
        x = inputs
        unbatched = x.ndim == 3
        if unbatched:
            x = P.expand_dims(x, 0)
        if self.data_format == "channels_first":
            x = P.transpose(x, (0, 2, 3, 1))
        x = self._transform(x, bool(training))
        if self.data_format == "channels_first":
            x = P.transpose(x, (0, 3, 1, 2))
        if unbatched:
            x = P.squeeze(x, 0)
        return x

    def _transform(self, x: Tensor, training: bool) -> Tensor:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check_rank(input_shape)
        return tuple(input_shape)

    def _hw_axes(self, rank: int) -> tuple:
        if self.data_format == "channels_last":
            return rank - 3, rank - 2
        return rank - 2, rank - 1

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg


# --- resizing as separable linear maps ------------------------------------------------

def _keys_cubic(x: np.ndarray) -> np.ndarray:
    out = ((1.5 * x - 2.5) * x) * x + 1.0
    out = np.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
    return np.where(x >= 2.0, 0.0, out)


def _lanczos(radius: int):
    def kernel(x: np.ndarray) -> np.ndarray:
        y = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(x > 1e-3, y / np.where(x != 0, np.pi ** 2 * x ** 2, 1), 1.0)
        return np.where(x > radius, 0.0, out)
    return kernel


_KERNELS = {"bilinear": lambda x: np.maximum(0.0, 1.0 - np.abs(x)), "bicubic": _keys_cubic,
            "lanczos3": _lanczos(3), "lanczos5": _lanczos(5)}


def resize_matrix(in_size: int, out_size: int, interpolation: str,
                  antialias: bool = False) -> np.ndarray:
    """The (out_size, in_size) matrix of `jax.image.resize` along one axis (what Keras'
    JAX backend runs): half-pixel centres; kernel weights normalised to sum 1; nearest takes
    floor((i + 0.5) * in / out), computed in float32 as JAX does."""
    if in_size == out_size:  # JAX leaves axes of unchanged size alone
        return np.eye(in_size)
    if interpolation == "nearest":
        src = np.floor((np.arange(out_size, dtype=np.float32) + np.float32(0.5))
                       * np.float32(in_size) / np.float32(out_size)).astype(np.int64)
        m = np.zeros((out_size, in_size))
        m[np.arange(out_size), src] = 1.0
        return m
    inv_scale = in_size / out_size
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    sample = (np.arange(out_size) + 0.5) * inv_scale - 0.5
    w = _KERNELS[interpolation](np.abs(sample[None, :] - np.arange(in_size)[:, None])
                                / kernel_scale)
    total = w.sum(axis=0, keepdims=True)
    w = np.where(np.abs(total) > 1000.0 * float(np.finfo(np.float32).eps),
                 w / np.where(total != 0, total, 1.0), 0.0)
    w = np.where(((sample >= -0.5) & (sample <= in_size - 0.5))[None, :], w, 0.0)
    return w.T


def _aspect_crop_box(height: int, width: int, target_h: int, target_w: int) -> tuple:
    """Keras' centred crop to the target's aspect ratio: (h_start, w_start, h, w)."""
    crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
    crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
    return int(float(height - crop_h) / 2), int(float(width - crop_w) / 2), crop_h, crop_w


def _crop_hw(x: Tensor, h0: int, w0: int, h: int, w: int) -> Tensor:
    _, height, width, _ = x.shape
    if (h0, w0, h, w) == (0, 0, height, width):
        return x
    return S.crop(x, ((0, 0), (h0, height - h0 - h), (w0, width - w0 - w), (0, 0)))


def _resize_nhwc(x: Tensor, height: int, width: int, interpolation: str = "bilinear",
                 antialias: bool = False) -> Tensor:
    _, h, w, _ = x.shape
    if (h, w) == (height, width):
        return x
    mats = {}
    if h != height:
        mats[1] = resize_matrix(h, height, interpolation, antialias)
    if w != width:
        mats[2] = resize_matrix(w, width, interpolation, antialias)
    return IP.resample_axes(x, mats)


def _check_size(layer: str, height: Any, width: Any) -> None:
    for name, v in (("height", height), ("width", width)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{layer}: `{name}` must be a positive integer. Received: "
                             f"{name}={v!r}")


class _SizedLayer(_ImageLayer):
    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check_rank(input_shape)
        shape = list(input_shape)
        h_axis, w_axis = self._hw_axes(len(shape))
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)


class Resizing(_SizedLayer):
    """Resizes images to (height, width), in training and inference, as
    `keras.ops.image.resize` (JAX's resize: bilinear, nearest, bicubic, lanczos3/5;
    `antialias` widens the kernel when shrinking). `crop_to_aspect_ratio` first cuts the
    largest centred box of the target's aspect ratio; `pad_to_aspect_ratio` first pads both
    sides with `fill_value`."""

    def __init__(self, height: int, width: int, interpolation: str = "bilinear",
                 crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False,
                 fill_mode: str = "constant", fill_value: float = 0.0,
                 antialias: bool = False, data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        _check_size("Resizing", height, width)
        self.height, self.width = int(height), int(width)
        self.interpolation = _check_option("Resizing", "interpolation", interpolation,
                                           RESIZE_INTERPOLATIONS)
        self.fill_mode = _check_option("Resizing", "fill_mode", fill_mode, ("constant",))
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Resizing: only one of `pad_to_aspect_ratio` & "
                             "`crop_to_aspect_ratio` can be `True`.")
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def _transform(self, x: Tensor, training: bool) -> Tensor:
        _, h, w, _ = x.shape
        if self.crop_to_aspect_ratio:
            x = _crop_hw(x, *_aspect_crop_box(h, w, self.height, self.width))
        elif self.pad_to_aspect_ratio:
            pad_h = max(h, int(float(w * self.height) / self.width))
            pad_w = max(w, int(float(h * self.width) / self.height))
            top, left = int(float(pad_h - h) / 2), int(float(pad_w - w) / 2)
            pads = None  # Keras pads the height, or else the width, by the same on both sides
            if top > 0:
                pads = ((0, 0), (top, top), (0, 0), (0, 0))
            elif left > 0:
                pads = ((0, 0), (0, 0), (left, left), (0, 0))
            if pads is not None:
                x = S.pad(x, pads)
                if self.fill_value:  # the padded border holds fill_value
                    mask = np.ones(x.shape[1:3], dtype=x.dtype)
                    mask[pads[1][0]:x.shape[1] - pads[1][1],
                         pads[2][0]:x.shape[2] - pads[2][1]] = 0
                    fill = np.asarray(self.fill_value, x.dtype)
                    x = P.add(x, (mask * fill)[None, :, :, None])
        return _resize_nhwc(x, self.height, self.width, self.interpolation, self.antialias)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"height": self.height, "width": self.width,
                    "interpolation": self.interpolation,
                    "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                    "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
                    "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                    "antialias": self.antialias})
        return cfg


class CenterCrop(_SizedLayer):
    """The centred (height, width) window, in training and inference. A target larger than
    the input (in either side) is reached as Keras does: the centred crop to the target's
    aspect ratio, then a bilinear resize (`smart_resize`)."""

    def __init__(self, height: int, width: int, data_format: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        _check_size("CenterCrop", height, width)
        self.height, self.width = int(height), int(width)

    def _transform(self, x: Tensor, training: bool) -> Tensor:
        _, h, w, _ = x.shape
        dh, dw = h - self.height, w - self.width
        if dh >= 0 and dw >= 0:
            return _crop_hw(x, dh // 2, dw // 2, self.height, self.width)
        x = _crop_hw(x, *_aspect_crop_box(h, w, self.height, self.width))
        return _resize_nhwc(x, self.height, self.width)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"height": self.height, "width": self.width})
        return cfg


class RandomCrop(_SizedLayer):
    """In training, a random (height, width) window, one position for the whole batch (as
    Keras draws it); an input not larger than the target in both sides is centre-cropped to
    the target's aspect ratio and resized instead. At inference the input is returned
    unchanged, as Keras 3.15 does (its `compute_output_shape` still says (height, width)).
    Not larger: Keras slices (height, width) entries from the start of the centred
    aspect-ratio box (the slice stops at the image's end), then resizes bilinearly."""

    def __init__(self, height: int, width: int, seed: Any = None, data_format: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        _check_size("RandomCrop", height, width)
        self.height, self.width = int(height), int(width)

    def _transform(self, x: Tensor, training: bool) -> Tensor:
        if not training:
            return x
        _, h, w, _ = x.shape
        if h > self.height and w > self.width:
            rng = self.rng()
            h0 = int(rng.uniform(0.0, float(h - self.height + 1)))
            w0 = int(rng.uniform(0.0, float(w - self.width + 1)))
            # (uniform's open upper end keeps the start within range)
            h0, w0 = min(h0, h - self.height), min(w0, w - self.width)
            return _crop_hw(x, h0, w0, self.height, self.width)
        # Keras computes the aspect-ratio box but then slices (height, width) entries from
        # its corner, so only the box's start counts (the slice stops at the image's end)
        h0, w0, _, _ = _aspect_crop_box(h, w, self.height, self.width)
        x = _crop_hw(x, h0, w0, min(self.height, h - h0), min(self.width, w - w0))
        return _resize_nhwc(x, self.height, self.width)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"height": self.height, "width": self.width, "seed": self.seed})
        return cfg


# --- flips ---------------------------------------------------------------------------

class RandomFlip(_ImageLayer):
    """In training, each image is flipped with probability 1/2 (one draw per image; with
    "horizontal_and_vertical" the same draw flips both ways, as in Keras)."""

    def __init__(self, mode: str = "horizontal_and_vertical", seed: Any = None,
                 data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        # Keras accepts any string here (and then never flips); we accept it too, so that
        # such configs load, but a flip with an unknown mode is an error (see `_transform`)
        self.mode = mode

    def _transform(self, x: Tensor, training: bool) -> Tensor:
        if not training:
            return x
        _check_option("RandomFlip", "mode", self.mode, FLIP_MODES)
        flips = self.rng().uniform(size=x.shape[0]) <= 0.5
        axes = {"horizontal": (2,), "vertical": (1,),
                "horizontal_and_vertical": (1, 2)}[self.mode]
        return IP.flip_images(x, flips, axes)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"seed": self.seed, "mode": self.mode})
        return cfg


# --- affine transforms ----------------------------------------------------------------

def _round_half_away(v: np.ndarray) -> np.ndarray:
    return np.where(v >= 0, np.floor(v + 0.5), np.ceil(v - 0.5))


def _fix_index(index: np.ndarray, size: int, fill_mode: str) -> np.ndarray:
    """JAX's `map_coordinates` index rules for pixels outside the image."""
    if fill_mode == "nearest":
        return np.clip(index, 0, size - 1)
    if fill_mode == "wrap":
        return np.mod(index, size)
    if fill_mode == "reflect":  # (d c b a | a b c d | d c b a): mirror of 2i+1 in 2n+1
        i2, n2 = 2 * index + 1, 2 * size + 1
        s = n2 - 1
        mirrored = np.abs(np.mod(i2 + s, 2 * s) - s)
        return np.floor_divide(mirrored - 1, 2)
    return index  # constant: the index is checked for validity instead


def _axis_taps(coord: np.ndarray, size: int, interpolation: str, fill_mode: str) -> list:
    if interpolation == "nearest":
        pairs = [(_round_half_away(coord).astype(np.int64), np.ones_like(coord))]
    else:
        lower = np.floor(coord)
        upper_w = coord - lower
        lower = lower.astype(np.int64)
        pairs = [(lower, 1 - upper_w), (lower + 1, upper_w)]
    taps = []
    for index, weight in pairs:
        valid = ((index >= 0) & (index < size)) if fill_mode == "constant" else None
        fixed = _fix_index(index, size, fill_mode)
        if valid is not None:
            fixed = np.clip(fixed, 0, size - 1)  # any pixel: its value is replaced
        taps.append((fixed, weight, valid))
    return taps


def affine_transform(x: Tensor, matrices: np.ndarray, interpolation: str, fill_mode: str,
                     fill_value: float) -> Tensor:
    """Keras' `ops.image.affine_transform` on a channels-last batch: output pixel (x, y) of
    image n samples the input at (a0*x + a1*y + a2, b0*x + b1*y + b2) (`matrices[n]` =
    a0, a1, a2, b0, b1, b2, c0, c1 with c0 = c1 = 0), coordinates in the input's float
    dtype as JAX computes them."""
    n, h, w, _ = x.shape
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    m = np.asarray(matrices, dtype=dtype).reshape(n, 8)[:, :, None, None]
    ys, xs = np.meshgrid(np.arange(h, dtype=dtype), np.arange(w, dtype=dtype), indexing="ij")
    src_y = (ys * m[:, 4] + xs * m[:, 3]) + m[:, 5]
    src_x = (ys * m[:, 1] + xs * m[:, 0]) + m[:, 2]
    ytaps = _axis_taps(src_y, h, interpolation, fill_mode)
    xtaps = _axis_taps(src_x, w, interpolation, fill_mode)
    base = (np.arange(n) * (h * w))[:, None, None]
    taps = []
    for iy, wy, vy in ytaps:
        for ix, wx, vx in xtaps:
            valid = None if vy is None else (vy & vx)
            taps.append((base + iy * w + ix, (wy * wx).astype(dtype), valid))
    return IP.gather_weighted(x, taps, fill_value)


def _parse_factor(layer: str, arg: str, factor: Any, message: str, lower_bound: float,
                  upper_bound: float, open_lower: bool = False) -> tuple:
    """A number f -> (-f, f); a pair -> sorted; each value within the bounds (Keras'
    messages)."""
    def check(v: Any) -> None:
        if not _is_number(v) or v > upper_bound or (v <= lower_bound if open_lower
                                                    else v < lower_bound):
            raise ValueError(f"{layer}: {message}Received: {arg}={factor}")

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(f"{layer}: {message}Received: {arg}={factor}")
        check(factor[0])
        check(factor[1])
        return tuple(sorted((float(factor[0]), float(factor[1]))))
    check(factor)
    f = abs(float(factor))
    return (-f, f)


class _AffineLayer(_ImageLayer):
    def __init__(self, fill_mode: str, interpolation: str, seed: Any, fill_value: float,
                 data_format: Any, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        name = type(self).__name__
        self.fill_mode = _check_option(name, "fill_mode", fill_mode, FILL_MODES)
        self.interpolation = _check_option(name, "interpolation", interpolation,
                                           AFFINE_INTERPOLATIONS)
        self.fill_value = fill_value

    def _transform(self, x: Tensor, training: bool) -> Tensor:
        if not training:
            return x
        n, h, w, _ = x.shape
        return affine_transform(x, self._matrices(n, h, w), self.interpolation,
                                self.fill_mode, self.fill_value)

    def _matrices(self, n: int, h: int, w: int) -> np.ndarray:
        raise NotImplementedError

    def _factors(self) -> dict:
        """The layer's factor arguments, for its config."""
        raise NotImplementedError

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({**self._factors(), "fill_mode": self.fill_mode,
                    "interpolation": self.interpolation, "seed": self.seed,
                    "fill_value": self.fill_value})
        return cfg


class RandomRotation(_AffineLayer):
    """In training, each image rotated by an angle drawn uniformly from
    [lower, upper] * 360 degrees about its centre ((W-1)/2, (H-1)/2); a positive angle
    turns the content counter-clockwise as Keras does."""

    def __init__(self, factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: Any = None, fill_value: float = 0.0,
                 data_format: Any = None, **kwargs: Any) -> None:
        self.factor = _base_factor("RandomRotation", 0.0 if factor is None else factor,
                                   (-1, 1))
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)

    def _matrices(self, n: int, h: int, w: int) -> np.ndarray:
        lo, hi = self.factor
        angles = self.rng().uniform(lo * 360.0, hi * 360.0, size=n)
        return rotation_matrices(angles, h, w)

    def _factors(self) -> dict:
        return {"factor": self.factor}


def rotation_matrices(angles_deg: np.ndarray, h: int, w: int) -> np.ndarray:
    """Keras' rotation about the image centre, in float32 as Keras computes it."""
    theta = np.asarray(angles_deg, dtype=np.float32) * np.float32(math.pi / 180.0)
    cos, sin = np.cos(theta), np.sin(theta)
    cx, cy = np.float32(0.5) * np.float32(w - 1), np.float32(0.5) * np.float32(h - 1)
    a0, a1, b0, b1 = cos, -sin, sin, cos
    a2 = cx - cx * a0 - cy * a1
    b2 = cy - cx * b0 - cy * b1
    zero = np.zeros_like(theta)
    return np.stack([a0, a1, a2, b0, b1, b2, zero, zero], axis=1)


_ZOOM_MSG = ("The `height_factor` and `width_factor` arguments should be a number (or a list "
             "of two numbers) in the range (-1.0, 1.0]. ")
_TRANSLATION_MSG = ("The `factor` argument should be a number (or a list of two numbers) in "
                    "the range [-1.0, 1.0]. ")


class RandomZoom(_AffineLayer):
    """In training, each image zoomed about its centre by 1 + a factor drawn from
    [lower, upper] (negative: zoom in, positive: zoom out, as Keras); without
    `width_factor` both sides share the height's draw."""

    def __init__(self, height_factor: Any, width_factor: Any = None,
                 fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: Any = None, fill_value: float = 0.0, data_format: Any = None,
                 **kwargs: Any) -> None:
        self.height_lower, self.height_upper = _parse_factor(
            "RandomZoom", "height_factor", height_factor, _ZOOM_MSG, -1.0, 1.0, True)
        if width_factor is not None:
            self.width_lower, self.width_upper = _parse_factor(
                "RandomZoom", "width_factor", width_factor, _ZOOM_MSG, -1.0, 1.0, True)
        self.height_factor, self.width_factor = height_factor, width_factor
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)

    def _matrices(self, n: int, h: int, w: int) -> np.ndarray:
        rng = self.rng()
        zy = rng.uniform(1.0 + self.height_lower, 1.0 + self.height_upper, size=n)
        zx = zy if self.width_factor is None else rng.uniform(
            1.0 + self.width_lower, 1.0 + self.width_upper, size=n)
        return zoom_matrices(zy, zx, h, w)

    def _factors(self) -> dict:
        return {"height_factor": self.height_factor, "width_factor": self.width_factor}


def zoom_matrices(zy: np.ndarray, zx: np.ndarray, h: int, w: int) -> np.ndarray:
    zy, zx = np.asarray(zy, np.float32), np.asarray(zx, np.float32)
    x_off = (np.float32(w) - np.float32(1)) / np.float32(2) * (np.float32(1) - zx)
    y_off = (np.float32(h) - np.float32(1)) / np.float32(2) * (np.float32(1) - zy)
    zero = np.zeros_like(zx)
    return np.stack([zx, zero, x_off, zero, zy, y_off, zero, zero], axis=1)


class RandomTranslation(_AffineLayer):
    """In training, each image shifted by (height fraction * H, width fraction * W) pixels,
    the fractions drawn from [lower, upper] (height first)."""

    def __init__(self, height_factor: Any, width_factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: Any = None, fill_value: float = 0.0,
                 data_format: Any = None, **kwargs: Any) -> None:
        self.height_lower, self.height_upper = _parse_factor(
            "RandomTranslation", "height_factor", height_factor, _TRANSLATION_MSG, -1.0, 1.0)
        self.width_lower, self.width_upper = _parse_factor(
            "RandomTranslation", "width_factor", width_factor, _TRANSLATION_MSG, -1.0, 1.0)
        self.height_factor, self.width_factor = height_factor, width_factor
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)

    def _matrices(self, n: int, h: int, w: int) -> np.ndarray:
        rng = self.rng()
        ty = rng.uniform(self.height_lower, self.height_upper, size=n)
        tx = rng.uniform(self.width_lower, self.width_upper, size=n)
        return translation_matrices(ty, tx, h, w)

    def _factors(self) -> dict:
        return {"height_factor": self.height_factor, "width_factor": self.width_factor}


def translation_matrices(ty: np.ndarray, tx: np.ndarray, h: int, w: int) -> np.ndarray:
    ty = np.asarray(ty, np.float32) * np.float32(h)
    tx = np.asarray(tx, np.float32) * np.float32(w)
    one, zero = np.ones_like(tx), np.zeros_like(tx)
    return np.stack([one, zero, -tx, zero, one, -ty, zero, zero], axis=1)


# --- colour --------------------------------------------------------------------------

class RandomContrast(_ImageLayer):
    """In training, each image's channels moved away from (or towards) their spatial mean:
    (x - mean) * c + mean, c drawn from [1 - lower, 1 + upper], then clipped to
    `value_range`. As in Keras 3.15, a number f means (lower, upper) = (0, f)."""

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=kwargs.pop("data_format", None), **kwargs)
        self.factor = _base_factor("RandomContrast", factor, (0, 1))
        self.value_range = value_range

    def _transform(self, x: Tensor, training: bool) -> Tensor:
        if not training:
            return x
        lo, hi = self.factor
        c = self.rng().uniform(1.0 - lo, 1.0 + hi, size=x.shape[0])
        return adjust_contrast(x, c, self.value_range)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return cfg


def adjust_contrast(x: Tensor, factors: np.ndarray, value_range: Any) -> Tensor:
    c = np.asarray(factors, dtype=x.dtype).reshape(-1, 1, 1, 1)
    mean = P.mean(P.mean(x, axis=1, keepdims=True), axis=2, keepdims=True)
    out = P.add(P.multiply(P.subtract(x, mean), c), mean)
    return P.clip(out, value_range[0], value_range[1])


class RandomBrightness(_ImageLayer):
    """In training, each image gets delta = f * (max - min) of `value_range` added, f drawn
    from [lower, upper] (a number f: [-f, f]), then is clipped to `value_range`."""

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=kwargs.pop("data_format", None), **kwargs)
        self.factor = _base_factor("RandomBrightness", factor, (-1, 1))
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError("RandomBrightness: The `value_range` argument should be a list "
                             f"of two numbers. Received: value_range={value_range}")
        self.value_range = sorted(value_range)

    def _transform(self, x: Tensor, training: bool) -> Tensor:
        if not training:
            return x
        lo, hi = self.factor
        delta = self.rng().uniform(lo, hi, size=x.shape[0])
        return adjust_brightness(x, delta * (self.value_range[1] - self.value_range[0]),
                                 self.value_range)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return cfg


def adjust_brightness(x: Tensor, deltas: np.ndarray, value_range: Any) -> Tensor:
    d = np.asarray(deltas, dtype=x.dtype).reshape(-1, 1, 1, 1)
    return P.clip(P.add(x, d), value_range[0], value_range[1])


def _base_factor(layer: str, factor: Any, bounds: tuple) -> tuple:
    """Keras' BaseImagePreprocessingLayer factor: a number f -> (max(-f, low), f); a pair
    -> sorted, rejected only when entirely outside the bounds."""
    msg = (f"{layer}: The `factor` argument should be a number (or a list of two numbers) "
           f"in the range [{bounds[0]}, {bounds[1]}]. Received: factor={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(_is_number(v) for v in factor):
            raise ValueError(msg)
        if factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(msg)
        return tuple(sorted(factor))
    if not _is_number(factor):
        raise ValueError(msg)
    if factor < bounds[0] or factor > bounds[1]:
        raise ValueError(msg)
    f = abs(factor)
    return (max(-f, bounds[0]), f)


CLASSES = (Resizing, CenterCrop, RandomCrop, RandomFlip, RandomRotation, RandomTranslation,
           RandomZoom, RandomContrast, RandomBrightness)
