"""``Parameter``: a tensor that a Module registers as one of its learnable weights."""

from __future__ import annotations

from core.tensor import Tensor, _version_box


class Parameter(Tensor):
    """A leaf tensor that requires grad by default; assigning one to a Module attribute
    registers it, so it shows up in ``parameters()`` and ``state_dict()``."""

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            from core.factories import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Parameter(): data must be a Tensor, got {type(data).__name__}; "
                "wrap arrays with core.tensor(...)"
            )
        p = object.__new__(cls)
        p._data = data._data  # shares memory (and the version counter) with data
        p._device = data._device
        p._requires_grad = False
        p._grad_fn = None
        p._out_idx = 0
        p._grad = None
        p._vbox = _version_box(data)
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass  # all done in __new__; Tensor.__init__ must not run

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
