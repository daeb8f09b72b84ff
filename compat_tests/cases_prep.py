"""Cases of Keras 2's preprocessing utilities (branch `prep`), shared by
generate_prep_fixtures.py (run with tf_keras, writes the expected values) and
test_prep_compat.py (runs the same calls on minikeras and compares).

Each `*_cases(module)` function takes the module under test (`tf_keras.preprocessing.text`
or `minikeras.preprocessing.text`, ...) and returns a JSON-able dict name -> output.
"""

import json

import numpy as np

CORPUS = [
    "The cat sat on the mat.",
    "The dog ate my homework!",
    "A cat, a dog, and a bird; the END.",
    "Dogs and cats: friends?  Not\talways\nreally",
    "",
]
NEW_TEXTS = ["the cat ate the bird", "unknown words everywhere", "Mat mat MAT"]


def _matrix(m):
    return np.asarray(m, dtype="float64").round(12).tolist()


def _tokenizer_outputs(tok, texts):
    out = {
        "word_index": tok.word_index,
        "index_word": {str(k): v for k, v in tok.index_word.items()},
        "word_counts": dict(tok.word_counts),
        "word_docs": dict(tok.word_docs),
        "index_docs": {str(k): v for k, v in tok.index_docs.items()},
        "document_count": tok.document_count,
        "sequences": tok.texts_to_sequences(texts),
    }
    out["texts"] = tok.sequences_to_texts(out["sequences"] + [[0, 1, 2, 99, 3]])
    for mode in ("binary", "count", "tfidf", "freq"):
        out["matrix_" + mode] = _matrix(tok.texts_to_matrix(texts, mode=mode))
    return out


def text_cases(text):
    """Outputs of `keras.preprocessing.text` calls on a small corpus."""
    res = {}
    for name, kwargs in [
        ("default", {}),
        ("num_words", {"num_words": 6}),
        ("oov", {"oov_token": "<OOV>"}),
        ("oov_num_words", {"oov_token": "<OOV>", "num_words": 5}),
        ("no_lower", {"lower": False}),
        ("char_level", {"char_level": True, "num_words": 10}),
        ("filters_split", {"filters": ".!", "split": " "}),
    ]:
        tok = text.Tokenizer(**kwargs)
        tok.fit_on_texts(CORPUS)
        res["tokenizer_" + name] = _tokenizer_outputs(tok, CORPUS + NEW_TEXTS)
    # a text given as a list of tokens is not split (only lower-cased)
    tok = text.Tokenizer()
    tok.fit_on_texts([["Hello", "World", "hello"], ["x", "World"]])
    res["tokenizer_token_lists"] = _tokenizer_outputs(tok, [["hello", "x", "y"], ["World"]])
    # sequences_to_matrix with an explicit num_words, and fit_on_sequences for tfidf
    tok = text.Tokenizer(num_words=7)
    seqs = [[1, 2, 2, 3], [4, 5, 6, 6, 6, 9], [], [1]]
    tok.fit_on_sequences(seqs)
    res["sequences_to_matrix"] = {m: _matrix(tok.sequences_to_matrix(seqs, mode=m))
                                  for m in ("binary", "count", "tfidf", "freq")}
    # JSON round trip: the JSON itself and the reloaded tokenizer's outputs
    tok = text.Tokenizer(num_words=8, oov_token="?")
    tok.fit_on_texts(CORPUS)
    res["to_json"] = json.loads(tok.to_json())
    res["from_json"] = _tokenizer_outputs(text.tokenizer_from_json(tok.to_json()), NEW_TEXTS)
    res["text_to_word_sequence"] = [text.text_to_word_sequence(t) for t in CORPUS] + [
        text.text_to_word_sequence(CORPUS[2], filters=",", lower=False, split=" "),
        text.text_to_word_sequence("a-b-c--d", filters="", split="-"),
    ]
    res["hashing_trick_md5"] = [text.hashing_trick(t, 17, hash_function="md5")
                                for t in CORPUS + NEW_TEXTS]
    res["hashing_trick_len"] = [text.hashing_trick(t, 5, hash_function=len) for t in CORPUS]
    return res


