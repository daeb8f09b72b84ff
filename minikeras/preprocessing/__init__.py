"""`keras.preprocessing`: Keras 2's home of `sequence.pad_sequences` (still exported by
Keras 3)."""

from minikeras.preprocessing import sequence  # noqa: F401
