"""Keras 2's `keras.utils.data_utils` (`from keras.utils.data_utils import get_file`)."""

from minikeras.utils.file_utils import get_file  # noqa: F401
