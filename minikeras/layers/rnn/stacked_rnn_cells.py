"""StackedRNNCells: several cells run one after the other within each timestep."""

from __future__ import annotations

from typing import Any

from minikeras.layers.layer import Layer
from minikeras.layers.rnn.rnn import _as_list, _ser


class StackedRNNCells(Layer):
    """Keras 3's StackedRNNCells(cells): the output of cell k is the input of cell k+1;
    states are one list per cell; the output is the last cell's."""

    def __init__(self, cells: list, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for cell in cells:
            if "call" not in dir(cell) or not hasattr(cell, "state_size"):
                raise ValueError("All cells must have a `call` method and a `state_size` "
                                 f"attribute. Received cell without them: {cell!r}")
        self.cells = list(cells)

    @property
    def state_size(self) -> list:
        return [c.state_size for c in self.cells]

    @property
    def output_size(self) -> int:
        last = self.cells[-1]
        size = getattr(last, "output_size", None)
        if size is None:
            size = _as_list(last.state_size)[0]
        return size

    def get_initial_state(self, batch_size: int | None = None) -> list:
        out: list = []
        for cell in self.cells:
            out.extend(cell.get_initial_state(batch_size=batch_size))
        return out

    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._maybe_build(shape)
                cell.built = True
            size = getattr(cell, "output_size", None) or _as_list(cell.state_size)[0]
            shape = shape[:-1] + (size,)
        self.built = True

    def call(self, inputs: Any, states: list, training: bool = False) -> tuple:
        new_states = []
        for cell, s in zip(self.cells, states):
            single = not isinstance(s, (list, tuple))
            kwargs = {"training": training} if getattr(cell, "_call_has_training", False) \
                else {}
            inputs, s_new = cell(inputs, [s] if single else list(s), **kwargs)
            s_new = _as_list(s_new)
            new_states.append(s_new[0] if single else s_new)
        return inputs, new_states

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["cells"] = [_ser(c) for c in self.cells]
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "StackedRNNCells":
        from minikeras.layers import deserialize

        config = dict(config)
        cells = [deserialize(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
