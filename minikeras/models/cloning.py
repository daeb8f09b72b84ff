"""`keras.models.clone_model`: the same architecture with new layers (fresh weights), as
Keras 3 does it (keras/src/models/cloning.py).

- Sequential: every layer is cloned with `clone_function` (default
  `layer.__class__.from_config(layer.get_config())`), behind a new Input of the same shape.
- Functional: the graph is replayed on new Inputs (or on `input_tensors`), each layer
  cloned once (a shared layer stays shared), called through `call_function` if given.
- Any other model (subclassed): rebuilt from its config.
A compiled model's clone is compiled the same way (a fresh optimizer of the same config).
"""

from __future__ import annotations

from typing import Any

from minikeras.layers.core import Input, InputLayer
from minikeras.layers.layer import KerasTensor, flatten_structure, pack_like


def _default_clone(layer: Any) -> Any:
    return layer.__class__.from_config(layer.get_config())


def _wrap(clone_function: Any, call_function: Any, recursive: bool, cache: dict) -> Any:
    from minikeras.models.functional import Functional
    from minikeras.models.sequential import Sequential

    fn = clone_function or _default_clone
    if not callable(fn):
        raise ValueError(f"clone_model: `clone_function` must be callable, got "
                         f"clone_function={clone_function!r}")

    def wrapped(layer: Any) -> Any:
        if id(layer) in cache:
            return cache[id(layer)]
        if recursive and isinstance(layer, (Sequential, Functional)):
            clone = clone_model(layer, clone_function=clone_function,
                                call_function=call_function if isinstance(layer, Functional)
                                else None, recursive=True, cache=cache)
        else:
            clone = fn(layer)
        cache[id(layer)] = clone
        return clone

    return wrapped


