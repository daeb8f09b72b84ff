"""Sequence-layer cases, as plain data, shared by `generate_rnn_fixtures.py` (real Keras) and
`test_rnn_compat.py` (minikeras).

Two kinds:

- LAYER_CASES: one layer on a random input: forward values, and the gradients (w.r.t. the
  input, the initial states and every weight) of sum(upstream * outputs) with a random
  upstream gradient per output.
- TRAIN_CASES: a small Sequential model trained with `fit` (same data, same initial
  weights): per-epoch History, final weights, predict and evaluate.

`build_layer(keras, case)` and `build_model(keras, case)` use only public Keras names, so the
same code builds the case from `keras`, `tf_keras` or `minikeras`. `make_data(case)` and
`initial_weights(...)` draw everything from `np.random.default_rng(seed)`.
"""

from __future__ import annotations

import zlib

import numpy as np

# --------------------------------------------------------------------------- layer cases
B, T, D, U = 3, 5, 4, 3

_MASK = [[1, 1, 1, 1, 1], [0, 0, 1, 1, 1], [1, 1, 0, 1, 0]]  # row 2: holes in the middle


def _lc(name, layer, kwargs=None, mask=False, initial_state=False, inputs="float", wrap=None,
        keras=(3,)):
    return {"name": name, "layer": layer, "kwargs": kwargs or {}, "mask": mask,
            "initial_state": initial_state, "inputs": inputs, "wrap": wrap,
            "keras": list(keras)}


LAYER_CASES = [
    _lc("simple_default", "SimpleRNN", {"units": U}),
    _lc("simple_seq", "SimpleRNN", {"units": U, "return_sequences": True}),
    _lc("simple_back_seq", "SimpleRNN", {"units": U, "return_sequences": True,
                                         "go_backwards": True}),
    _lc("simple_mask_seq", "SimpleRNN", {"units": U, "return_sequences": True}, mask=True),
    _lc("simple_relu_nobias", "SimpleRNN", {"units": U, "activation": "relu",
                                            "use_bias": False}),
    _lc("simple_state", "SimpleRNN", {"units": U, "return_state": True}, initial_state=True),
    _lc("lstm_default", "LSTM", {"units": U}),
    _lc("lstm_seq", "LSTM", {"units": U, "return_sequences": True}),
    _lc("lstm_state", "LSTM", {"units": U, "return_state": True}),
    _lc("lstm_seq_state_init", "LSTM", {"units": U, "return_sequences": True,
                                        "return_state": True}, initial_state=True),
    _lc("lstm_back", "LSTM", {"units": U, "go_backwards": True}),
    _lc("lstm_back_seq_mask", "LSTM", {"units": U, "go_backwards": True,
                                       "return_sequences": True}, mask=True),
    _lc("lstm_mask_last", "LSTM", {"units": U}, mask=True),
    _lc("lstm_mask_state", "LSTM", {"units": U, "return_state": True}, mask=True),
    _lc("lstm_hard_sigmoid_nobias", "LSTM", {"units": U, "recurrent_activation":
                                             "hard_sigmoid", "use_bias": False}),
    _lc("lstm_relu_seq", "LSTM", {"units": U, "activation": "relu", "return_sequences": True}),
    _lc("lstm_softsign_generic", "LSTM", {"units": U, "activation": "softsign",
                                          "return_sequences": True}, mask=True),
    _lc("gru_default", "GRU", {"units": U}),
    _lc("gru_seq_mask", "GRU", {"units": U, "return_sequences": True}, mask=True),
    _lc("gru_back_state", "GRU", {"units": U, "go_backwards": True, "return_state": True},
        initial_state=True),
    _lc("gru_before_default", "GRU", {"units": U, "reset_after": False}),
    _lc("gru_before_seq_mask", "GRU", {"units": U, "reset_after": False,
                                       "return_sequences": True}, mask=True),
    _lc("gru_before_back", "GRU", {"units": U, "reset_after": False, "go_backwards": True}),
    _lc("gru_nobias", "GRU", {"units": U, "use_bias": False, "return_sequences": True}),
    _lc("rnn_lstmcell", "RNN", {"cell": ["LSTMCell", {"units": U}],
                                "return_sequences": True}, mask=True),
    _lc("rnn_stacked", "RNN", {"cell": [["GRUCell", {"units": U}],
                                        ["SimpleRNNCell", {"units": 2}]]}),
    _lc("rnn_stacked_seq_mask", "RNN", {"cell": [["LSTMCell", {"units": 2}],
                                                 ["GRUCell", {"units": U}]],
                                        "return_sequences": True}, mask=True),
    _lc("bidir_concat", "LSTM", {"units": U}, wrap=["Bidirectional", {}]),
    _lc("bidir_sum_seq", "GRU", {"units": U, "return_sequences": True},
        wrap=["Bidirectional", {"merge_mode": "sum"}]),
    _lc("bidir_mul_seq_mask", "LSTM", {"units": U, "return_sequences": True},
        wrap=["Bidirectional", {"merge_mode": "mul"}], mask=True),
    _lc("bidir_ave_mask", "SimpleRNN", {"units": U},
        wrap=["Bidirectional", {"merge_mode": "ave"}], mask=True),
    _lc("bidir_none_seq", "GRU", {"units": U, "return_sequences": True},
        wrap=["Bidirectional", {"merge_mode": None}]),
    _lc("bidir_concat_state", "LSTM", {"units": U, "return_state": True},
        wrap=["Bidirectional", {}]),
    _lc("timedist_dense", "Dense", {"units": 2, "activation": "tanh"},
        wrap=["TimeDistributed", {}]),
    _lc("embedding", "Embedding", {"input_dim": 7, "output_dim": 3}, inputs="ids"),
    _lc("masking", "Masking", {"mask_value": 0.0}, inputs="padded"),
]


