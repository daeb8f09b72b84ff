import numpy as np
import pytest

import minikeras as keras


@pytest.fixture(autouse=True)
def _fresh_state():
    """Every test starts with float32, fresh layer names and a fixed seed."""
    keras.config.set_floatx("float32")
    keras.backend.clear_session()
    keras.utils.set_random_seed(1234)
    yield
    keras.config.set_floatx("float32")


@pytest.fixture
def float64():
    keras.config.set_floatx("float64")
    yield
    keras.config.set_floatx("float32")


def regression_data(n=64, d=4, k=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = (x @ rng.normal(size=(d, k)) * 0.5).astype("float32")
    return x, y
