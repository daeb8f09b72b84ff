"""`keras.preprocessing`: Keras 2's home of `sequence.pad_sequences` and
`timeseries_dataset_from_array` (Keras 3 still exports both here)."""

from minikeras.preprocessing import sequence  # noqa: F401
from minikeras.utils.dataset_utils import timeseries_dataset_from_array  # noqa: F401
# branch `prep`: Keras 2's text/image preprocessing utilities
from minikeras.preprocessing import text  # noqa: F401, E402
from minikeras.preprocessing import image  # noqa: F401, E402
