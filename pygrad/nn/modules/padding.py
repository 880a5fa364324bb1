"""Padding layers over F.pad: constant, zero, reflection, replication and circular, for
1, 2 or 3 trailing dims."""
from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = [f"{kind}Pad{n}d" for kind in ("Constant", "Zero", "Reflection", "Replication",
                                         "Circular") for n in (1, 2, 3)]


class _Pad(Module):
    """Pads the last ``_n`` dims by ``padding`` (an int for every side, or 2·n ints
    (left, right, top, bottom, front, back))."""

    _n = 1
    _mode = "constant"

    def __init__(self, padding, value: float = 0.0):
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self._n)
        padding = tuple(int(p) for p in padding)
        if len(padding) != 2 * self._n:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple of "
                             f"{2 * self._n} ints, got {padding}")
        self.padding = padding
        self.value = value

    def forward(self, x):
        if self._mode == "constant":
            return F.pad(x, self.padding, "constant", self.value)
        return F.pad(x, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPad(_Pad):
    def __init__(self, padding, value: float):
        super().__init__(padding, value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPad(_Pad):
    def __init__(self, padding):
        super().__init__(padding, 0.0)


_BASES = {"Constant": (_ConstantPad, "constant"), "Zero": (_ZeroPad, "constant"),
          "Reflection": (_Pad, "reflect"), "Replication": (_Pad, "replicate"),
          "Circular": (_Pad, "circular")}

for _name in __all__:
    _base, _mode = _BASES[_name.split("Pad")[0]]
    _dims = int(_name[-2])
    globals()[_name] = type(_name, (_base,), {
        "_n": _dims, "_mode": _mode, "__module__": __name__, "__qualname__": _name,
        "__doc__": f"{_mode.capitalize()} padding of the last {_dims} dim(s) (F.pad with "
                   f"mode={_mode!r})."})
del _name, _base, _mode, _dims
