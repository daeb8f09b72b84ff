"""Recurrent layers, Embedding and K.rnn: float64 gradient checks of every option, the fused
loop against the step-by-step one, configs, stateful behaviour, bad input."""

from __future__ import annotations

import numpy as np
import pytest

import minikeras as keras
from minikeras import backend as K
from minikeras.autodiff.rnn_primitives import embedding_lookup, recurrent
from minikeras.autodiff.tensor import Tensor, gradients, watch
from minikeras.layers.rnn import rnn as rnn_module
from tests.gradcheck import check_gradients

L = keras.layers
B, T, D = 3, 4, 3
MASK = np.array([[1, 1, 1, 1], [0, 0, 1, 1], [1, 0, 1, 0]], dtype=bool)


def arr(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def _flat(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def check_rnn_layer(layer, mask=None, n_states=0, training=False, fixed_dropout=None):
    """Gradient check of `layer` w.r.t. its input, its initial states and its weights."""
    x = arr(B, T, D, seed=1)
    states = [arr(B, layer.cell.units if hasattr(layer, "cell") else 2, seed=2 + i)
              for i in range(n_states)]
    kw = {"mask": mask} if mask is not None else {}
    layer(x, **kw, **({"initial_state": states} if states else {}))  # build
    variables = list(layer.trainable_weights)
    weights = [v.numpy() + arr(*v.shape, seed=7) * 0.3 for v in variables]
    if fixed_dropout is not None:
        cell = layer.cell
        dm, rm = fixed_dropout
        cell.get_dropout_mask = lambda v: dm
        cell.get_recurrent_dropout_mask = lambda v: rm

    def fn(*args):
        xs, st, ws = args[0], list(args[1:1 + n_states]), args[1 + n_states:]
        saved = [v.value for v in variables]
        for v, w in zip(variables, ws):
            v.value = w.value
        try:
            out = layer(xs, training=training, **kw, **({"initial_state": st} if st else {}))
            total = None
            for i, o in enumerate(_flat(out)):  # several outputs: a random mix of them
                term = o * Tensor(arr(*o.shape, seed=30 + i))
                total = term if total is None else total + P_sum_like(term, total)
            from tests.gradcheck import _rebind

            return _rebind(total, variables, ws)
        finally:
            for v, s in zip(variables, saved):
                v.value = s

    check_gradients(fn, [x] + states + weights)


def P_sum_like(term, total):
    """Bring a term to the shape of the running total (sum over axes it has in excess)."""
    if term.shape == total.shape:
        return term
    return term.sum() * Tensor(np.ones(total.shape) / np.prod(total.shape))


LAYERS = {
    "simple": lambda **k: L.SimpleRNN(3, **k),
    "lstm": lambda **k: L.LSTM(3, **k),
    "gru": lambda **k: L.GRU(3, **k),
    "gru_before": lambda **k: L.GRU(3, reset_after=False, **k),
}
OPTIONS = {
    "last": {},
    "seq": {"return_sequences": True},
    "back_seq": {"go_backwards": True, "return_sequences": True},
    "state": {"return_state": True},
    "nobias_relu": {"use_bias": False, "activation": "relu"},
}


@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize("option", list(OPTIONS))
@pytest.mark.parametrize("masked", [False, True])
def test_gradients_fused(kind, option, masked, float64):
    layer = LAYERS[kind](**OPTIONS[option])
    check_rnn_layer(layer, mask=MASK if masked else None)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_gradients_initial_state_and_generic_activation(kind, float64):
    n = 2 if kind == "lstm" else 1
    check_rnn_layer(LAYERS[kind](return_sequences=True), mask=MASK, n_states=n)
    # softsign is not one of the fused loop's activations: the step-by-step path runs
    check_rnn_layer(LAYERS[kind](activation="softsign", go_backwards=True), mask=MASK,
                    n_states=n)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_gradients_with_fixed_dropout_masks(kind, float64):
    layer = LAYERS[kind](dropout=0.3, recurrent_dropout=0.4, return_sequences=True)
    dm = (np.random.default_rng(3).random((B, D)) > 0.3) / 0.7
    rm = (np.random.default_rng(4).random((B, 3)) > 0.4) / 0.6
    check_rnn_layer(layer, mask=MASK, training=True, fixed_dropout=(dm, rm))


def assert_fused_equals_step_by_step(run, monkeypatch):
    """`run()` -> (output, gradients), once through the fused primitive and once through the
    cell's own step recorded op by op: both agree."""
    fused_out, fused_grads = run()
    monkeypatch.setattr(rnn_module, "_fused_kind", lambda cell: None)
    step_out, step_grads = run()
    np.testing.assert_allclose(fused_out, step_out, rtol=1e-10, atol=1e-12)
    for a, b in zip(fused_grads, step_grads):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("kind", ["lstm", "gru", "gru_before", "simple"])
def test_fused_equals_step_by_step(kind, float64, monkeypatch):
    """The fused primitive and the cell's own step (recorded op by op) agree, values and
    gradients, with masks, going backwards and recurrent dropout."""
    layer = LAYERS[kind](return_sequences=True, go_backwards=True, recurrent_dropout=0.5)
    x = arr(B, T, D, seed=1)
    layer(x)
    rm = (np.random.default_rng(4).random((B, 3)) > 0.5) * 2.0
    layer.cell.get_recurrent_dropout_mask = lambda v: rm

    def run():
        xt = watch(x)
        out = layer(xt, mask=MASK, training=True)
        loss = (out * Tensor(arr(*out.shape, seed=9))).sum()
        return out.value, gradients(loss, [xt] + list(layer.trainable_weights))

    assert_fused_equals_step_by_step(run, monkeypatch)


@pytest.mark.parametrize("steps", [1, 16, 17, 37])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_lstm_over_several_chunks_equals_step_by_step(steps, activation, float64,
                                                      monkeypatch):
    """The fused LSTM runs its backward 16 steps at a time: sequences shorter, equal and
    longer than that (with masks, going backwards, recurrent dropout and the states' own
    gradients) agree with the cell's step recorded op by op."""
    layer = L.LSTM(3, return_sequences=True, return_state=True, go_backwards=True,
                   recurrent_dropout=0.5, activation=activation)
    x = arr(B, steps, D, seed=1)
    mask = np.random.default_rng(5).random((B, steps)) > 0.3
    mask[:, 0] = True
    layer(x)
    rm = (np.random.default_rng(4).random((B, 3)) > 0.5) * 2.0
    layer.cell.get_recurrent_dropout_mask = lambda v: rm
    h0, c0 = arr(B, 3, seed=6), arr(B, 3, seed=7)

    def run():
        xt, ht, ct = watch(x), watch(h0), watch(c0)
        seq, h, c = layer(xt, mask=mask, training=True, initial_state=[ht, ct])
        loss = ((seq * Tensor(arr(*seq.shape, seed=9))).sum()
                + (h * Tensor(arr(B, 3, seed=10))).sum() + (c * Tensor(arr(B, 3, seed=11))).sum())
        return seq.value, gradients(loss, [xt, ht, ct] + list(layer.trainable_weights))

    assert_fused_equals_step_by_step(run, monkeypatch)


def test_lstm_primitive_gradients_over_several_chunks(float64):
    rng = np.random.default_rng(1)
    steps = 35
    ins = [rng.normal(size=(2, steps, 2)), rng.normal(size=(2, 8)), rng.normal(size=(2, 8)),
           rng.normal(size=(8,)), rng.normal(size=(2, 2)), rng.normal(size=(2, 2))]
    mask = rng.random((2, steps)) > 0.2
    for full in (False, True):
        check_gradients(lambda *a, full=full: recurrent(a[0], a[1], a[2], a[3], list(a[4:]),
                                                        cell="lstm", mask=mask, full=full), ins)


def test_gradients_wrappers_and_cells(float64):
    check_rnn_layer(L.RNN([L.LSTMCell(2), L.GRUCell(3)], return_sequences=True), mask=MASK)
    check_rnn_layer(L.RNN(L.SimpleRNNCell(3), go_backwards=True), mask=MASK)
    for mode in ("concat", "sum", "mul", "ave", None):
        check_rnn_layer(L.Bidirectional(L.GRU(2, return_sequences=True), merge_mode=mode),
                        mask=MASK)
    check_rnn_layer(L.Bidirectional(L.LSTM(2, return_state=True)))
    check_rnn_layer(L.TimeDistributed(L.Dense(2, activation="tanh")))


def test_primitive_gradients_directly(float64):
    rng = np.random.default_rng(0)
    check_gradients(lambda t: embedding_lookup(t, np.array([[1, 2, 1], [0, 3, 3]])),
                    [rng.normal(size=(5, 3))])
    ins = [rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 8)), rng.normal(size=(2, 8)),
           rng.normal(size=(8,)), rng.normal(size=(2, 2)), rng.normal(size=(2, 2))]
    check_gradients(lambda *a: recurrent(a[0], a[1], a[2], a[3], list(a[4:]), cell="lstm",
                                         mask=MASK[:2, :3], full=True), ins)


