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
