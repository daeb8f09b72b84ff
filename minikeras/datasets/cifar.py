"""What CIFAR-10 and CIFAR-100 share: reading one pickled batch safely."""

from __future__ import annotations

import numpy as np

from minikeras import config
from minikeras.datasets._files import load_pickle


def load_batch(fpath: str, label_key: str = "labels") -> tuple:
    """`(data, labels)` of one CIFAR batch file: data (n, 3, 32, 32) uint8, labels a list."""
    d = load_pickle(fpath)
    if not isinstance(d, dict):
        raise ValueError(f"{fpath} is not a CIFAR batch (expected a dict)")
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in d.items()}
    data = np.asarray(d["data"])
    return data.reshape(data.shape[0], 3, 32, 32), d[label_key]


def to_data_format(x: np.ndarray) -> np.ndarray:
    return x.transpose(0, 2, 3, 1) if config.image_data_format() == "channels_last" else x
