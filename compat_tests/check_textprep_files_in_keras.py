"""Does real Keras 3 read minikeras' files of text models? (branch textprep)

Two steps, the second in the Keras venv (TensorFlow backend, which these layers need):

    PYTHONPATH=. python compat_tests/check_textprep_files_in_keras.py write /tmp/textprep_check
    KERAS_BACKEND=tensorflow /work/venvs/k2/bin/python \
        compat_tests/check_textprep_files_in_keras.py check /tmp/textprep_check

`write` saves, with minikeras, a `.keras` model with two adapted TextVectorization layers (int
ids -> Embedding -> pooling -> Dense, and TF-IDF), a `.keras` model with StringLookup (two OOV
indices) and a salted Hashing, and a legacy `.h5` with a given vocabulary, plus minikeras'
predictions. `check` loads them in Keras and prints the largest differences. The output of a
run is committed as check_textprep_files_in_keras.log.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

TEXTS = ["the cat sat", "a dog barked!", "The dog sat.", "cats and dogs", "unknown words"]


def write(folder: str) -> None:
    import minikeras as keras

    os.makedirs(folder, exist_ok=True)
    keras.utils.set_random_seed(3)
    x = np.array(TEXTS)[:, None]
    vec = keras.layers.TextVectorization(max_tokens=20, output_sequence_length=5)
    vec.adapt(np.array(TEXTS[:4]))
    tfidf = keras.layers.TextVectorization(output_mode="tf_idf", name="tfidf")
    tfidf.adapt(np.array(TEXTS[:4]))
    inp = keras.Input(shape=(1,), dtype="string")
    h = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(20, 3)(vec(inp)))
    m1 = keras.Model(inp, [keras.layers.Dense(2)(h), tfidf(inp)])
    m1.save(os.path.join(folder, "text.keras"))
    sl = keras.layers.StringLookup(vocabulary=["a", "b"], num_oov_indices=2,
                                   output_mode="multi_hot")
    hs = keras.layers.Hashing(num_bins=9, salt=5)
    inp2 = keras.Input(shape=(2,), dtype="string")
    m2 = keras.Model(inp2, [sl(inp2), hs(inp2)])
    m2.save(os.path.join(folder, "lookup.keras"))
    v3 = keras.layers.TextVectorization(vocabulary=["cat", "dog"], output_mode="count")
    m3 = keras.Sequential([keras.Input(shape=(1,), dtype="string"), v3, keras.layers.Dense(1)])
    m3.save(os.path.join(folder, "given.h5"))
    x2 = np.array([["a", "zz"], ["b", "q"], ["c", "a"]])
    ref = {"text": [p.tolist() for p in m1.predict(x, verbose=0)],
           "lookup": [p.tolist() for p in m2.predict(x2, verbose=0)],
           "given": m3.predict(x, verbose=0).tolist(),
           "vocabulary": vec.get_vocabulary(), "tfidf_vocabulary": tfidf.get_vocabulary()}
    with open(os.path.join(folder, "minikeras.json"), "w") as f:
        json.dump(ref, f)
    print("written to", folder)


def check(folder: str) -> None:
    import keras
    import tensorflow as tf

    with open(os.path.join(folder, "minikeras.json")) as f:
        ref = json.load(f)
    x = tf.constant(np.array(TEXTS)[:, None])
    x2 = tf.constant(np.array([["a", "zz"], ["b", "q"], ["c", "a"]]))
    print("keras", keras.__version__, "backend", keras.backend.backend())
    m1 = keras.saving.load_model(os.path.join(folder, "text.keras"))
    out = m1(x)
    vocab = [str(t) for t in m1.layers[1].get_vocabulary()]
    print("text.keras: vocabulary equal:", vocab == ref["vocabulary"],
          "| tf-idf vocabulary equal:",
          [str(t) for t in m1.get_layer("tfidf").get_vocabulary()] == ref["tfidf_vocabulary"],
          "| max |diff| dense, tf-idf:",
          [float(np.abs(o.numpy() - np.array(r)).max()) for o, r in zip(out, ref["text"])])
    m2 = keras.saving.load_model(os.path.join(folder, "lookup.keras"))
    out2 = m2(x2)
    print("lookup.keras: StringLookup(num_oov_indices=2) and Hashing(salt) equal:",
          [bool(np.array_equal(o.numpy(), np.array(r))) for o, r in zip(out2, ref["lookup"])])
    m3 = keras.saving.load_model(os.path.join(folder, "given.h5"))
    print("given.h5: max |diff|:", float(np.abs(m3(x).numpy() - np.array(ref["given"])).max()))


if __name__ == "__main__":
    {"write": write, "check": check}[sys.argv[1]](sys.argv[2])
