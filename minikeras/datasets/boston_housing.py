"""Boston housing prices (`keras.datasets.boston_housing`)."""

from __future__ import annotations

import numpy as np

from minikeras.datasets._files import ORIGIN_FOLDER, check_test_split, split_shuffled
from minikeras.utils.file_utils import get_file

FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path: str = "boston_housing.npz", test_split: float = 0.2,
              seed: int = 113) -> tuple:
    """`(x_train, y_train), (x_test, y_test)`: 13 float64 features and the median price,
    shuffled with `np.random.RandomState(seed)`, the last `test_split` as the test set."""
    check_test_split(test_split)
    path = get_file(path, origin=f"{ORIGIN_FOLDER}boston_housing.npz", file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    return split_shuffled(x, y, test_split, seed)
