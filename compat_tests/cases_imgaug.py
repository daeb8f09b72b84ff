"""Cases of the image preprocessing layers, shared by generate_imgaug_fixtures.py (real
Keras 3) and test_imgaug_compat.py (minikeras).

A case: (name, class name, constructor kwargs, input name, training, draws).
`draws` is None for deterministic cases; otherwise the random numbers the layer would draw,
forced on both sides (Keras: through `transform_images` with that transformation; minikeras:
through a stub generator), for the layers that have no degenerate factor (RandomFlip,
RandomContrast).
"""

from __future__ import annotations

import numpy as np


def inputs() -> dict:
    rng = np.random.RandomState(20261206)
    batch = (rng.uniform(size=(2, 7, 9, 3)) * 255).astype("float32")
    return {
        "batch": batch,
        "single": batch[0].copy(),
        "batch_cf": np.ascontiguousarray(batch.transpose(0, 3, 1, 2)),
        "single_cf": np.ascontiguousarray(batch[1].transpose(2, 0, 1)),
        "unit": (batch / 255.0).astype("float32"),
        "small": batch[:, :3, :4, :].copy(),
    }


CF = {"data_format": "channels_first"}

CASES = [
    # Resizing
    ("resize_up_bilinear", "Resizing", {"height": 11, "width": 13}, "batch", False, None),
    ("resize_down_bilinear", "Resizing", {"height": 4, "width": 5}, "batch", False, None),
    ("resize_up_nearest", "Resizing", {"height": 11, "width": 13,
                                       "interpolation": "nearest"}, "batch", False, None),
    ("resize_down_nearest", "Resizing", {"height": 4, "width": 5,
                                         "interpolation": "nearest"}, "batch", False, None),
    ("resize_mixed_bicubic", "Resizing", {"height": 5, "width": 12,
                                          "interpolation": "bicubic"}, "batch", False, None),
    ("resize_lanczos3", "Resizing", {"height": 10, "width": 6, "interpolation": "lanczos3"},
     "batch", False, None),
    ("resize_lanczos5", "Resizing", {"height": 3, "width": 14, "interpolation": "lanczos5"},
     "batch", False, None),
    ("resize_down_antialias", "Resizing", {"height": 3, "width": 4, "antialias": True},
     "batch", False, None),
    ("resize_crop_aspect", "Resizing", {"height": 4, "width": 4,
                                        "crop_to_aspect_ratio": True}, "batch", False, None),
    ("resize_pad_aspect_h", "Resizing", {"height": 4, "width": 4, "pad_to_aspect_ratio": True,
                                         "fill_value": 7.0}, "batch", False, None),
    ("resize_pad_aspect_w", "Resizing", {"height": 6, "width": 3,
                                         "pad_to_aspect_ratio": True}, "batch", False, None),
    ("resize_single", "Resizing", {"height": 5, "width": 5}, "single", False, None),
    ("resize_channels_first", "Resizing", {"height": 9, "width": 4, **CF}, "batch_cf", False,
     None),
    ("resize_train_flag", "Resizing", {"height": 8, "width": 8}, "batch", True, None),
    # CenterCrop
    ("centercrop_smaller", "CenterCrop", {"height": 4, "width": 6}, "batch", False, None),
    ("centercrop_odd", "CenterCrop", {"height": 3, "width": 3}, "batch", True, None),
    ("centercrop_larger", "CenterCrop", {"height": 10, "width": 12}, "batch", False, None),
    ("centercrop_mixed", "CenterCrop", {"height": 5, "width": 12}, "batch", False, None),
    ("centercrop_single_cf", "CenterCrop", {"height": 4, "width": 4, **CF}, "single_cf",
     False, None),
    # RandomCrop: inference, and the deterministic branch in training (input not larger)
    ("randomcrop_inference", "RandomCrop", {"height": 4, "width": 5, "seed": 3}, "batch",
     False, None),
    ("randomcrop_train_not_larger", "RandomCrop", {"height": 10, "width": 12, "seed": 3},
     "batch", True, None),
    ("randomcrop_train_same_height", "RandomCrop", {"height": 7, "width": 5, "seed": 3},
     "batch", True, None),
    # RandomRotation with a fixed angle
    ("rotation_reflect", "RandomRotation", {"factor": (0.1, 0.1)}, "batch", True, None),
    ("rotation_wrap", "RandomRotation", {"factor": (-0.15, -0.15), "fill_mode": "wrap"},
     "batch", True, None),
    ("rotation_constant", "RandomRotation", {"factor": (0.2, 0.2), "fill_mode": "constant",
                                             "fill_value": 3.0}, "batch", True, None),
    ("rotation_nearest_fill", "RandomRotation", {"factor": (0.3, 0.3),
                                                 "fill_mode": "nearest"}, "batch", True, None),
    ("rotation_nearest_interp", "RandomRotation", {"factor": (0.1, 0.1),
                                                   "interpolation": "nearest"},
     "batch", True, None),
    ("rotation_constant_nearest", "RandomRotation", {"factor": (-0.25, -0.25),
                                                     "fill_mode": "constant",
                                                     "interpolation": "nearest"},
     "batch", True, None),
    ("rotation_single", "RandomRotation", {"factor": (0.05, 0.05)}, "single", True, None),
    ("rotation_channels_first", "RandomRotation", {"factor": (0.1, 0.1), **CF}, "batch_cf",
     True, None),
    ("rotation_inference", "RandomRotation", {"factor": 0.3}, "batch", False, None),
    # RandomZoom with a fixed zoom
    ("zoom_out_reflect", "RandomZoom", {"height_factor": (0.2, 0.2)}, "batch", True, None),
    ("zoom_in_wrap", "RandomZoom", {"height_factor": (-0.3, -0.3), "fill_mode": "wrap"},
     "batch", True, None),
    ("zoom_hw_constant_nearest", "RandomZoom", {"height_factor": (-0.3, -0.3),
                                                "width_factor": (0.4, 0.4),
                                                "fill_mode": "constant",
                                                "interpolation": "nearest",
                                                "fill_value": 1.5}, "batch", True, None),
    ("zoom_nearest_fill", "RandomZoom", {"height_factor": (0.5, 0.5),
                                         "width_factor": (0.25, 0.25),
                                         "fill_mode": "nearest"}, "batch", True, None),
    ("zoom_channels_first", "RandomZoom", {"height_factor": (0.3, 0.3), **CF}, "batch_cf",
     True, None),
    # RandomTranslation with a fixed shift
    ("translation_reflect", "RandomTranslation", {"height_factor": (0.1, 0.1),
                                                  "width_factor": (-0.2, -0.2)},
     "batch", True, None),
    ("translation_constant", "RandomTranslation", {"height_factor": (-0.3, -0.3),
                                                   "width_factor": (0.25, 0.25),
                                                   "fill_mode": "constant"},
     "batch", True, None),
    ("translation_wrap_nearest", "RandomTranslation", {"height_factor": (0.45, 0.45),
                                                       "width_factor": (0.3, 0.3),
                                                       "fill_mode": "wrap",
                                                       "interpolation": "nearest"},
     "batch", True, None),
    ("translation_nearest_fill", "RandomTranslation", {"height_factor": (0.2, 0.2),
                                                       "width_factor": (0.1, 0.1),
                                                       "fill_mode": "nearest"},
     "single", True, None),
    # RandomBrightness with a fixed delta; RandomContrast and RandomFlip with forced draws
    ("brightness_up", "RandomBrightness", {"factor": (0.1, 0.1)}, "batch", True, None),
    ("brightness_down_unit", "RandomBrightness", {"factor": (-0.3, -0.3),
                                                  "value_range": (0, 1)}, "unit", True, None),
    ("brightness_inference", "RandomBrightness", {"factor": 0.5}, "batch", False, None),
    ("contrast_forced", "RandomContrast", {"factor": 0.5}, "batch", True, [1.4, 0.6]),
    ("contrast_unit_forced", "RandomContrast", {"factor": (0.2, 0.9), "value_range": (0, 1)},
     "unit", True, [1.9, 0.2]),
    ("flip_forced_both", "RandomFlip", {}, "batch", True, [0.3, 0.7]),
    ("flip_forced_horizontal", "RandomFlip", {"mode": "horizontal"}, "batch", True,
     [0.2, 0.1]),
    ("flip_forced_vertical_cf", "RandomFlip", {"mode": "vertical", **CF}, "batch_cf", True,
     [0.9, 0.4]),
    ("flip_inference", "RandomFlip", {}, "batch", False, None),
]

