"""`keras.utils.plot_model` and `keras.utils.model_to_dot`.

As Keras 3: `model_to_dot` builds a `pydot.Dot` graph (one node per layer, a table label with
the options asked for; pydot must be installed) and `plot_model` writes it with Graphviz.

Where we differ: when pydot or the Graphviz programs are missing, `plot_model` draws the same
graph with matplotlib instead (with a warning saying what to install for Graphviz' drawing),
so a student always gets a picture; only when matplotlib is missing too does it raise the
ImportError (naming all three). `expand_nested` draws a nested model's layers inside a
dashed box (pydot) or as their own rows (matplotlib).
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from typing import Any

_PYDOT: list = []


def _pydot() -> Any:
    """pydot, imported on first use (it is optional: `pip install minikeras[graph]`), or
    None when it is not installed."""
    if not _PYDOT:
        try:
            import pydot
        except ImportError:
            pydot = None
        _PYDOT.append(pydot)
    return _PYDOT[0]

_NOT_BUILT = ("This model has not yet been built. Build the model first by calling `build()` "
              "or by calling the model on a batch of data.")


def check_pydot() -> bool:
    return _pydot() is not None


def check_graphviz() -> bool:
    """Whether pydot can run Graphviz' `dot` program."""
    pydot = _pydot()
    if pydot is None or shutil.which("dot") is None:
        return False
    try:
        pydot.Dot.create(pydot.Dot())
        return True
    except (OSError, Exception):  # pydot raises its own exception types across versions
        return False


# ----------------------------------------------------------------------------- the graph

def _model_layers(model: Any) -> list:
    return list(getattr(model, "layers", []))


def _edges(model: Any, layers: list) -> list:
    """(source layer, destination layer) pairs of `model`'s own graph."""
    from minikeras.models.sequential import Sequential

    if isinstance(model, Sequential):
        return list(zip(layers[:-1], layers[1:]))
    members = {id(layer) for layer in layers}
    edges = []
    for layer in layers:
        for node in getattr(layer, "_inbound_nodes", []):
            for t in node.input_tensors:
                history = getattr(t, "_history", None)
                if history is None or id(history[0]) not in members:
                    continue
                edge = (history[0], layer)
                if not any(e[0] is edge[0] and e[1] is edge[1] for e in edges):
                    edges.append(edge)
    return edges


def _flatten(model: Any, expand_nested: bool) -> tuple:
    """Nodes (layer, cluster name or None) and edges of the drawing; nested models are
    replaced by their layers when `expand_nested`."""
    from minikeras.models.functional import Functional
    from minikeras.models.sequential import Sequential

    if not isinstance(model, (Sequential, Functional)):
        return [(model, None)], []  # a subclassed model is one box, as in Keras
    layers = _model_layers(model)
    nodes: list = []
    edges = []
    entry: dict = {}
    exit_: dict = {}
    for layer in layers:
        if expand_nested and isinstance(layer, (Sequential, Functional)) and \
                _model_layers(layer):
            sub_nodes, sub_edges = _flatten(layer, True)
            nodes += [(n, c or layer.name) for n, c in sub_nodes]
            edges += sub_edges
            inner = [n for n, _ in sub_nodes]
            entry[id(layer)], exit_[id(layer)] = inner[0], inner[-1]
        else:
            nodes.append((layer, None))
    for src, dst in _edges(model, layers):
        edges.append((exit_.get(id(src), src), entry.get(id(dst), dst)))
    return nodes, edges


def _shape_text(shape: Any) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, dict):
        return ", ".join(f"{k}: {v}" for k, v in shape.items())
    return str(shape)


def _label_parts(layer: Any, show_shapes: bool, show_dtype: bool, show_layer_names: bool,
                 show_layer_activations: bool, show_trainable: bool) -> dict:
    """What a layer's box shows, as text pieces (shared by both renderers)."""
    cls = type(layer).__name__
    parts: dict = {"title": f"{layer.name} ({cls})" if show_layer_names else cls, "cols": [],
                   # Keras sizes the title row from the options, not from the cells present
                   "span": max(1, int(show_dtype) + int(show_trainable) + 2 * int(show_shapes))}
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        name = getattr(activation, "name", None) or getattr(activation, "__name__", None) or \
            str(activation)
        parts["activation"] = name
    if show_shapes:
        in_shape: Any = None
        out_shape: Any = None
        if cls != "InputLayer":
            try:
                in_shape = layer.input_shape
            except (AttributeError, ValueError, IndexError):  # a layer never called
                in_shape = None
        try:
            out_shape = layer.output_shape
        except (AttributeError, ValueError, IndexError):
            out_shape = None
        if cls != "InputLayer":
            parts["cols"].append(("Input shape", _shape_text(in_shape), None))
        parts["cols"].append(("Output shape", _shape_text(out_shape), None))
    if show_dtype:
        try:
            out = layer.output
            dtype = [t.dtype for t in out] if isinstance(out, list) else out.dtype
        except (AttributeError, ValueError, IndexError):
            dtype = None
        parts["cols"].append(("Output dtype", str(dtype or "?"), None))
    if show_trainable and getattr(layer, "weights", None):
        parts["cols"].append(("Trainable" if layer.trainable else "Non-trainable", None,
                              "forestgreen" if layer.trainable else "firebrick"))
    return parts


