"""Keras 3 Operation classes of `keras.ops` functions that take their tensors as variadic
arguments, which the generated table (`op_classes.py`) cannot describe (branch `attention`).

Same tuple layout as `OP_CLASSES`; `VARIADIC` names the variadic parameter: the node's
arguments are the operands, the constructor arguments (`init`) come first in the call.
Keras 3: `Einsum(subscripts)`, called as `Einsum(subscripts)(*operands)`.
"""

EXTRA_OP_CLASSES = {
    "einsum": ("numpy", "Einsum", ("subscripts", "operands"), ("operands",),
               {"subscripts": "subscripts"}, {}),
}
VARIADIC = {"einsum": "operands"}
