"""Module: the base class of every layer, with torch.nn.Module's bookkeeping."""
from __future__ import annotations

from collections import OrderedDict, namedtuple
from typing import Iterator

from ..parameter import Buffer, Parameter

__all__ = ["Module", "RemovableHandle"]

class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict returns: the keys it missed and the ones it did not expect."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class RemovableHandle:
    """Returned by the register_*_hook methods: ``handle.remove()`` unregisters the hook
    (also on leaving a ``with handle:`` block)."""

    _next_id = 0

    def __init__(self, hooks_dict, extra_dicts=()):
        self.hooks_dict_ref = hooks_dict
        self.extra_dicts = tuple(extra_dicts)
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        for d in (self.hooks_dict_ref,) + self.extra_dicts:
            d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _typename(value) -> str:
    t = type(value)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _check_name(name, kind, d, exists):
    """torch's checks on a name being registered: a non-empty str without '.', not already
    an attribute of another kind."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
    if "." in name:
        raise KeyError(f"{kind} name can't contain \".\", got: {name}")
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if exists:
        raise KeyError(f"attribute '{name}' already exists")


class Module:
    """Base class of layers and models.

    Assigning a Parameter, a Module or (to a registered buffer name) a Tensor to an attribute
    registers it (``self.fc = Linear(..)``), with torch's rules. Registered values also live in
    the instance ``__dict__``, so reading ``self.weight`` in ``forward`` is a plain attribute
    lookup.
    """

    training: bool

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments "
                            f"{args} {kwargs}")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_pre_hooks_with_kwargs"] = {}
        d["_forward_hooks"] = OrderedDict()
        d["_forward_hooks_with_kwargs"] = {}
        d["_forward_hooks_always_called"] = {}

    # ------------------------------------------------------------------ registration

    def __setattr__(self, name, value):
        from ...tensor import Tensor
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, keep="_parameters")     # a replaced one keeps its place
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                f"(pygrad.nn.Parameter or None expected)")
            self.register_parameter(name, value)
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, keep="_modules")
            modules[name] = value
            d[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                f"(pygrad.nn.Module or None expected)")
            modules[name] = None
            d[name] = None
            return
        buffers = d.get("_buffers")
        if isinstance(value, Buffer):
            self._forget(name, keep="_buffers")
            self.register_buffer(name, Tensor._make(value._data, value.device),
                                 value.persistent)
            return
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                f"(pygrad.Tensor or None expected)")
            buffers[name] = value
        d[name] = value

    def _forget(self, name, keep=None):
        """Unregister ``name`` from every table but ``keep``."""
        d = self.__dict__
        d.pop(name, None)
        for table in ("_parameters", "_buffers", "_modules"):
            if table != keep:
                d[table].pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)

    def __delattr__(self, name):
        d = self.__dict__
        if name in d.get("_parameters", ()) or name in d.get("_buffers", ()) or \
                name in d.get("_modules", ()):
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def _exists(self, name, table):
        return name in self.__dict__ and name not in self.__dict__[table] or \
            (name not in self.__dict__ and hasattr(type(self), name))

    def register_parameter(self, name: str, param) -> None:
        """Register ``param`` (a Parameter or None) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(name, "parameter", self.__dict__, self._exists(name, "_parameters"))
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            f"(pygrad.nn.Parameter or None required)")
        self._parameters[name] = param
        self.__dict__[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Register a tensor that is state but not a parameter (running statistics, masks).

        Persistent buffers are saved in state_dict; all move with ``to()``.
        """
        from ...tensor import Tensor
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(name, "buffer", self.__dict__, self._exists(name, "_buffers"))
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            f"(pygrad Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)
        self.__dict__[name] = tensor

    def add_module(self, name: str, module) -> None:
        """Register ``module`` (a Module or None) as a child under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        _check_name(name, "module", self.__dict__, self._exists(name, "_modules"))
        self._modules[name] = module
        self.__dict__[name] = module

    def register_module(self, name: str, module) -> None:
        """Alias of add_module."""
        self.add_module(name, module)

    def get_submodule(self, target: str):
        """The submodule at dotted path ``target`` ("" is this module)."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not isinstance(mod, Module) or item not in mod.__dict__:
                raise AttributeError(f"{type(mod).__name__} has no attribute `{item}`")
            mod = mod.__dict__[item]
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def _get_leaf(self, target, table, kind):
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod.__dict__:
            raise AttributeError(f"{type(mod).__name__} has no attribute `{name}`")
        if name not in mod.__dict__[table]:
            raise AttributeError(f"`{name}` is not {kind}")
        return mod.__dict__[table][name]

    def get_parameter(self, target: str):
        """The parameter at dotted path ``target`` ("layer.0.weight")."""
        return self._get_leaf(target, "_parameters", "an nn.Parameter")

    def get_buffer(self, target: str):
        """The buffer at dotted path ``target``."""
        return self._get_leaf(target, "_buffers", "a buffer")

    # ------------------------------------------------------------------ calling and hooks

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  f'"forward" function')

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        if not (d["_forward_pre_hooks"] or d["_forward_hooks"]):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args, kwargs):
        d = self.__dict__
        for hid, hook in list(d["_forward_pre_hooks"].items()):
            if hid in d["_forward_pre_hooks_with_kwargs"]:
                out = hook(self, args, kwargs)
                if out is not None:
                    if not (isinstance(out, tuple) and len(out) == 2):
                        raise RuntimeError(f"forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {out}.")
                    args, kwargs = out
            else:
                out = hook(self, args)
                if out is not None:
                    args = out if isinstance(out, tuple) else (out,)
        called = set()
        try:
            result = self.forward(*args, **kwargs)
            for hid, hook in list(d["_forward_hooks"].items()):
                called.add(hid)
                if hid in d["_forward_hooks_with_kwargs"]:
                    out = hook(self, args, kwargs, result)
                else:
                    out = hook(self, args, result)
                if out is not None:
                    result = out
        except Exception:
            for hid, hook in list(d["_forward_hooks"].items()):
                if hid in d["_forward_hooks_always_called"] and hid not in called:
                    try:
                        if hid in d["_forward_hooks_with_kwargs"]:
                            hook(self, args, kwargs, None)
                        else:
                            hook(self, args, None)
                    except Exception:
                        pass        # the original error is the one to report
            raise
        return result

    @staticmethod
    def _add_hook(table, hook, prepend, handle):
        table[handle.id] = hook
        if prepend:
            table.move_to_end(handle.id, last=False)

    def register_forward_pre_hook(self, hook, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """``hook(module, args)`` runs before forward and may return new args (a tuple, or
        one value); with ``with_kwargs`` it is ``hook(module, args, kwargs)`` returning None
        or (args, kwargs). Returns a handle whose ``remove()`` unregisters it."""
        d = self.__dict__
        handle = RemovableHandle(d["_forward_pre_hooks"], (d["_forward_pre_hooks_with_kwargs"],))
        self._add_hook(d["_forward_pre_hooks"], hook, prepend, handle)
        if with_kwargs:
            d["_forward_pre_hooks_with_kwargs"][handle.id] = True
        return handle

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """``hook(module, args, output)`` runs after forward and may return a new output;
        with ``with_kwargs`` it is ``hook(module, args, kwargs, output)``; ``always_call``
        runs it (with output None) even when forward raised."""
        d = self.__dict__
        handle = RemovableHandle(d["_forward_hooks"], (d["_forward_hooks_with_kwargs"],
                                                       d["_forward_hooks_always_called"]))
        self._add_hook(d["_forward_hooks"], hook, prepend, handle)
        if with_kwargs:
            d["_forward_hooks_with_kwargs"][handle.id] = True
        if always_call:
            d["_forward_hooks_always_called"][handle.id] = True
        return handle

    # ------------------------------------------------------------------ traversal

    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """(name, module) for this module and every descendant, depth first; a module
        reachable twice is listed once unless ``remove_duplicate=False``."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                           remove_duplicate)

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

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator:
        yield from self._named(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def _named(self, items, prefix, recurse, remove_duplicate):
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
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
            raise ValueError(f"training mode is expected to be boolean, got "
                             f"{type(mode).__name__}")
        self.__dict__["training"] = mode
        for m in self.children():       # through train(), so subclasses may override it
            m.train(mode)
        return self

    def eval(self):
        """Set evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True):
        """Set ``requires_grad`` on every parameter (freezing with False); returns self."""
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

    def half(self):
        """Cast floating parameters and buffers to float16."""
        return self.to(dtype="float16")

    def type(self, dst_type):
        """Cast floating parameters and buffers to ``dst_type``."""
        return self.to(dtype=dst_type)

    # ------------------------------------------------------------------ state

    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """OrderedDict of dotted name → tensor for every parameter and persistent buffer.

        The tensors share memory with the module (detached unless keep_vars=True).
        """
        out = OrderedDict() if destination is None else destination
        # a module reachable under two names is saved under both, as torch
        for mod_prefix, m in self.named_modules(prefix=prefix.rstrip("."),
                                                remove_duplicate=False):
            skip = m._non_persistent_buffers_set
            entries = list(m._parameters.items()) + \
                [(n, b) for n, b in m._buffers.items() if n not in skip]
            for name, v in entries:
                if v is not None:
                    key = f"{mod_prefix}.{name}" if mod_prefix else name
                    out[key] = v if keep_vars else v.detach()
        return out

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy tensors from ``state_dict`` into this module's parameters and buffers in place.

        Values are cast to each parameter's dtype and device. A shape mismatch is always an
        error; with ``strict`` missing and unexpected keys are too. The RuntimeError lists
        every problem, and nothing is copied unless every value is usable. Values may be
        pygrad Tensors (any device), NumPy or CuPy arrays, or torch CPU tensors. With
        ``assign`` the module takes the given tensors themselves (parameters keep their
        requires_grad). Returns (missing_keys, unexpected_keys).
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
        if assign:
            self._assign_state(state_dict, own)
        else:
            for k, target in own.items():
                if k in state_dict:
                    _copy_into(target, state_dict[k])
        return _IncompatibleKeys(missing, unexpected)

    def _assign_state(self, state_dict, own):
        from ...tensor import Tensor, as_tensor
        modules = dict(self.named_modules(remove_duplicate=False))     # prefix → module
        for k in own:
            if k not in state_dict:
                continue
            path, _, name = k.rpartition(".")
            m = modules.get(path)
            if m is None:
                continue
            value = state_dict[k]
            if type(value).__module__.startswith("torch"):
                value = value.detach().cpu().numpy()
            if not isinstance(value, Tensor):
                value = as_tensor(value)
            if name in m._parameters:
                old = m._parameters[name]
                p = value if isinstance(value, Parameter) else \
                    Parameter(value.detach(), requires_grad=old.requires_grad)
                m._parameters[name] = m.__dict__[name] = p
            else:
                m._buffers[name] = m.__dict__[name] = value

    # ------------------------------------------------------------------ repr

    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        # torch's layout: extra_repr lines, then one "(name): child" line per submodule
        lines = [ln for ln in self.extra_repr().split("\n")] if self.extra_repr() else []
        for name, m in self._modules.items():
            lines.append(f"({name}): " + repr(m).replace("\n", "\n  "))
        head = type(self).__name__ + "("
        if not lines:
            return head + ")"
        if len(lines) == 1 and not self._modules:
            return head + lines[0] + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()))


def _parse_to(args, kwargs):
    """(device or None, numpy dtype or None) from Module.to's flexible arguments."""
    import numpy as np
    from ...device import Device
    from ...tensor import Tensor
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)        # accepted as torch; copies here are synchronous
    if "tensor" in kwargs:
        args = args + (kwargs.pop("tensor"),)
    if kwargs:
        raise TypeError(f"to: unexpected keyword argument(s) {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):           # to(other): its device and dtype
            device = a.device
            dtype = a.dtype if a.dtype.kind == "f" else None
        elif isinstance(a, bool):           # to(..., non_blocking) given positionally
            continue
        elif isinstance(a, (Device, int)) or (isinstance(a, str) and
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
    """target._data[...] = value, cast to target's dtype and device, without a graph."""
    import numpy as np
    from ...tensor import Tensor
    src = value._data if isinstance(value, Tensor) else value
    xp = target.device.backend.xp
    if type(src).__module__.split(".", 1)[0] == "cupy":   # its .data is a device pointer
        if xp is np:
            src = src.get()
    elif type(src).__module__.startswith("torch"):
        src = src.detach().cpu().numpy()
    target._data[...] = xp.asarray(src, dtype=target.dtype)
