"""`keras.ops` convolution and pooling: conv, conv_transpose, depthwise_conv,
separable_conv, max_pool, average_pool.

Keras 3's signatures. The numerical work is in `autodiff/conv_primitives.py`, which works
channels_last; channels_first inputs are transposed there and back (a copy each way).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import config
from minikeras.autodiff import conv_primitives as CP
from minikeras.autodiff import primitives as P
from minikeras.autodiff.tensor import Tensor, constant_like


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else constant_like(x)


def normalize_tuple(value: Any, n: int, name: str, allow_zero: bool = False) -> tuple:
    """An int or a sequence of n ints, as a tuple of n positive ints (Keras' rule)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values = (int(value),) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(f"The `{name}` argument must be an int or a tuple of {n} ints. "
                             f"Received: {name}={value!r}") from None
        if len(values) != n or not all(isinstance(v, (int, np.integer)) and
                                       not isinstance(v, bool) for v in values):
            raise ValueError(f"The `{name}` argument must be an int or a tuple of {n} ints. "
                             f"Received: {name}={value!r}")
        values = tuple(int(v) for v in values)
    low = 0 if allow_zero else 1
    if any(v < low for v in values):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"The `{name}` argument must be {kind}. Received: {name}={value!r}")
    return values


def normalize_padding(padding: Any, allowed: tuple = ("valid", "same")) -> str:
    from minikeras.utils.naming import closest

    p = str(padding).lower() if isinstance(padding, str) else padding
    if p not in allowed:
        guess = closest(str(padding), allowed)
        hint = f" Did you mean {guess!r}?" if guess else ""
        raise ValueError(f"The `padding` argument must be one of {list(allowed)}. "
                         f"Received: padding={padding!r}.{hint}")
    return p


def normalize_data_format(data_format: Any) -> str:
    if data_format is None:
        return config.image_data_format()
    df = str(data_format).lower()
    if df not in ("channels_last", "channels_first"):
        raise ValueError("The `data_format` argument must be one of 'channels_first', "
                         f"'channels_last'. Received: data_format={data_format!r}")
    return df


def to_channels_last(x: Tensor, data_format: str) -> Tensor:
    if data_format == "channels_first":
        return P.transpose(x, (0,) + tuple(range(2, x.ndim)) + (1,))
    return x


def from_channels_last(x: Tensor, data_format: str) -> Tensor:
    if data_format == "channels_first":
        return P.transpose(x, (0, x.ndim - 1) + tuple(range(1, x.ndim - 1)))
    return x


def _check_rank(x: Tensor, what: str) -> int:
    nd = x.ndim - 2
    if nd not in (1, 2, 3):
        raise ValueError(f"{what}: inputs must have rank 3, 4 or 5 (batch, spatial axes, "
                         f"channels); received inputs with shape {tuple(x.shape)}")
    return nd


