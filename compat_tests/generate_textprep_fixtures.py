"""Reference outputs of Keras 3's text and categorical preprocessing layers.

Run with Keras 3 on the TensorFlow backend (these layers use TensorFlow inside Keras):

    KERAS_BACKEND=tensorflow /work/venvs/k2/bin/python compat_tests/generate_textprep_fixtures.py

Writes compat_tests/fixtures/textprep_k3.json (one record per case: the layer's class and
arguments, the data given to `adapt`, the input, the exact output, the vocabulary or bin
boundaries, and `get_config()`), and compat_tests/files/textprep_k3/text_model.keras (a model
with an adapted TextVectorization) with its expected predictions in text_model.json.
"""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "textprep_k3.json")
FILES = os.path.join(HERE, "files", "textprep_k3")

CORPUS = ["The cat sat on the mat.", "The dog ate my homework!", "A cat, a dog; a bird?",
          "dog dog DOG", "Élan vital: über-cool Ünicode", "tabs\tand\nnewlines  here",
          "zebra apple mango", "mango apple zebra"]
QUERIES = ["the cat and the dog", "unknown words only", "", "Mat! mat? MAT.",
           "über Élan apple zebra"]


def plain(x):
    """JSON-ready form of a layer output or config value."""
    if hasattr(x, "numpy"):
        x = x.numpy()
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "SO":
            return [plain(v) for v in x.tolist()]
        return x.tolist()
    if isinstance(x, bytes):
        return x.decode("utf-8")
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, np.generic):
        return x.item()
    return x


def dtype_of(y):
    return str(np.asarray(y.numpy() if hasattr(y, "numpy") else y).dtype)


CASES = []


def case(name, cls, kwargs, inp, adapt=None, adapt_kwargs=None, as_array=None):
    CASES.append(dict(name=name, cls=cls, kwargs=kwargs, input=inp, adapt=adapt,
                      adapt_kwargs=adapt_kwargs or {}, as_array=as_array))


# --- TextVectorization -------------------------------------------------------------------
TV = "TextVectorization"
case("tv_int_adapt", TV, {}, QUERIES, adapt=CORPUS)
case("tv_int_adapt_column", TV, {}, QUERIES, adapt=CORPUS, as_array="column")
case("tv_int_array_object", TV, {}, QUERIES, adapt=CORPUS, as_array="object")
case("tv_int_seq_len", TV, {"output_sequence_length": 4}, QUERIES, adapt=CORPUS)
case("tv_int_seq_len_long", TV, {"output_sequence_length": 8}, QUERIES, adapt=CORPUS)
case("tv_max_tokens", TV, {"max_tokens": 6}, QUERIES, adapt=CORPUS)
case("tv_lower", TV, {"standardize": "lower"}, QUERIES, adapt=CORPUS)
case("tv_strip", TV, {"standardize": "strip_punctuation"}, QUERIES, adapt=CORPUS)
case("tv_no_standardize", TV, {"standardize": None}, QUERIES, adapt=CORPUS)
case("tv_split_character", TV, {"split": "character", "max_tokens": 12}, QUERIES,
     adapt=CORPUS)
case("tv_split_none", TV, {"split": None}, ["dog dog dog", "the cat"],
     adapt=["the cat", "the cat", "dog dog dog", "x"], as_array="column")
case("tv_ngrams_2", TV, {"ngrams": 2}, QUERIES, adapt=CORPUS)
case("tv_ngrams_tuple", TV, {"ngrams": (1, 3), "max_tokens": 20}, QUERIES, adapt=CORPUS)
case("tv_multi_hot", TV, {"output_mode": "multi_hot"}, QUERIES, adapt=CORPUS)
case("tv_count", TV, {"output_mode": "count"}, QUERIES, adapt=CORPUS)
case("tv_tf_idf", TV, {"output_mode": "tf_idf"}, QUERIES, adapt=CORPUS)
case("tv_tf_idf_max", TV, {"output_mode": "tf_idf", "max_tokens": 8,
                           "pad_to_max_tokens": True}, QUERIES, adapt=CORPUS)
case("tv_multi_hot_pad", TV, {"output_mode": "multi_hot", "max_tokens": 30,
                              "pad_to_max_tokens": True}, QUERIES, adapt=CORPUS)
case("tv_count_ngrams", TV, {"output_mode": "count", "ngrams": 2, "max_tokens": 10},
     QUERIES, adapt=CORPUS)
case("tv_vocab_given", TV, {"vocabulary": ["cat", "dog", "the", "mat"]}, QUERIES)
case("tv_vocab_given_special", TV, {"vocabulary": ["", "[UNK]", "cat", "dog"]}, QUERIES)
case("tv_vocab_tf_idf", TV, {"vocabulary": ["cat", "dog", "the"], "output_mode": "tf_idf",
                             "idf_weights": [0.5, 0.25, 2.0]}, QUERIES)