def _build_cell(keras, spec):
    cls, kw = spec
    return getattr(keras.layers, cls)(**kw)


def build_layer(keras, case):
    kwargs = dict(case["kwargs"])
    if case["layer"] == "RNN":
        cell = kwargs.pop("cell")
        if isinstance(cell[0], list):
            cell = [_build_cell(keras, c) for c in cell]
        else:
            cell = _build_cell(keras, cell)
        layer = keras.layers.RNN(cell, **kwargs)
    else:
        layer = getattr(keras.layers, case["layer"])(**kwargs)
    if case["wrap"]:
        cls, kw = case["wrap"]
        layer = getattr(keras.layers, cls)(layer, **kw)
    return layer


def n_states(case):
    """How many initial states the case's layer takes."""
    name = case["layer"]
    return 2 if name == "LSTM" else 1


def layer_case_data(case):
    """(x, mask or None, initial states list) for a layer case, from the case's seed."""
    rng = np.random.default_rng(case_seed(case))
    if case["inputs"] == "ids":
        x = rng.integers(0, case["kwargs"]["input_dim"], size=(B, T)).astype("int32")
    else:
        x = rng.normal(size=(B, T, D)).astype("float32")
        if case["inputs"] == "padded":
            x[1, :2] = 0.0
            x[2, 3] = 0.0
    mask = np.array(_MASK, dtype=bool) if case["mask"] else None
    states = []
    if case["initial_state"]:
        units = case["kwargs"]["units"]
        states = [rng.normal(size=(B, units)).astype("float32") for _ in range(n_states(case))]
    return x, mask, states


# --------------------------------------------------------------------------- training cases
def _tc(name, layers, data, loss, optimizer=("adam", {"learning_rate": 0.01}), metrics=(),
        fit=None, keras=(3,), input_shape=None, batch_shape=None, **extra):
    case = {"name": name, "layers": layers, "data": data, "loss": loss,
            "optimizer": list(optimizer), "metrics": list(metrics),
            "fit": fit or {"epochs": 3, "batch_size": 8, "shuffle": False},
            "keras": list(keras), "input_shape": input_shape, "batch_shape": batch_shape}
    case.update(extra)
    return case


N = 24  # samples
VOCAB, LEN = 12, 7