def timeseries_cases(sequence):
    """Batches of `TimeseriesGenerator` for several settings."""
    data = np.arange(50, dtype="float64").reshape(25, 2)
    targets = np.arange(100, 125, dtype="float64")
    res = {}
    for name, kwargs in [
        ("default", {"length": 3}),
        ("sampling_stride", {"length": 6, "sampling_rate": 2, "stride": 3, "batch_size": 4}),
        ("start_end", {"length": 4, "start_index": 2, "end_index": 20, "batch_size": 5}),
        ("reverse", {"length": 3, "reverse": True, "batch_size": 7}),
    ]:
        gen = sequence.TimeseriesGenerator(data, targets, **kwargs)
        res[name] = {"len": len(gen),
                     "batches": [[gen[i][0].tolist(), gen[i][1].tolist()]
                                 for i in range(len(gen))]}
    res["make_sampling_table"] = np.asarray(sequence.make_sampling_table(12)).round(
        12).tolist()
    return res


def skipgram_cases(sequence):
    """`skipgrams` with Python's `random` seeded first (it draws from the global RNG)."""
    import random

    res = {}
    seq = [0, 3, 1, 4, 1, 5, 9, 2, 6, 0, 5]
    table = [0.0, 1.0, 0.5, 1.0, 0.2, 1.0, 0.9, 1.0, 1.0, 0.7]
    for name, kwargs in [
        ("default", {"window_size": 2, "seed": 11}),
        ("no_shuffle", {"window_size": 3, "shuffle": False, "negative_samples": 0.5}),
        ("categorical_table", {"window_size": 2, "categorical": True, "seed": 3,
                               "sampling_table": table}),
    ]:
        random.seed(1234)
        couples, labels = sequence.skipgrams(seq, 10, **kwargs)
        res[name] = [couples, labels]
    return res


def _images(n=6, h=8, w=10, c=3, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, size=(n, h, w, c)).astype("float32")


def _arr(a):
    return np.asarray(a, dtype="float64").tolist()


AFFINE_PARAMS = [
    {"theta": 30.0},
    {"tx": 1.5, "ty": -2.0},
    {"shear": 12.0},
    {"zx": 0.8, "zy": 1.25},
    {"theta": -20.0, "tx": 1.0, "ty": 2.0, "shear": 5.0, "zx": 1.1, "zy": 0.9,
     "flip_horizontal": True, "channel_shift_intensity": 10.0},
    {"flip_vertical": True, "flip_horizontal": True},
]