case("tv_vocab_multi_hot", TV, {"vocabulary": ["cat", "dog", "the"],
                                "output_mode": "multi_hot"}, QUERIES)
case("tv_binary_alias", TV, {"vocabulary": ["cat", "dog"], "output_mode": "binary"}, QUERIES)
case("tv_adapt_batch", TV, {"max_tokens": 7}, QUERIES, adapt=CORPUS,
     adapt_kwargs={"batch_size": 3})

# --- StringLookup ------------------------------------------------------------------------
SL = "StringLookup"
TOKENS = ["a", "b", "b", "c", "c", "c", "d", "d", "d", "e", "e", "e"]
Q2 = [["a", "c", "z"], ["e", "", "b"]]
case("sl_adapt", SL, {}, Q2, adapt=TOKENS)
case("sl_vocab", SL, {"vocabulary": ["a", "b", "c"]}, Q2)
case("sl_mask", SL, {"vocabulary": ["a", "b", "c"], "mask_token": ""}, Q2)
case("sl_no_oov", SL, {"vocabulary": ["a", "b", "c", "e", "z", ""], "num_oov_indices": 0},
     Q2)
case("sl_max_tokens", SL, {"max_tokens": 3}, Q2, adapt=TOKENS)
case("sl_one_hot", SL, {"vocabulary": ["a", "b", "c"], "output_mode": "one_hot"},
     ["a", "c", "z"])
case("sl_multi_hot", SL, {"output_mode": "multi_hot"}, Q2, adapt=TOKENS)
case("sl_count", SL, {"output_mode": "count", "mask_token": ""}, Q2, adapt=TOKENS)
case("sl_tf_idf", SL, {"output_mode": "tf_idf"}, Q2,
     adapt=[["a", "b", "b"], ["c", "c", "a"], ["d", "e", "e"]])
case("sl_tf_idf_given", SL, {"vocabulary": ["a", "b"], "idf_weights": [0.5, 1.5],
                             "output_mode": "tf_idf"}, Q2)
case("sl_invert", SL, {"vocabulary": ["a", "b", "c"], "invert": True}, [[1, 2, 0], [3, 4, 7]])
case("sl_invert_mask", SL, {"vocabulary": ["a", "b", "c"], "invert": True,
                            "mask_token": "[PAD]"}, [[1, 2, 0], [3, 4, 7]])
case("sl_oov_token", SL, {"vocabulary": ["a", "b"], "oov_token": "<?>", "invert": True},
     [0, 1, 2, 5])
case("sl_oov3", SL, {"vocabulary": ["a", "b"], "num_oov_indices": 3},
     [["a", "q", "r"], ["s", "tt", "b"], ["uvw", "", "xyzzy"]])
case("sl_oov3_salt", SL, {"vocabulary": ["a", "b"], "num_oov_indices": 3, "salt": 11},
     [["a", "q", "r"], ["s", "tt", "b"], ["uvw", "", "xyzzy"]])
case("sl_oov2_multi_hot", SL, {"vocabulary": ["a", "b"], "num_oov_indices": 2,
                               "output_mode": "multi_hot", "salt": [3, 4]},
     [["a", "q", "r"], ["s", "tt", "b"]])
case("sl_pad_max", SL, {"output_mode": "multi_hot", "max_tokens": 8,
                        "pad_to_max_tokens": True}, Q2, adapt=TOKENS)

# --- IntegerLookup -----------------------------------------------------------------------
IL = "IntegerLookup"
INTS = [12, 36, 36, 1138, 1138, 1138, 42, 42, 42, 7, 0]
QI = [[12, 1138, 42], [42, 1000, 0]]
case("il_adapt", IL, {}, QI, adapt=INTS)
case("il_vocab", IL, {"vocabulary": [12, 36, 1138, 42]}, QI)
case("il_mask", IL, {"vocabulary": [12, 36, 1138, 42], "mask_token": 0}, QI)
case("il_oov2", IL, {"vocabulary": [12, 36, 1138, 42], "num_oov_indices": 2}, QI)
case("il_multi_hot", IL, {"output_mode": "multi_hot"}, QI, adapt=INTS)
case("il_one_hot", IL, {"vocabulary": [12, 36, 1138, 42], "output_mode": "one_hot"},
     [12, 1138, 5])
case("il_count_mask", IL, {"output_mode": "count", "mask_token": 0}, QI, adapt=INTS)
case("il_tf_idf", IL, {"output_mode": "tf_idf"}, QI, adapt=[[12, 12, 36], [36, 42, 7]])
case("il_invert", IL, {"vocabulary": [12, 36, 1138, 42], "invert": True},
     [[1, 2, 3], [4, 5, 0]])
