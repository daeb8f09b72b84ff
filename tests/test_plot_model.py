"""keras.utils.model_to_dot (pydot) and plot_model (Graphviz, or matplotlib without it)."""

import shutil
import subprocess
import sys
import warnings

import pytest

import minikeras as keras
from minikeras.utils import model_visualization as mv


def two_input_model():
    a = keras.Input((8,), name="features")
    h = keras.layers.Dense(16, activation="relu", name="hidden")(a)
    b = keras.Input((3,), name="extra")
    c = keras.layers.Concatenate(name="join")([h, b])
    return keras.Model([a, b], keras.layers.Dense(1, activation="sigmoid", name="out")(c))


def test_model_to_dot_has_a_node_per_layer_and_the_data_flow_edges():
    pytest.importorskip("pydot")
    model = two_input_model()
    dot = keras.utils.model_to_dot(model, show_shapes=True, show_layer_activations=True,
                                   show_dtype=True, show_trainable=True, rankdir="LR", dpi=96)
    ids = {str(id(layer)): layer.name for layer in model.layers}
    nodes = {n.get_name(): n for n in dot.get_nodes() if n.get_name() in ids}
    assert set(nodes) == set(ids)
    edges = {(ids[e.get_source()], ids[e.get_destination()]) for e in dot.get_edges()}
    assert edges == {("features", "hidden"), ("hidden", "join"), ("extra", "join"),
                     ("join", "out")}
    label = nodes[str(id(model.get_layer("hidden")))].get("label")
    assert "<b>hidden</b> (Dense)" in label and "Activation: <b>relu</b>" in label
    assert "Input shape: <b>(None, 8)</b>" in label and "Output shape: <b>(None, 16)</b>" in label
    assert "Trainable" in label and "Output dtype: <b>float32</b>" in label
    assert dot.get("rankdir") == "LR" and dot.get("dpi") == 96


def test_model_to_dot_for_sequential_and_nested_models():
    pytest.importorskip("pydot")
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="i1"),
                              keras.layers.Dense(2, name="i2")], name="inner")
    outer = keras.Sequential([keras.Input((4,)), inner, keras.layers.Dense(1, name="o")])
    flat = keras.utils.model_to_dot(outer)
    assert len([e for e in flat.get_edges()]) == 1
    nested = keras.utils.model_to_dot(outer, expand_nested=True)
    assert [s.get_name() for s in nested.get_subgraphs()] == ["cluster_inner"]
    assert len(nested.get_edges()) == 2  # i1 -> i2 inside, i2 -> o
    with pytest.raises(ValueError, match="layer_range"):
        keras.utils.model_to_dot(outer, layer_range=["a", "b"])
    with pytest.raises(ValueError, match="Unrecognized"):
        keras.utils.model_to_dot(outer, show_shape=True)


def test_plot_model_without_graphviz_draws_with_matplotlib(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(mv, "check_graphviz", lambda: False)
    path = tmp_path / "model.png"
    with pytest.warns(UserWarning, match="matplotlib"):
        keras.utils.plot_model(two_input_model(), to_file=path, show_shapes=True,
                               show_layer_names=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000
    seq = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keras.utils.plot_model(seq, to_file=str(tmp_path / "seq.pdf"), rankdir="LR")
    assert (tmp_path / "seq.pdf").read_bytes()[:4] == b"%PDF"
    with pytest.raises(ValueError, match="rankdir"):
        keras.utils.plot_model(seq, to_file=str(tmp_path / "x.png"), rankdir="XY")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_plot_model_with_graphviz(tmp_path):
    pytest.importorskip("pydot")
    path = tmp_path / "model.png"
    keras.utils.plot_model(two_input_model(), to_file=str(path), show_shapes=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unbuilt_model_and_missing_pydot_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="not yet been built"):
        keras.utils.plot_model(keras.Sequential([keras.layers.Dense(2)]))
    code = ("import sys; sys.modules['pydot'] = None\n"
            "import minikeras as keras\n"
            "m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])\n"
            "try:\n    keras.utils.model_to_dot(m)\n"
            "except ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "pip install pydot" in out.stdout, out.stderr


def test_a_subclassed_model_is_one_box():
    pytest.importorskip("pydot")

    class Net(keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.d = keras.layers.Dense(2)

        def call(self, x):
            return self.d(x)

    net = Net()
    net(keras.ops.ones((1, 3)))
    dot = keras.utils.model_to_dot(net)
    assert [n.get_name() for n in dot.get_nodes() if n.get_name() == str(id(net))]
    assert not dot.get_edges()
