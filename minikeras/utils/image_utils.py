"""`keras.utils.load_img` / `img_to_array` / `array_to_img` / `save_img` (also exported by
`keras.preprocessing.image`). Pillow is an optional extra (`pip install minikeras[image]`);
`img_to_array` needs only NumPy. Behaviour follows Keras (keras/src/utils/image_utils.py)."""

from __future__ import annotations

import io
import pathlib
import warnings
from typing import Any

import numpy as np

from minikeras import config


def _pil_image(what: str):
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(f"`{what}` requires Pillow (PIL), which is not installed. Install "
                          "the optional extra: pip install 'minikeras[image]' (or pip install "
                          "pillow).") from e
    return Image


def _data_format(data_format: str | None, owner: str) -> str:
    data_format = config.image_data_format() if data_format is None else data_format
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"{owner}: `data_format` must be 'channels_last' or "
                         f"'channels_first', got data_format={data_format!r}")
    return data_format


def _interpolations(Image) -> dict[str, Any]:
    R = getattr(Image, "Resampling", Image)  # Pillow >= 9.1 moved the constants
    return {"nearest": R.NEAREST, "bilinear": R.BILINEAR, "bicubic": R.BICUBIC,
            "hamming": R.HAMMING, "box": R.BOX, "lanczos": R.LANCZOS}


def array_to_img(x: Any, data_format: str | None = None, scale: bool = True,
                 dtype: str | None = None):
    """A PIL image from a rank-3 array; `scale=True` maps [min, max] to [0, 255]. 1 channel
    gives mode "L" (or "I" when values exceed 255), 3 "RGB", 4 "RGBA"."""
    Image = _pil_image("array_to_img")
    data_format = _data_format(data_format, "array_to_img")
    x = np.asarray(x, dtype=dtype or config.floatx())
    if x.ndim != 3:
        raise ValueError("array_to_img: expected image array to have rank 3 (single image). "
                         f"Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        peak = np.max(x)
        if peak != 0:
            x /= peak
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img: unsupported channel number: {channels} (shape "
                     f"{x.shape}); expected 1, 3 or 4")


def img_to_array(img: Any, data_format: str | None = None, dtype: str | None = None
                 ) -> np.ndarray:
    """A float array (height, width, channels) from a PIL image (channels first if asked);
    grayscale images get a channel axis of size 1."""
    data_format = _data_format(data_format, "img_to_array")
    x = np.asarray(img, dtype=dtype or config.floatx())
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        return x[None] if data_format == "channels_first" else x[..., None]
    raise ValueError(f"img_to_array: unsupported image shape: {x.shape}; expected rank 3 "
                     "(or rank 2 for grayscale)")


def save_img(path: Any, x: Any, data_format: str | None = None, file_format: str | None = None,
             scale: bool = True, **kwargs: Any) -> None:
    """Write an image array to a file (format from the name unless `file_format`)."""
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format in ("jpg", "jpeg"):
        warnings.warn("The JPG format does not support RGBA images, converting to RGB.")
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_img(path: Any, grayscale: bool = False, color_mode: str = "rgb",
             target_size: tuple[int, int] | None = None, interpolation: str = "nearest",
             keep_aspect_ratio: bool = False):
    """Load an image file as a PIL image in `color_mode` ("grayscale", "rgb", "rgba"),
    resized to `target_size=(height, width)`; `keep_aspect_ratio` crops the centre to the
    target's aspect ratio before resizing, as Keras."""
    if grayscale:
        warnings.warn('grayscale is deprecated. Please use color_mode = "grayscale"')
        color_mode = "grayscale"
    Image = _pil_image("load_img")
    if color_mode not in ("grayscale", "rgb", "rgba"):
        raise ValueError('load_img: color_mode must be "grayscale", "rgb", or "rgba", got '
                         f"color_mode={color_mode!r}")
    if isinstance(path, io.BytesIO):
        img = Image.open(path)
    elif isinstance(path, (pathlib.Path, bytes, str)):
        with open(path, "rb") as f:  # read fully so the file is closed at once
            img = Image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"load_img: path should be path-like or io.BytesIO, not "
                        f"{type(path)}")
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif img.mode != color_mode.upper():
        img = img.convert(color_mode.upper())
    if target_size is not None:
        size = (target_size[1], target_size[0])  # PIL speaks (width, height)
        if img.size != size:
            methods = _interpolations(Image)
            if interpolation not in methods:
                raise ValueError(f"load_img: invalid interpolation={interpolation!r}; "
                                 f"supported: {', '.join(methods)}")
            box = None
            if keep_aspect_ratio:
                width, height = img.size
                crop_h = min(height, (width * size[1]) // size[0])
                crop_w = min(width, (height * size[0]) // size[1])
                top, left = (height - crop_h) // 2, (width - crop_w) // 2
                box = [left, top, left + crop_w, top + crop_h]
            img = img.resize(size, methods[interpolation], box=box)
    return img