case("il_oov3_floormod", IL, {"vocabulary": [12, 36], "num_oov_indices": 3},
     [[12, 5, -7], [100, 36, 8]])
case("il_farmhash", IL, {"vocabulary": [12, 36], "num_oov_indices": 3,
                         "oov_method": "farmhash"}, [[12, 5, -7], [100, 36, 8]])
case("il_farmhash_salt", IL, {"vocabulary": [12, 36], "num_oov_indices": 4,
                              "oov_method": "farmhash", "salt": 99},
     [[12, 5, -7], [100, 36, 8]])
case("il_max_tokens", IL, {"max_tokens": 4}, QI, adapt=INTS)

# --- CategoryEncoding --------------------------------------------------------------------
CE = "CategoryEncoding"
case("ce_multi_hot", CE, {"num_tokens": 4}, [[0, 1], [0, 0], [1, 2], [3, 1]])
case("ce_one_hot", CE, {"num_tokens": 4, "output_mode": "one_hot"}, [3, 2, 0, 1])
case("ce_one_hot_col", CE, {"num_tokens": 4, "output_mode": "one_hot"}, [[3], [2], [0]])
case("ce_count", CE, {"num_tokens": 4, "output_mode": "count"}, [[0, 1, 1], [3, 3, 3]])
case("ce_multi_hot_1d", CE, {"num_tokens": 5}, [0, 1, 4])

# --- Discretization ----------------------------------------------------------------------
DI = "Discretization"
rng = np.random.RandomState(0)
DATA = np.round(rng.normal(size=(200, 1)), 3).tolist()
QD = [[-2.0], [-0.5], [0.0], [0.1], [0.7], [3.0]]
case("di_boundaries", DI, {"bin_boundaries": [0.0, 1.0, 2.0]},
     [[-1.5, 1.0, 0.5], [0.0, 2.5, 1.99]])
case("di_adapt4", DI, {"num_bins": 4}, QD, adapt=DATA)
case("di_adapt3_eps", DI, {"num_bins": 3, "epsilon": 0.1}, QD, adapt=DATA)
case("di_adapt_small", DI, {"num_bins": 3}, [[0.0], [2.5], [5.0]],
     adapt=[[1.0], [2.0], [3.0], [4.0], [5.0], [6.0], [7.0]])
case("di_one_hot", DI, {"bin_boundaries": [0.0, 1.0], "output_mode": "one_hot"},
     [[-1.0], [0.5], [3.0]])
case("di_multi_hot", DI, {"bin_boundaries": [0.0, 1.0], "output_mode": "multi_hot"},
     [[-1.0, 0.5], [3.0, 4.0]])
case("di_count", DI, {"bin_boundaries": [0.0, 1.0], "output_mode": "count"},
     [[-1.0, 0.5, 0.7], [3.0, 4.0, -2.0]])
case("di_adapt_batch", DI, {"num_bins": 5}, QD, adapt=DATA, adapt_kwargs={"batch_size": 64})

# --- Hashing -----------------------------------------------------------------------------
HA = "Hashing"
WORDS = [["A", "B", ""], ["hello", "world", "a much longer string of text, over 64 bytes long: "
                                              "lorem ipsum dolor sit amet, consectetur"]]
case("ha_int", HA, {"num_bins": 3}, WORDS)
case("ha_mask", HA, {"num_bins": 3, "mask_value": ""}, WORDS)
case("ha_salt", HA, {"num_bins": 7, "salt": 133}, WORDS)
case("ha_salt_pair", HA, {"num_bins": 1000, "salt": [5, 77]}, WORDS)
case("ha_ints", HA, {"num_bins": 5}, [[0, 1, -7], [12345, 99, 2]])
case("ha_ints_mask", HA, {"num_bins": 5, "mask_value": 0}, [[0, 1, -7], [12345, 99, 2]])
case("ha_multi_hot", HA, {"num_bins": 4, "output_mode": "multi_hot"}, WORDS)
case("ha_count", HA, {"num_bins": 4, "output_mode": "count"}, WORDS)
case("ha_one_hot", HA, {"num_bins": 4, "output_mode": "one_hot"}, ["A", "B", "hello"])
case("ha_big", HA, {"num_bins": 2 ** 40}, [[("x" * n) for n in range(0, 140, 7)]])
case("ha_big_salt", HA, {"num_bins": 2 ** 40, "salt": [2 ** 40 + 3, 17]},
     [[("y" * n) for n in range(0, 140, 9)]])
case("tv_scalar", TV, {"output_sequence_length": 6}, "The cat, the DOG", adapt=CORPUS)
case("tv_scalar_count", TV, {"output_mode": "count"}, "The cat, the DOG", adapt=CORPUS)
case("tv_multi_hot_column", TV, {"output_mode": "multi_hot"}, QUERIES, adapt=CORPUS,
     as_array="column")


