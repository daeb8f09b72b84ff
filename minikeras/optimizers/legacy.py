"""`keras.optimizers.legacy` (tf.keras 2.11+): the Keras 2 optimizers.

They take `lr=` and `decay=` like every minikeras optimizer, and always follow Keras 2's
rules where Keras 2 and Keras 3 differ (RMSprop without momentum and Adagrad add epsilon
outside the square root; Nadam uses Keras 2's momentum schedule). Each is a subclass of the
optimizer of the same name in `keras.optimizers`.
"""

from __future__ import annotations

from minikeras.optimizers import adadelta, adagrad, adam, adamax, ftrl, nadam, rmsprop, sgd
from minikeras.optimizers.base import Optimizer


def _legacy(cls: type) -> type:
    doc = (f"Keras 2's `{cls.__name__}` (`keras.optimizers.legacy.{cls.__name__}`): "
           f"`keras.optimizers.{cls.__name__}` with Keras 2's rules.\n\n{cls.__doc__ or ''}")
    return type(cls.__name__, (cls,), {"_legacy_class": True, "__module__": __name__,
                                       "__qualname__": cls.__name__, "__doc__": doc})


Adadelta = _legacy(adadelta.Adadelta)
Adagrad = _legacy(adagrad.Adagrad)
Adam = _legacy(adam.Adam)
Adamax = _legacy(adamax.Adamax)
Ftrl = _legacy(ftrl.Ftrl)
Nadam = _legacy(nadam.Nadam)
RMSprop = _legacy(rmsprop.RMSprop)
SGD = _legacy(sgd.SGD)

__all__ = ["Adadelta", "Adagrad", "Adam", "Adamax", "Ftrl", "Nadam", "Optimizer", "RMSprop",
           "SGD"]