def conv(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
         data_format: str | None = None, dilation_rate: Any = 1) -> Tensor:
    """N-D convolution; kernel (*kernel_size, in_channels // groups, filters). As in Keras,
    `groups` is in_channels // kernel.shape[-2]. minikeras also takes padding='causal'
    (1-D), which Keras' op leaves to the Conv1D layer."""
    x, k = _tensor(inputs), _tensor(kernel)
    nd = _check_rank(x, "conv")
    df = normalize_data_format(data_format)
    padding = normalize_padding(padding, ("valid", "same", "causal"))
    if padding == "causal" and nd != 1:
        raise ValueError(f"padding='causal' is only for 1-D convolutions; received inputs with "
                         f"shape {tuple(x.shape)}")
    strides = normalize_tuple(strides, nd, "strides")
    dilation = normalize_tuple(dilation_rate, nd, "dilation_rate")
    if k.ndim != nd + 2:
        raise ValueError(f"conv: the kernel must have rank {nd + 2} for inputs of shape "
                         f"{tuple(x.shape)}; received kernel shape {tuple(k.shape)}")
    cin = x.shape[-1] if df == "channels_last" else x.shape[1]
    cg = k.shape[-2]
    if cin % cg or k.shape[-1] % (cin // cg):
        raise ValueError(f"conv: the input has {cin} channels, which the kernel's input "
                         f"channels ({cg}, kernel shape {tuple(k.shape)}) must divide, and the "
                         "number of groups must divide the number of filters")
    y = CP.conv(to_channels_last(x, df), k, None, strides, padding, dilation, cin // cg)
    return from_channels_last(y, df)


def conv_transpose(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
                   output_padding: Any = None, data_format: str | None = None,
                   dilation_rate: Any = 1) -> Tensor:
    """N-D transposed convolution; kernel (*kernel_size, filters, in_channels)."""
    x, k = _tensor(inputs), _tensor(kernel)
    nd = _check_rank(x, "conv_transpose")
    df = normalize_data_format(data_format)
    padding = normalize_padding(padding)
    strides = normalize_tuple(strides, nd, "strides")
    dilation = normalize_tuple(dilation_rate, nd, "dilation_rate")
    if output_padding is not None:
        output_padding = normalize_tuple(output_padding, nd, "output_padding", allow_zero=True)
    cin = x.shape[-1] if df == "channels_last" else x.shape[1]
    if k.ndim != nd + 2 or k.shape[-1] != cin:
        raise ValueError(f"conv_transpose: the kernel must have shape (*kernel_size, filters, "
                         f"{cin}) for inputs of shape {tuple(x.shape)}; received kernel shape "
                         f"{tuple(k.shape)}")
    y = CP.conv_transpose(to_channels_last(x, df), k, None, strides, padding, output_padding,
                          dilation)
    return from_channels_last(y, df)


def depthwise_kernel_as_grouped(kernel: Tensor) -> Tensor:
    """(*k, in, multiplier) -> (*k, 1, in * multiplier): the grouped-conv form (groups = in),
    output channel c * multiplier + m, which is Keras' order."""
    shape = tuple(kernel.shape)
    return P.reshape(kernel, shape[:-2] + (1, shape[-2] * shape[-1]))


def depthwise_conv(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
                   data_format: str | None = None, dilation_rate: Any = 1) -> Tensor:
    """Each input channel convolved with its own `multiplier` filters; kernel
    (*kernel_size, in_channels, multiplier)."""
    x, k = _tensor(inputs), _tensor(kernel)
    nd = _check_rank(x, "depthwise_conv")
    df = normalize_data_format(data_format)
    padding = normalize_padding(padding, ("valid", "same", "causal"))
    cin = x.shape[-1] if df == "channels_last" else x.shape[1]
    if k.ndim != nd + 2 or k.shape[-2] != cin:
        raise ValueError(f"depthwise_conv: the kernel must have shape (*kernel_size, {cin}, "
                         f"multiplier) for inputs of shape {tuple(x.shape)}; received kernel "
                         f"shape {tuple(k.shape)}")
    strides = normalize_tuple(strides, nd, "strides")
    dilation = normalize_tuple(dilation_rate, nd, "dilation_rate")
    y = CP.conv(to_channels_last(x, df), depthwise_kernel_as_grouped(k), None, strides,
                padding, dilation, cin)
    return from_channels_last(y, df)


def separable_conv(inputs: Any, depthwise_kernel: Any, pointwise_kernel: Any, strides: Any = 1,
                   padding: str = "valid", data_format: str | None = None,
                   dilation_rate: Any = 1) -> Tensor:
    """A depthwise convolution followed by a 1x1 (pointwise) convolution."""
    df = normalize_data_format(data_format)
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, df, dilation_rate)
    return conv(y, pointwise_kernel, 1, "valid", df, 1)


def _pool(inputs: Any, pool_size: Any, strides: Any, padding: str, data_format: Any,
          mode: str) -> Tensor:
    x = _tensor(inputs)
    nd = _check_rank(x, f"{mode}_pool")
    df = normalize_data_format(data_format)
    padding = normalize_padding(padding)
    pool_size = normalize_tuple(pool_size, nd, "pool_size")
    strides = pool_size if strides is None else normalize_tuple(strides, nd, "strides")
    y = CP.pool(to_channels_last(x, df), pool_size, strides, padding, mode)
    return from_channels_last(y, df)


def max_pool(inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
             data_format: str | None = None) -> Tensor:
    """Max pooling; strides default to pool_size."""
    return _pool(inputs, pool_size, strides, padding, data_format, "max")


def average_pool(inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None) -> Tensor:
    """Average pooling; with padding='same' each window is averaged over its real
    (unpadded) elements only, as Keras does."""
    return _pool(inputs, pool_size, strides, padding, data_format, "avg")
