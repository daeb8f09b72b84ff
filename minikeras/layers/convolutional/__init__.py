"""Convolution layers (`keras.layers.Conv2D`, ...)."""

from minikeras.layers.convolutional.base_conv import BaseConv  # noqa: F401
from minikeras.layers.convolutional.conv import (  # noqa: F401
    Conv1D,
    Conv2D,
    Conv3D,
    Convolution1D,
    Convolution2D,
    Convolution3D,
)
from minikeras.layers.convolutional.conv_transpose import (  # noqa: F401
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
    Convolution1DTranspose,
    Convolution2DTranspose,
    Convolution3DTranspose,
)
from minikeras.layers.convolutional.depthwise_conv import (  # noqa: F401
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)

CLASSES = (Conv1D, Conv2D, Conv3D, Conv1DTranspose, Conv2DTranspose, Conv3DTranspose,
           DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D)
ALIASES = {"Convolution1D": Conv1D, "Convolution2D": Conv2D, "Convolution3D": Conv3D,
           "Convolution1DTranspose": Conv1DTranspose,
           "Convolution2DTranspose": Conv2DTranspose,
           "Convolution3DTranspose": Conv3DTranspose,
           "SeparableConvolution1D": SeparableConv1D,
           "SeparableConvolution2D": SeparableConv2D}

__all__ = [n for n in dir() if n[:1].isupper() and n not in ("CLASSES", "ALIASES")
           and not n.startswith("Base")]
