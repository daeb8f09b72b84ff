"""Pooling layers (`keras.layers.MaxPooling2D`, ...)."""

from minikeras.layers.pooling.pooling import (  # noqa: F401
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)

CLASSES = (MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D, AveragePooling2D,
           AveragePooling3D, GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D,
           GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D)
ALIASES = {"MaxPool1D": MaxPooling1D, "MaxPool2D": MaxPooling2D, "MaxPool3D": MaxPooling3D,
           "AvgPool1D": AveragePooling1D, "AvgPool2D": AveragePooling2D,
           "AvgPool3D": AveragePooling3D, "GlobalMaxPool1D": GlobalMaxPooling1D,
           "GlobalMaxPool2D": GlobalMaxPooling2D, "GlobalMaxPool3D": GlobalMaxPooling3D,
           "GlobalAvgPool1D": GlobalAveragePooling1D, "GlobalAvgPool2D": GlobalAveragePooling2D,
           "GlobalAvgPool3D": GlobalAveragePooling3D}

__all__ = [n for n in dir() if n[:1].isupper() and n not in ("CLASSES", "ALIASES")
           and not n.startswith("Base")]
