"""The convolution/pooling reference cases, as plain data, shared by the generator (run in
real Keras) and the test (run in minikeras). See README_conv.md.

LAYER_CASES: one layer, its input shape (with batch), keyword arguments.
OP_CASES: one `keras.ops` function, the shapes of its array arguments, keyword arguments.
MODEL_CASES: a Sequential model trained for a few epochs (training trajectories).
"""

from __future__ import annotations

import zlib

import numpy as np

LAYER_CASES = [
    # name, class, kwargs, input shape
    ("conv1d_valid", "Conv1D", {"filters": 3, "kernel_size": 3}, (2, 9, 4)),
    ("conv1d_same_stride", "Conv1D", {"filters": 3, "kernel_size": 4, "strides": 2,
                                      "padding": "same"}, (2, 9, 2)),
    ("conv1d_causal_dil", "Conv1D", {"filters": 2, "kernel_size": 3, "padding": "causal",
                                     "dilation_rate": 2}, (2, 10, 3)),
    ("conv1d_groups_cf", "Conv1D", {"filters": 4, "kernel_size": 2, "groups": 2,
                                    "data_format": "channels_first"}, (2, 4, 7)),
    ("conv2d_valid_relu", "Conv2D", {"filters": 4, "kernel_size": 3, "activation": "relu"},
     (2, 7, 6, 3)),
    ("conv2d_same_stride2", "Conv2D", {"filters": 3, "kernel_size": (3, 2), "strides": (2, 2),
                                       "padding": "same"}, (2, 7, 8, 2)),
    ("conv2d_dilation", "Conv2D", {"filters": 2, "kernel_size": 2, "dilation_rate": (2, 1)},
     (2, 7, 6, 3)),
    ("conv2d_groups", "Conv2D", {"filters": 6, "kernel_size": 2, "groups": 3, "padding": "same"},
     (2, 5, 5, 3)),
    ("conv2d_channels_first", "Conv2D", {"filters": 3, "kernel_size": 3, "strides": (1, 2),
                                         "data_format": "channels_first"}, (2, 2, 7, 7)),
    ("conv2d_nobias_tanh", "Conv2D", {"filters": 2, "kernel_size": 3, "use_bias": False,
                                      "activation": "tanh", "padding": "same"}, (2, 5, 4, 2)),
    ("conv3d_valid", "Conv3D", {"filters": 2, "kernel_size": 2}, (2, 4, 5, 3, 2)),
    ("conv3d_same_stride", "Conv3D", {"filters": 2, "kernel_size": 3, "strides": 2,
                                      "padding": "same"}, (2, 5, 4, 5, 1)),
    ("conv1dT_valid", "Conv1DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2},
     (2, 5, 2)),
    ("conv2dT_valid", "Conv2DTranspose", {"filters": 2, "kernel_size": 3}, (2, 4, 5, 3)),
    ("conv2dT_same_stride2", "Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2,
                                                 "padding": "same"}, (2, 4, 3, 2)),
    ("conv2dT_outpad", "Conv2DTranspose", {"filters": 2, "kernel_size": (3, 2),
                                           "strides": (3, 2), "output_padding": (1, 1)},
     (2, 3, 4, 2)),
    ("conv2dT_same_outpad_cf", "Conv2DTranspose", {"filters": 3, "kernel_size": 4,
                                                   "strides": 2, "padding": "same",
                                                   "output_padding": 1,
                                                   "data_format": "channels_first"},
     (2, 2, 3, 4)),
    ("conv2dT_dilation", "Conv2DTranspose", {"filters": 2, "kernel_size": 2,
                                             "dilation_rate": 2, "padding": "same"},
     (2, 4, 4, 2)),
    ("conv3dT_stride", "Conv3DTranspose", {"filters": 2, "kernel_size": 2, "strides": 2},
     (2, 2, 3, 2, 2)),
    ("dwconv1d", "DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2}, (2, 8, 3)),
    ("dwconv2d_mult2_same", "DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2,
                                                "padding": "same", "strides": 2}, (2, 6, 5, 3)),
    ("dwconv2d_cf", "DepthwiseConv2D", {"kernel_size": 2, "data_format": "channels_first"},
     (2, 3, 5, 5)),
    ("sepconv1d", "SeparableConv1D", {"filters": 4, "kernel_size": 3, "depth_multiplier": 2},
     (2, 8, 3)),
    ("sepconv2d_same", "SeparableConv2D", {"filters": 3, "kernel_size": 3, "padding": "same",
                                           "activation": "relu"}, (2, 5, 6, 2)),
    ("sepconv2d_dil", "SeparableConv2D", {"filters": 2, "kernel_size": 2, "dilation_rate": 2,
                                          "depth_multiplier": 3}, (2, 6, 6, 2)),
    ("maxpool1d", "MaxPooling1D", {"pool_size": 2}, (2, 9, 3)),
    ("maxpool1d_same_s1", "MaxPooling1D", {"pool_size": 3, "strides": 1, "padding": "same"},
     (2, 7, 2)),
    ("maxpool2d", "MaxPooling2D", {"pool_size": 2}, (2, 6, 7, 3)),
    ("maxpool2d_same_overlap", "MaxPooling2D", {"pool_size": 3, "strides": 2,
                                                "padding": "same"}, (2, 7, 6, 2)),
    ("maxpool2d_cf", "MaxPooling2D", {"pool_size": (2, 3), "data_format": "channels_first"},
     (2, 3, 6, 7)),
    ("maxpool3d", "MaxPooling3D", {"pool_size": 2, "padding": "same"}, (2, 5, 4, 3, 2)),
    ("avgpool1d_same", "AveragePooling1D", {"pool_size": 3, "strides": 2, "padding": "same"},
     (2, 8, 3)),
    ("avgpool2d", "AveragePooling2D", {"pool_size": 2}, (2, 6, 6, 2)),
    ("avgpool2d_same", "AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same"},
     (2, 7, 6, 2)),
    ("avgpool2d_valid_s1", "AveragePooling2D", {"pool_size": (2, 3), "strides": 1},
     (2, 5, 6, 2)),
    ("avgpool2d_cf_same", "AveragePooling2D", {"pool_size": 2, "padding": "same",
                                               "data_format": "channels_first"}, (2, 3, 5, 5)),
    ("avgpool3d", "AveragePooling3D", {"pool_size": 2}, (2, 4, 4, 5, 2)),
    ("gmaxpool1d", "GlobalMaxPooling1D", {}, (2, 6, 3)),
    ("gavgpool1d_keep", "GlobalAveragePooling1D", {"keepdims": True}, (2, 6, 3)),
    ("gmaxpool2d_cf", "GlobalMaxPooling2D", {"data_format": "channels_first"}, (2, 3, 4, 5)),
    ("gavgpool2d", "GlobalAveragePooling2D", {}, (2, 4, 5, 3)),
    ("gmaxpool3d_keep", "GlobalMaxPooling3D", {"keepdims": True}, (2, 3, 4, 2, 3)),
    ("gavgpool3d_cf", "GlobalAveragePooling3D", {"data_format": "channels_first"},
     (2, 3, 3, 4, 2)),
]

