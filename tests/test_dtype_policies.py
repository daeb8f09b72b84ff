"""dtype policies (Keras 3 rules, stated per test; reference values in
compat_tests/test_policy_compat.py)."""

import json

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras import dtype_policies
from minikeras.autodiff.tensor import gradients, watch


@pytest.fixture(autouse=True)
def _reset():
    yield
    dtype_policies._global_policy = None
    keras.config.set_floatx("float32")


def test_mixed_layer_casts_its_variables_inside_call_and_the_gradient_reaches_them():
    # Keras rule: under mixed_float16 the float32 kernel is read as float16 inside call;
    # the gradient arrives in the variable's own dtype (float32)
    layer = keras.layers.Dense(3, dtype="mixed_float16")
    x = watch(np.ones((2, 4), "float32"))
    y = layer(x)
    assert y.value.dtype == np.float16 and layer.kernel.value.dtype == np.float32
    gk, gx = gradients(keras.ops.sum(y), [layer.kernel, x])
    assert np.asarray(gk).dtype == np.float32 and np.asarray(gx).dtype == np.float32
    np.testing.assert_allclose(np.asarray(gk), np.full((4, 3), 2.0))
    assert isinstance(layer.kernel, keras.Variable)  # restored after the call


def test_add_weight_autocast_false_keeps_the_variable_dtype_inside_call():
    # Keras rule: add_weight(autocast=False) is not cast to the compute dtype
    class Scale(keras.layers.Layer):
        def build(self, shape):
            self.a = self.add_weight(shape=(), initializer="ones")
            self.b = self.add_weight(shape=(), initializer="ones", autocast=False)

        def call(self, x):
            self.seen = (self.a.dtype, self.b.dtype)
            return x * self.a

    layer = Scale(dtype="mixed_float16")
    layer(np.ones((1, 2), "float32"))
    assert layer.seen == (np.float16, np.float32)


def test_global_policy_follows_floatx_until_set():
    # minikeras decision (docs/decisions.md): an unset global policy is floatx's
    keras.config.set_floatx("float64")
    assert keras.config.dtype_policy().name == "float64"
    assert keras.layers.Dense(2).dtype == "float64"
    keras.config.set_dtype_policy("mixed_float16")
    keras.config.set_floatx("float32")
    assert keras.layers.Dense(2).dtype_policy.name == "mixed_float16"
    assert keras.Input((3,)).dtype == "float32"  # inputs stay floatx, as Keras


@pytest.mark.parametrize("bad", ["mixed_bfloat16", "bfloat16"])
def test_bfloat16_is_refused_with_the_reason(bad):
    # NumPy has no bfloat16; ml_dtypes is not a dependency (docs/decisions.md)
    with pytest.raises(ValueError, match="ml_dtypes"):
        keras.DTypePolicy(bad)
    with pytest.raises(ValueError, match="ml_dtypes"):
        keras.layers.Dense(2, dtype=bad)
    with pytest.raises(ValueError, match="ml_dtypes"):
        keras.config.set_dtype_policy(bad)


def test_policy_setter_validates_before_changing_anything():
    layer = keras.layers.Dense(2)
    with pytest.raises(ValueError):
        layer.dtype_policy = "int32"  # a layer that computes needs a float policy
    assert layer.dtype_policy.name == "float32"
    layer.dtype_policy = keras.DTypePolicy("float16")
    assert (layer.compute_dtype, layer.variable_dtype) == ("float16", "float16")


def test_legacy_h5_writes_the_policy_name_and_keras_zip_the_policy_dict(tmp_path):
    # Keras 2 (tf_keras 2.21) cannot read Keras 3's DTypePolicy dict but reads the name
    # ("mixed_float16"); Keras 3 reads both, and writes the dict into .keras files
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, dtype="mixed_float16")])
    m.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as f:
        cfg = json.loads(f.attrs["model_config"])
    assert cfg["config"]["layers"][1]["config"]["dtype"] == "mixed_float16"
    m.save(tmp_path / "m.keras")
    back = keras.models.load_model(tmp_path / "m.keras")
    assert back.layers[0].get_config()["dtype"] == dtype_policies.serialize(
        keras.DTypePolicy("mixed_float16"))
    assert keras.models.load_model(tmp_path / "m.h5").layers[0].compute_dtype == "float16"


def test_mixed_model_compiled_without_auto_scaling_keeps_its_optimizer():
    keras.config.set_dtype_policy("mixed_float16")
    m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    m.compile(keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD()), "mse")
    assert type(m.optimizer.inner_optimizer).__name__ == "SGD"  # not wrapped twice
    m.compile("sgd", "mse", auto_scale_loss=False)
    assert type(m.optimizer).__name__ == "SGD"


def test_mixed_precision_namespace_aliases():
    keras.mixed_precision.set_global_policy("mixed_float16")
    assert keras.mixed_precision.global_policy() == keras.mixed_precision.Policy("mixed_float16")
    assert keras.FloatDTypePolicy("float16") == keras.DTypePolicy("float16")


def test_embedding_outputs_the_compute_dtype_alone_and_inside_a_mixed_model():
    # Keras rule (checked with Keras 3.15: float16 in both cases): Embedding casts its
    # output to the compute dtype; its autocast=False only leaves an enclosing autocast
    # scope alone
    ids = np.array([[1, 2]])
    assert keras.layers.Embedding(5, 2, dtype="mixed_float16")(ids).value.dtype == np.float16
    keras.config.set_dtype_policy("mixed_float16")
    m = keras.Sequential([keras.Input((2,), dtype="int32"), keras.layers.Embedding(5, 2)])
    assert m.predict(ids, verbose=0).dtype == np.float16
    assert m.layers[0].embeddings.value.dtype == np.float32