def test_k_rnn_matches_simple_rnn_layer():
    layer = L.SimpleRNN(3, return_sequences=True)
    x = arr(B, T, D, seed=1).astype("float32")
    ref = layer(x, mask=MASK).numpy()
    cell = layer.cell

    def step(xt, states):
        out, new = cell.call(xt, states)
        return out, new

    last, outs, states = K.rnn(step, K.constant(x), [K.zeros((B, 3))], mask=MASK)
    np.testing.assert_allclose(outs.numpy()[:, 1:], ref[:, 1:], rtol=1e-6)
    np.testing.assert_allclose(last.numpy(), ref[:, -1], rtol=1e-6)
    assert len(states) == 1


# --- behaviour -----------------------------------------------------------------------------

def test_masked_leading_steps_are_skipped():
    """A pre-padded sequence with its mask gives the unpadded sequence's result."""
    layer = L.LSTM(4)
    x = arr(1, 6, D).astype("float32")
    full = layer(np.concatenate([np.zeros((1, 2, D), "float32"), x[:, 2:]], axis=1),
                 mask=np.array([[0, 0, 1, 1, 1, 1]], bool)).numpy()
    short = layer(x[:, 2:]).numpy()
    np.testing.assert_allclose(full, short, rtol=1e-6)


def test_stateful_carries_states_and_reset_states_clears_them():
    layer = L.LSTM(3, stateful=True, return_sequences=True)
    model = keras.Sequential([keras.Input(batch_shape=(2, 4, D)), layer])
    x = arr(2, 8, D, seed=3).astype("float32")
    whole = L.LSTM(3, return_sequences=True)
    whole(x)
    whole.set_weights(layer.get_weights())
    ref = whole(x).numpy()
    a = model.predict(x[:, :4], verbose=0)
    b = model.predict(x[:, 4:], verbose=0)
    np.testing.assert_allclose(np.concatenate([a, b], axis=1), ref, rtol=1e-5, atol=1e-6)
    layer.reset_states()
    assert all(np.all(s.numpy() == 0) for s in layer.states)
    np.testing.assert_allclose(model.predict(x[:, :4], verbose=0), a, rtol=1e-6)
    assert len(layer.weights) == 3  # the states are not weights
    with pytest.raises(ValueError, match="batch size"):
        model.predict(x[:1, :4], verbose=0, batch_size=1)


