"""`keras.preprocessing.image`: Keras 2's `ImageDataGenerator` (real-time augmentation of
image arrays) and the image file helpers (`load_img`, `img_to_array`, ... from
`keras.utils`). Behaviour follows tf_keras 2.21 (tf_keras/src/preprocessing/image.py).

Flips, rescaling, centring and normalisation need only NumPy. Rotation, shifts, shear and
zoom go through `scipy.ndimage.affine_transform` as in Keras, and brightness through
Pillow: both are optional extras (`pip install 'minikeras[image]'`); asking for them
without the package raises an ImportError naming the extra. Where we differ: `flow` only
(no `flow_from_directory`/`flow_from_dataframe`), no `zca_whitening`, `save_to_dir` is
ignored with a warning. Randomness uses NumPy's global RNG in Keras' order of draws, so a
given seed gives Keras' transforms.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from minikeras import config
from minikeras.trainers.py_dataset import PyDataset
from minikeras.utils.image_utils import (  # noqa: F401
    _pil_image,
    array_to_img,
    img_to_array,
    load_img,
    save_img,
)

_FILL_MODES = ("constant", "nearest", "reflect", "wrap")


def _scipy_ndimage():
    try:
        from scipy import ndimage
    except ImportError as e:
        raise ImportError("Image transformations (rotation, shift, shear, zoom) require "
                          "SciPy, which is not installed. Install the optional extra: pip "
                          "install 'minikeras[image]' (or pip install scipy).") from e
    return ndimage


def flip_axis(x: np.ndarray, axis: int) -> np.ndarray:
    """`x` reversed along `axis`."""
    return np.flip(np.asarray(x), axis)


def transform_matrix_offset_center(matrix: np.ndarray, x: float, y: float) -> np.ndarray:
    """Conjugate a 3x3 homogeneous transform so that it acts about the image centre."""
    o_x, o_y = float(x) / 2 - 0.5, float(y) / 2 - 0.5
    offset = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return offset @ matrix @ reset


def apply_affine_transform(x: np.ndarray, theta: float = 0, tx: float = 0, ty: float = 0,
                           shear: float = 0, zx: float = 1, zy: float = 1, row_axis: int = 1,
                           col_axis: int = 2, channel_axis: int = 0,
                           fill_mode: str = "nearest", cval: float = 0.0,
                           order: int = 1) -> np.ndarray:
    """Rotate by `theta` degrees, shift by (tx rows, ty columns), shear by `shear` degrees
    and zoom by (zx, zy) one rank-3 image, about its centre, as Keras: the matrices are
    multiplied in that order and each channel is resampled by scipy's affine_transform
    (which maps output coordinates to input ones)."""
    if sorted((row_axis, col_axis, channel_axis)) != [0, 1, 2]:
        raise ValueError("apply_affine_transform: 'row_axis', 'col_axis' and 'channel_axis' "
                         f"must be 0, 1, 2 in some order, got {row_axis}, {col_axis}, "
                         f"{channel_axis}")
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError("apply_affine_transform: input arrays must be multi-channel 2D "
                         f"images (rank 3), got shape {x.shape}")
    if channel_axis not in (0, 2):
        raise ValueError("apply_affine_transform: channels are allowed only on the first and "
                         f"last axes, got channel_axis={channel_axis}")
    matrices = []
    if theta != 0:
        t = np.deg2rad(theta)
        matrices.append(np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0],
                                  [0, 0, 1]]))
    if tx != 0 or ty != 0:
        matrices.append(np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]]))
    if shear != 0:
        s = np.deg2rad(shear)
        matrices.append(np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]]))
    if zx != 1 or zy != 1:
        matrices.append(np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]]))
    if not matrices:
        return x
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"apply_affine_transform: fill_mode={fill_mode!r}; expected one of "
                         f"{list(_FILL_MODES)}")
    ndimage = _scipy_ndimage()
    matrix = matrices[0]
    for m in matrices[1:]:
        matrix = matrix @ m
    matrix = transform_matrix_offset_center(matrix, x.shape[row_axis], x.shape[col_axis])
    x = np.moveaxis(x, channel_axis, 0)
    if col_axis > row_axis:
        # Keras' matrix is in (row, col) order only when rows come after columns: swap.
        matrix[:, [0, 1]] = matrix[:, [1, 0]]
        matrix[[0, 1]] = matrix[[1, 0]]
    channels = [ndimage.affine_transform(c, matrix[:2, :2], matrix[:2, 2], order=order,
                                         mode=fill_mode, cval=cval) for c in x]
    return np.moveaxis(np.stack(channels, axis=0), 0, channel_axis)


def apply_channel_shift(x: np.ndarray, intensity: float, channel_axis: int = 0) -> np.ndarray:
    """Add `intensity` to every channel, clipped to the image's original [min, max]."""
    x = np.asarray(x)
    return np.clip(x + intensity, np.min(x), np.max(x))


