"""BatchNormalization's batch renormalization (`renorm`, `renorm_clipping`,
`renorm_momentum`), masks and `synchronized` against Keras 3.15 (compat_tests/fixtures/
policy_k3.*, section "bn", written by generate_policy_fixtures.py).

Keras rules checked: with a mask the batch statistics are taken over the unmasked
entries (sum / (count + 1e-7)); with renorm the normalised batch is corrected by
r = clip(std / renorm_std) and d = clip((mean - renorm_mean) / renorm_std) (no gradient
through r and d), the renorm statistics move with `renorm_momentum`, the moving ones with
`momentum`, moving_variance = relu(moving_stddev**2 - epsilon); weights in Keras' order;
the gradients equal jax.grad's; invalid clipping bounds raise Keras' ValueErrors."""

import json
from pathlib import Path

import numpy as np
import pytest

import minikeras as keras
from minikeras.autodiff.tensor import gradients, watch

FIXTURES = Path(__file__).parent / "fixtures"
SECTION = json.loads((FIXTURES / "policy_k3.json").read_text())["sections"]["bn"]
DATA = np.load(FIXTURES / "policy_k3.npz")
X, MASK, G = DATA["bn/_inputs/x"], DATA["bn/_inputs/mask"], DATA["bn/_inputs/g"]
CASES = sorted(n for n, c in SECTION["cases"].items() if "error" not in c)


def _names(paths):
    return [p.split("/")[-1] for p in paths]


@pytest.mark.parametrize("name", CASES)
def test_bn_training_statistics_and_outputs_match_keras(name):
    case = SECTION["cases"][name]
    masked = name.startswith("mask")
    layer = keras.layers.BatchNormalization(**case["kwargs"])
    layer.build(X.shape)
    assert _names(w.path for w in layer.non_trainable_weights) == _names(
        case["non_trainable"])
    for t, xt in enumerate([X, X * 1.5 + 0.3, X * 0.5 - 1]):
        y = layer(xt.astype("float32"), training=True, mask=MASK if masked else None)
        np.testing.assert_allclose(np.asarray(y.value), DATA[f"bn/{name}/y{t}"], rtol=1e-4,
                                   atol=1e-5, err_msg=f"call {t}")
    for j, v in enumerate(layer.non_trainable_weights):
        np.testing.assert_allclose(v.value, DATA[f"bn/{name}/moving_{j}"], rtol=1e-5,
                                   atol=1e-6, err_msg=v.path)
    np.testing.assert_allclose(np.asarray(layer(X, training=False).value),
                               DATA[f"bn/{name}/y_infer"], rtol=1e-4, atol=1e-5)
    cfg = layer.get_config()
    for key in ("renorm", "renorm_clipping", "renorm_momentum", "synchronized", "momentum"):
        assert cfg[key] == case["config"][key], key


@pytest.mark.parametrize("name", CASES)
def test_bn_training_gradients_match_jax(name):
    masked = name.startswith("mask")
    layer = keras.layers.BatchNormalization(**SECTION["cases"][name]["kwargs"])
    layer.build(X.shape)
    x = watch(X)
    y = layer(x, training=True, mask=MASK if masked else None)
    total = keras.ops.sum(keras.ops.multiply(y, G))
    gx, gg, gb = gradients(total, [x, layer.gamma, layer.beta])
    for got, key in ((gx, "grad_x"), (gg, "grad_gamma"), (gb, "grad_beta")):
        np.testing.assert_allclose(np.asarray(got), DATA[f"bn/{name}/{key}"], rtol=2e-4,
                                   atol=2e-5, err_msg=key)


def test_synchronized_on_one_device_is_ordinary_bn():
    # Keras' JAX backend refuses synchronized=True (recorded); on one device the
    # synchronized statistics are the ordinary ones (Keras' TensorFlow backend), so
    # minikeras accepts it and trains like the plain layer
    assert "TensorFlow backend" in SECTION["cases"]["synchronized"]["error"]
    a = keras.layers.BatchNormalization(synchronized=True, momentum=0.8)
    b = keras.layers.BatchNormalization(momentum=0.8)
    np.testing.assert_array_equal(np.asarray(a(X, training=True).value),
                                  np.asarray(b(X, training=True).value))
    np.testing.assert_array_equal(a.moving_variance.value, b.moving_variance.value)
    assert a.get_config()["synchronized"] is True


@pytest.mark.parametrize("kwargs", sorted(SECTION["bad_kwargs"]))
def test_bad_renorm_clipping_is_refused_as_keras(kwargs):
    with pytest.raises(ValueError) as e:
        keras.layers.BatchNormalization(**json.loads(kwargs))
    assert str(e.value).split(".")[0] == SECTION["bad_kwargs"][kwargs].split(": ", 1)[1] \
        .split(".")[0]


def test_mask_of_wrong_rank_is_refused():
    layer = keras.layers.BatchNormalization()
    with pytest.raises(ValueError, match="one dimension less"):
        layer(X, training=True, mask=np.ones(X.shape, bool))
