"""Keras 2's `keras.utils.np_utils` (`from keras.utils.np_utils import to_categorical`); the
functions are `keras.utils`' own."""

from minikeras.utils import normalize, to_categorical  # noqa: F401