# Construction errors: (name, class name, kwargs)
ERRORS = [
    ("rotation_factor_too_big", "RandomRotation", {"factor": 1.5}),
    ("rotation_factor_one_value", "RandomRotation", {"factor": (0.1,)}),
    ("zoom_factor_minus_one", "RandomZoom", {"height_factor": -1.0}),
    ("zoom_width_factor_bad", "RandomZoom", {"height_factor": 0.1, "width_factor": 1.5}),
    ("translation_factor_bad", "RandomTranslation", {"height_factor": 0.1,
                                                     "width_factor": -1.2}),
    ("contrast_factor_negative", "RandomContrast", {"factor": -0.5}),
    ("brightness_factor_too_big", "RandomBrightness", {"factor": 1.5}),
    ("brightness_value_range_bad", "RandomBrightness", {"factor": 0.1, "value_range": (1,)}),
    ("rotation_fill_mode_typo", "RandomRotation", {"factor": 0.1, "fill_mode": "refelct"}),
    ("zoom_interpolation_bad", "RandomZoom", {"height_factor": 0.1,
                                              "interpolation": "bicubic"}),
]

# the model written by Keras into .keras and .h5 files, predicted by both
MODEL_INPUT_SHAPE = (8, 8, 3)


def build_model(keras, brightness: bool = True):
    """The model of the file fixtures. Keras 3.15 cannot write RandomBrightness into a
    legacy .h5 file (its config holds a module: "cannot pickle 'module' object"), so the
    .h5 model goes without it (`brightness=False`)."""
    L = keras.layers
    return keras.Sequential([
        keras.Input(MODEL_INPUT_SHAPE),
        L.RandomFlip("horizontal", seed=1),
        L.RandomRotation(0.1, seed=2),
        L.RandomZoom(0.1, fill_mode="constant", seed=3),
        L.RandomTranslation(0.1, 0.1, seed=4),
        L.RandomContrast(0.2, seed=5),
    ] + ([L.RandomBrightness(0.1, seed=6)] if brightness else []) + [
        L.Resizing(6, 6),
        L.CenterCrop(5, 5),
        L.Rescaling(1 / 255.0),
        L.Conv2D(2, 3, activation="relu"),
        L.Flatten(),
        L.Dense(3),
    ])
