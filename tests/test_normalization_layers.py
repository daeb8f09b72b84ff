"""LayerNormalization, UnitNormalization and RMSNormalization: gradients (float64, random
direction), behaviour against NumPy formulas, weights, shapes, errors, configs (Keras 3 and
Keras 2 forms) and file round trips. Their training trajectories against real Keras 3 are in
compat_tests (cases ln_default, ln_no_center_eps, unit_norm, rms_norm)."""

import warnings

import numpy as np
import pytest

import minikeras as keras
from tests.gradcheck import check_gradients, layer_fn

L = keras.layers


def arr(*shape, seed=0, scale=1.0, shift=0.0):
    return np.random.default_rng(seed).normal(size=shape) * scale + shift


def quiet(make):
    """Build a layer without the rms_scaling deprecation warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make()


def check_layer(layer, x):
    x = np.asarray(x, dtype=np.float64)
    layer(x)  # build
    weights = [w.numpy() + arr(*w.shape, seed=7) * 0.3 for w in layer.trainable_weights]
    check_gradients(layer_fn(layer), [x] + weights)


# --- gradient checks -------------------------------------------------------------------

GRAD_CASES = {
    "ln_default": (lambda: L.LayerNormalization(), arr(5, 4, scale=2, shift=1)),
    "ln_axis_last_3d": (lambda: L.LayerNormalization(axis=-1), arr(2, 3, 4)),
    "ln_axis_12_3d": (lambda: L.LayerNormalization(axis=[1, 2]), arr(3, 4, 2, shift=-1)),
    "ln_axis_1_3d": (lambda: L.LayerNormalization(axis=1), arr(2, 4, 3)),
    "ln_no_center": (lambda: L.LayerNormalization(center=False, epsilon=0.01), arr(5, 3)),
    "ln_no_scale": (lambda: L.LayerNormalization(scale=False), arr(5, 3)),
    "ln_no_center_no_scale": (lambda: L.LayerNormalization(center=False, scale=False),
                              arr(4, 6)),
    "ln_rms_scaling": (lambda: L.LayerNormalization(rms_scaling=True), arr(5, 4, shift=0.5)),
    "ln_rms_scaling_axis_12": (lambda: L.LayerNormalization(axis=[1, 2], rms_scaling=True),
                               arr(2, 3, 4)),
    "unit_default": (lambda: L.UnitNormalization(), arr(5, 4)),
    "unit_axis_12": (lambda: L.UnitNormalization(axis=[1, 2]), arr(2, 3, 4)),
    "unit_axis_1": (lambda: L.UnitNormalization(axis=1), arr(2, 3, 4)),
    "rms_default": (lambda: L.RMSNormalization(), arr(5, 4)),
    "rms_axis_12": (lambda: L.RMSNormalization(axis=[1, 2], epsilon=0.1), arr(2, 3, 4)),
    "rms_axis_1": (lambda: L.RMSNormalization(axis=1), arr(2, 3, 4)),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradients(name, float64):
    make, x = GRAD_CASES[name]
    check_layer(quiet(make), x)


def test_gradient_inside_a_model(float64):
    model = keras.Sequential([keras.Input((4,)), L.Dense(5), L.LayerNormalization(),
                              L.UnitNormalization(), L.RMSNormalization(), L.Dense(2)])
    check_gradients(lambda t: model(t), [arr(3, 4)])


# --- behaviour against NumPy formulas ----------------------------------------------------

def _set_random_weights(layer, seed=1):
    layer.set_weights([arr(*w.shape, seed=seed + i) for i, w in enumerate(layer.weights)])
    return layer.get_weights()


@pytest.mark.parametrize("axis", [-1, [1, 2], 1])
def test_layer_normalization_formula(axis):
    x = arr(3, 4, 5, scale=3, shift=2).astype("float32")
    layer = L.LayerNormalization(axis=axis, epsilon=0.01)
    layer(x)
    gamma, beta = _set_random_weights(layer)
    axes = (2,) if axis == -1 else tuple(axis) if isinstance(axis, list) else (axis,)
    shape = [1, 1, 1]
    for a in axes:
        shape[a] = x.shape[a]
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    expected = gamma.reshape(shape) * (x - mean) / np.sqrt(var + 0.01) + beta.reshape(shape)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-5)
    assert layer(x).dtype == np.float32


def test_layer_norm_normalises_each_sample_and_ignores_training():
    x = arr(6, 8, scale=5, shift=-3).astype("float32")
    layer = L.LayerNormalization()
    y = layer(x, training=True).numpy()
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=1), x.var(axis=1) / (x.var(axis=1) + 1e-3),
                               rtol=1e-4)
    np.testing.assert_array_equal(y, layer(x, training=False).numpy())


def test_layer_norm_rms_scaling_formula_and_weights():
    x = arr(4, 5, shift=1).astype("float32")
    with pytest.warns(UserWarning, match="rms_scaling"):
        layer = L.LayerNormalization(rms_scaling=True, center=True, scale=False)
    layer(x)
    # as Keras 3: rms_scaling keeps gamma (even with scale=False) and never has beta
    assert [w.name for w in layer.weights] == ["gamma"]
    (gamma,) = _set_random_weights(layer)
    expected = gamma * x / np.sqrt(x.var(axis=1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_unit_normalization_formula_and_zero_rows():
    x = arr(4, 3, 5).astype("float32")
    x[0] = 0.0
    y = L.UnitNormalization(axis=(1, 2))(x).numpy()
    norms = np.sqrt(np.square(x).sum(axis=(1, 2), keepdims=True))
    np.testing.assert_allclose(y[1:], x[1:] / norms[1:], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(y[0], 0.0)
    z = L.UnitNormalization()(x).numpy()
    np.testing.assert_allclose(np.square(z[1:]).sum(axis=-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("axis", [[1, 2], 1])
def test_rms_normalization_formula(axis):
    # axis=1: scale is broadcast along axis 1 (Keras 3 raises here, see compatibility.md)
    x = arr(3, 4, 5, shift=1).astype("float32")
    layer = L.RMSNormalization(axis=axis, epsilon=0.05)
    layer(x)
    (scale,) = _set_random_weights(layer)
    axes = tuple(axis) if isinstance(axis, list) else (axis,)
    shape = [x.shape[a] if a in axes else 1 for a in range(3)]
    expected = scale.reshape(shape) * x / np.sqrt(np.square(x).mean(axis=axes, keepdims=True)
                                                  + 0.05)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_integer_inputs_are_cast_to_floatx():
    x = np.arange(12).reshape(3, 4)
    for layer in (L.LayerNormalization(), L.UnitNormalization(), L.RMSNormalization()):
        assert layer(x).dtype == np.float32


# --- weights and shapes ----------------------------------------------------------------

def test_weight_names_order_and_shapes():
    ln = L.LayerNormalization(axis=[1, 2])
    ln(np.zeros((2, 3, 4), "float32"))
    assert [w.name for w in ln.weights] == ["gamma", "beta"]
    assert [w.shape for w in ln.weights] == [(3, 4), (3, 4)]
    np.testing.assert_array_equal(ln.get_weights()[0], np.ones((3, 4)))
    np.testing.assert_array_equal(ln.get_weights()[1], np.zeros((3, 4)))
    assert ln.count_params() == 24 and len(ln.trainable_weights) == 2
    for kw, names in (({"center": False}, ["gamma"]), ({"scale": False}, ["beta"]),
                      ({"center": False, "scale": False}, [])):
        layer = L.LayerNormalization(**kw)
        layer(np.zeros((2, 5), "float32"))
        assert [w.name for w in layer.weights] == names
    rms = L.RMSNormalization(axis=1)
    rms(np.zeros((2, 3, 4), "float32"))
    assert [(w.name, w.shape) for w in rms.weights] == [("scale", (3,))]
    unit = L.UnitNormalization()
    unit(np.zeros((2, 3), "float32"))
    assert unit.weights == [] and unit.count_params() == 0


def test_axis_is_a_sorted_list_after_build_as_in_keras3():
    ln = L.LayerNormalization()
    assert ln.get_config()["axis"] == -1
    ln(np.zeros((2, 3), "float32"))
    assert ln.get_config()["axis"] == [-1]
    rms = L.RMSNormalization(axis=(2, 1))
    rms(np.zeros((2, 3, 4), "float32"))
    assert rms.get_config()["axis"] == [1, 2] and rms.scale.shape == (3, 4)
    assert L.UnitNormalization(axis=(1, 2)).get_config()["axis"] == [1, 2]


def test_symbolic_shapes_and_compute_output_shape():
    inp = keras.Input((3, 4))
    for layer in (L.LayerNormalization(axis=[1, 2]), L.UnitNormalization(axis=1),
                  L.RMSNormalization()):
        assert layer(inp).shape == (None, 3, 4)
    assert L.LayerNormalization().compute_output_shape((None, 7)) == (None, 7)
    assert L.UnitNormalization(axis=[1, 2]).compute_output_shape((None, 2, 3)) == (None, 2, 3)
    assert L.RMSNormalization(axis=-2).compute_output_shape((4, 2, 3)) == (4, 2, 3)
    for make in (L.LayerNormalization, L.UnitNormalization, L.RMSNormalization):
        with pytest.raises(ValueError, match="axis"):
            make(axis=2).compute_output_shape((None, 3))
        with pytest.raises(ValueError, match="axis"):
            make(axis=[1, -3]).compute_output_shape((None, 3))


def test_trained_in_a_model_with_regularizer_and_constraint():
    x = arr(32, 4).astype("float32")
    y = arr(32, 2, seed=1).astype("float32")
    ln = L.LayerNormalization(gamma_regularizer=keras.regularizers.L2(0.1),
                              beta_constraint=keras.constraints.NonNeg())
    model = keras.Sequential([keras.Input((4,)), L.Dense(6), ln, L.Dense(2)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    before = [w.copy() for w in ln.get_weights()]
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert len(model.losses) == 1
    assert not np.allclose(ln.get_weights()[0], before[0])
    assert (ln.get_weights()[1] >= 0).all()


# --- errors ----------------------------------------------------------------------------

@pytest.mark.parametrize("make, exc, word", [
    (lambda: L.LayerNormalization(axis="a"), TypeError, "axis"),
    (lambda: L.LayerNormalization(axis=1.5), TypeError, "axis"),
    (lambda: L.LayerNormalization(axis=[]), TypeError, "axis"),
    (lambda: L.LayerNormalization(axis=[1, "2"]), TypeError, "axis"),
    (lambda: L.LayerNormalization(epsilon=-1e-3), ValueError, "epsilon"),
    (lambda: L.LayerNormalization(epsilon="small"), TypeError, "epsilon"),
    (lambda: L.LayerNormalization(center="False"), TypeError, "center"),
    (lambda: L.LayerNormalization(scale=None), TypeError, "scale"),
    (lambda: L.LayerNormalization(rms_scaling="yes"), TypeError, "rms_scaling"),
    (lambda: L.LayerNormalization(gama_initializer="ones"), ValueError, "gamma_initializer"),
    (lambda: L.LayerNormalization(beta_initializer="no_such_init"), ValueError, "no_such"),
    (lambda: L.UnitNormalization(axis=1.5), TypeError, "axis"),
    (lambda: L.UnitNormalization(axis=None), TypeError, "axis"),
    (lambda: L.UnitNormalization(epsilon=1e-6), ValueError, "epsilon"),
    (lambda: L.RMSNormalization(axis="x"), TypeError, "axis"),
    (lambda: L.RMSNormalization(epsilon=float("nan")), ValueError, "epsilon"),
])
def test_bad_arguments(make, exc, word):
    with pytest.raises(exc, match=word):
        make()


@pytest.mark.parametrize("make", [L.LayerNormalization, L.UnitNormalization,
                                  L.RMSNormalization])
def test_bad_axes_for_the_input(make):
    with pytest.raises(ValueError, match="axis"):
        make(axis=2)(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="axis"):
        make(axis=[1, -1])(np.zeros((2, 3), "float32"))


def test_input_incompatible_with_built_layer():
    for layer in (L.LayerNormalization(), L.RMSNormalization()):
        layer(np.zeros((2, 3), "float32"))
        with pytest.raises(ValueError, match="incompatible"):
            layer(np.zeros((2, 4), "float32"))
        with pytest.raises(ValueError, match="incompatible"):
            layer(np.zeros((2, 2, 3), "float32"))


# --- configs ---------------------------------------------------------------------------

# keras/src/layers/normalization/*.py get_config, plus the base keys
LN_KERAS3_KEYS = {"name", "trainable", "dtype", "axis", "epsilon", "center", "scale",
                  "rms_scaling", "beta_initializer", "gamma_initializer", "beta_regularizer",
                  "gamma_regularizer", "beta_constraint", "gamma_constraint"}


def test_config_keys_match_keras3():
    assert set(L.LayerNormalization().get_config()) == LN_KERAS3_KEYS
    assert set(L.UnitNormalization().get_config()) == {"name", "trainable", "dtype", "axis"}
    assert set(L.RMSNormalization().get_config()) == {"name", "trainable", "dtype", "axis",
                                                      "epsilon"}
    cfg = L.LayerNormalization().get_config()
    assert (cfg["axis"], cfg["epsilon"], cfg["center"], cfg["scale"], cfg["rms_scaling"]) == \
        (-1, 1e-3, True, True, False)
    assert cfg["gamma_initializer"]["class_name"] == "Ones"
    assert cfg["beta_initializer"]["class_name"] == "Zeros"
    assert L.RMSNormalization().get_config()["epsilon"] == 1e-6


CONFIG_CASES = [
    lambda: L.LayerNormalization(),
    lambda: L.LayerNormalization(axis=[1, 2], epsilon=0.01, center=False,
                                 gamma_initializer="random_normal",
                                 gamma_regularizer=keras.regularizers.L2(0.1),
                                 gamma_constraint=keras.constraints.NonNeg(),
                                 beta_regularizer="l1"),
    lambda: quiet(lambda: L.LayerNormalization(rms_scaling=True, scale=False)),
    lambda: L.UnitNormalization(),
    lambda: L.UnitNormalization(axis=(1, 2)),
    lambda: L.RMSNormalization(axis=[1, 2], epsilon=1e-4),
]


@pytest.mark.parametrize("make", CONFIG_CASES)
@pytest.mark.parametrize("built", [False, True])
def test_config_round_trip(make, built):
    layer = make()
    if built:
        layer(np.ones((2, 3, 4), "float32"))
    cfg = layer.get_config()
    again = quiet(lambda: type(layer).from_config(cfg))
    assert again.get_config() == cfg
    by_name = quiet(lambda: L.deserialize(L.serialize(layer)))
    assert type(by_name) is type(layer) and by_name.get_config() == cfg
    if built:
        x = arr(2, 3, 4).astype("float32")
        by_name(x)
        by_name.set_weights(layer.get_weights())
        np.testing.assert_array_equal(by_name(x).numpy(), layer(x).numpy())


_INIT = {"module": "keras.initializers", "config": {}, "registered_name": None}
_POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
           "registered_name": None}


def test_reads_configs_written_by_keras3_and_keras2():
    # as written by Keras 3.15 (get_config of a layer built on (2, 3, 4) inputs)
    k3 = {"name": "layer_normalization_1", "trainable": True, "dtype": _POLICY,
          "axis": [1, 2], "epsilon": 0.001, "center": True, "scale": True,
          "rms_scaling": False, "beta_initializer": {**_INIT, "class_name": "Zeros"},
          "gamma_initializer": {**_INIT, "class_name": "Ones"}, "beta_regularizer": None,
          "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None}
    layer = L.deserialize({"module": "keras.layers", "class_name": "LayerNormalization",
                           "config": k3, "registered_name": None})
    layer(np.ones((2, 3, 4), "float32"))
    assert layer.gamma.shape == (3, 4) and layer.get_config()["axis"] == [1, 2]
    # as written by tf_keras 2.21: no rms_scaling, and the axes counted from the front at build
    k2 = {"name": "layer_normalization", "trainable": True, "dtype": "float32", "axis": [2],
          "epsilon": 0.001, "center": False, "scale": True,
          "beta_initializer": {**_INIT, "class_name": "Zeros"},
          "gamma_initializer": {**_INIT, "class_name": "Ones"}, "beta_regularizer": None,
          "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None}
    layer = L.deserialize({"class_name": "LayerNormalization", "config": k2})
    layer(np.ones((2, 3, 4), "float32"))
    assert [(w.name, w.shape) for w in layer.weights] == [("gamma", (4,))]
    unit = L.deserialize({"class_name": "UnitNormalization",
                          "config": {"name": "unit_normalization", "trainable": True,
                                     "dtype": _POLICY, "axis": [1, 2]}})
    assert unit.axis == [1, 2]
    rms = L.deserialize({"class_name": "RMSNormalization",
                         "config": {"name": "rms_normalization", "trainable": True,
                                    "dtype": _POLICY, "axis": [-1], "epsilon": 1e-06}})
    assert rms.epsilon == 1e-6


# --- files -----------------------------------------------------------------------------

def _model():
    inp = keras.Input((3, 4))
    h = L.LayerNormalization(axis=[1, 2], epsilon=0.01, name="ln")(inp)
    h = L.UnitNormalization(name="unit")(h)
    h = L.RMSNormalization(axis=1, name="rms")(h)
    h = L.LayerNormalization(center=False, name="ln_no_center")(h)
    h = L.Flatten()(h)
    out = L.Dense(2)(h)
    return keras.Model(inp, out)


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_model_save_load_round_trip(tmp_path, suffix):
    x = arr(16, 3, 4).astype("float32")
    y = arr(16, 2, seed=1).astype("float32")
    model = _model()
    model.compile(keras.optimizers.Adam(0.01), "mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / f"m{suffix}"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == \
        [type(layer).__name__ for layer in model.layers]
    for a, b in zip(model.layers, loaded.layers):
        assert a.get_config() == b.get_config()
        assert [w.name for w in a.weights] == [w.name for w in b.weights]
        for u, v in zip(a.get_weights(), b.get_weights()):
            np.testing.assert_array_equal(u, v)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    loaded.fit(x, y, epochs=1, batch_size=8, verbose=0)  # the optimizer state came back


def test_weights_file_round_trip(tmp_path):
    model = _model()
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([arr(*w.shape, seed=3) for w in layer.weights])
    model.save_weights(tmp_path / "w.weights.h5")
    other = _model()
    other.load_weights(tmp_path / "w.weights.h5")
    for u, v in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(u, v)


def test_legacy_config_leaves_out_rms_scaling_when_false_for_keras2():
    """tf_keras 2.21 refuses the `rms_scaling` key (checked by loading a minikeras .h5 with
    it); Keras 3 defaults it to False, so it is written only when True."""
    from minikeras.saving.legacy_h5 import serialize_layer

    plain = keras.layers.LayerNormalization()
    assert "rms_scaling" not in serialize_layer(plain)["config"]
    assert "rms_scaling" in plain.get_config()
    with pytest.warns(UserWarning):
        rms = keras.layers.LayerNormalization(rms_scaling=True)
    assert serialize_layer(rms)["config"]["rms_scaling"] is True