def test_stateful_needs_a_batch_size():
    with pytest.raises(ValueError, match="stateful"):
        keras.Sequential([keras.Input(shape=(4, D)), L.GRU(2, stateful=True)])
    model = keras.Sequential([L.SimpleRNN(2, stateful=True, batch_input_shape=(3, 4, D))])
    assert model.layers[0].states[0].shape == (3, 2)


def test_unroll_gives_the_same_numbers():
    x = arr(B, T, D).astype("float32")
    a, b = L.GRU(3), L.GRU(3, unroll=True)
    a(x)
    b(x)
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())


def test_return_state_shapes_and_symbolic_outputs():
    inp = keras.Input((T, D))
    out, h, c = L.LSTM(5, return_state=True)(inp)
    assert out.shape == h.shape == c.shape == (None, 5)
    seq, h2 = L.GRU(2, return_sequences=True, return_state=True)(inp)
    assert seq.shape == (None, T, 2) and h2.shape == (None, 2)
    both = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode=None)(inp)
    assert [t.shape for t in both] == [(None, T, 3), (None, T, 3)]
    model = keras.Model(inp, [out, h, c])
    values = model.predict(arr(2, T, D).astype("float32"), verbose=0)
    np.testing.assert_array_equal(values[0], values[1])


def test_initial_state_from_another_layer_encoder_decoder():
    enc_in, dec_in = keras.Input((T, D)), keras.Input((T, 2))
    _, h, c = L.LSTM(4, return_state=True)(enc_in)
    dec = L.LSTM(4, return_sequences=True)(dec_in, initial_state=[h, c])
    model = keras.Model([enc_in, dec_in], L.Dense(1)(dec))
    model.compile("adam", "mse")
    x1, x2 = arr(8, T, D).astype("float32"), arr(8, T, 2).astype("float32")
    hist = model.fit([x1, x2], np.zeros((8, T, 1), "float32"), epochs=2, verbose=0)
    assert hist.history["loss"][1] < hist.history["loss"][0]


