"""California housing prices (`keras.datasets.california_housing`)."""

from __future__ import annotations

import numpy as np

from minikeras.datasets._files import ORIGIN_FOLDER, check_test_split, split_shuffled
from minikeras.utils.file_utils import get_file

FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version: str = "large", path: str = "california_housing.npz",
              test_split: float = 0.2, seed: int = 113) -> tuple:
    """`(x_train, y_train), (x_test, y_test)`: 8 features and the median house value;
    `version="small"` keeps the first 600 samples. Shuffled with
    `np.random.RandomState(seed)`, the last `test_split` as the test set."""
    check_test_split(test_split)
    if version not in ("small", "large"):
        raise ValueError("Argument `version` must be one of 'small', 'large'. "
                         f"Received: version={version}")
    path = get_file(path, origin=f"{ORIGIN_FOLDER}california_housing.npz", file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    return split_shuffled(x, y, test_split, seed)
