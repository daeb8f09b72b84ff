"""The reshaping-layer cases shared by `generate_reshape_fixtures.py` (run in real Keras 3)
and `test_reshape_compat.py` (run in minikeras). Plain data plus `build_model`, which uses
only public names, so the same code builds the model from `keras` or `minikeras`.

LAYER_CASES: name -> (class name, kwargs, input shape without the batch axis). Each one is
recorded with a forward value, a jax.grad gradient for a random upstream gradient, the
config and `compute_output_shape`.

TRAIN_CASES: small models trained from the same initial weights (uniform(-0.5, 0.5)), per
epoch logs and final weights recorded.
"""

LAYER_CASES = {
    "zp1d_default": ("ZeroPadding1D", {}, (4, 3)),
    "zp1d_asym": ("ZeroPadding1D", {"padding": [2, 0]}, (3, 2)),
    "zp1d_cf": ("ZeroPadding1D", {"padding": 1, "data_format": "channels_first"}, (2, 4)),
    "zp2d_default": ("ZeroPadding2D", {}, (3, 4, 2)),
    "zp2d_sym2": ("ZeroPadding2D", {"padding": [2, 1]}, (2, 3, 2)),
    "zp2d_pairs": ("ZeroPadding2D", {"padding": [[1, 0], [0, 2]]}, (3, 3, 1)),
    "zp2d_cf": ("ZeroPadding2D", {"padding": [[0, 1], [2, 1]],
                                  "data_format": "channels_first"}, (2, 3, 4)),
    "zp3d_default": ("ZeroPadding3D", {}, (2, 3, 2, 2)),
    "zp3d_pairs_cf": ("ZeroPadding3D", {"padding": [[1, 0], [0, 1], [2, 0]],
                                        "data_format": "channels_first"}, (2, 2, 3, 2)),
    "crop1d_default": ("Cropping1D", {}, (5, 3)),
    "crop1d_asym": ("Cropping1D", {"cropping": [0, 2]}, (5, 2)),
    "crop2d_int": ("Cropping2D", {"cropping": 1}, (4, 5, 2)),
    "crop2d_pairs": ("Cropping2D", {"cropping": [[1, 0], [2, 1]]}, (4, 5, 2)),
    "crop2d_cf": ("Cropping2D", {"cropping": [[0, 2], [1, 0]],
                                 "data_format": "channels_first"}, (2, 4, 3)),
    "crop3d_default": ("Cropping3D", {}, (3, 4, 3, 2)),
    "crop3d_pairs_cf": ("Cropping3D", {"cropping": [[1, 0], [0, 0], [0, 2]],
                                       "data_format": "channels_first"}, (2, 3, 2, 4)),
    "up1d_default": ("UpSampling1D", {}, (3, 2)),
    "up1d_3": ("UpSampling1D", {"size": 3}, (2, 3)),
    "up2d_default": ("UpSampling2D", {}, (2, 3, 2)),
    "up2d_23": ("UpSampling2D", {"size": [2, 3]}, (2, 2, 1)),
    "up2d_cf": ("UpSampling2D", {"size": [3, 2], "data_format": "channels_first"}, (2, 2, 3)),
    "up2d_bilinear": ("UpSampling2D", {"interpolation": "bilinear"}, (3, 4, 2)),
    "up2d_bilinear_32": ("UpSampling2D", {"size": [3, 2], "interpolation": "bilinear"},
                         (2, 3, 1)),
    "up2d_bilinear_cf": ("UpSampling2D", {"size": [2, 3], "interpolation": "bilinear",
                                          "data_format": "channels_first"}, (2, 3, 2)),
    "up2d_bilinear_1px": ("UpSampling2D", {"size": [4, 1], "interpolation": "bilinear"},
                          (1, 2, 1)),
    "up2d_bicubic": ("UpSampling2D", {"size": [2, 3], "interpolation": "bicubic"}, (4, 3, 1)),
    "up2d_lanczos3": ("UpSampling2D", {"interpolation": "lanczos3"}, (4, 4, 1)),
    "up2d_lanczos5": ("UpSampling2D", {"size": [3, 2], "interpolation": "lanczos5"},
                      (3, 5, 1)),
    "up3d_default": ("UpSampling3D", {}, (2, 2, 1, 2)),
    "up3d_cf": ("UpSampling3D", {"size": [1, 2, 3], "data_format": "channels_first"},
                (2, 2, 1, 2)),
    "repeat_vector": ("RepeatVector", {"n": 3}, (4,)),
    "permute_21": ("Permute", {"dims": [2, 1]}, (3, 4)),
    "permute_312": ("Permute", {"dims": [3, 1, 2]}, (2, 3, 4)),
    "permute_identity": ("Permute", {"dims": [1, 2]}, (3, 2)),
    "sdrop1d": ("SpatialDropout1D", {"rate": 0.5, "seed": 3}, (6, 8)),
    "sdrop2d": ("SpatialDropout2D", {"rate": 0.4, "seed": 3}, (3, 4, 8)),
    "sdrop2d_cf": ("SpatialDropout2D", {"rate": 0.4, "seed": 3,
                                        "data_format": "channels_first"}, (8, 3, 4)),
    "sdrop3d": ("SpatialDropout3D", {"rate": 0.3, "seed": 3}, (2, 3, 2, 8)),
}