def to_input(c, data):
    kind = c["as_array"]
    if kind == "column":
        return np.array(data)[:, None]
    if kind == "object":
        return np.array(data, dtype=object)
    if c["cls"] in ("Discretization",):
        return np.array(data, dtype="float32")
    if c["name"] in ("ha_ints", "ha_ints_mask"):
        return np.array(data, dtype="int64")
    if c["cls"] in ("IntegerLookup", "CategoryEncoding") or (
            c["cls"] == "StringLookup" and c["kwargs"].get("invert")):
        return np.array(data, dtype="int64")
    return np.array(data)


def run(c):
    cls = getattr(keras.layers, c["cls"])
    kwargs = dict(c["kwargs"])
    layer = cls(name=c["name"], **kwargs)
    if c["adapt"] is not None:
        data = to_input(c, c["adapt"])
        bs = c["adapt_kwargs"].get("batch_size")
        if bs:  # Keras adapts batch by batch from a dataset; a list of batches is the same
            batches = [data[i:i + bs] for i in range(0, len(data), bs)]
            layer.adapt(iter(batches))
        else:
            layer.adapt(data)
    y = layer(to_input(c, c["input"]))
    rec = dict(c, output=plain(y), output_dtype=dtype_of(y),
               config=plain(layer.get_config()),
               output_shape=plain(list(layer.compute_output_shape(
                   (None,) + np.shape(to_input(c, c["input"]))[1:]))))
    if hasattr(layer, "get_vocabulary"):
        rec["vocabulary"] = plain(layer.get_vocabulary())
        rec["vocabulary_no_special"] = plain(layer.get_vocabulary(
            include_special_tokens=False))
        rec["vocabulary_size"] = int(layer.vocabulary_size())
    if c["cls"] == "Discretization":
        rec["bin_boundaries"] = plain(layer.bin_boundaries)
    return rec


def text_model():
    os.makedirs(FILES, exist_ok=True)
    keras.utils.set_random_seed(1)
    vec = keras.layers.TextVectorization(max_tokens=20, output_sequence_length=6,
                                         name="vectorizer")
    vec.adapt(np.array(CORPUS))
    inp = keras.Input(shape=(1,), dtype="string", name="text")
    x = vec(inp)
    x = keras.layers.Embedding(20, 4, name="emb")(x)
    x = keras.layers.GlobalAveragePooling1D(name="pool")(x)
    out = keras.layers.Dense(1, activation="sigmoid", name="out")(x)
    model = keras.Model(inp, out)
    model.compile("adam", "binary_crossentropy")
    path = os.path.join(FILES, "text_model.keras")
    model.save(path)
    import tensorflow as tf

    q = np.array(QUERIES)[:, None]
    multi = keras.layers.TextVectorization(output_mode="tf_idf", name="tfidf")
    multi.adapt(np.array(CORPUS))
    m2 = keras.Sequential([keras.Input(shape=(1,), dtype="string"), multi])
    path2 = os.path.join(FILES, "tfidf_model.keras")
    m2.save(path2)
    with zipfile.ZipFile(path) as zf:
        members = zf.namelist()
    with zipfile.ZipFile(path2) as zf:
        members2 = zf.namelist()
    ref = {"queries": QUERIES, "vocabulary": vec.get_vocabulary(),
           "vectorized": vec(q).numpy().tolist(),
           "predictions": model(tf.constant(q)).numpy().tolist(),
           "members": members, "members2": members2,
           "tfidf_vocabulary": multi.get_vocabulary(),
           "tfidf_output": m2(tf.constant(q)).numpy().tolist()}
    with open(os.path.join(FILES, "text_model.json"), "w") as f:
        json.dump(ref, f, indent=1, ensure_ascii=False)


def raw_hashes():
    """TensorFlow's FarmHash64 fingerprints and SipHash-2-4 values of strings of every
    length up to 200 (the buckets of the largest num_buckets), to pin the hash itself."""
    import tensorflow as tf

    texts = ["".join(chr(33 + (i * 7 + n) % 90) for i in range(n)) for n in range(200)]
    big = 2 ** 63 - 1
    fast = tf.strings.to_hash_bucket_fast(texts, big).numpy().tolist()
    strong = tf.strings.to_hash_bucket_strong(texts, big, key=[12345, 678]).numpy().tolist()
    return {"texts": texts, "num_buckets": big, "fast": fast, "strong_key": [12345, 678],
            "strong": strong}


def main():
    records = [run(c) for c in CASES]
    with open(OUT, "w") as f:
        json.dump({"keras_version": keras.__version__, "backend": keras.backend.backend(),
                   "cases": records, "raw_hashes": raw_hashes()}, f, indent=1, ensure_ascii=False)
    print(f"wrote {len(records)} cases to {OUT}")
    text_model()


if __name__ == "__main__":
    main()