def _copy_compile(model: Any, clone: Any) -> None:
    """Compile `clone` as `model` was: same loss/metrics/loss_weights, and a new optimizer
    built from the old one's config (so the two models never share optimizer state)."""
    if not getattr(model, "compiled", False):
        return
    cfg = dict(getattr(model, "_compile_config", None) or {})
    opt = model.optimizer
    if opt is not None and hasattr(opt, "get_config"):
        opt = type(opt).from_config(opt.get_config())

    def fresh(obj: Any) -> Any:
        """Stateful loss/metric objects are copied through their config."""
        if isinstance(obj, dict):
            return {k: fresh(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(fresh(v) for v in obj)
        if not isinstance(obj, type) and hasattr(obj, "get_config") and \
                hasattr(type(obj), "from_config"):
            try:
                return type(obj).from_config(obj.get_config())
            except (TypeError, ValueError, NotImplementedError):
                return obj
        return obj

    clone.compile(optimizer=opt, loss=fresh(cfg.get("loss", model.loss)),
                  metrics=fresh(cfg.get("metrics")), loss_weights=cfg.get("loss_weights"),
                  weighted_metrics=fresh(cfg.get("weighted_metrics")))


def _clone_sequential(model: Any, clone: Any, input_tensors: Any) -> Any:
    from minikeras.models.sequential import Sequential

    new_layers: list = [clone(layer) for layer in model.layers]
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError("clone_model: `input_tensors` must contain a single tensor "
                                 "for a Sequential model")
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, KerasTensor) or \
                not isinstance(input_tensors._history[0], InputLayer):
            raise ValueError(f"clone_model: `input_tensors` must be a KerasTensor made by "
                             f"keras.Input(...); got input_tensors={input_tensors!r}")
        new_layers = [input_tensors] + new_layers
    elif model._input_layer is not None:
        ref = model._input_layer
        new_layers = [Input(batch_shape=ref.batch_shape, dtype=ref.dtype,
                            name=ref.name)] + new_layers
    elif getattr(model, "_build_shape", None) is not None:
        new_layers = [Input(batch_shape=model._build_shape)] + new_layers
    return Sequential(new_layers, name=model.name, trainable=model.trainable)


def _clone_functional(model: Any, clone: Any, input_tensors: Any, call_function: Any) -> Any:
    from minikeras.models.functional import Functional

    if input_tensors is not None:
        flat_new = flatten_structure(input_tensors)
        if not all(isinstance(t, KerasTensor) for t in flat_new):
            raise ValueError(f"clone_model: all entries of `input_tensors` must be "
                             f"KerasTensors made by keras.Input(...); got {input_tensors!r}")
        if len(flat_new) != len(model.inputs):
            raise ValueError(f"clone_model: `input_tensors` must have the structure of "
                             f"model.input ({len(model.inputs)} tensors); got "
                             f"{len(flat_new)}")
        new_inputs = input_tensors
    else:
        flat_new = [Input(batch_shape=t.shape, dtype=t.dtype, name=t._history[0].name)
                    for t in model.inputs]
        new_inputs = pack_like(model._inputs_struct, flat_new) \
            if isinstance(model._inputs_struct, (list, tuple, dict)) else flat_new[0]
    values = {id(t): v for t, v in zip(model.inputs, flat_new)}

    def swap(structure: Any) -> Any:
        if isinstance(structure, KerasTensor):
            return values[id(structure)]
        if isinstance(structure, list):
            return [swap(s) for s in structure]
        if isinstance(structure, tuple):
            return tuple(swap(s) for s in structure)
        if isinstance(structure, dict):
            return {k: swap(v) for k, v in structure.items()}
        return structure

    for node in model._nodes:
        if isinstance(node.layer, InputLayer):
            continue
        args, kwargs = swap(node.args), swap(node.kwargs)
        # a keras.ops node is called again as it is (weightless; Keras clones layers only)
        layer = node.layer if getattr(node.layer, "_is_symbolic_op", False) else \
            clone(node.layer)
        out = call_function(layer, *args, **kwargs) if call_function is not None else \
            layer(*args, **kwargs)
        for t, v in zip(node.output_tensors, flatten_structure(out)):
            values[id(t)] = v
    outputs = pack_like(model._outputs_struct, [values[id(t)] for t in model.outputs]) \
        if isinstance(model._outputs_struct, (list, tuple, dict)) else \
        values[id(model.outputs[0])]
    cls = type(model) if type(model) is Functional else Functional
    return cls(inputs=new_inputs, outputs=outputs, name=model.name)


def clone_model(model: Any, input_tensors: Any = None, clone_function: Any = None,
                call_function: Any = None, recursive: bool = False, **kwargs: Any) -> Any:
    """A new model with the architecture of `model` and freshly initialised weights."""
    from minikeras.models.functional import Functional
    from minikeras.models.sequential import Sequential

    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(f"clone_model: unexpected keyword argument(s) {tuple(kwargs)}")
    cache = {} if cache is None else cache
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError("clone_model: `call_function` is not supported with Sequential "
                             "models (their layers are not called when the model is built); "
                             "use it with Functional models")
        clone = _clone_sequential(model, _wrap(clone_function, None, recursive, cache),
                                  input_tensors)
    elif isinstance(model, Functional):
        clone = _clone_functional(model, _wrap(clone_function, call_function, recursive,
                                               cache), input_tensors, call_function)
    else:
        if clone_function is not None or input_tensors is not None:
            raise ValueError(f"clone_model: `clone_function` and `input_tensors` are only "
                             f"supported for Sequential and Functional models; got a model "
                             f"of type {type(model).__name__!r}")
        if call_function is not None:
            raise ValueError(f"clone_model: `call_function` is only supported for "
                             f"Functional models; got a model of type "
                             f"{type(model).__name__!r}")
        try:
            clone = type(model).from_config(model.get_config())
        except (TypeError, NotImplementedError) as e:
            raise ValueError(f"clone_model: cannot rebuild {type(model).__name__!r} from its "
                             f"config ({e}); give the subclass get_config/from_config") from e
    _copy_compile(model, clone)
    return clone
