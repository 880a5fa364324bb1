"""Containers: Sequential, ModuleList, ModuleDict, ParameterList and ParameterDict."""
from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Mapping

from ..parameter import Parameter
from .module import Module

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _index(idx, n, what):
    """A non-negative position from an int index (negative counts from the end)."""
    idx = operator.index(idx)
    if not -n <= idx < n:
        raise IndexError(f"{what}: index {idx} is out of range for {n} entries")
    return idx % n


class _Indexed(Module):
    """Shared by Sequential and ModuleList: children named "0", "1", … in order."""

    def _reset(self, modules) -> None:
        """Re-register ``modules`` as children "0".."n−1" (after a delete or an insert)."""
        for name in list(self._modules):
            self._forget(name)
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]

    def _key(self, idx):
        return list(self._modules)[_index(idx, len(self), type(self).__name__)]

    def __setitem__(self, idx, module) -> None:
        setattr(self, self._key(idx), module)

    def __delitem__(self, idx) -> None:
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            del mods[idx]
        else:
            del mods[_index(idx, len(mods), type(self).__name__)]
        self._reset(mods)

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index: int, module) -> None:
        """Insert ``module`` before position ``index``."""
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: Module, got {type(module).__name__}")
        mods = list(self._modules.values())
        n = len(mods)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        mods.insert(index + n if index < 0 else index, module)
        self._reset(mods)

    def extend(self, modules):
        """Append every module of ``modules``; returns self."""
        for m in modules:
            self.append(m)
        return self

    def pop(self, key):
        """Remove and return the module at position ``key``."""
        m = self[key]
        del self[key]
        return m


class Sequential(_Indexed):
    """Applies its modules in order: ``Sequential(a, b, c)`` or ``Sequential(OrderedDict)``.

    Indexable (``seq[0]``, ``seq[-1]``, a slice is a Sequential keeping the names),
    assignable, deletable, ``append`` / ``insert`` / ``extend`` / ``pop``, ``+``, ``len``.
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                if not isinstance(m, Module):
                    raise TypeError(f"Sequential: argument {i} expected a Module, got "
                                    f"{type(m).__name__}")
                self.add_module(str(i), m)

    def forward(self, input):  # noqa: A002 - torch's name
        for m in self._modules.values():
            input = m(input)
        return input

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return self._modules[self._key(idx)]

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but "
                             f"{type(other).__name__} is given.")
        out = Sequential()
        for m in list(self) + list(other):
            out.append(m)
        return out

    def __iadd__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but "
                             f"{type(other).__name__} is given.")
        return self.extend(list(other))

    def append(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: expected a Module, got "
                            f"{type(module).__name__}")
        return super().append(module)


class ModuleList(_Indexed):
    """A list of modules, registered so their parameters are found; indexing, slicing (a
    ModuleList), assignment, deletion, ``append`` / ``insert`` / ``extend`` / ``pop``, ``+=``."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[self._key(idx)]

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList(list(self) + list(other))

    def __repr__(self):
        # torch's: runs of equal reprs are shown once, "(0-2): 3 x Linear(...)"
        if not self._modules:
            return "ModuleList()"
        reprs = [repr(m) for m in self]
        lines, i = [], 0
        while i < len(reprs):
            j = i
            while j + 1 < len(reprs) and reprs[j + 1] == reprs[i]:
                j += 1
            body = reprs[i].replace("\n", "\n  ")
            lines.append(f"({i}): {body}" if i == j else f"({i}-{j}): {j - i + 1} x {body}")
            i = j + 1
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """An ordered dict of modules, registered under their keys."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str):
        return self._modules[key]

    def __setitem__(self, key: str, module) -> None:
        self.add_module(key, module) if key not in self._modules else setattr(self, key, module)

    def __delitem__(self, key: str) -> None:
        self._forget(key)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def clear(self) -> None:
        for k in list(self._modules):
            self._forget(k)

    def pop(self, key: str):
        m = self[key]
        del self[key]
        return m

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules) -> None:
        """Add (key, module) pairs from a mapping or an iterable of pairs."""
        if isinstance(modules, Mapping):
            pairs = modules.items()
        else:
            pairs = []
            for j, kv in enumerate(modules):
                if not isinstance(kv, (tuple, list)) or len(kv) != 2:
                    raise ValueError(f"ModuleDict update sequence element #{j} should be an "
                                     f"iterable of length 2")
                pairs.append(kv)
        for k, m in pairs:
            self[k] = m


def _as_parameter(value):
    from ...tensor import Tensor
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _param_line(key, p):
    from ...tensor import Tensor
    if isinstance(p, Tensor):
        size = "x".join(str(s) for s in p.shape)
        kind = "Parameter containing" if isinstance(p, Parameter) else "Tensor"
        dev = "" if p.device.type == "cpu" else f" ({p.device})"
        return f"({key}): {kind}: [pygrad.{p.dtype} of size {size}{dev}]"
    return f"({key}): Object of type: {type(p).__name__}"


class ParameterList(Module):
    """A list of parameters, registered as "0", "1", …; tensors appended become Parameters."""

    def __init__(self, values=None):
        super().__init__()
        self.__dict__["_size"] = 0
        if values is not None:
            self.extend(values)

    def __len__(self) -> int:
        return self._size

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)([self[i] for i in range(len(self))[idx]])
        return getattr(self, str(_index(idx, len(self), "ParameterList")))

    def __setitem__(self, idx, value) -> None:
        idx = _index(idx, len(self), "ParameterList")
        setattr(self, str(idx), _as_parameter(value))

    def append(self, value):
        """Add ``value`` (a tensor becomes a Parameter) at the end; returns self."""
        n = len(self)
        self.__dict__["_size"] = n + 1
        setattr(self, str(n), _as_parameter(value))
        return self

    def extend(self, values):
        for v in values:
            self.append(v)
        return self

    def __iadd__(self, values):
        return self.extend(values)

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]

    def extra_repr(self) -> str:
        return "\n".join(_param_line(i, p) for i, p in enumerate(self))

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """An ordered dict of parameters registered under their keys; tensors become
    Parameters."""

    def __init__(self, parameters=None):
        super().__init__()
        self.__dict__["_keys"] = {}
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str):
        return getattr(self, key)

    def __setitem__(self, key: str, value) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: keys must be str, got {type(key).__name__}")
        self._keys[key] = None
        setattr(self, key, _as_parameter(value))

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __contains__(self, key) -> bool:
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def pop(self, key: str):
        v = self[key]
        del self[key]
        return v

    def clear(self) -> None:
        for k in list(self._keys):
            del self[k]

    def update(self, parameters) -> None:
        """Add (key, parameter) pairs from a mapping or an iterable of pairs."""
        pairs = parameters.items() if isinstance(parameters, (Mapping, ParameterDict)) \
            else parameters
        for kv in pairs:
            k, v = kv
            self[k] = v

    def extra_repr(self) -> str:
        return "\n".join(_param_line(k, v) for k, v in self.items())

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterDict should not be called.")
