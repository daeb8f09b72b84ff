"""What SimpleRNNCell, LSTMCell and GRUCell share, and what SimpleRNN, LSTM and GRU share:
the arguments (initialisers, regularisers, constraints, dropout), the config, and the
layer's properties that read through to its cell."""

from __future__ import annotations

from typing import Any

import numpy as np

from minikeras import activations, constraints, initializers, regularizers
from minikeras.autodiff import primitives as P
from minikeras.layers.layer import Layer
from minikeras.layers.rnn.rnn import RNN, DropoutRNNCell, _ser
from minikeras.random import generator

# the arguments every built-in cell takes, with Keras 3's defaults
_CELL_ARGS = ("units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
              "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
              "bias_regularizer", "kernel_constraint", "recurrent_constraint",
              "bias_constraint", "dropout", "recurrent_dropout", "seed")


class BaseCell(Layer, DropoutRNNCell):
    """A built-in cell: weights `kernel` (input_dim, G·units), `recurrent_kernel`
    (units, G·units) and `bias`, with G gates (1 SimpleRNN, 4 LSTM, 3 GRU)."""

    gates = 1
    has_recurrent_activation = True

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: Any = None,
                 **kwargs: Any) -> None:
        if isinstance(units, float) and units.is_integer():
            units = int(units)
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"{type(self).__name__}: `units` must be a positive integer, got "
                             f"units={units!r}")
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = activations.get(activation)
        if self.has_recurrent_activation:
            self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        for name, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not isinstance(rate, (int, float, np.floating)) or isinstance(rate, bool):
                raise ValueError(f"{type(self).__name__}: `{name}` must be a number in [0, 1], "
                                 f"got {name}={rate!r}")
        self.dropout = min(1.0, max(0.0, float(dropout)))  # clipped, as Keras does
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self._rng = generator(seed) if seed is not None else None
        self._dropout_mask = None
        self._recurrent_dropout_mask = None
        self.state_size = self.units
        self.output_size = self.units
        self.bias = None

    def _bias_shape(self) -> tuple:
        return (self.gates * self.units,)

    def _bias_initializer(self) -> Any:
        return self.bias_initializer

    def build(self, input_shape: Any) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"{type(self).__name__} {self.name!r}: the last axis of the input "
                             f"must be known, got input shape {input_shape}")
        n = self.gates * self.units
        self.kernel = self.add_weight(shape=(input_dim, n), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=(self.units, n), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight(shape=self._bias_shape(), name="bias",
                                        initializer=self._bias_initializer(),
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def get_initial_state(self, batch_size: int | None = None) -> list:
        from minikeras.autodiff.tensor import Tensor

        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [Tensor(np.zeros((batch_size, s), dtype=self.dtype)) for s in sizes]

    def _step_inputs(self, inputs: Any, h: Any, training: bool) -> tuple:
        """The step's input and previous h with this call's dropout masks applied."""
        if training:
            dm = self.get_dropout_mask(inputs)
            if dm is not None:
                inputs = P.multiply(inputs, dm)
            rm = self.get_recurrent_dropout_mask(h)
            if rm is not None:
                h = P.multiply(h, rm)
        return inputs, h

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
        })
        if self.has_recurrent_activation:
            cfg["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        cfg.update({
            "use_bias": self.use_bias,
            "kernel_initializer": _ser(self.kernel_initializer),
            "recurrent_initializer": _ser(self.recurrent_initializer),
            "bias_initializer": _ser(self.bias_initializer),
            "kernel_regularizer": _ser(self.kernel_regularizer),
            "recurrent_regularizer": _ser(self.recurrent_regularizer),
            "bias_regularizer": _ser(self.bias_regularizer),
            "kernel_constraint": _ser(self.kernel_constraint),
            "recurrent_constraint": _ser(self.recurrent_constraint),
            "bias_constraint": _ser(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        })
        return cfg

    def _legacy_config(self, cfg: dict) -> dict:
        return {k: v for k, v in cfg.items() if not (k == "seed" and v is None)}


class BaseRNNLayer(RNN):
    """SimpleRNN, LSTM, GRU: an `RNN` around their cell, built from the same arguments;
    the cell's arguments read through as properties (`layer.units`, ...)."""

    cell_class: type = BaseCell
    cell_name = "cell"
    extra_cell_args: tuple = ()

    def __init__(self, units: int, *, activity_regularizer: Any = None,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, use_cudnn: Any = "auto",
                 **kwargs: Any) -> None:
        cell_args = {k: kwargs.pop(k) for k in list(kwargs)
                     if k in _CELL_ARGS + ("recurrent_activation",) + self.extra_cell_args}
        kwargs.pop("implementation", None)
        kwargs.pop("time_major", None)
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"Invalid value received for argument `use_cudnn`. Expected one "
                             f"of {{'auto', True, False}}. Received: use_cudnn={use_cudnn}")
        cell = self.cell_class(units, name=self.cell_name, dtype=kwargs.get("dtype"),
                               trainable=kwargs.get("trainable", True), **cell_args)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         zero_output_for_mask=zero_output_for_mask,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.use_cudnn = use_cudnn  # accepted (no GPU here)

    def __getattr__(self, name: str) -> Any:
        # units, activation, kernel_initializer, ... read through to the cell, as in Keras
        if name in _CELL_ARGS + ("recurrent_activation", "reset_after", "unit_forget_bias") \
                and "cell" in self.__dict__:
            return getattr(self.__dict__["cell"], name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def get_config(self) -> dict:
        cfg = Layer.get_config(self)
        cell_cfg = self.cell.get_config()
        for key in ("name", "trainable", "dtype", "batch_input_shape"):
            cell_cfg.pop(key, None)
        cfg.update(cell_cfg)
        cfg["activity_regularizer"] = _ser(self.activity_regularizer)
        cfg.update(self._rnn_config())
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "BaseRNNLayer":
        config = dict(config)
        config.pop("cell", None)
        return cls(**config)