# GlobalAveragePooling1D with a mask (batch, steps): the average over the unmasked steps
MASK_CASES = [
    ("gavgpool1d_mask", {}, (3, 5, 2)),
    ("gavgpool1d_mask_keep_cf", {"keepdims": True, "data_format": "channels_first"}, (3, 2, 5)),
]


def mask_for(name: str, batch: int, steps: int) -> np.ndarray:
    rng = np.random.default_rng(seed_of(name) + 1)
    mask = rng.random((batch, steps)) > 0.4
    mask[:, 0] = True  # every sample keeps at least one step
    return mask


# name, op, shapes of the array arguments (input first), kwargs
OP_CASES = [
    ("conv_1d_same", "conv", [(2, 9, 3), (3, 3, 4)], {"strides": 2, "padding": "same"}),
    ("conv_2d_valid", "conv", [(2, 6, 7, 3), (3, 2, 3, 4)], {}),
    ("conv_2d_dil_cf", "conv", [(2, 3, 7, 6), (2, 2, 3, 2)],
     {"dilation_rate": 2, "data_format": "channels_first"}),
    ("conv_2d_groups", "conv", [(2, 5, 5, 4), (3, 3, 2, 6)], {"padding": "same"}),
    ("conv_3d", "conv", [(1, 4, 4, 4, 2), (2, 2, 2, 2, 3)], {"strides": (1, 2, 1)}),
    ("conv_transpose_2d", "conv_transpose", [(2, 4, 3, 3), (3, 3, 2, 3)],
     {"strides": 2, "padding": "same"}),
    ("conv_transpose_1d_outpad", "conv_transpose", [(2, 5, 2), (4, 3, 2)],
     {"strides": 3, "output_padding": 2}),
    ("depthwise_conv_2d", "depthwise_conv", [(2, 6, 5, 3), (3, 3, 3, 2)], {"padding": "same"}),
    ("separable_conv_2d", "separable_conv", [(2, 6, 6, 2), (3, 3, 2, 2), (1, 1, 4, 3)],
     {"strides": 2}),
    ("max_pool_2d_same", "max_pool", [(2, 7, 7, 3)],
     {"pool_size": 3, "strides": 2, "padding": "same"}),
    ("max_pool_1d", "max_pool", [(2, 8, 3)], {"pool_size": 2, "strides": 2}),
    ("average_pool_2d_same", "average_pool", [(2, 5, 7, 2)],
     {"pool_size": (2, 3), "strides": (2, 2), "padding": "same"}),
    ("average_pool_3d_cf", "average_pool", [(2, 2, 4, 4, 4)],
     {"pool_size": 2, "strides": 2, "data_format": "channels_first"}),
]

