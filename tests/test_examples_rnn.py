"""The recurrent-network example runs in fast mode, draws its figure, and its claims hold:
the LSTM beats the always-the-mean baseline by far, and padding changes no prediction."""

from tests.test_examples import example, run  # noqa: F401 - the fixture is used by name


def test_lstm_learns_to_add_and_ignores_padding(example):  # noqa: F811
    r = run(example, "rnn_sequences")
    assert r["val_mse"] < 0.2 * r["baseline"]
    assert r["history"]["loss"][-1] < r["history"]["loss"][0]
    assert r["padding_difference"] < 1e-5