# Bad input: (class name, kwargs, input shape or None for a constructor error).
ERROR_CASES = {
    "crop1d_too_large": ("Cropping1D", {"cropping": [2, 3]}, (5, 2)),
    "crop2d_too_large": ("Cropping2D", {"cropping": [[2, 2], [0, 0]]}, (4, 5, 1)),
    "crop3d_too_large": ("Cropping3D", {"cropping": [[0, 0], [3, 0], [0, 0]]}, (2, 3, 2, 1)),
    "permute_bad_dims": ("Permute", {"dims": [0, 1]}, None),
    "permute_gap": ("Permute", {"dims": [1, 3]}, None),
    "zp2d_three_entries": ("ZeroPadding2D", {"padding": [1, 1, 1]}, None),
    "crop2d_negative": ("Cropping2D", {"cropping": -1}, None),
    "up1d_zero": ("UpSampling1D", {"size": 0}, None),
    "up2d_bad_size": ("UpSampling2D", {"size": [2, 0]}, None),
    "repeat_zero": ("RepeatVector", {"n": 0}, None),
    "bad_data_format": ("ZeroPadding2D", {"data_format": "channels_middle"}, None),
    "zp2d_rank3": ("ZeroPadding2D", {}, (3, 4)),
    "up2d_rank5": ("UpSampling2D", {}, (2, 3, 4, 1)),
    "repeat_rank3": ("RepeatVector", {"n": 2}, (3, 4)),
    "permute_rank": ("Permute", {"dims": [2, 1]}, (2, 3, 4)),
    "sdrop1d_rank4": ("SpatialDropout1D", {"rate": 0.5}, (2, 3, 4)),
}

# Keras 2 backend functions: name -> (expression of K and x, shape of x)
BACKEND_CASES = {
    "temporal_padding": ("K.temporal_padding(x, (2, 1))", (2, 3, 4)),
    "temporal_padding_default": ("K.temporal_padding(x)", (2, 3, 2)),
    "spatial_2d_padding": ("K.spatial_2d_padding(x, ((1, 0), (0, 2)))", (2, 3, 4, 2)),
    "spatial_2d_padding_cf": ("K.spatial_2d_padding(x, ((0, 1), (2, 1)), "
                              "data_format='channels_first')", (2, 2, 3, 4)),
    "spatial_3d_padding": ("K.spatial_3d_padding(x)", (1, 2, 3, 2, 2)),
    "spatial_3d_padding_cf": ("K.spatial_3d_padding(x, ((1, 0), (0, 1), (0, 2)), "
                              "data_format='channels_first')", (1, 2, 2, 3, 2)),
    "resize_images_nearest": ("K.resize_images(x, 2, 3, 'channels_last')", (2, 3, 2, 2)),
    "resize_images_nearest_cf": ("K.resize_images(x, 3, 2, 'channels_first')", (2, 2, 3, 2)),
    "resize_images_bilinear": ("K.resize_images(x, 2, 3, 'channels_last', "
                               "interpolation='bilinear')", (2, 3, 4, 2)),
    "resize_images_bilinear_cf": ("K.resize_images(x, 3, 2, 'channels_first', "
                                  "interpolation='bilinear')", (1, 2, 3, 4)),
    "resize_volumes": ("K.resize_volumes(x, 1, 2, 3, 'channels_last')", (1, 2, 2, 2, 2)),
    "resize_volumes_cf": ("K.resize_volumes(x, 2, 1, 2, 'channels_first')", (1, 2, 2, 3, 2)),
}