TRAIN_CASES = [
    _tc("emb_lstm_maskzero_binary",
        [["Embedding", {"input_dim": VOCAB, "output_dim": 4, "mask_zero": True}],
         ["LSTM", {"units": 5}], ["Dense", {"units": 1, "activation": "sigmoid"}]],
        "ids_binary", "binary_crossentropy", metrics=["accuracy"], input_shape=[LEN],
        keras=(3, 2)),
    _tc("emb_gru_maskzero_seq_td",
        [["Embedding", {"input_dim": VOCAB, "output_dim": 4, "mask_zero": True}],
         ["GRU", {"units": 4, "return_sequences": True}],
         ["TimeDistributed", {"layer": ["Dense", {"units": 1}]}]],
        "ids_seq_regression", "mse", metrics=["mae"], input_shape=[LEN], keras=(3, 2)),
    _tc("masking_simplernn_mse",
        [["Masking", {"mask_value": 0.0}], ["SimpleRNN", {"units": 4}], ["Dense", {"units": 1}]],
        "padded_regression", "mse", optimizer=("sgd", {"learning_rate": 0.05}),
        input_shape=[LEN, 3], keras=(3, 2)),
    _tc("masking_lstm_seq_softmax",
        [["Masking", {"mask_value": 0.0}], ["LSTM", {"units": 4, "return_sequences": True}],
         ["TimeDistributed", {"layer": ["Dense", {"units": 3, "activation": "softmax"}]}]],
        "padded_seq_classes", "categorical_crossentropy", metrics=["accuracy"],
        input_shape=[LEN, 3], keras=(3, 2)),
    _tc("lstm_seq_dense_3d",
        [["LSTM", {"units": 4, "return_sequences": True}], ["Dense", {"units": 2}]],
        "seq_regression", "mse", input_shape=[LEN, 3]),
    _tc("gru_reset_before",
        [["GRU", {"units": 4, "reset_after": False}], ["Dense", {"units": 1}]],
        "regression", "mse", optimizer=("rmsprop", {"learning_rate": 0.01}),
        input_shape=[LEN, 3], keras=(3, 2)),
    _tc("gru_reset_after_back",
        [["GRU", {"units": 4, "go_backwards": True}], ["Dense", {"units": 1}]],
        "regression", "mse", input_shape=[LEN, 3]),
    _tc("simplernn_sgd_small",
        [["SimpleRNN", {"units": 6}], ["Dense", {"units": 1}]],
        "regression", "mse", optimizer=("sgd", {"learning_rate": 0.05}), input_shape=[LEN, 3]),
    _tc("bidir_lstm_concat",
        [["Bidirectional", {"layer": ["LSTM", {"units": 3}]}], ["Dense", {"units": 1}]],
        "regression", "mse", input_shape=[LEN, 3], keras=(3, 2)),
    _tc("bidir_gru_sum_seq",
        [["Bidirectional", {"layer": ["GRU", {"units": 3, "return_sequences": True}],
                            "merge_mode": "sum"}], ["Dense", {"units": 2}]],
        "seq_regression", "mse", input_shape=[LEN, 3]),
    _tc("bidir_simple_mul",
        [["Bidirectional", {"layer": ["SimpleRNN", {"units": 3}], "merge_mode": "mul"}],
         ["Dense", {"units": 1}]],
        "regression", "mse", input_shape=[LEN, 3]),
    _tc("bidir_lstm_ave_maskzero",
        [["Embedding", {"input_dim": VOCAB, "output_dim": 4, "mask_zero": True}],
         ["Bidirectional", {"layer": ["LSTM", {"units": 3}], "merge_mode": "ave"}],
         ["Dense", {"units": 1, "activation": "sigmoid"}]],
        "ids_binary", "binary_crossentropy", metrics=["accuracy"], input_shape=[LEN]),
    _tc("bidir_gru_concat_seq_maskzero_td",
        [["Embedding", {"input_dim": VOCAB, "output_dim": 4, "mask_zero": True}],
         ["Bidirectional", {"layer": ["GRU", {"units": 3, "return_sequences": True}]}],
         ["TimeDistributed", {"layer": ["Dense", {"units": 1}]}]],
        "ids_seq_regression", "mse", input_shape=[LEN], keras=(3, 2)),
    _tc("stacked_lstm",
        [["LSTM", {"units": 4, "return_sequences": True}], ["LSTM", {"units": 3}],
         ["Dense", {"units": 1}]],
        "regression", "mse", input_shape=[LEN, 3]),
    _tc("rnn_stacked_cells",
        [["RNN", {"cell": [["LSTMCell", {"units": 3}], ["GRUCell", {"units": 2}]]}],
         ["Dense", {"units": 1}]],
        "regression", "mse", input_shape=[LEN, 3]),
    _tc("rnn_simplecell_seq_mask",
        [["Masking", {}], ["RNN", {"cell": ["SimpleRNNCell", {"units": 3}],
                                   "return_sequences": True}],
         ["TimeDistributed", {"layer": ["Dense", {"units": 1}]}]],
        "padded_seq_regression", "mse", input_shape=[LEN, 3]),
    _tc("lstm_regularized",
        [["LSTM", {"units": 4, "kernel_regularizer": ["L2", {"l2": 0.01}],
                   "recurrent_regularizer": ["L1", {"l1": 0.01}],
                   "bias_regularizer": ["L2", {"l2": 0.02}]}], ["Dense", {"units": 1}]],
        "regression", "mse", input_shape=[LEN, 3]),
    _tc("lstm_no_forget_bias_hardsig",
        [["LSTM", {"units": 4, "unit_forget_bias": False,
                   "recurrent_activation": "hard_sigmoid"}], ["Dense", {"units": 1}]],
        "regression", "mse", input_shape=[LEN, 3]),
    _tc("stateful_lstm",
        [["LSTM", {"units": 4, "stateful": True}], ["Dense", {"units": 1}]],
        "regression", "mse", batch_shape=[8, LEN, 3], keras=(3, 2)),
    _tc("stateful_gru_seq",
        [["GRU", {"units": 3, "stateful": True, "return_sequences": True}],
         ["Dense", {"units": 1}]],
        "seq_regression_1", "mse", batch_shape=[8, LEN, 3], keras=(3, 2)),
    _tc("emb_flatten_dense",
        [["Embedding", {"input_dim": VOCAB, "output_dim": 3}], ["Flatten", {}],
         ["Dense", {"units": 1, "activation": "sigmoid"}]],
        "ids_binary", "binary_crossentropy", metrics=["accuracy"], input_shape=[LEN]),
    _tc("emb_lstm_maskzero_sample_weight_valsplit",
        [["Embedding", {"input_dim": VOCAB, "output_dim": 4, "mask_zero": True}],
         ["LSTM", {"units": 3, "return_sequences": True}],
         ["TimeDistributed", {"layer": ["Dense", {"units": 1, "activation": "sigmoid"}]}]],
        "ids_seq_binary", "binary_crossentropy", metrics=["accuracy"], input_shape=[LEN],
        sample_weight=True, fit={"epochs": 3, "batch_size": 8, "shuffle": False,
                                 "validation_split": 0.25}, keras=(3, 2)),
    _tc("lstm_back_seq_masking",
        [["Masking", {}], ["LSTM", {"units": 3, "go_backwards": True,
                                    "return_sequences": True}], ["Dense", {"units": 1}]],
        "padded_seq_regression", "mse", input_shape=[LEN, 3]),
]