def _html_label(parts: dict) -> str:
    cols = parts["cols"]
    span = parts["span"]
    html = '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
    title = parts["title"]
    if " (" in title:
        name, cls = title.split(" (", 1)
        title = f"<b>{name}</b> ({cls}"
    else:
        title = f"<b>{title}</b>"
    html += (f'<tr><td colspan="{span}" bgcolor="black"><font point-size="16" color="white">'
             f"{title}</font></td></tr>")
    if "activation" in parts:
        html += (f'<tr><td bgcolor="white" colspan="{span}"><font point-size="14">Activation: '
                 f'<b>{parts["activation"]}</b></font></td></tr>')
    cells = []
    for key, value, colour in cols:
        if colour:
            cells.append(f'<td bgcolor="{colour}"><font point-size="14" color="white"><b>{key}'
                         "</b></font></td>")
        else:
            cells.append(f'<td bgcolor="white"><font point-size="14">{key}: <b>{value}</b>'
                         "</font></td>")
    if cells:
        html += f"<tr>{''.join(cells)}</tr>"
    return html + "</table>>"


def _check_kwargs(kwargs: dict) -> None:
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")


# ----------------------------------------------------------------------------- pydot

def model_to_dot(model: Any, show_shapes: bool = False, show_dtype: bool = False,
                 show_layer_names: bool = True, rankdir: str = "TB",
                 expand_nested: bool = False, dpi: int = 200, subgraph: bool = False,
                 show_layer_activations: bool = False, show_trainable: bool = False,
                 splines: str = "ortho", **kwargs: Any) -> Any:
    """A `pydot.Dot` of the model: one node per layer, edges along the data flow."""
    if not getattr(model, "built", True):
        raise ValueError(_NOT_BUILT)
    pydot = _pydot()
    if pydot is None:
        raise ImportError("You must install pydot (`pip install pydot`, or "
                          "`pip install minikeras[graph]`) for model_to_dot to work.")
    _check_kwargs(kwargs)
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    options = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                   show_layer_names=show_layer_names,
                   show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    nodes, edges = _flatten(model, expand_nested)
    clusters: dict = {}
    for layer, cluster in nodes:
        node = pydot.Node(str(id(layer)), label=_html_label(_label_parts(layer, **options)))
        node.set("fontname", "Helvetica")
        node.set("border", "0")
        node.set("margin", "0")
        if cluster is None:
            dot.add_node(node)
        else:
            if cluster not in clusters:
                clusters[cluster] = pydot.Cluster(style="dashed", graph_name=cluster)
                clusters[cluster].set("label", cluster)
                clusters[cluster].set("labeljust", "l")
                dot.add_subgraph(clusters[cluster])
            clusters[cluster].add_node(node)
    for src, dst in edges:
        edge = pydot.Edge(str(id(src)), str(id(dst)))
        edge.set("penwidth", "2")
        dot.add_edge(edge)
    return dot


# ----------------------------------------------------------------------------- matplotlib

def _depths(nodes: list, edges: list) -> dict:
    """Longest-path depth of each node from the graph's sources (its row in the drawing)."""
    depth = {id(n): 0 for n, _ in nodes}
    for _ in range(len(nodes)):
        changed = False
        for src, dst in edges:
            if depth.get(id(dst), 0) < depth.get(id(src), 0) + 1:
                depth[id(dst)] = depth[id(src)] + 1
                changed = True
        if not changed:
            break
    # A source feeding only deeper layers (a second model input) sits just above its first
    # consumer, so its arrow does not cross the boxes in between.
    has_input = {id(dst) for _, dst in edges}
    for n, _ in nodes:
        below = [depth[id(dst)] for src, dst in edges if src is n]
        if id(n) not in has_input and below:
            depth[id(n)] = min(below) - 1
    return depth


