"""`model.summary()` laid out as Keras 3 prints it.

Keras 3 (keras/src/utils/summary_utils.py) builds a `rich` table; we reproduce its layout
without `rich`: the line length (88 for sequential-like models, 108 with a "Connected to"
column, at most the terminal width minus 4), the column positions, rich's shrinking of fixed
columns to fit, word wrapping inside a cell (a word too long for its cell is cut with "…"),
the heavy-head box, thousands separators, and the totals, where "Total params" includes the
optimizer's variables once it is built. Lines longer than the terminal are cut at its width,
as rich's console does. No colours (Keras prints none when writing to a print_fn or a file).
"""

from __future__ import annotations

import re
import shutil
from typing import Any

import numpy as np

_WORD = re.compile(r"\s*\S+\s*")


def _ratio_reduce(total: int, ratios: list, maximums: list, values: list) -> list:
    """rich's `ratio_reduce`: take `total` away from `values` in proportion to `ratios`."""
    ratios = [r if m else 0 for r, m in zip(ratios, maximums)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return list(values)
    remaining = total
    out = []
    for ratio, maximum, value in zip(ratios, maximums, values):
        if ratio and total_ratio > 0:
            d = min(maximum, round(ratio * remaining / total_ratio))
            out.append(value - d)
            remaining -= d
            total_ratio -= ratio
        else:
            out.append(value)
    return out


def _ratio_distribute(total: int, ratios: list) -> list:
    """rich's `ratio_distribute` (no minimums): split `total` in proportion to `ratios`."""
    total_ratio = sum(ratios)
    remaining = total
    out = []
    for ratio in ratios:
        d = -(-ratio * remaining // total_ratio) if total_ratio > 0 else remaining
        out.append(d)
        total_ratio -= ratio
        remaining -= d
    return out


def column_widths(line_length: int, positions: list) -> list:
    """Each column's width including its padding (one space on each side)."""
    widths, current = [], 0
    for pos in positions:
        pos = pos if pos > 1 else pos * line_length
        width = int(pos) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(width)
        current += width
    widths = [w + 2 for w in widths]  # rich adds the padding to a fixed width
    max_width = line_length - (len(widths) + 1)  # the vertical borders
    table = sum(widths)
    if table > max_width:
        widths = _ratio_reduce(table - max_width, [1] * len(widths), widths, widths)
    elif table < max_width:  # a table with a width expands to it
        widths = [w + p for w, p in zip(widths, _ratio_distribute(max_width - table, widths))]
    return widths


def wrap_cell(text: str, width: int) -> list[str]:
    """rich's word wrap without folding: a word longer than the cell gets a line of its
    own, cut to `width - 1` characters and "…"."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        breaks, offset = [], 0
        for m in _WORD.finditer(paragraph):
            start, word = m.start(), m.group(0)
            length = len(word.rstrip())
            if width - offset >= length:
                offset += len(word)
            elif length > width:
                if start:
                    breaks.append(start)
                offset = len(word)
            elif offset and start:
                breaks.append(start)
                offset = len(word)
        pieces = [paragraph[a:b] for a, b in zip([0] + breaks, breaks + [len(paragraph)])]
        for piece in pieces:
            if len(piece) > width:  # trailing spaces beyond the width go first
                piece = piece[:width] if not piece[width:].strip() else piece
            if len(piece) > width:
                piece = piece[:width - 1] + "\u2026"
            lines.append(piece)
    return lines


def render_table(header: list, rows: list, widths: list, align: list) -> list[str]:
    """The table's lines in rich's HEAVY_HEAD box, with a rule between rows."""

    def render_row(cells: list, edge: str, sep: str) -> list[str]:
        wrapped = []
        for cell, width, how in zip(cells, widths, align):
            inner = width - 2
            lines = wrap_cell(str(cell), inner)
            if how == "right":
                lines = [ln.rstrip().rjust(inner) for ln in lines]
            elif how == "center":  # rich puts the odd space on the right
                lines = [" " * ((inner - len(ln.rstrip())) // 2) + ln.rstrip() for ln in lines]
                lines = [ln.ljust(inner) for ln in lines]
            else:
                lines = [ln.ljust(inner)[:inner] for ln in lines]
            wrapped.append(lines)
        height = max(len(c) for c in wrapped)
        out = []
        for i in range(height):
            parts = [" " + (c[i] if i < len(c) else " " * (w - 2)) + " "
                     for c, w in zip(wrapped, widths)]
            out.append(edge + sep.join(parts) + edge)
        return out

    def rule(left: str, mid: str, right: str, ch: str) -> str:
        return left + mid.join(ch * w for w in widths) + right

    lines = [rule("\u250f", "\u2533", "\u2513", "\u2501")]
    lines += render_row(header, "\u2503", "\u2503")
    lines.append(rule("\u2521", "\u2547", "\u2529", "\u2501"))
    for i, row in enumerate(rows):
        if i:
            lines.append(rule("\u251c", "\u253c", "\u2524", "\u2500"))
        lines += render_row(row, "\u2502", "\u2502")
    lines.append(rule("\u2514", "\u2534", "\u2518", "\u2500"))
    return lines


def readable_memory_size(n_bytes: float) -> str:
    """Keras' unit choice: B, KB, MB, ... in steps of 1024, two decimals."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n_bytes / 1024 < 1:
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.2f} PB"


def _itemsize(v: Any) -> int:
    size = np.dtype(getattr(v, "dtype", "float32")).itemsize
    # Keras 3 on JAX (32-bit unless x64 is enabled) holds integer counters such as the
    # optimizer's iteration count in int32: 4 bytes in the summary's memory figures
    return min(size, 4) if np.dtype(getattr(v, "dtype", "float32")).kind in "iu" else size


def _count_and_bytes(variables: list) -> tuple[int, int]:
    unique = {id(v): v for v in variables}.values()
    count = sum(int(np.prod(v.shape)) for v in unique)
    size = sum(int(np.prod(v.shape)) * _itemsize(v) for v in unique)
    return count, size


def format_shape(shape: Any) -> str:
    """"(None, 5)" as Keras writes it (a 1-tuple has no trailing comma: "(None)")."""
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(format_shape(s) for s in shape) + "]"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def print_summary(model: Any, rows: list, connected: bool, line_length: int | None = None,
                  positions: Any = None, print_fn: Any = None,
                  show_trainable: bool = False) -> None:
    """Print (or pass to `print_fn`, once, as Keras 3 does) the summary of `model`.

    `rows`: per layer [name (class), output shape, params, (connections)]; `connected`:
    whether the model is not sequential-like (adds the "Connected to" column)."""
    if connected:
        default_length, default_positions = 108, [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        align = ["left", "left", "right", "left"]
    else:
        default_length, default_positions = 88, [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
        align = ["left", "left", "right"]
    positions = list(positions or default_positions)
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        align.append("center")
    terminal = shutil.get_terminal_size().columns
    line_length = line_length or min(default_length, terminal - 4)
    widths = column_widths(line_length, positions)
    lines = [f'Model: "{model.name}"']
    lines += render_table(header, rows, widths, align)
    trainable, t_bytes = _count_and_bytes(model.trainable_weights)
    frozen, f_bytes = _count_and_bytes(model.non_trainable_weights)
    opt = getattr(model, "optimizer", None) if getattr(model, "compiled", False) else None
    opt_built = opt is not None and getattr(opt, "built", False)
    o_count, o_bytes = _count_and_bytes(opt.variables) if opt_built else (0, 0)
    lines.append(f" Total params: {trainable + frozen + o_count:,} "
                 f"({readable_memory_size(t_bytes + f_bytes + o_bytes)})")
    lines.append(f" Trainable params: {trainable:,} ({readable_memory_size(t_bytes)})")
    lines.append(f" Non-trainable params: {frozen:,} ({readable_memory_size(f_bytes)})")
    if opt_built:
        lines.append(f" Optimizer params: {o_count:,} ({readable_memory_size(o_bytes)})")
    lines = [line[:terminal] for line in lines]  # the console's width cuts longer lines
    text = "\n".join(lines) + "\n"
    if print_fn is None:
        print(text, end="")
    else:
        print_fn(text)
