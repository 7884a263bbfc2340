"""Utilities for batches of variable-length sequences (as torch.nn.utils.rnn)."""

from __future__ import annotations

from core.factories import full
from core.ops import cat, stack
from core.tensor import Tensor

__all__ = ["pad_sequence"]


def pad_sequence(
    sequences,
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences of shapes (L_i, *) into (max L, B, *), or (B, max L, *) with
    batch_first, filling with padding_value after each sequence (before it with
    padding_side='left'). Differentiable: built from cat and stack."""
    if padding_side not in ("left", "right"):
        raise ValueError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    for i, s in enumerate(sequences):
        if not isinstance(s, Tensor):
            raise TypeError(
                f"pad_sequence: expected a sequence of Tensors, but item {i} is {type(s).__name__}"
            )
        if s.ndim == 0:
            raise RuntimeError(
                f"pad_sequence: sequence {i} is a 0-d tensor; each sequence needs a length "
                "dim (shape (L, *))"
            )
    trailing = sequences[0].shape[1:]
    for i, s in enumerate(sequences):
        if s.shape[1:] != trailing:
            raise RuntimeError(
                f"pad_sequence: every sequence must have the trailing shape {list(trailing)} "
                f"of sequence 0, but sequence {i} has shape {list(s.shape)}"
            )
    max_len = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        n = max_len - s.shape[0]
        if n:
            fill = full((n, *trailing), padding_value, dtype=s.dtype, device=s.device)
            s = cat([s, fill] if padding_side == "right" else [fill, s])
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)
