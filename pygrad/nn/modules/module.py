"""Module: the base class of every layer, with torch.nn.Module's bookkeeping."""
from __future__ import annotations

from collections import OrderedDict, namedtuple
from typing import Iterator

from ..parameter import Parameter

__all__ = ["Module"]

_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of layers and models.

    Assigning a Parameter or a Module to an attribute registers it (``self.fc = Linear(..)``).
    Registered values also live in the instance ``__dict__``, so reading ``self.weight`` in
    ``forward`` is a plain attribute lookup.
    """

    training: bool

    def __init__(self):
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_modules"] = OrderedDict()

    # ------------------------------------------------------------------ registration

    def __setattr__(self, name, value):
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before "
                                 f"assigning attribute {name!r}")
        params, buffers, modules = d["_parameters"], d["_buffers"], d["_modules"]
        if isinstance(value, Parameter):
            buffers.pop(name, None)
            modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            buffers.pop(name, None)
            modules[name] = value
        elif name in buffers:
            buffers[name] = value
        elif name in params or name in modules:
            if value is not None:
                kind = "parameter" if name in params else "submodule"
                raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} "
                                f"to {kind} {name!r} (expected a "
                                f"{'Parameter' if kind == 'parameter' else 'Module'} or None)")
            (params if name in params else modules)[name] = None
        d[name] = value

    def __delattr__(self, name):
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param) -> None:
        """Register ``param`` (a Parameter or None) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} expected a Parameter or None, "
                            f"got {type(param).__name__}")
        self._parameters[name] = param
        self.__dict__[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Register a non-trainable tensor (saved in state_dict when persistent)."""
        self._buffers[name] = tensor
        if not persistent:
            self.__dict__.setdefault("_non_persistent", set()).add(name)
        self.__dict__[name] = tensor

    def add_module(self, name: str, module) -> None:
        """Register ``module`` (a Module or None) as a child under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} expected a Module, got {type(module).__name__}")
        self._modules[name] = module
        self.__dict__[name] = module

    # ------------------------------------------------------------------ calling

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ traversal

    def named_modules(self, memo=None, prefix: str = "") -> Iterator:
        """(name, module) for this module and every descendant, each once, depth first."""
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator:
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator:
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator:
        """(dotted name, Parameter) pairs; a shared parameter is listed once."""
        yield from self._named(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator:
        yield from self._named(lambda m: m._buffers.items(), prefix, recurse, True)

    def buffers(self, recurse: bool = True) -> Iterator:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def _named(self, items, prefix, recurse, remove_duplicate):
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        seen = set()
        for mod_prefix, m in mods:
            for name, v in items(m):
                if v is None or (remove_duplicate and id(v) in seen):
                    continue
                seen.add(id(v))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), v

    def apply(self, fn):
        """Call ``fn(m)`` on every submodule (children first) and on self; returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and devices

    def train(self, mode: bool = True):
        """Set training mode (Dropout active) on this module and all descendants."""
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode expected a bool, got {type(mode).__name__}")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self):
        """Set evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of all parameters (None, or zeros when set_to_none=False)."""
        from ...optim.optimizer import clear_grad
        for p in self.parameters():
            clear_grad(p, set_to_none)

    def to(self, *args, **kwargs):
        """Move parameters and buffers to a device and/or cast floating ones to a dtype.

        ``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or keywords. Parameters keep
        their identity (their arrays are replaced), so optimizers built before stay valid.
        """
        from ...autograd import no_grad
        device, dtype = _parse_to(args, kwargs)

        def convert(t):
            want_dtype = dtype if dtype is not None and t.dtype.kind == "f" else None
            return t.to(device=device, dtype=want_dtype) if (device or want_dtype) else t

        with no_grad():     # moving data is not an op to differentiate
            for m in self.modules():
                for p in m._parameters.values():
                    if p is not None:
                        p._set_array(convert(p))
                        if p.grad is not None:
                            p.grad = convert(p.grad)
                for name, b in list(m._buffers.items()):
                    if b is not None:
                        m._buffers[name] = m.__dict__[name] = convert(b)
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else f"cuda:{int(device)}"
                       if isinstance(device, int) else device)

    def float(self):
        return self.to(dtype="float32")

    def double(self):
        return self.to(dtype="float64")

    # ------------------------------------------------------------------ state

    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """OrderedDict of dotted name → tensor for every parameter and persistent buffer.

        The tensors share memory with the module (detached unless keep_vars=True).
        """
        out = OrderedDict() if destination is None else destination
        for mod_prefix, m in self.named_modules(prefix=prefix.rstrip(".")):
            skip = m.__dict__.get("_non_persistent", ())
            entries = list(m._parameters.items()) + \
                [(n, b) for n, b in m._buffers.items() if n not in skip]
            for name, v in entries:
                if v is not None:
                    key = f"{mod_prefix}.{name}" if mod_prefix else name
                    out[key] = v if keep_vars else v.detach()
        return out

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy tensors from ``state_dict`` into this module's parameters and buffers in place.

        Values are cast to each parameter's dtype and device. A shape mismatch is always an
        error; with ``strict`` missing and unexpected keys are too. The RuntimeError lists
        every problem, and nothing is copied unless every value is usable. Values may be
        pygrad Tensors (any device), NumPy or CuPy arrays, or torch CPU tensors.
        """
        from collections.abc import Mapping
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        for k, target in own.items():
            if k not in state_dict:
                continue
            value = state_dict[k]
            problem = _not_an_array(value)
            if problem:
                errors.append(f'While copying the parameter named "{k}", expected a Tensor or '
                              f"an array from checkpoint but received {problem}")
                continue
            shape = tuple(value.shape)
            if shape != tuple(target.shape):
                errors.append(f"size mismatch for {k}: copying a param with shape {shape} from "
                              f"checkpoint, the shape in current model is {tuple(target.shape)}")
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ".")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        for k, target in own.items():
            if k in state_dict:
                _copy_into(target, state_dict[k])
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ repr

    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        lines = []
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()))


def _parse_to(args, kwargs):
    """(device or None, numpy dtype or None) from Module.to's flexible arguments."""
    import numpy as np
    from ...device import Device
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    if kwargs:
        raise TypeError(f"to: unexpected keyword argument(s) {sorted(kwargs)}")
    for a in args:
        if isinstance(a, (Device, int)) or (isinstance(a, str) and
                                           a.split(":")[0].lower() in ("cpu", "cuda", "gpu")):
            device = a
        elif a is not None:
            dtype = a
    if device is not None:
        device = Device(device)
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"to: dtype must be a floating dtype for a module, got {dtype}")
    return device, dtype


def _not_an_array(value) -> str:
    """'' when ``value`` can be copied into a parameter, else what it is."""
    from ...tensor import Tensor
    if isinstance(value, Tensor):
        return ""
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    if not hasattr(value, "shape") or not hasattr(value, "dtype"):
        return f"{type(value)}"
    if kind is not None and kind not in "biuf":
        return f"an array of dtype {value.dtype}"
    return ""


def _copy_into(target, value):
    """target.data[...] = value, cast to target's dtype and device, without a graph."""
    import numpy as np
    from ...tensor import Tensor
    src = value.data if isinstance(value, Tensor) else value
    xp = target.device.backend.xp
    if type(src).__module__.split(".", 1)[0] == "cupy":   # its .data is a device pointer
        if xp is np:
            src = src.get()
    elif type(src).__module__.startswith("torch"):
        src = src.detach().cpu().numpy()
    target.data[...] = xp.asarray(src, dtype=target.dtype)
