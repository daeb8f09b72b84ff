"""CIFAR-10 small colour images (`keras.datasets.cifar10`)."""

from __future__ import annotations

import os

import numpy as np

from minikeras.datasets.cifar import load_batch, to_data_format
from minikeras.utils.file_utils import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data() -> tuple:
    """`(x_train, y_train), (x_test, y_test)`: uint8 images (50000, 32, 32, 3) and (10000,
    32, 32, 3) (channels first under `image_data_format() == "channels_first"`), uint8
    labels (50000, 1) and (10000, 1). The batches are read without unpickling code."""
    path = get_file(fname="cifar-10-batches-py-target", origin=ORIGIN, extract=True,
                    file_hash=FILE_HASH)
    path = os.path.join(path, "cifar-10-batches-py")
    batches = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    # Keras fills preallocated uint8 arrays of 50000: batches of another size are refused there.
    x_train = np.concatenate([b[0] for b in batches]).astype("uint8")
    y_train = np.concatenate([np.asarray(b[1]) for b in batches]).astype("uint8")
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    y_train = y_train.reshape(len(y_train), 1)
    y_test = np.reshape(y_test, (len(y_test), 1)).astype(y_train.dtype)
    x_train, x_test = to_data_format(x_train), to_data_format(x_test).astype(x_train.dtype)
    return (x_train, y_train), (x_test, y_test)
