"""`keras.preprocessing.sequence`."""

from minikeras.utils.sequence_utils import pad_sequences  # noqa: F401
