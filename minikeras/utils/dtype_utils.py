"""`keras.utils.standardize_dtype`: the same function as `keras.backend.standardize_dtype`
(as in Keras), defined in `minikeras/backend/dtypes.py`."""

from minikeras.backend.dtypes import ALLOWED_DTYPES, standardize_dtype  # noqa: F401