def test_lstm_unit_forget_bias_and_weight_names():
    layer = L.LSTM(2)
    layer(arr(1, 2, D).astype("float32"))
    np.testing.assert_array_equal(layer.cell.bias.numpy(), [0, 0, 1, 1, 0, 0, 0, 0])
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    gru = L.GRU(2)
    gru(arr(1, 2, D).astype("float32"))
    assert gru.cell.bias.shape == (2, 6)
    gru2 = L.GRU(2, reset_after=False)
    gru2(arr(1, 2, D).astype("float32"))
    assert gru2.cell.bias.shape == (6,)
    r = layer.cell.recurrent_kernel.numpy()  # (2, 8): orthonormal rows
    np.testing.assert_allclose(r @ r.T, np.eye(2), atol=1e-5)


def test_embedding_basics():
    emb = L.Embedding(10, 3, mask_zero=True, input_length=5)
    assert emb._batch_input_shape == (None, 5)
    out = emb(np.array([[0, 1, 2, 0, 9]]))
    assert out.shape == (1, 5, 3)
    np.testing.assert_array_equal(out._keras_mask, [[False, True, True, False, True]])
    w = emb.embeddings.numpy()
    assert emb.embeddings.name == "embeddings" and np.abs(w).max() <= 0.05
    np.testing.assert_array_equal(out.numpy()[0, 1], w[1])
    cfg = emb.get_config()
    again = L.Embedding.from_config(cfg)
    assert again.mask_zero and again.input_dim == 10 and again.input_length == 5


@pytest.mark.parametrize("make", [
    lambda: L.LSTM(3, return_sequences=True, go_backwards=True, dropout=0.1),
    lambda: L.GRU(2, reset_after=False, recurrent_activation="hard_sigmoid"),
    lambda: L.SimpleRNN(4, activation="relu", stateful=False, unroll=True),
    lambda: L.Bidirectional(L.LSTM(2, return_sequences=True), merge_mode="sum"),
    lambda: L.RNN([L.LSTMCell(2), L.GRUCell(3, reset_after=False)], return_state=True),
    lambda: L.TimeDistributed(L.Dense(2)),
    lambda: L.Masking(mask_value=-1.0),
])
def test_config_round_trip(make):
    layer = make()
    layer(arr(2, T, D).astype("float32"))
    cfg = layer.get_config()
    again = type(layer).from_config(cfg)
    again(arr(2, T, D).astype("float32"))
    assert again.get_config() == cfg
    assert [w.shape for w in again.weights] == [w.shape for w in layer.weights]


def test_keras2_configs_are_read():
    cfg = {"name": "lstm", "units": 3, "implementation": 2, "time_major": False,
           "return_sequences": True, "unit_forget_bias": True}
    layer = L.LSTM.from_config(cfg)
    assert layer.units == 3 and layer.return_sequences
    gru = L.GRU.from_config({"units": 2, "reset_after": False, "implementation": 1})
    assert gru.reset_after is False


# --- bad input ---------------------------------------------------------------------------

def test_wrong_rank_names_layer_and_shapes():
    layer = L.LSTM(3, name="my_lstm")
    with pytest.raises(ValueError, match=r"my_lstm.*expected ndim=3.*\(4, 5\)"):
        layer(np.zeros((4, 5), "float32"))
    assert not layer.built
    with pytest.raises(ValueError, match="ndim=3"):
        keras.Sequential([keras.Input((5,)), L.GRU(2)])
    layer(np.zeros((2, 3, 4), "float32"))
    before = [w.numpy().copy() for w in layer.weights]
    with pytest.raises(ValueError, match="my_lstm"):
        layer(np.zeros((2, 3), "float32"))
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, layer.weights))