def draw_with_matplotlib(model: Any, to_file: str, rankdir: str = "TB", dpi: int = 200,
                         expand_nested: bool = False, **options: Any) -> None:
    """The same boxes and arrows as Graphviz would draw, laid out by depth."""
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    nodes, edges = _flatten(model, expand_nested)
    depth = _depths(nodes, edges)
    rows: dict = {}
    for layer, _ in nodes:
        rows.setdefault(depth[id(layer)], []).append(layer)
    texts = {}
    for layer, cluster in nodes:
        parts = _label_parts(layer, **options)
        lines = [parts["title"]]
        if "activation" in parts:
            lines.append(f"Activation: {parts['activation']}")
        lines += [key if value is None else f"{key}: {value}" for key, value, _ in parts["cols"]]
        if cluster:
            lines[0] = f"[{cluster}] {lines[0]}"
        texts[id(layer)] = lines
    width = max(len(line) for lines in texts.values() for line in lines) * 0.09 + 0.6
    height = max(len(lines) for lines in texts.values()) * 0.28 + 0.3
    n_rows, n_cols = len(rows), max(len(r) for r in rows.values())
    horizontal = rankdir in ("LR", "RL")
    gap_main, gap_side = (width + 0.8, height + 0.5) if horizontal else (height + 0.7,
                                                                         width + 0.5)
    pos = {}
    for d, members in rows.items():
        for i, layer in enumerate(members):
            side = (i - (len(members) - 1) / 2) * gap_side
            main = d * gap_main
            if rankdir == "BT":
                main = -main
            if rankdir == "RL":
                main = -main
            pos[id(layer)] = (main, -side) if horizontal else (side, -main)
    fig_w = (n_rows * gap_main if horizontal else n_cols * gap_side) + 0.5
    fig_h = (n_cols * gap_side if horizontal else n_rows * gap_main) + 0.5
    fig, ax = plt.subplots(figsize=(max(fig_w, 3), max(fig_h, 2)))
    for layer, _ in nodes:
        x, y = pos[id(layer)]
        lines = texts[id(layer)]
        h = len(lines) * 0.28 + 0.2
        ax.add_patch(FancyBboxPatch((x - width / 2, y - h / 2), width, h,
                                    boxstyle="round,pad=0.02", facecolor="white",
                                    edgecolor="black", linewidth=1.2))
        ax.add_patch(FancyBboxPatch((x - width / 2, y + h / 2 - 0.36), width, 0.36,
                                    boxstyle="round,pad=0.02", facecolor="black",
                                    edgecolor="black"))
        ax.text(x, y + h / 2 - 0.18, lines[0], ha="center", va="center", color="white",
                fontsize=9, fontweight="bold", family="sans-serif")
        for k, line in enumerate(lines[1:]):
            ax.text(x, y + h / 2 - 0.52 - 0.28 * k, line, ha="center", va="center",
                    fontsize=8, family="sans-serif")
    half_h = {id(n): (len(texts[id(n)]) * 0.28 + 0.2) / 2 for n, _ in nodes}
    for src, dst in edges:
        (x0, y0), (x1, y1) = pos[id(src)], pos[id(dst)]
        if horizontal:
            x0 += width / 2 * (1 if x1 > x0 else -1)
            x1 -= width / 2 * (1 if x1 > x0 else -1)
        else:
            y0 -= half_h[id(src)] * (1 if y1 < y0 else -1)
            y1 += half_h[id(dst)] * (1 if y1 < y0 else -1)
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops={"arrowstyle": "-|>", "lw": 1.5, "color": "black"})
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - width / 2 - 0.3, max(xs) + width / 2 + 0.3)
    ax.set_ylim(min(ys) - height - 0.2, max(ys) + height + 0.2)
    ax.set_aspect("equal")
    ax.axis("off")
    ext = os.path.splitext(to_file)[1][1:] or "png"
    fig.savefig(to_file, dpi=min(dpi, 150), bbox_inches="tight", format=ext)
    plt.close(fig)


def plot_model(model: Any, to_file: str = "model.png", show_shapes: bool = False,
               show_dtype: bool = False, show_layer_names: bool = False, rankdir: str = "TB",
               expand_nested: bool = False, dpi: int = 200,
               show_layer_activations: bool = False, show_trainable: bool = False,
               splines: str = "ortho", **kwargs: Any) -> Any:
    """Draw the model's graph into `to_file` (format from its extension, png by default).
    With pydot and Graphviz, Graphviz draws it (as Keras); otherwise matplotlib does.
    Returns an IPython Image in a notebook (as Keras), else None."""
    if not getattr(model, "built", True):
        raise ValueError(_NOT_BUILT)
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"rankdir must be one of 'TB', 'LR', 'BT', 'RL', got {rankdir!r}")
    _check_kwargs(kwargs)
    to_file = os.fspath(to_file)
    ext = os.path.splitext(to_file)[1][1:] or "png"
    options = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                   show_layer_names=show_layer_names,
                   show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    if check_graphviz():
        dot = model_to_dot(model, rankdir=rankdir, expand_nested=expand_nested, dpi=dpi,
                           splines=splines, **options)
        dot.write(to_file, format=ext)
    else:
        missing = "pydot (`pip install pydot`)" if _pydot() is None else \
            "Graphviz (https://graphviz.org/download/, e.g. `apt install graphviz`)"
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise ImportError(f"plot_model needs {missing} and Graphviz, or matplotlib "
                              "(`pip install matplotlib`) for minikeras' own drawing") from None
        warnings.warn(f"plot_model: {missing} is not installed, so minikeras draws the model "
                      "with matplotlib instead", stacklevel=2)
        draw_with_matplotlib(model, to_file, rankdir=rankdir, dpi=dpi,
                             expand_nested=expand_nested, **options)
    if ext != "pdf" and "IPython" in sys.modules:
        try:
            from IPython import display

            return display.Image(filename=to_file)
        except ImportError:
            pass
    return None
