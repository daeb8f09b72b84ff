"""Attention layers (branch `attention`): Attention, AdditiveAttention, MultiHeadAttention."""

from minikeras.layers.attention.attention import AdditiveAttention, Attention
from minikeras.layers.attention.multi_head_attention import MultiHeadAttention

__all__ = ["AdditiveAttention", "Attention", "MultiHeadAttention"]
