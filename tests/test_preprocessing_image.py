"""Keras 2's `ImageDataGenerator` and image file helpers: errors, optional extras and
integration with fit (values against tf_keras are in compat_tests/test_prep_compat.py)."""

import sys

import numpy as np
import pytest

import minikeras as keras
from minikeras.preprocessing import image


def _x(n=8):
    return np.random.default_rng(0).uniform(0, 255, size=(n, 6, 6, 3)).astype("float32")


def test_flow_trains_in_fit_and_iterates_forever():
    x, y = _x(), np.arange(8) % 2
    gen = image.ImageDataGenerator(rescale=1 / 255.0, horizontal_flip=True)
    flow = gen.flow(x, y, batch_size=3, seed=1)
    assert isinstance(flow, keras.utils.Sequence) and len(flow) == 3
    model = keras.Sequential([keras.layers.Input((6, 6, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    hist = model.fit(flow, epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2
    sizes = [len(next(flow)[0]) for _ in range(4)]  # Keras' endless iterator
    assert sizes == [3, 3, 2, 3]


def test_transforms_without_scipy_name_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy", None)
    gen = image.ImageDataGenerator(rotation_range=10)
    with pytest.raises(ImportError, match=r"minikeras\[image\]"):
        gen.random_transform(_x()[0], seed=0)
    # flips and rescaling need only NumPy
    flipped = image.ImageDataGenerator(horizontal_flip=True).apply_transform(
        _x()[0], {"flip_horizontal": True})
    np.testing.assert_array_equal(flipped, _x()[0][:, ::-1])


def test_image_files_without_pillow_name_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"minikeras\[image\]"):
        keras.utils.load_img(tmp_path / "missing.png")
    with pytest.raises(ImportError, match=r"minikeras\[image\]"):
        keras.utils.array_to_img(_x()[0])


def test_png_round_trip(tmp_path):
    pytest.importorskip("PIL")
    arr = np.random.default_rng(3).integers(0, 256, size=(5, 7, 3)).astype("float32")
    path = tmp_path / "a.png"
    keras.utils.save_img(path, arr, scale=False)
    back = keras.utils.img_to_array(keras.utils.load_img(path))
    np.testing.assert_array_equal(back, arr)
    gray = keras.preprocessing.image.load_img(str(path), color_mode="grayscale",
                                              target_size=(3, 4))
    assert keras.utils.img_to_array(gray).shape == (3, 4, 1)


def test_bad_arguments():
    with pytest.raises(ValueError, match="data_format"):
        image.ImageDataGenerator(data_format="channels_middle")
    with pytest.raises(ValueError, match="nearest"):
        image.ImageDataGenerator(fill_mode="nearst")
    with pytest.raises(ValueError, match="validation_split"):
        image.ImageDataGenerator(validation_split=1.5)
    with pytest.raises(ValueError, match="zoom_range"):
        image.ImageDataGenerator(zoom_range=(0.5, 1, 2))
    gen = image.ImageDataGenerator()
    with pytest.raises(ValueError, match="rank 4"):
        gen.fit(np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="same length"):
        gen.flow(_x(), np.zeros(3))
    with pytest.raises(ValueError, match="subset"):
        gen.flow(_x(), subset="test")
    with pytest.raises(ValueError, match="color_mode"):
        keras.utils.load_img("x.png", color_mode="cmyk")
    with pytest.raises(ValueError, match="rank 3"):
        keras.utils.img_to_array(np.zeros((2, 2, 2, 2)))


def test_featurewise_warns_before_fit():
    gen = image.ImageDataGenerator(featurewise_center=True)
    with pytest.warns(UserWarning, match="fit"):
        gen.standardize(_x()[0])