def image_cases(image):
    """`ImageDataGenerator` and the image file helpers (`image` is tf_keras' or minikeras'
    `preprocessing.image` module; `load_img` & co come from it too)."""
    import os
    import tempfile

    x = _images()
    y = np.array([0, 1, 0, 1, 0, 1])
    res = {}
    # featurewise statistics and standardize
    gen = image.ImageDataGenerator(rescale=1 / 255.0, featurewise_center=True,
                                   featurewise_std_normalization=True)
    gen.fit(x)
    res["featurewise"] = {"mean": _arr(gen.mean), "std": _arr(gen.std),
                          "standardize": _arr(gen.standardize(x[0].copy()))}
    gen = image.ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True,
                                   preprocessing_function=lambda a: a - 3.0)
    res["samplewise"] = _arr(gen.standardize(x[1].copy()))
    # apply_transform with given parameters, every fill mode, both data formats
    for fill_mode in ("nearest", "constant", "reflect", "wrap"):
        gen = image.ImageDataGenerator(fill_mode=fill_mode, cval=7.0)
        res["apply_transform_" + fill_mode] = [_arr(gen.apply_transform(x[2], p))
                                               for p in AFFINE_PARAMS]
    gen = image.ImageDataGenerator(data_format="channels_first", interpolation_order=0)
    xf = np.transpose(x, (0, 3, 1, 2))
    res["apply_transform_channels_first"] = [_arr(gen.apply_transform(xf[2], p))
                                             for p in AFFINE_PARAMS]
    # random draws (NumPy's global RNG, seeded)
    gen = image.ImageDataGenerator(rotation_range=40, width_shift_range=0.2,
                                   height_shift_range=[1, 2, 3], shear_range=8,
                                   zoom_range=[0.7, 1.2], horizontal_flip=True,
                                   vertical_flip=True, channel_shift_range=5.0)
    res["get_random_transform"] = [
        {k: (None if v is None else float(v)) for k, v in
         gen.get_random_transform(x[0].shape, seed=s).items()} for s in (1, 2, 3)]
    res["random_transform"] = _arr(gen.random_transform(x[3], seed=4))
    # the module-level random_* functions (channels first, as their defaults)
    img = np.transpose(x[4], (2, 0, 1))
    np.random.seed(21)
    res["random_functions"] = [
        _arr(image.random_rotation(img, 25)),
        _arr(image.random_shift(img, 0.2, 0.3, fill_mode="constant", cval=1.0)),
        _arr(image.random_shear(img, 15, fill_mode="reflect")),
        _arr(image.random_zoom(img, (0.6, 1.3), interpolation_order=0)),
        _arr(image.random_channel_shift(img, 20.0)),
    ]
    # flow: order without shuffle, subsets, sample weights, and a seeded augmented shuffle
    gen = image.ImageDataGenerator(rescale=0.5, validation_split=0.34)
    it = gen.flow(x, y, batch_size=4, shuffle=False, sample_weight=np.arange(6.0))
    res["flow_plain"] = {"len": len(it), "batches": [[_arr(a) for a in it[i]]
                                                     for i in range(len(it))]}
    for subset in ("training", "validation"):
        it = gen.flow(x, y, batch_size=3, shuffle=False, subset=subset)
        res["flow_" + subset] = [[_arr(a) for a in it[i]] for i in range(len(it))]
    gen = image.ImageDataGenerator(horizontal_flip=True, vertical_flip=True,
                                   width_shift_range=2, rotation_range=15)
    it = gen.flow(x, y, batch_size=4, shuffle=True, seed=5)
    res["flow_shuffled_augmented"] = [[_arr(a) for a in it[i]] for i in range(len(it))]
    it = gen.flow(x, None, batch_size=4, shuffle=True, seed=9)
    res["flow_next"] = [_arr(next(it)) for _ in range(3)]
    # image files: a PNG written by save_img, read back by load_img
    img_u8 = np.random.default_rng(1).integers(0, 256, size=(12, 16, 3)).astype("float32")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "img.png")
        image.save_img(path, img_u8, scale=False)
        files = {}
        for name, kwargs in [
            ("rgb", {}),
            ("grayscale", {"color_mode": "grayscale"}),
            ("rgba", {"color_mode": "rgba"}),
            ("resize_nearest", {"target_size": (6, 5)}),
            ("resize_bilinear", {"target_size": (9, 7), "interpolation": "bilinear"}),
            ("keep_aspect", {"target_size": (5, 5), "keep_aspect_ratio": True,
                             "interpolation": "bilinear"}),
        ]:
            img = image.load_img(path, **kwargs)
            files[name] = {"mode": img.mode, "size": list(img.size),
                           "array": _arr(image.img_to_array(img))}
        files["channels_first"] = _arr(image.img_to_array(image.load_img(path),
                                                          data_format="channels_first"))
    res["files"] = files
    res["array_to_img"] = {}
    for name, arr in [("scaled", x[0]), ("gray", x[0][:, :, :1]),
                      ("gray_big", x[0][:, :, :1] * 10), ("rgba", np.concatenate(
                          [x[0], x[0][:, :, :1]], axis=-1))]:
        img = image.array_to_img(arr, scale=name == "scaled")
        res["array_to_img"][name] = {"mode": img.mode,
                                     "array": _arr(image.img_to_array(img))}
    return res
