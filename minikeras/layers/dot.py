"""`layers.Dot` / `layers.dot`: the dot product of two batched tensors along given axes."""
from __future__ import annotations

from typing import Any

from minikeras import ops
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.merging import Merge


def _axes_for(axes: Any, rank1: int, rank2: int) -> tuple[int, int]:
    """Keras 3's rule: an int is the same axis of both inputs (a negative one counted from
    each input's own end); a pair gives one axis per input (negatives wrap too)."""
    if isinstance(axes, int):
        return (axes % rank1, axes % rank2) if axes < 0 else (axes, axes)
    return axes[0] % rank1, axes[1] % rank2


def batch_dot(x: Tensor, y: Tensor, axes: tuple[int, int]) -> Tensor:
    """Per sample b, the tensordot of x[b] and y[b] over x's axis axes[0] and y's axes[1]:
    shape x.shape minus that axis, then y.shape[1:] minus its axis; (batch, 1) when nothing
    else is left (Keras' Dot). Built from transpose/reshape/matmul, which carry gradients."""
    a, b = axes
    rest_x = [d for d in range(1, x.ndim) if d != a]
    rest_y = [d for d in range(1, y.ndim) if d != b]
    n, k = x.shape[0], x.shape[a]
    xs = [x.shape[d] for d in rest_x]
    ys = [y.shape[d] for d in rest_y]
    x3 = P.reshape(P.transpose(x, (0, *rest_x, a)), (n, -1, k))
    y3 = P.reshape(P.transpose(y, (0, b, *rest_y)), (n, k, -1))
    out = P.matmul(x3, y3)
    return P.reshape(out, (n, *xs, *ys) if xs or ys else (n, 1))


class Dot(Merge):
    """Dot product of two inputs along `axes` (an int, or one axis per input); with
    `normalize=True` each input is first L2-normalised along its axis, so the result is the
    cosine similarity. As Keras 3: exactly two inputs, the batch axis cannot be an axis,
    output shape as `batch_dot` above; masks are dropped."""

    _min_inputs = 2

    def __init__(self, axes: Any, normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axes, list):
            axes = tuple(axes)
        if not isinstance(axes, int) and not (
                isinstance(axes, tuple) and len(axes) == 2 and
                all(isinstance(a, int) for a in axes)):
            raise TypeError("Dot: `axes` must be an int or a list/tuple of two ints; "
                            f"got axes={axes!r}")
        self.axes = axes
        self.normalize = bool(normalize)
        self.supports_masking = False

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return None

    def _output_shape(self, shapes: list) -> tuple:
        if len(shapes) != 2:
            raise ValueError(f"A `Dot` layer ({self.name!r}) should be called on a list of "
                             f"exactly 2 inputs. Received: input_shape={shapes}")
        s1, s2 = list(shapes[0]), list(shapes[1])
        if len(s1) < 2 or len(s2) < 2:
            raise ValueError(f"Dot ({self.name!r}): each input needs a batch axis and at "
                             f"least one more; got shapes {shapes}")
        a, b = _axes_for(self.axes, len(s1), len(s2))
        if a == 0 or b == 0:
            raise ValueError(f"Dot ({self.name!r}): cannot take the dot product along the "
                             f"batch axis; got axes={self.axes!r} for shapes {shapes}")
        if s1[a] is not None and s2[b] is not None and s1[a] != s2[b]:
            raise ValueError(f"Dot ({self.name!r}): incompatible input shapes: axis values "
                             f"{s1[a]} (at axis {a}) != {s2[b]} (at axis {b}); shapes "
                             f"{shapes}, axes={self.axes!r}")
        out = s1[:a] + s1[a + 1:] + [d for i, d in enumerate(s2) if i not in (0, b)]
        return tuple(out) if len(out) > 1 else (out[0], 1)

    def call(self, inputs: Any) -> Tensor:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A `Dot` layer ({self.name!r}) should be called on a list of "
                             f"2 inputs. Received: inputs of type {type(inputs).__name__}")
        x, y = inputs if len(inputs) == 2 else (None, None)
        self._output_shape([tuple(t.shape) for t in inputs])  # the checks, on data too
        a, b = _axes_for(self.axes, x.ndim, y.ndim)
        if self.normalize:
            x = ops.normalize(x, axis=a)
            y = ops.normalize(y, axis=b)
        return batch_dot(x, y, (a, b))

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"axes": list(self.axes) if isinstance(self.axes, tuple) else self.axes,
                    "normalize": self.normalize})
        return cfg


def dot(inputs: list, axes: Any = -1, normalize: bool = False, **kwargs: Any) -> Any:
    """The functional form of `Dot` (Keras' `layers.dot`)."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
