"""How many BLAS threads a fit/evaluate/predict call uses (Keras has no counterpart: its
backends choose per op).

On small matrix products, extra BLAS threads cost more than they bring: they wait for
one another (and, on a busy machine, for a free core), and a 4-5-7-3 or 64-128-10 network
trains several times slower with them. Large products gain from every core. So a call whose
largest product per step is small runs with one BLAS thread, and the previous count comes
back at the end of the call; larger ones keep the machine's setting. The count is changed
through `threadpoolctl` (the optional extra `minikeras[threads]`). Without it, or when the
user set `OPENBLAS_NUM_THREADS`/`OMP_NUM_THREADS`/`MKL_NUM_THREADS` (their choice wins),
nothing changes: set `OPENBLAS_NUM_THREADS=1` by hand for small networks then.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

# Largest product (rows x inner x columns multiply-adds) still run on one thread. Below
# about 2^18 OpenBLAS already uses one thread by itself; measured on the 2-core machine,
# two threads gained nothing up to ~10^6 and lost up to 65x when the machine was busy;
# from ~10^7 (128x256 by 256x256) they gained ~1.8x on an idle core.
SMALL_PRODUCT = 1 << 22

_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_controllers: Any = None  # the BLAS libraries' controllers, [] without threadpoolctl


def _blas() -> list:
    global _controllers
    if _controllers is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _controllers = []
        else:
            try:
                _controllers = list(ThreadpoolController().select(
                    user_api="blas").lib_controllers)
            except Exception:  # an unusual BLAS threadpoolctl cannot drive: leave it
                _controllers = []
    return _controllers


@contextlib.contextmanager
def threads_for(product: Any) -> Iterator[None]:
    """One BLAS thread inside the block when `product` (the largest matrix product of a
    step, in multiply-adds; None when unknown; or a function that computes it, called only
    when it matters) is small; otherwise nothing changes."""
    if product is None or any(v in os.environ for v in _ENV):
        yield
        return
    if callable(product):
        product = product()
    if product is None or product > SMALL_PRODUCT:
        yield
        return
    libs = [c for c in _blas() if c.num_threads != 1]
    if not libs:
        yield
        return
    previous = [c.num_threads for c in libs]
    for c in libs:
        c.set_num_threads(1)
    try:
        yield
    finally:
        for c, n in zip(libs, previous):
            c.set_num_threads(n)


def largest_product(model: Any, batch_size: int) -> int | None:
    """The largest matrix product of one step of `model` on `batch_size` samples, when
    the model takes one 2-D input and every layer with weights is a Dense layer (or a
    layer without matrix products: normalisation, embedding); None otherwise."""
    from minikeras.layers.core import Dense
    from minikeras.layers.embedding import Embedding
    from minikeras.layers.normalization import BatchNormalization, LayerNormalization
    from minikeras.models.model import Model

    try:
        shape = model.input_shape
    except Exception:  # a subclassed model, or not built
        return None
    if not isinstance(shape, tuple) or len(shape) != 2:
        return None  # several inputs, or Dense layers applied over more axes
    cheap = (Embedding, BatchNormalization, LayerNormalization)
    largest = 0
    stack = list(model._layers)
    while stack:
        layer = stack.pop()
        if isinstance(layer, Model):
            stack.extend(layer._layers)
        elif isinstance(layer, Dense):
            kernel = getattr(layer, "kernel", None)
            if kernel is None:
                return None
            largest = max(largest, batch_size * kernel.value.size)
        elif layer._layers or (layer.weights and not isinstance(layer, cheap)):
            return None  # wrappers (TimeDistributed...), convolutions, recurrent layers
    return largest