# Training trajectories: Sequential(Input(shape), *layers), initial weights uniform(-0.5, 0.5)
# scaled by `w_scale`, fit(shuffle=False).
_DENSE_SOFTMAX = ["Dense", {"units": 3, "activation": "softmax"}]
_CCE = {"loss": "categorical_crossentropy", "metrics": ["accuracy"], "data": "multiclass"}
_MSE = {"loss": "mse", "metrics": [], "data": "regression"}

MODEL_CASES = [
    {"name": "cnn2d_sgd", "input": (8, 8, 1), "optimizer": ["SGD", {"learning_rate": 0.05}],
     "layers": [["Conv2D", {"filters": 4, "kernel_size": 3, "activation": "relu"}],
                ["MaxPooling2D", {"pool_size": 2}], ["Flatten", {}], _DENSE_SOFTMAX], **_CCE},
    {"name": "cnn2d_adam_two_conv", "input": (10, 10, 2),
     "optimizer": ["Adam", {"learning_rate": 0.01}],
     "layers": [["Conv2D", {"filters": 4, "kernel_size": 3, "activation": "relu"}],
                ["MaxPooling2D", {}],
                ["Conv2D", {"filters": 3, "kernel_size": 2, "activation": "relu"}],
                ["MaxPooling2D", {}], ["Flatten", {}], _DENSE_SOFTMAX], **_CCE},
    {"name": "cnn2d_same_stride", "input": (9, 9, 1), "optimizer": ["SGD", {"learning_rate": 0.05,
                                                                           "momentum": 0.9}],
     "layers": [["Conv2D", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same",
                            "activation": "tanh"}],
                ["Flatten", {}], _DENSE_SOFTMAX], **_CCE},
    {"name": "cnn2d_channels_first", "input": (2, 8, 8),
     "optimizer": ["RMSprop", {"learning_rate": 0.01}],
     "layers": [["Conv2D", {"filters": 3, "kernel_size": 3, "data_format": "channels_first",
                            "activation": "relu"}],
                ["MaxPooling2D", {"data_format": "channels_first"}],
                ["Flatten", {}], _DENSE_SOFTMAX], **_CCE},
    {"name": "cnn2d_cf_avgpool_same", "input": (2, 7, 7),
     "optimizer": ["Adam", {"learning_rate": 0.01}],
     "layers": [["Conv2D", {"filters": 3, "kernel_size": 2, "padding": "same",
                            "data_format": "channels_first"}],
                ["AveragePooling2D", {"pool_size": 2, "padding": "same",
                                      "data_format": "channels_first"}],
                ["GlobalMaxPooling2D", {"data_format": "channels_first"}], ["Dense", {"units": 2}]],
     **_MSE},
    {"name": "cnn2d_global_avg", "input": (8, 8, 3), "optimizer": ["Adam", {"learning_rate": 0.02}],
     "layers": [["Conv2D", {"filters": 5, "kernel_size": 3, "activation": "relu"}],
                ["GlobalAveragePooling2D", {}], _DENSE_SOFTMAX], **_CCE},
    {"name": "cnn2d_global_max", "input": (7, 7, 2), "optimizer": ["SGD", {"learning_rate": 0.05}],
     "layers": [["Conv2D", {"filters": 4, "kernel_size": 2, "activation": "relu"}],
                ["GlobalMaxPooling2D", {}], ["Dense", {"units": 2}]], **_MSE},
    {"name": "cnn2d_dilated_groups", "input": (9, 9, 4), "optimizer": ["Adam",
                                                                      {"learning_rate": 0.01}],
     "layers": [["Conv2D", {"filters": 4, "kernel_size": 2, "dilation_rate": 2, "groups": 2,
                            "activation": "relu"}],
                ["MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}],
                ["Flatten", {}], _DENSE_SOFTMAX], **_CCE},
    {"name": "cnn2d_avgpool", "input": (8, 8, 1), "optimizer": ["SGD", {"learning_rate": 0.1}],
     "layers": [["Conv2D", {"filters": 3, "kernel_size": 3, "activation": "sigmoid"}],
                ["AveragePooling2D", {"pool_size": 2}], ["Flatten", {}], ["Dense", {"units": 1}]],
     **_MSE},
    {"name": "cnn2d_l2_reg", "input": (6, 6, 2), "optimizer": ["SGD", {"learning_rate": 0.05}],
     "layers": [["Conv2D", {"filters": 3, "kernel_size": 3, "activation": "relu",
                            "kernel_regularizer": ["L2", {"l2": 0.01}]}],
                ["Flatten", {}], _DENSE_SOFTMAX], **_CCE},
    {"name": "cnn1d_sgd", "input": (12, 2), "optimizer": ["SGD", {"learning_rate": 0.05}],
     "layers": [["Conv1D", {"filters": 4, "kernel_size": 3, "activation": "relu"}],
                ["MaxPooling1D", {"pool_size": 2}], ["Flatten", {}], _DENSE_SOFTMAX], **_CCE},
    {"name": "cnn1d_causal_gap", "input": (10, 3), "optimizer": ["Adam", {"learning_rate": 0.01}],
     "layers": [["Conv1D", {"filters": 4, "kernel_size": 3, "padding": "causal",
                            "dilation_rate": 2, "activation": "relu"}],
                ["GlobalAveragePooling1D", {}], ["Dense", {"units": 1}]], **_MSE},
    {"name": "cnn1d_same_stride_gmp", "input": (11, 2),
     "optimizer": ["RMSprop", {"learning_rate": 0.005}],
     "layers": [["Conv1D", {"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same",
                            "activation": "tanh"}],
                ["AveragePooling1D", {"pool_size": 2, "strides": 1}],
                ["GlobalMaxPooling1D", {}], _DENSE_SOFTMAX], **_CCE},
    {"name": "cnn1d_channels_first", "input": (3, 10), "optimizer": ["SGD",
                                                                    {"learning_rate": 0.05}],
     "layers": [["Conv1D", {"filters": 2, "kernel_size": 3, "data_format": "channels_first",
                            "activation": "relu"}],
                ["MaxPooling1D", {"pool_size": 2, "data_format": "channels_first"}],
                ["Flatten", {}], ["Dense", {"units": 2}]], **_MSE},
    {"name": "separable2d", "input": (8, 8, 2), "optimizer": ["Adam", {"learning_rate": 0.01}],
     "layers": [["SeparableConv2D", {"filters": 3, "kernel_size": 3, "depth_multiplier": 2,
                                     "activation": "relu"}],
                ["MaxPooling2D", {}], ["Flatten", {}], _DENSE_SOFTMAX], **_CCE},
    {"name": "separable1d", "input": (10, 3), "optimizer": ["SGD", {"learning_rate": 0.05}],
     "layers": [["SeparableConv1D", {"filters": 2, "kernel_size": 3, "padding": "same"}],
                ["Flatten", {}], ["Dense", {"units": 1}]], **_MSE},
    {"name": "depthwise2d", "input": (7, 7, 3), "optimizer": ["SGD", {"learning_rate": 0.05}],
     "layers": [["DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2,
                                     "activation": "relu"}],
                ["GlobalAveragePooling2D", {}], _DENSE_SOFTMAX], **_CCE},
    {"name": "depthwise1d_same", "input": (9, 2), "optimizer": ["Adam", {"learning_rate": 0.01}],
     "layers": [["DepthwiseConv1D", {"kernel_size": 3, "padding": "same", "strides": 2}],
                ["Flatten", {}], ["Dense", {"units": 2}]], **_MSE},
    {"name": "transpose2d", "input": (4, 4, 2), "optimizer": ["Adam", {"learning_rate": 0.01}],
     "layers": [["Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2,
                                     "padding": "same", "activation": "relu"}],
                ["Conv2D", {"filters": 1, "kernel_size": 3}],
                ["Flatten", {}], ["Dense", {"units": 2}]], **_MSE},
    {"name": "transpose1d_outpad", "input": (5, 2), "optimizer": ["SGD", {"learning_rate": 0.05}],
     "layers": [["Conv1DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2,
                                     "output_padding": 1}],
                ["GlobalMaxPooling1D", {}], _DENSE_SOFTMAX], **_CCE},
    {"name": "conv3d_pool3d", "input": (4, 4, 4, 1), "optimizer": ["Adam",
                                                                  {"learning_rate": 0.01}],
     "layers": [["Conv3D", {"filters": 2, "kernel_size": 2, "activation": "relu"}],
                ["MaxPooling3D", {"pool_size": 2, "padding": "same"}],
                ["Flatten", {}], _DENSE_SOFTMAX], **_CCE},
    {"name": "conv3d_avg_global", "input": (5, 4, 4, 2), "optimizer": ["SGD",
                                                                      {"learning_rate": 0.05}],
     "layers": [["Conv3D", {"filters": 3, "kernel_size": 2, "padding": "same"}],
                ["AveragePooling3D", {"pool_size": 2}],
                ["GlobalAveragePooling3D", {}], ["Dense", {"units": 1}]], **_MSE},
    {"name": "cnn2d_keras2_aliases", "input": (8, 8, 1),
     "optimizer": ["SGD", {"learning_rate": 0.05}],
     "layers": [["Convolution2D", {"filters": 3, "kernel_size": (3, 3), "activation": "relu"}],
                ["MaxPool2D", {}], ["Flatten", {}], _DENSE_SOFTMAX], **_CCE},
]

