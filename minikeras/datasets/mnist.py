"""MNIST handwritten digits (`keras.datasets.mnist`)."""

from __future__ import annotations

import numpy as np

from minikeras.datasets._files import ORIGIN_FOLDER
from minikeras.utils.file_utils import get_file

FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path: str = "mnist.npz") -> tuple:
    """`(x_train, y_train), (x_test, y_test)`: uint8 images (60000, 28, 28) and (10000, 28,
    28), uint8 labels 0-9 (60000,) and (10000,). `path` is the file name in the cache."""
    path = get_file(fname=path, origin=f"{ORIGIN_FOLDER}mnist.npz", file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