TRAIN_CASES = {
    "dense_repeat_permute": {
        "input_shape": [4], "data": "regression", "outputs": 2, "n": 40,
        "layers": [["Dense", {"units": 3, "activation": "tanh"}], ["RepeatVector", {"n": 5}],
                   ["Permute", {"dims": [2, 1]}], ["Flatten", {}], ["Dense", {"units": 2}]],
        "optimizer": ["SGD", {"learning_rate": 0.1}], "loss": "mse", "metrics": ["mae"],
        "fit": {"epochs": 4, "batch_size": 8}},
    "pad_crop_2d": {
        "input_shape": [6, 5, 2], "data": "multiclass", "outputs": 3, "n": 48,
        "layers": [["ZeroPadding2D", {"padding": [[1, 0], [2, 1]]}],
                   ["Cropping2D", {"cropping": [[0, 2], [1, 1]]}], ["Flatten", {}],
                   ["Dense", {"units": 3, "activation": "softmax"}]],
        "optimizer": ["Adam", {"learning_rate": 0.01}], "loss": "categorical_crossentropy",
        "metrics": ["accuracy"], "fit": {"epochs": 4, "batch_size": 16}},
    "upsample_bilinear": {
        "input_shape": [3, 4, 2], "data": "regression", "outputs": 2, "n": 32,
        "layers": [["UpSampling2D", {"size": [2, 3], "interpolation": "bilinear"}],
                   ["Cropping2D", {"cropping": 1}], ["Flatten", {}], ["Dense", {"units": 2}]],
        "optimizer": ["RMSprop", {"learning_rate": 0.005}], "loss": "mse", "metrics": [],
        "fit": {"epochs": 3, "batch_size": 8}},
    "channels_first_chain": {
        "input_shape": [2, 4, 5], "data": "binary", "outputs": 1, "n": 40,
        "layers": [["ZeroPadding2D", {"padding": 1, "data_format": "channels_first"}],
                   ["UpSampling2D", {"size": 2, "data_format": "channels_first"}],
                   ["Cropping2D", {"cropping": [[1, 2], [0, 1]],
                                   "data_format": "channels_first"}],
                   ["Flatten", {}], ["Dense", {"units": 1, "activation": "sigmoid"}]],
        "optimizer": ["Adam", {"learning_rate": 0.01}], "loss": "binary_crossentropy",
        "metrics": ["accuracy"], "fit": {"epochs": 4, "batch_size": 10}},
    "sequence_1d": {
        "input_shape": [6, 3], "data": "regression", "outputs": 2, "n": 36,
        "layers": [["Cropping1D", {"cropping": [1, 2]}], ["UpSampling1D", {"size": 2}],
                   ["ZeroPadding1D", {"padding": [2, 1]}],
                   ["Dense", {"units": 4, "activation": "relu"}], ["Flatten", {}],
                   ["Dense", {"units": 2}]],
        "optimizer": ["Adam", {"learning_rate": 0.02}], "loss": "mse", "metrics": ["mae"],
        "fit": {"epochs": 4, "batch_size": 12}},
    "volume_3d": {
        "input_shape": [3, 4, 3, 2], "data": "regression", "outputs": 2, "n": 24,
        "layers": [["ZeroPadding3D", {"padding": [[1, 0], [0, 1], [1, 1]]}],
                   ["Cropping3D", {"cropping": [[0, 1], [1, 0], [1, 1]]}],
                   ["UpSampling3D", {"size": [1, 2, 1]}], ["Flatten", {}],
                   ["Dense", {"units": 2}]],
        "optimizer": ["SGD", {"learning_rate": 0.02, "momentum": 0.9}], "loss": "mse",
        "metrics": [], "fit": {"epochs": 3, "batch_size": 8}},
    "repeat_sequence_softmax": {
        "input_shape": [5], "data": "sparse", "outputs": 3, "n": 45,
        "layers": [["Dense", {"units": 4}], ["RepeatVector", {"n": 3}],
                   ["Dense", {"units": 2, "activation": "tanh"}], ["Permute", {"dims": [2, 1]}],
                   ["Flatten", {}], ["Dense", {"units": 3, "activation": "softmax"}]],
        "optimizer": ["Adam", {"learning_rate": 0.01}],
        "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"],
        "fit": {"epochs": 4, "batch_size": 9}},
    "bicubic_channels_first": {
        "input_shape": [1, 3, 3], "data": "regression", "outputs": 1, "n": 30,
        "layers": [["Permute", {"dims": [2, 3, 1]}],
                   ["UpSampling2D", {"size": [2, 2], "interpolation": "bicubic"}],
                   ["ZeroPadding2D", {"padding": [[0, 1], [1, 0]]}], ["Flatten", {}],
                   ["Dense", {"units": 1}]],
        "optimizer": ["SGD", {"learning_rate": 0.01}], "loss": "mse", "metrics": [],
        "fit": {"epochs": 3, "batch_size": 10}},
}


def make_data(case: dict, rng) -> tuple:
    """x ~ N(0, 1) of shape (n, *input_shape), then targets from a random linear map of
    the flattened x; float32 (int32 labels for 'sparse')."""
    import numpy as np

    n, shape, k = case["n"], tuple(case["input_shape"]), case["outputs"]
    x = rng.normal(size=(n,) + shape).astype(np.float32)
    a = rng.normal(size=(int(np.prod(shape)), k))
    z = x.reshape(n, -1) @ a / np.sqrt(np.prod(shape))
    kind = case["data"]
    if kind == "regression":
        y = (z + 0.1 * rng.normal(size=z.shape)).astype(np.float32)
    elif kind == "binary":
        y = (z > 0).astype(np.float32)
    elif kind == "multiclass":
        y = np.eye(k, dtype=np.float32)[np.argmax(z, axis=1)]
    elif kind == "sparse":
        y = np.argmax(z, axis=1).astype(np.int32)
    else:
        raise ValueError(kind)
    return x, y


def build_model(keras, case: dict):
    """Sequential(Input(input_shape), *layers), compiled as the case says."""
    layers = [keras.Input(shape=tuple(case["input_shape"]))]
    for class_name, kwargs in case["layers"]:
        layers.append(getattr(keras.layers, class_name)(**kwargs))
    model = keras.Sequential(layers)
    opt_name, opt_kwargs = case["optimizer"]
    model.compile(optimizer=getattr(keras.optimizers, opt_name)(**opt_kwargs),
                  loss=case["loss"], metrics=list(case["metrics"]))
    return model
