"""Keras' small datasets (`keras.datasets`): the same files, cache, origins, hashes and return
values as Keras 3. Each `load_data()` downloads once into `~/.keras/datasets` (or
`$KERAS_HOME/datasets`); offline, it raises an error naming the URL and where to put the file.
"""

from minikeras.datasets import (  # noqa: F401
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)
