"""CIFAR-100 small colour images (`keras.datasets.cifar100`)."""

from __future__ import annotations

import os

import numpy as np

from minikeras.datasets.cifar import load_batch, to_data_format
from minikeras.utils.file_utils import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode: str = "fine") -> tuple:
    """`(x_train, y_train), (x_test, y_test)`: uint8 images (50000, 32, 32, 3) and (10000,
    32, 32, 3), labels (n, 1): the 100 fine classes or, with `label_mode="coarse"`, the 20
    superclasses."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError('`label_mode` must be one of "fine", "coarse". '
                         f"Received: label_mode={label_mode}.")
    path = get_file(fname="cifar-100-python-target", origin=ORIGIN, extract=True,
                    file_hash=FILE_HASH)
    path = os.path.join(path, "cifar-100-python")
    x_train, y_train = load_batch(os.path.join(path, "train"), f"{label_mode}_labels")
    x_test, y_test = load_batch(os.path.join(path, "test"), f"{label_mode}_labels")
    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    return (to_data_format(x_train), y_train), (to_data_format(x_test), y_test)
