"""Parameter: a Tensor that a Module registers as trainable."""
from __future__ import annotations

from ..tensor import Tensor

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and is registered when assigned to a Module.

    ``Parameter(t)`` shares ``t``'s array (no copy), like torch.nn.Parameter.
    """

    __slots__ = ()

    def __new__(cls, data=None, requires_grad: bool = True):
        if data is None:
            from ..tensor import empty
            data = empty(0)
        elif not isinstance(data, Tensor):
            data = Tensor(data)
        p = cls._make(data._data, data.device)
        if requires_grad:
            p.requires_grad = True     # checks the dtype is floating
        return p

    def __init__(self, data=None, requires_grad: bool = True):
        pass    # everything is set in __new__; Tensor.__init__ must not run again

    def _set_array(self, t: Tensor) -> None:
        """Replace the array (and device) in place: used by Module.to, keeps identity."""
        self._data = t._data
        self.device = t.device

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()



class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute
    (``self.mask = Buffer(t, persistent=False)``), like torch.nn.Buffer. The module stores
    a plain Tensor sharing ``t``'s array."""

    __slots__ = ("persistent",)

    def __new__(cls, data=None, *, persistent: bool = True):
        if data is None:
            from ..tensor import empty
            data = empty(0)
        elif not isinstance(data, Tensor):
            data = Tensor(data)
        b = cls._make(data._data, data.device)
        b.persistent = persistent
        return b

    def __init__(self, data=None, *, persistent: bool = True):
        pass    # everything is set in __new__