def random_channel_shift(x: np.ndarray, intensity_range: float, channel_axis: int = 0
                         ) -> np.ndarray:
    intensity = np.random.uniform(-intensity_range, intensity_range)
    return apply_channel_shift(x, intensity, channel_axis=channel_axis)


def apply_brightness_shift(x: np.ndarray, brightness: float, scale: bool = True
                           ) -> np.ndarray:
    """Pillow's `ImageEnhance.Brightness(img).enhance(brightness)` on the image as 8-bit, as
    Keras (so values are quantised to 256 levels)."""
    _pil_image("apply_brightness_shift")
    from PIL import ImageEnhance

    x_min, x_max = np.min(x), np.max(x)
    local_scale = (x_min < 0) or (x_max > 255)
    img = array_to_img(x, scale=local_scale or scale)
    x = img_to_array(ImageEnhance.Brightness(img).enhance(brightness))
    if not scale and local_scale:
        x = x / 255 * (x_max - x_min) + x_min
    return x


def random_brightness(x: np.ndarray, brightness_range: tuple[float, float],
                      scale: bool = True) -> np.ndarray:
    if len(brightness_range) != 2:
        raise ValueError("`brightness_range should be tuple or list of two floats. "
                         f"Received: {brightness_range}")
    u = np.random.uniform(brightness_range[0], brightness_range[1])
    return apply_brightness_shift(x, u, scale)


def _random_affine(x: np.ndarray, row_axis: int, col_axis: int, channel_axis: int,
                   fill_mode: str, cval: float, interpolation_order: int,
                   **params: float) -> np.ndarray:
    return apply_affine_transform(x, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order, **params)


def random_rotation(x: np.ndarray, rg: float, row_axis: int = 1, col_axis: int = 2,
                    channel_axis: int = 0, fill_mode: str = "nearest", cval: float = 0.0,
                    interpolation_order: int = 1) -> np.ndarray:
    """Rotate one image by a uniform angle in [-rg, rg] degrees (NumPy's global RNG)."""
    theta = np.random.uniform(-rg, rg)
    return _random_affine(x, row_axis, col_axis, channel_axis, fill_mode, cval,
                          interpolation_order, theta=theta)


def random_shift(x: np.ndarray, wrg: float, hrg: float, row_axis: int = 1, col_axis: int = 2,
                 channel_axis: int = 0, fill_mode: str = "nearest", cval: float = 0.0,
                 interpolation_order: int = 1) -> np.ndarray:
    """Shift one image by uniform fractions of its height (`hrg`) and width (`wrg`)."""
    tx = np.random.uniform(-hrg, hrg) * x.shape[row_axis]
    ty = np.random.uniform(-wrg, wrg) * x.shape[col_axis]
    return _random_affine(x, row_axis, col_axis, channel_axis, fill_mode, cval,
                          interpolation_order, tx=tx, ty=ty)


def random_shear(x: np.ndarray, intensity: float, row_axis: int = 1, col_axis: int = 2,
                 channel_axis: int = 0, fill_mode: str = "nearest", cval: float = 0.0,
                 interpolation_order: int = 1) -> np.ndarray:
    """Shear one image by a uniform angle in [-intensity, intensity] degrees."""
    shear = np.random.uniform(-intensity, intensity)
    return _random_affine(x, row_axis, col_axis, channel_axis, fill_mode, cval,
                          interpolation_order, shear=shear)


