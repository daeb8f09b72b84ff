"""`keras.preprocessing.sequence`."""

from minikeras.utils.sequence_utils import pad_sequences  # noqa: F401
# branch `prep`: Keras 2's TimeseriesGenerator, skipgrams, make_sampling_table
from minikeras.preprocessing.timeseries_generator import (  # noqa: F401, E402
    TimeseriesGenerator,
    make_sampling_table,
    skipgrams,
)