def test_embedding_rejects_bad_ids_before_training():
    model = keras.Sequential([keras.Input((3,)), L.Embedding(5, 2), L.Flatten(), L.Dense(1)])
    model.compile("sgd", "mse")
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"integer token ids.*0\.5"):
        model.fit(np.array([[0, 1, 0.5]]), np.zeros((1, 1)), verbose=0)
    with pytest.raises(ValueError, match=r"\[0, 5\).*7"):
        model.fit(np.array([[0, 1, 7]]), np.zeros((1, 1)), verbose=0)
    with pytest.raises(ValueError, match=r"\[0, 5\).*-1"):
        model.predict(np.array([[0, -1, 2]]), verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_inconsistent_initial_state():
    layer = L.LSTM(3)
    x = np.zeros((2, 4, D), "float32")
    with pytest.raises(ValueError, match=r"expects 2 initial state"):
        layer(x, initial_state=[np.zeros((2, 3), "float32")])
    with pytest.raises(ValueError,
                       match=r"initial_state\[1\] should have shape \(2, 3\).*\(2, 4\)"):
        layer(x, initial_state=[np.zeros((2, 3), "float32"), np.zeros((2, 4), "float32")])


def test_bad_arguments():
    with pytest.raises(ValueError, match="units"):
        L.LSTM(0)
    with pytest.raises(ValueError, match="merge mode"):
        L.Bidirectional(L.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="input_dim"):
        L.Embedding(0, 3)
    with pytest.raises((TypeError, ValueError), match="did you mean"):
        L.GRU(2, retrun_sequences=True)


def test_stacked_rnn_cells_equal_stacked_layers():
    """StackedRNNCells([c1, c2]) inside one RNN computes what two RNN layers do (the second
    fed the first's sequence), masks included."""
    cells = L.StackedRNNCells([L.LSTMCell(3), L.GRUCell(2)])
    stacked = L.RNN(cells, return_sequences=True)
    x = arr(B, T, D).astype("float32")
    out = stacked(x, mask=MASK).numpy()
    first, second = L.LSTM(3, return_sequences=True), L.GRU(2, return_sequences=True)
    first(x)
    second(np.zeros((B, T, 3), "float32"))
    first.set_weights([w.numpy() for w in cells.cells[0].weights])
    second.set_weights([w.numpy() for w in cells.cells[1].weights])
    ref = second(first(x, mask=MASK), mask=MASK).numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)
    assert cells.state_size == [[3, 3], 2]


def test_bidirectional_with_its_own_backward_layer():
    fw = L.LSTM(3, return_sequences=True)
    bw = L.GRU(3, return_sequences=True, go_backwards=True)
    bi = L.Bidirectional(fw, backward_layer=bw, merge_mode="concat")
    x = arr(B, T, D).astype("float32")
    out = bi(x)
    assert out.shape == (B, T, 6)
    assert bi.backward_layer is bw and bi.forward_layer.name == "forward_" + fw.name
    ref = bw(x).numpy()[:, ::-1]  # the backward outputs are flipped back in time
    np.testing.assert_allclose(out.numpy()[:, :, 3:], ref, rtol=1e-6)
    again = L.Bidirectional.from_config(bi.get_config())
    assert type(again.backward_layer).__name__ == "GRU"
    with pytest.raises(ValueError, match="go_backwards"):
        L.Bidirectional(L.LSTM(2), backward_layer=L.LSTM(2))


def test_lstm_work_arrays_not_shared_between_live_graph_nodes():
    # the LSTM primitive takes its work arrays from a pool: a node still alive must keep
    # its own (a second forward must not overwrite them), and its backward may run twice
    rng = np.random.default_rng(3)
    B, T, D, U = 3, 5, 4, 2

    def args(seed):
        r = np.random.default_rng(seed)
        return [Tensor(r.normal(size=s).astype("float32"), needs_grad=True)
                for s in [(B, T, D), (D, 4 * U), (U, 4 * U), (4 * U,)]]

    def grads_of(a, g):
        out = recurrent(a[0], a[1], a[2], a[3], [np.zeros((B, U), "float32")] * 2,
                        cell="lstm")
        return out, out.backward_fn(g)

    g = rng.normal(size=(B, U)).astype("float32")
    a1, a2 = args(1), args(2)
    _, expected = grads_of(a1, g)
    expected = [e.copy() for e in expected]
    out1 = recurrent(a1[0], a1[1], a1[2], a1[3], [np.zeros((B, U), "float32")] * 2,
                     cell="lstm")
    out2, _ = grads_of(a2, g)  # uses the pool while out1 is alive
    first, second = out1.backward_fn(g), out1.backward_fn(g)
    for e, x, y in zip(expected, first, second):
        np.testing.assert_array_equal(x, e)
        np.testing.assert_array_equal(y, e)
    assert out2 is not None  # (alive until here)