def random_zoom(x: np.ndarray, zoom_range: tuple[float, float], row_axis: int = 1,
                col_axis: int = 2, channel_axis: int = 0, fill_mode: str = "nearest",
                cval: float = 0.0, interpolation_order: int = 1) -> np.ndarray:
    """Zoom one image by (zx, zy) drawn uniformly from `zoom_range` (no draw for (1, 1))."""
    if len(zoom_range) != 2:
        raise ValueError("`zoom_range` should be a tuple or list of two floats. Received: "
                         f"{zoom_range!r}")
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1, 1
    else:
        zx, zy = np.random.uniform(zoom_range[0], zoom_range[1], 2)
    return _random_affine(x, row_axis, col_axis, channel_axis, fill_mode, cval,
                          interpolation_order, zx=zx, zy=zy)


def _check_range(name: str, value: Any) -> None:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"ImageDataGenerator: `{name}` must be a number or a list of "
                         f"numbers, got {name}={value!r}") from None
    if arr.ndim > 1:
        raise ValueError(f"ImageDataGenerator: `{name}` must be a number or a flat list of "
                         f"numbers, got {name}={value!r}")


class ImageDataGenerator:
    """Keras 2's `ImageDataGenerator`: `flow(x, y)` gives batches of randomly transformed,
    standardised images (a `PyDataset`, so `model.fit` takes it). See the module docstring
    for what is supported."""

    def __init__(self, featurewise_center: bool = False, samplewise_center: bool = False,
                 featurewise_std_normalization: bool = False,
                 samplewise_std_normalization: bool = False, zca_whitening: bool = False,
                 zca_epsilon: float = 1e-6, rotation_range: float = 0,
                 width_shift_range: Any = 0.0, height_shift_range: Any = 0.0,
                 brightness_range: Any = None, shear_range: float = 0.0,
                 zoom_range: Any = 0.0, channel_shift_range: float = 0.0,
                 fill_mode: str = "nearest", cval: float = 0.0, horizontal_flip: bool = False,
                 vertical_flip: bool = False, rescale: float | None = None,
                 preprocessing_function: Callable | None = None,
                 data_format: str | None = None, validation_split: float = 0.0,
                 interpolation_order: int = 1, dtype: str | None = None) -> None:
        if zca_whitening:
            raise NotImplementedError("ImageDataGenerator: zca_whitening is not supported "
                                      "by minikeras")
        data_format = config.image_data_format() if data_format is None else data_format
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError('`data_format` should be `"channels_last"` (channel after row '
                             'and column) or `"channels_first"` (channel before row and '
                             f"column). Received: {data_format!r}")
        if fill_mode not in _FILL_MODES:
            from minikeras.utils.naming import closest
            guess = closest(str(fill_mode), _FILL_MODES)
            raise ValueError(f"ImageDataGenerator: fill_mode={fill_mode!r}; expected one of "
                             f"{list(_FILL_MODES)}." + (f" Did you mean {guess!r}?"
                                                        if guess else ""))
        if validation_split and not 0 < validation_split < 1:
            raise ValueError("`validation_split` must be strictly between 0 and 1. "
                             f"Received: {validation_split}")
        for name, value in (("width_shift_range", width_shift_range),
                            ("height_shift_range", height_shift_range)):
            _check_range(name, value)
        if isinstance(zoom_range, (float, int)) and not isinstance(zoom_range, bool):
            zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif (isinstance(zoom_range, (list, tuple)) and len(zoom_range) == 2
              and all(isinstance(v, (float, int)) for v in zoom_range)):
            zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError("`zoom_range` should be a float or a tuple or list of two "
                             f"floats. Received: {zoom_range!r}")
        if brightness_range is not None and (not isinstance(brightness_range, (tuple, list))
                                             or len(brightness_range) != 2):
            raise ValueError("`brightness_range should be tuple or list of two floats. "
                             f"Received: {brightness_range!r}")
        # The std normalisations imply the centring, with Keras' warning.
        if featurewise_std_normalization and not featurewise_center:
            featurewise_center = True
            warnings.warn("This ImageDataGenerator specifies `featurewise_std_normalization`, "
                          "which overrides setting of `featurewise_center`.")
        if samplewise_std_normalization and not samplewise_center:
            samplewise_center = True
            warnings.warn("This ImageDataGenerator specifies `samplewise_std_normalization`, "
                          "which overrides setting of `samplewise_center`.")
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.zoom_range = zoom_range
        self.channel_shift_range = channel_shift_range
        self.fill_mode = fill_mode
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.data_format = data_format
        self.interpolation_order = interpolation_order
        self.dtype = dtype or config.floatx()
        self.brightness_range = brightness_range
        self.channel_axis, self.row_axis, self.col_axis = (
            (3, 1, 2) if data_format == "channels_last" else (1, 2, 3))
        self._validation_split = validation_split
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None
        self.zca_whitening_matrix = None

    # -- flow -------------------------------------------------------------------------------
    def flow(self, x: Any, y: Any = None, batch_size: int = 32, shuffle: bool = True,
             sample_weight: Any = None, seed: int | None = None, save_to_dir: str | None = None,
             save_prefix: str = "", save_format: str = "png", ignore_class_split: bool = False,
             subset: str | None = None) -> NumpyArrayIterator:
        """Batches of (augmented x, y[, sample_weight]) over the arrays; `subset`
        ("training"/"validation") takes the part after/before `validation_split`."""
        if save_to_dir:
            warnings.warn("ImageDataGenerator.flow: save_to_dir is not supported by "
                          "minikeras; the augmented images are not saved")
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle,
                                  sample_weight=sample_weight, seed=seed,
                                  data_format=self.data_format,
                                  ignore_class_split=ignore_class_split, subset=subset,
                                  dtype=self.dtype)

    def flow_from_directory(self, *args: Any, **kwargs: Any):
        raise NotImplementedError("ImageDataGenerator.flow_from_directory is not supported "
                                  "by minikeras; load the images with keras.utils.load_img "
                                  "and use flow(x, y)")

    # -- per-image operations ---------------------------------------------------------------
    def standardize(self, x: np.ndarray) -> np.ndarray:
        """preprocessing_function, then rescale, samplewise and featurewise normalisation
        (in place when `x` is a float array, as Keras)."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, keepdims=True) + 1e-6
        for flag, stat, what in ((self.featurewise_center, self.mean, "featurewise_center"),
                                 (self.featurewise_std_normalization, self.std,
                                  "featurewise_std_normalization")):
            if not flag:
                continue
            if stat is None:
                warnings.warn(f"This ImageDataGenerator specifies `{what}`, but it hasn't "
                              "been fit on any training data. Fit it first by calling "
                              "`.fit(numpy_data)`.")
            elif what == "featurewise_center":
                x -= stat
            else:
                x /= stat + 1e-6
        return x

    def get_random_transform(self, img_shape: tuple[int, ...], seed: int | None = None
                             ) -> dict[str, Any]:
        """Draw one image's transform parameters (same draws, same order as Keras)."""
        row, col = self.row_axis - 1, self.col_axis - 1
        if seed is not None:
            np.random.seed(seed)
        theta = (np.random.uniform(-self.rotation_range, self.rotation_range)
                 if self.rotation_range else 0)

        def shift(rng: Any, size: int) -> float:
            if not rng:
                return 0
            if np.ndim(rng) == 1 or isinstance(rng, int):
                # a list (or an int: range(int)) of pixel shifts, with a random sign
                value = np.random.choice(rng) * np.random.choice([-1, 1])
            else:
                value = np.random.uniform(-rng, rng)
            if np.max(rng) < 1:
                value *= size  # a fraction of the image size
            return value

        tx = shift(self.height_shift_range, img_shape[row])
        ty = shift(self.width_shift_range, img_shape[col])
        shear = (np.random.uniform(-self.shear_range, self.shear_range)
                 if self.shear_range else 0)
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = np.random.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_h = (np.random.random() < 0.5) * self.horizontal_flip
        flip_v = (np.random.random() < 0.5) * self.vertical_flip
        channel_shift = None
        if self.channel_shift_range != 0:
            channel_shift = np.random.uniform(-self.channel_shift_range,
                                              self.channel_shift_range)
        brightness = None
        if self.brightness_range is not None:
            brightness = np.random.uniform(self.brightness_range[0], self.brightness_range[1])
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_h, "flip_vertical": flip_v,
                "channel_shift_intensity": channel_shift, "brightness": brightness}

    def apply_transform(self, x: np.ndarray, transform_parameters: dict[str, Any]
                        ) -> np.ndarray:
        """Apply given parameters (keys as `get_random_transform`'s) to one rank-3 image."""
        p = transform_parameters
        row, col, chan = self.row_axis - 1, self.col_axis - 1, self.channel_axis - 1
        x = apply_affine_transform(x, p.get("theta", 0), p.get("tx", 0), p.get("ty", 0),
                                   p.get("shear", 0), p.get("zx", 1), p.get("zy", 1),
                                   row_axis=row, col_axis=col, channel_axis=chan,
                                   fill_mode=self.fill_mode, cval=self.cval,
                                   order=self.interpolation_order)
        if p.get("channel_shift_intensity") is not None:
            x = apply_channel_shift(x, p["channel_shift_intensity"], chan)
        if p.get("flip_horizontal", False):
            x = flip_axis(x, col)
        if p.get("flip_vertical", False):
            x = flip_axis(x, row)
        if p.get("brightness") is not None:
            x = apply_brightness_shift(x, p["brightness"], False)
        return x

    def random_transform(self, x: np.ndarray, seed: int | None = None) -> np.ndarray:
        return self.apply_transform(x, self.get_random_transform(x.shape, seed))

    def fit(self, x: Any, augment: bool = False, rounds: int = 1, seed: int | None = None
            ) -> None:
        """Compute the per-channel mean/std used by the featurewise options (after
        `rescale`, and over `rounds` augmented copies when `augment`)."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"Input to `.fit()` should have rank 4. Got array with shape: "
                             f"{x.shape}")
        if seed is not None:
            np.random.seed(seed)
        x = np.copy(x)
        if self.rescale:
            x *= self.rescale
        if augment:
            x = np.stack([self.random_transform(img) for _ in range(rounds) for img in x]
                         ).astype(self.dtype)
        shape = [1, 1, 1]
        shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        axes = (0, self.row_axis, self.col_axis)
        if self.featurewise_center:
            self.mean = np.reshape(np.mean(x, axis=axes), shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.reshape(np.std(x, axis=axes), shape)


class Iterator(PyDataset):
    """Keras 2's image batch iterator: a `PyDataset` (indexable, for `fit`) that is also an
    endless Python iterator (`next(it)`), reshuffled at each epoch end. With `seed`, NumPy's
    global RNG is reseeded with `seed + batches seen so far` before each batch, as Keras."""

    def __init__(self, n: int, batch_size: int, shuffle: bool, seed: int | None) -> None:
        super().__init__()
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(f"`batch_size` must be an integer >= 1, got "
                             f"batch_size={batch_size!r}")
        self.n = n
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array: np.ndarray | None = None
        self.index_generator = self._flow_index()

    def _set_index_array(self) -> None:
        self.index_array = (np.random.permutation(self.n) if self.shuffle
                            else np.arange(self.n))

    def __getitem__(self, idx: int) -> Any:
        if idx >= len(self):
            raise ValueError(f"Asked to retrieve element {idx}, but the Sequence has length "
                             f"{len(self)}")
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array()
        return self._get_batches_of_transformed_samples(
            self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)])

    def __len__(self) -> int:
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self) -> None:
        self._set_index_array()

    def reset(self) -> None:
        self.batch_index = 0

    def _flow_index(self):
        self.reset()
        while True:
            if self.seed is not None:
                np.random.seed(self.seed + self.total_batches_seen)
            if self.batch_index == 0:
                self._set_index_array()
            current = (self.batch_index * self.batch_size) % self.n if self.n else 0
            self.batch_index = self.batch_index + 1 if self.n > current + self.batch_size \
                else 0
            self.total_batches_seen += 1
            yield self.index_array[current:current + self.batch_size]

    def __iter__(self):
        return self

    def __next__(self) -> Any:
        return self.next()

    def next(self) -> Any:
        with self.lock:
            index_array = next(self.index_generator)
        return self._get_batches_of_transformed_samples(index_array)

    def _get_batches_of_transformed_samples(self, index_array: np.ndarray) -> Any:
        raise NotImplementedError


class NumpyArrayIterator(Iterator):
    """Batches from arrays in memory for `ImageDataGenerator.flow`. `x` may be a list
    `[images, other_array, ...]`: the other arrays are batched alongside, untransformed."""

    def __init__(self, x: Any, y: Any, image_data_generator: ImageDataGenerator,
                 batch_size: int = 32, shuffle: bool = False, sample_weight: Any = None,
                 seed: int | None = None, data_format: str | None = None,
                 ignore_class_split: bool = False, subset: str | None = None,
                 dtype: str | None = None, **kwargs: Any) -> None:
        self.dtype = dtype or config.floatx()
        data_format = data_format or config.image_data_format()
        if isinstance(x, (tuple, list)):
            misc = [np.asarray(v) for v in (x[1] if isinstance(x[1], list) else [x[1]])]
            x = x[0]
            for v in misc:
                if len(v) != len(x):
                    raise ValueError("All of the arrays in `x` should have the same length. "
                                     f"Found a pair with: len(x[0]) = {len(x)}, "
                                     f"len(x[?]) = {len(v)}")
        else:
            misc = []
        if y is not None and len(x) != len(y):
            raise ValueError("`x` (images tensor) and `y` (labels) should have the same "
                             f"length. Found: x.shape = {np.shape(x)}, y.shape = "
                             f"{np.shape(y)}")
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError("`x` (images tensor) and `sample_weight` should have the same "
                             f"length. Found: x.shape = {np.shape(x)}, sample_weight.shape "
                             f"= {np.shape(sample_weight)}")
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(f"Invalid subset name: {subset!r}; expected \"training\" or "
                                 "\"validation\".")
            split = int(len(x) * image_data_generator._validation_split)
            if (y is not None and not ignore_class_split
                    and not np.array_equal(np.unique(y[:split]), np.unique(y[split:]))):
                raise ValueError("Training and validation subsets have different number of "
                                 "classes after the split. If your numpy arrays are sorted "
                                 "by the label, you might want to shuffle them.")
            part = slice(None, split) if subset == "validation" else slice(split, None)
            x = x[part]
            misc = [v[part] for v in misc]
            if y is not None:
                y = y[part]
            if sample_weight is not None:
                sample_weight = sample_weight[part]
        self.x = np.asarray(x, dtype=self.dtype)
        if self.x.ndim != 4:
            raise ValueError("Input data in `NumpyArrayIterator` should have rank 4. You "
                             f"passed an array with shape {self.x.shape}")
        channels_axis = 3 if data_format == "channels_last" else 1
        if self.x.shape[channels_axis] not in (1, 3, 4):
            warnings.warn(f'NumpyArrayIterator is set to use the data format convention '
                          f'"{data_format}" (channels on axis {channels_axis}), i.e. expected '
                          f"either 1, 3, or 4 channels on axis {channels_axis}. However, it "
                          f"was passed an array with shape {self.x.shape} "
                          f"({self.x.shape[channels_axis]} channels).")
        self.x_misc = misc
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.data_format = data_format
        super().__init__(self.x.shape[0], batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array: np.ndarray) -> Any:
        gen = self.image_data_generator
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        for i, j in enumerate(index_array):
            img = self.x[j]
            params = gen.get_random_transform(img.shape)
            img = gen.apply_transform(img.astype(self.dtype), params)
            batch_x[i] = gen.standardize(img)
        miscs = [v[index_array] for v in self.x_misc]
        inputs = [batch_x] + miscs if miscs else batch_x
        if self.y is None:
            return inputs
        out = (inputs, self.y[index_array])
        if self.sample_weight is not None:
            out += (self.sample_weight[index_array],)
        return out
