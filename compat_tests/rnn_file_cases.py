"""Small sequence models for the file-interop fixtures, built the same way from `keras`
(Keras 3), `tf_keras` or `minikeras` (public names only). Used by generate_rnn_files.py
(real Keras writes files), check_rnn_files_in_keras.py (minikeras writes, Keras reads) and
test_rnn_files.py (minikeras reads Keras' files)."""

from __future__ import annotations

import numpy as np

N, LEN, VOCAB, FEAT = 32, 6, 12, 3


def _models(keras):
    L = keras.layers

    def seq(shape, layers):
        return keras.Sequential([keras.Input(shape=shape)] + layers)

    return {
        "emb_lstm_maskzero": (
            lambda: seq((LEN,), [L.Embedding(VOCAB, 4, mask_zero=True), L.LSTM(5),
                                 L.Dense(1, activation="sigmoid")]),
            lambda: dict(optimizer=keras.optimizers.Adam(learning_rate=0.003),
                         loss="binary_crossentropy", metrics=["accuracy"]), "ids_binary"),
        "gru_seq_timedistributed": (
            lambda: seq((LEN, FEAT), [L.GRU(4, return_sequences=True),
                                      L.TimeDistributed(L.Dense(2))]),
            lambda: dict(optimizer=keras.optimizers.RMSprop(learning_rate=0.005), loss="mse"),
            "seq_regression"),
        "bidir_lstm": (
            lambda: seq((LEN, FEAT), [L.Bidirectional(L.LSTM(3)), L.Dense(1)]),
            lambda: dict(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse"),
            "regression"),
        "masking_simplernn": (
            lambda: seq((LEN, FEAT), [L.Masking(0.0), L.SimpleRNN(4), L.Dense(1)]),
            lambda: dict(optimizer=keras.optimizers.Adam(learning_rate=0.002), loss="mse"),
            "padded_regression"),
        "stacked_lstm_gru_before": (
            lambda: seq((LEN, FEAT), [L.LSTM(4, return_sequences=True),
                                      L.GRU(3, reset_after=False), L.Dense(1)]),
            lambda: dict(optimizer=keras.optimizers.Adam(learning_rate=0.004), loss="mse"),
            "regression"),
    }


def case_names():
    return ["emb_lstm_maskzero", "gru_seq_timedistributed", "bidir_lstm", "masking_simplernn",
            "stacked_lstm_gru_before"]


def build(keras, name, compiled=True):
    make, comp, _ = _models(keras)[name]
    model = make()
    if compiled:
        model.compile(**comp())
    return model


def data(name):
    kind = _models_kinds()[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    if kind == "ids_binary":
        x = rng.integers(1, VOCAB, size=(N, LEN))
        for i, n in enumerate(rng.integers(2, LEN + 1, size=N)):
            x[i, :LEN - n] = 0
        return x.astype("float32"), (rng.random((N, 1)) < 0.5).astype("float32")
    x = rng.normal(size=(N, LEN, FEAT)).astype("float32")
    if kind == "padded_regression":
        for i, n in enumerate(rng.integers(2, LEN + 1, size=N)):
            x[i, n:] = 0.0
    if kind == "seq_regression":
        return x, rng.normal(size=(N, LEN, 2)).astype("float32")
    return x, (x.sum(axis=(1, 2))[:, None] * 0.1).astype("float32")


def _models_kinds():
    return {"emb_lstm_maskzero": "ids_binary", "gru_seq_timedistributed": "seq_regression",
            "bidir_lstm": "regression", "masking_simplernn": "padded_regression",
            "stacked_lstm_gru_before": "regression"}
