"""`Functional`: a model defined by a graph of layer calls, `Model(inputs, outputs)`."""

from __future__ import annotations

import heapq
import warnings
from typing import Any

from minikeras.autodiff.masks import set_keras_mask
from minikeras.layers.core import InputLayer
from minikeras.layers.layer import KerasTensor, Layer, Node, flatten_structure, pack_like
from minikeras.models.input_rank import adjust_input_rank
from minikeras.models.model import Model
from minikeras.models.train_plan import plan_layer_stack


def _map_tensors(structure: Any, fn) -> Any:
    if isinstance(structure, KerasTensor):
        return fn(structure)
    if isinstance(structure, list):
        return [_map_tensors(s, fn) for s in structure]
    if isinstance(structure, tuple):
        return tuple(_map_tensors(s, fn) for s in structure)
    if isinstance(structure, dict):
        return {k: _map_tensors(v, fn) for k, v in structure.items()}
    return structure


class Functional(Model):
    def __init__(self, inputs: Any, outputs: Any, name: str | None = None,
                 trainable: bool = True, **kwargs: Any) -> None:
        super().__init__(name=name, trainable=trainable, **kwargs)
        if isinstance(inputs, dict):
            for k, v in inputs.items():
                if isinstance(v, KerasTensor) and v._history is not None and \
                        k != v._history[0].name:
                    # as Keras 3: the dict works by its keys, but names should match
                    warnings.warn(f"When providing `inputs` as a dict, all keys in the dict "
                                  f"must match the names of the corresponding tensors. "
                                  f"Received key '{k}' mapping to an input named "
                                  f"'{v._history[0].name}'. Change the tensor name to '{k}' "
                                  f"(via `Input(..., name='{k}')`)", stacklevel=2)
        flat_in = flatten_structure(inputs)
        flat_out = flatten_structure(outputs)
        for t in flat_in:
            if not isinstance(t, KerasTensor) or not isinstance(t._history[0], InputLayer):
                raise ValueError(f"Functional model inputs must come from keras.Input(...); "
                                 f"got {t!r}")
        for t in flat_out:
            if not isinstance(t, KerasTensor):
                raise ValueError(f"Functional model outputs must be symbolic tensors made by "
                                 f"calling layers; got {t!r}")
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self.inputs = flat_in
        self.outputs = flat_out
        self._nodes, ordered = self._map_graph(flat_in, flat_out)
        # keras.ops nodes (ops/symbolic.py) are in the graph and its config, but, as in
        # Keras 3, not in `model.layers`
        self._operations = ordered
        self._layers[:] = [x for x in ordered if not getattr(x, "_is_symbolic_op", False)]
        self.built = True

    @staticmethod
    def _map_graph(inputs: list, outputs: list) -> tuple[list[Node], list[Layer]]:
        """The graph's nodes in the order they run, and its layers in Keras 3's order.

        As keras/src/ops/function.py `map_graph`: a depth-first walk from the outputs gives
        each node a depth (its longest distance to an output; all nodes of a shared layer
        at least the layer's depth) and each layer the rank of its first visit. Layers are
        sorted by decreasing depth, then rank: that is `model.layers`, and so the order of
        `model.weights`. Nodes run deepest first, except that the nodes of one layer keep
        the order they were created in (the order saved configs refer to them by).
        """
        input_ids = {id(t) for t in inputs}
        order: list[Node] = []  # post-order of the walk: inputs before their users
        finished: set = set()
        layer_index: dict = {}
        for out in outputs:
            stack = [(out, False)]
            while stack:
                tensor, expanded = stack.pop()
                if tensor._history is None:
                    raise ValueError(f"Graph disconnected: the tensor {tensor!r} was not "
                                     "made by a layer")
                layer, node_index, _ = tensor._history
                node = layer._inbound_nodes[node_index]
                if expanded:
                    if id(node) not in finished:
                        finished.add(id(node))
                        order.append(node)
                    continue
                if id(node) in finished:
                    continue
                layer_index.setdefault(id(layer), len(layer_index))
                stack.append((tensor, True))
                if isinstance(layer, InputLayer):
                    if id(tensor) not in input_ids:
                        raise ValueError(f"Graph disconnected: cannot reach the input "
                                         f"{tensor.name!r}; it was not passed in `inputs`")
                    continue
                for t in reversed(node.input_tensors):
                    stack.append((t, False))

        def parents(node: Node) -> list:
            return [t._history[0]._inbound_nodes[t._history[1]] for t in node.input_tensors]

        in_graph = {id(n) for n in order}
        node_depth: dict = {}
        layer_depth: dict = {}
        for node in reversed(order):
            depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
            layer_depth[id(node.layer)] = depth
            node_depth[id(node)] = depth
            for parent in parents(node):
                if id(parent) in in_graph:
                    node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
        for t in inputs:  # an input that no output uses still belongs to the model
            node = t._history[0]._inbound_nodes[0]
            if id(node) not in in_graph:
                in_graph.add(id(node))
                order.append(node)
                node_depth[id(node)] = 0
                layer_depth[id(node.layer)] = 0
                layer_index[id(node.layer)] = -1
        layers: list[Layer] = []
        seen_layers: set = set()  # (a scan of `layers` made building quadratic)
        for node in order:
            if id(node.layer) not in seen_layers:
                seen_layers.add(id(node.layer))
                layers.append(node.layer)
        layers.sort(key=lambda x: (-layer_depth[id(x)], layer_index[id(x)]))
        rank = {id(x): i for i, x in enumerate(layers)}

        # Run order: a topological sort that prefers deeper nodes (then layer order), with
        # each layer's nodes in creation order (also a valid order: a node's ancestors are
        # always created before it).
        position = {id(n): i for i, n in enumerate(order)}
        waits: dict = {id(n): set() for n in order}
        for node in order:
            for parent in parents(node):
                if id(parent) in in_graph:
                    waits[id(node)].add(id(parent))
            own = [n for n in node.layer._inbound_nodes if id(n) in in_graph]
            k = next(i for i, n in enumerate(own) if n is node)
            if k:
                waits[id(node)].add(id(own[k - 1]))
        users: dict = {id(n): [] for n in order}
        for node in order:
            for pid in waits[id(node)]:
                users[pid].append(node)

        def key(n: Node) -> tuple:
            return (-node_depth[id(n)], rank[id(n.layer)], position[id(n)])

        ready = [(key(n), position[id(n)], n) for n in order if not waits[id(n)]]
        heapq.heapify(ready)
        nodes: list[Node] = []
        while ready:
            _, _, node = heapq.heappop(ready)
            nodes.append(node)
            for user in users[id(node)]:
                waits[id(user)].discard(id(node))
                if not waits[id(user)]:
                    heapq.heappush(ready, (key(user), position[id(user)], user))
        return nodes, layers

    @property
    def input_names(self) -> list[str]:
        return [t._history[0].name for t in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [t._history[0].name for t in self.outputs]

    @property
    def input(self) -> Any:
        return self._inputs_struct

    @property
    def output(self) -> Any:
        return self._outputs_struct

    @property
    def input_shape(self) -> Any:
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self) -> Any:
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _expected_input_shapes(self) -> list | None:
        return [t.shape for t in self.inputs]

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        if isinstance(inputs, dict):
            if isinstance(self._inputs_struct, dict) and set(self._inputs_struct) <= \
                    set(inputs):
                if len(inputs) > len(self._inputs_struct):  # extra keys are ignored
                    warnings.warn("The structure of `inputs` doesn't match the expected "
                                  f"structure. Expected: {sorted(self._inputs_struct)}. "
                                  f"Received: inputs={sorted(inputs)}; the extra keys are "
                                  "ignored", stacklevel=2)
                flat = flatten_structure({k: inputs[k] for k in self._inputs_struct})
            else:  # a dict by the Input layers' names (Keras 3 accepts both)
                missing = [n for n in self.input_names if n not in inputs]
                if missing:
                    raise ValueError(f"Model {self.name!r}: the inputs dict lacks the key(s) "
                                     f"{missing}; got keys {sorted(inputs)}")
                flat = [inputs[name] for name in self.input_names]
        else:
            flat = flatten_structure(inputs)
        if len(flat) != len(self.inputs):
            raise ValueError(f"Model {self.name!r} expects {len(self.inputs)} input(s), got "
                             f"{len(flat)}")
        flat = [adjust_input_rank(v, t.shape) for t, v in zip(self.inputs, flat)]
        if mask is not None:  # Keras 3: a mask given to the model goes onto its inputs
            for v, m in zip(flat, flatten_structure(mask) if isinstance(mask, (list, tuple))
                            else [mask]):
                if m is not None and hasattr(v, "value"):
                    set_keras_mask(v, m)
        for t, v in zip(self.inputs, flat):
            if v is None and not getattr(t._history[0], "optional", False):
                raise ValueError(f"The input '{t._history[0].name}' is not optional, but None "
                                 "was passed. Please provide a valid tensor.")
        values = {id(t): v for t, v in zip(self.inputs, flat)}
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            args = _map_tensors(node.args, lambda t: values[id(t)])
            kwargs = _map_tensors(node.kwargs, lambda t: values[id(t)])
            kwargs["training"] = training
            out = node.layer(*args, **kwargs)
            for t, v in zip(node.output_tensors, flatten_structure(out)):
                values[id(t)] = v
        outs = [values[id(t)] for t in self.outputs]
        return pack_like(self._outputs_struct, outs)

    def _make_train_plan(self) -> Any:
        """A plan (see `train_plan.plan_layer_stack`) when the graph is a plain chain."""
        layers = self._chain_layers()
        return None if layers is None else plan_layer_stack(self, layers)

    def _chain_layers(self) -> list | None:
        """The layers in call order when the graph is a plain chain: one input, one
        output, each layer called once on the previous layer's output; else None."""
        if len(self.inputs) != 1 or len(self.outputs) != 1 or \
                type(self).call is not Functional.call or type(self).__call__ is not \
                Layer.__call__:
            return None
        if len(self._operations) != len(self._layers):
            return None  # keras.ops nodes: called as the model's call runs them
        previous = self.inputs[0]
        layers: list = []
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            if node.kwargs or len(node.args) != 1 or node.args[0] is not previous or \
                    len(node.output_tensors) != 1 or any(node.layer is x for x in layers):
                return None
            layers.append(node.layer)
            previous = node.output_tensors[0]
        if previous is not self.outputs[0]:
            return None
        return layers

    def _maybe_build(self, input_shape: Any) -> None:
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> Any:
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _summary_rows(self) -> list:
        from minikeras.models.model import _format_params
        from minikeras.utils.summary_utils import format_shape

        rows = []
        for layer in self.layers:
            nodes = [n for n in self._nodes if n.layer is layer]
            if nodes:  # Keras shows the outputs of the layer's last call
                outs = layer._inbound_nodes[-1].output_tensors
                shape = format_shape([t.shape for t in outs] if len(outs) > 1
                                     else outs[0].shape)
            else:
                shape = "?"
            rows.append([f"{layer.name} ({type(layer).__name__})", shape,
                         _format_params(layer)])
        return rows

    def _summary_connected(self) -> bool:
        """Keras adds "Connected to" unless the graph is a chain: one input, one output,
        each node fed by at most one tensor, each layer called once."""
        if len(self.inputs) != 1 or len(self.outputs) != 1:
            return True
        seen: set = set()
        for node in self._nodes:
            if len(node.input_tensors) > 1 or id(node.layer) in seen:
                return True
            seen.add(id(node.layer))
        return False

    def _summary_connections(self, layer: Any) -> str:
        """"d1[0][0], d2[0][0]": the layer, node and tensor index of each input of each
        call of `layer` inside this model."""
        ids = {id(n) for n in self._nodes}
        parts = [f"{t._history[0].name}[{t._history[1]}][{t._history[2]}]"
                 for node in layer._inbound_nodes if id(node) in ids
                 for t in node.input_tensors]
        return ", ".join(parts) or "-"

    def get_config(self) -> dict:
        from minikeras.models.config_forms import functional_config

        return functional_config(self)

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Functional":
        from minikeras.models.config_forms import functional_from_config

        return functional_from_config(config, custom_objects)