N_SAMPLES = 48
EPOCHS = 3
BATCH = 16


def seed_of(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def model_data(case: dict) -> tuple:
    """x ~ N(0, 1), targets from a random linear read-out (one-hot argmax, or the values)."""
    rng = np.random.default_rng(seed_of(case["name"]))
    x = rng.normal(size=(N_SAMPLES,) + tuple(case["input"])).astype(np.float32)
    flat = x.reshape(N_SAMPLES, -1)
    units = case["layers"][-1][1]["units"]
    a = rng.normal(size=(flat.shape[1], units)) / np.sqrt(flat.shape[1])
    z = flat @ a
    if case["data"] == "multiclass":
        y = np.eye(units, dtype=np.float32)[z.argmax(axis=1)]
    else:
        y = z.astype(np.float32)
    return x, y, rng


def build_layer(keras, class_name: str, kwargs: dict):
    kwargs = dict(kwargs)
    reg = kwargs.get("kernel_regularizer")
    if isinstance(reg, list):
        kwargs["kernel_regularizer"] = getattr(keras.regularizers, reg[0])(**reg[1])
    return getattr(keras.layers, class_name)(**kwargs)


def build_model(keras, case: dict):
    model = keras.Sequential([keras.Input(shape=tuple(case["input"]))] +
                             [build_layer(keras, c, k) for c, k in case["layers"]])
    opt_name, opt_kwargs = case["optimizer"]
    model.compile(optimizer=getattr(keras.optimizers, opt_name)(**opt_kwargs),
                  loss=case["loss"], metrics=list(case["metrics"]))
    return model


def initial_weights(model, rng) -> list:
    """uniform(-0.5, 0.5) for every weight, layer by layer, in each layer's weight order."""
    out = []
    for layer in model.layers:
        for w in layer.weights:
            out.append(rng.uniform(-0.5, 0.5, size=tuple(w.shape)).astype(np.float32))
    return out


def set_weights(model, values: list) -> None:
    i = 0
    for layer in model.layers:
        n = len(layer.weights)
        if n:
            layer.set_weights(values[i:i + n])
            i += n