def case_seed(case):
    return zlib.crc32(case["name"].encode("utf-8")) & 0x7FFFFFFF


def _layer_from_spec(keras, spec):
    cls, kw = spec
    kw = dict(kw)
    if cls in ("Bidirectional", "TimeDistributed"):
        kw["layer"] = _layer_from_spec(keras, kw["layer"])
    if cls == "RNN":
        cell = kw.pop("cell")
        kw_cell = [_layer_from_spec(keras, c) for c in cell] if isinstance(cell[0], list) \
            else _layer_from_spec(keras, cell)
        return keras.layers.RNN(kw_cell, **kw)
    for key in ("kernel_regularizer", "recurrent_regularizer", "bias_regularizer"):
        if isinstance(kw.get(key), list):
            rcls, rkw = kw[key]
            kw[key] = getattr(keras.regularizers, rcls)(**rkw)
    return getattr(keras.layers, cls)(**kw)


def build_model(keras, case):
    if case["batch_shape"]:
        first = keras.Input(batch_shape=tuple(case["batch_shape"]))
    else:
        first = keras.Input(shape=tuple(case["input_shape"]))
    layers = [first] + [_layer_from_spec(keras, spec) for spec in case["layers"]]
    model = keras.Sequential(layers)
    opt_name, opt_kw = case["optimizer"]
    opt = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}[opt_name]
    model.compile(optimizer=getattr(keras.optimizers, opt)(**opt_kw), loss=case["loss"],
                  metrics=list(case["metrics"]))
    return model


def make_data(case):
    """x, y, sample_weight (or None), drawn from the case's seed."""
    rng = np.random.default_rng(case_seed(case))
    kind = case["data"]
    sw = None
    if kind.startswith("ids"):
        x = rng.integers(1, VOCAB, size=(N, LEN))
        lengths = rng.integers(2, LEN + 1, size=N)
        for i, n in enumerate(lengths):
            x[i, :LEN - n] = 0  # pre-padding
        x = x.astype("float32")
        if kind == "ids_binary":
            y = (rng.random((N, 1)) < 0.5).astype("float32")
        elif kind == "ids_seq_regression":
            y = rng.normal(size=(N, LEN, 1)).astype("float32")
        else:  # ids_seq_binary
            y = (rng.random((N, LEN, 1)) < 0.5).astype("float32")
            sw = rng.uniform(0.2, 2.0, size=(N, LEN)).astype("float32")  # per timestep
        return x, y, sw
    if case["batch_shape"]:
        steps, feats = case["batch_shape"][1:]
    else:
        steps, feats = case["input_shape"]
    x = rng.normal(size=(N, steps, feats)).astype("float32")
    if kind.startswith("padded"):
        lengths = rng.integers(2, steps + 1, size=N)
        for i, n in enumerate(lengths):
            x[i, n:] = 0.0  # post-padding
    if kind in ("regression", "padded_regression"):
        y = (x.sum(axis=(1, 2))[:, None] * 0.1 + rng.normal(size=(N, 1)) * 0.1).astype("float32")
    elif kind in ("seq_regression", "padded_seq_regression"):
        out = 2 if kind == "seq_regression" else 1
        y = rng.normal(size=(N, steps, out)).astype("float32")
    elif kind == "seq_regression_1":
        y = rng.normal(size=(N, steps, 1)).astype("float32")
    elif kind == "padded_seq_classes":
        y = np.eye(3, dtype="float32")[rng.integers(0, 3, size=(N, steps))]
    else:
        raise ValueError(kind)
    return x, y, sw


def initial_weights(rng, shapes):
    return [rng.uniform(-0.5, 0.5, size=s).astype("float32") for s in shapes]
