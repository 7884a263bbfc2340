"""``core.Size``: a tensor shape as PyTorch's ``torch.Size`` (a tuple of ints).

``Tensor.shape`` stays a plain tuple (cheaper); Size is accepted wherever a shape is.
"""

from __future__ import annotations

import math
import operator


class Size(tuple):
    """A tuple of ints printed as ``core.Size([2, 3])``; slices, + and * give Sizes."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        items = []
        for i, s in enumerate(sizes):
            try:
                items.append(operator.index(s))  # ints, numpy ints, one-element int tensors
            except TypeError:
                raise TypeError(
                    f"core.Size() takes an iterable of 'int' (item {i} is '{type(s).__name__}')"
                ) from None
        return super().__new__(cls, items)

    def __repr__(self) -> str:
        return f"core.Size([{', '.join(map(str, self))}])"

    __str__ = __repr__

    def numel(self) -> int:
        """The number of elements of a tensor of this shape."""
        return math.prod(self)

    def __getitem__(self, index):
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n):
        out = tuple.__mul__(self, n)
        return out if out is NotImplemented else Size(out)

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))
