"""Optimizer: parameter groups, per-parameter state, state_dict — the update is a kernel.

SGD, Adagrad, RMSprop and Adam/AdamW make one backend call per parameter
(``p.device.backend.<name>_step`` on the raw arrays, updating them in place), or one call per
group and device when the backend offers a multi-tensor ``<name>_step_multi`` (the CUDA
backend, and the cpu one for Adam). Those formulas live in the backends;
``pygrad.backend.reference`` is the readable version. Adamax, NAdam, RAdam and Adadelta are
written as array code in their modules, with ``xp`` (NumPy or CuPy) from the parameter's
device, so they run on both without a kernel of their own.

State values are arrays (Tensors in ``state_dict()``) and Python numbers ("step"); torch's
keyword-only options are accepted with torch's defaults, ``foreach``/``fused`` as speed hints.
An optimizer written for torch (a subclass with its own ``step`` using Tensor ops on
``self.state[p]``) works as well.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import numpy as np

from ..autograd import enable_grad
from ..tensor import Tensor

__all__ = ["Optimizer", "clear_grad"]


def clear_grad(p, set_to_none: bool = True) -> None:
    """Drop ``p.grad`` (set_to_none) or replace it with zeros (never written in place)."""
    if set_to_none or p.grad is None:
        p.grad = None
    else:
        p.grad = Tensor._make(p.device.backend.xp.zeros_like(p.grad._data), p.device)


class Optimizer:
    """Base class: ``params`` is an iterable of tensors, of (name, tensor) pairs (as
    ``named_parameters()`` gives them) or of dicts (parameter groups, each with "params" and
    any hyperparameters overriding ``defaults``)."""

    # per-parameter state entries that are Python numbers, not arrays
    _scalar_state = ("step",)
    # the checks of _check_group: hyperparameters that must be >= 0 (lr always is), and
    # whether "betas" is a pair in [0, 1) (not applied to optimizers written outside pygrad)
    _nonnegative: tuple = ()
    _betas = False

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        # as torch's: self.state[p] is {} for a parameter without state yet (the idiom of
        # optimizers written outside pygrad: `state = self.state[p]; if not state: ...`)
        self.state: dict = defaultdict(dict)
        self.param_groups: list = []
        if type(self).step is Optimizer.step:
            # set by step(): a scheduler stepped before it warns, as torch's does
            self._opt_called = False
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got a Tensor")
        if isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group: {"params": [...], hyperparameter: value, ...}; missing ones default."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        params = [params] if isinstance(params, Tensor) else list(params or ())
        # named parameters, as model.named_parameters() gives them: (name, tensor) pairs
        names = [q[0] for q in params if isinstance(q, tuple) and len(q) == 2]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            params = [q[1] for q in params]
            group["param_names"] = names
        if self.param_groups and \
                ("param_names" in group) != ("param_names" in self.param_groups[0]):
            raise ValueError("all optimizer param groups should be with/without names. "
                             "cannot add param group with names to the optimizer without names "
                             "(or the other way round)")
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, got "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__}: can't optimize a non-leaf Tensor")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params) or len({id(p) for p in params}) != len(params):
            raise ValueError("some parameters appear in more than one parameter group")
        group["params"] = params
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        unknown = set(group) - set(self.defaults) - {"params", "param_names", "initial_lr"}
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown hyperparameter(s) {sorted(unknown)} "
                            f"in a parameter group; known: {sorted(self.defaults)}")
        self._check_group(group)
        self.param_groups.append(group)
        for p in params:
            self._init_state(p, group)

    def _check_group(self, group) -> None:
        """Raise ValueError for an invalid hyperparameter (subclasses add checks).

        ``foreach`` and ``fused`` are speed hints (every step already updates a group's
        parameters with one multi-tensor call where the backend has one); ``capturable``
        changes nothing (pygrad records no CUDA graphs); ``differentiable=True`` is refused.
        """
        _at_least(group, "lr", 0.0)
        for name in self._nonnegative:
            _at_least(group, name, 0.0)
        if self._betas:
            _check_betas(group)
        if group.get("fused") and group.get("foreach"):
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        if group.get("differentiable"):
            raise NotImplementedError(
                f"{type(self).__name__}: differentiable=True is not supported: pygrad updates "
                f"the parameters' arrays in place, outside autograd, so a step cannot be "
                f"differentiated; pass differentiable=False")

    def _init_state(self, p, group) -> None:
        """Create ``self.state[p]`` eagerly when the algorithm needs it (Adagrad)."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of all optimized parameters."""
        for group in self.param_groups:
            for p in group["params"]:
                clear_grad(p, set_to_none)

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` re-evaluates the loss.

        A gradient whose shape or device differs from its parameter's is a RuntimeError
        naming the group and parameter indices and both shapes, raised before any parameter
        changes; a gradient of another dtype is cast to the parameter's."""
        self._opt_called = True
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        work = []           # every gradient is checked before any parameter changes
        for gi, group in enumerate(self.param_groups):
            by_device: dict = {}
            for i, p in enumerate(group["params"]):
                g = p.grad
                if g is not None:
                    # one identity and one tuple compare per parameter: the kernels would
                    # otherwise broadcast, fail inside NumPy/CuPy or read another device
                    try:
                        ok = g.device is p.device and g._data.shape == p._data.shape
                    except AttributeError:
                        ok = False
                    if not ok:
                        raise _grad_mismatch(self, gi, i, p, g)
                    by_device.setdefault(p.device, []).append(p)
            work.append((group, by_device))
        for group, by_device in work:
            for device, params in by_device.items():
                # state is created and kernels launch on the parameters' own GPU
                with device.backend.guard(device):
                    self._update(group, params)
        return loss

    def _update(self, group, params) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers for steps

    @staticmethod
    def _grad(p):
        """The gradient array, C-contiguous and of p's dtype (what the kernels take)."""
        g = p.grad._data
        if g.dtype != p._data.dtype or not g.flags.c_contiguous:
            g = p.device.backend.xp.ascontiguousarray(g, dtype=p._data.dtype)
        return g

    @classmethod
    def _direction(cls, p, maximize: bool, weight_decay: float = 0.0):
        """The array −g (maximize) or g, plus weight_decay·p (an L2 penalty), for the steps
        written in array code; it may be the gradient's own array: read it, never write it."""
        g = cls._grad(p)
        g = -g if maximize else g
        return g + weight_decay * p._data if weight_decay != 0 else g

    @staticmethod
    def _batches(params, key=None):
        """(backend, params, key) for the parameters sharing a device and ``key(p)`` (such as
        the step count), in order: each batch is one multi-tensor launch where the backend
        has one."""
        groups: dict = {}
        for p in params:
            groups.setdefault((p.device, None if key is None else key(p)), []).append(p)
        for (device, k), ps in groups.items():
            yield device.backend, ps, k

    def _state_for(self, p) -> dict:
        s = self.state.get(p)
        if s is None:
            s = self.state[p] = {}
        return s

    def _lazy_state(self, p, *arrays, **scalars) -> dict:
        """p's state; on its first update it is created as step 0, ``scalars``, and a zero
        array of p's shape, dtype and device for each name in ``arrays``."""
        s = self._state_for(p)
        if not s:
            zeros = p.device.backend.xp.zeros_like
            s["step"] = 0
            s.update(scalars)
            s.update({name: zeros(p._data) for name in arrays})
        return s

    # ------------------------------------------------------------------ state dict

    def state_dict(self) -> dict:
        """{"state": {index: {name: Tensor | number}}, "param_groups": [{..., "params": [index]}]}

        Parameters are numbered in group order, as torch does; the tensors share memory
        with the optimizer state.
        """
        index, groups = {}, []
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            packed["params"] = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                s = self.state.get(p)
                if s:
                    state[index[id(p)]] = {k: _wrap(v, p) for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and state saved by ``state_dict`` (groups must match in
        number and size). State values may be pygrad Tensors (any device), NumPy or CuPy
        arrays, torch CPU tensors or numbers; arrays are cast to each parameter's dtype and
        device. Nothing changes unless the whole state dict is usable."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        groups = state_dict.get("param_groups")
        saved_state = state_dict.get("state")
        if not isinstance(groups, (list, tuple)) or not isinstance(saved_state, Mapping):
            raise ValueError("load_state_dict: expected a dict with 'state' (a dict) and "
                             "'param_groups' (a list)")
        if len(groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(groups)} parameter groups, the "
                             f"optimizer has {len(self.param_groups)}")
        for k, (saved, own) in enumerate(zip(groups, self.param_groups)):
            if not isinstance(saved, Mapping) or not isinstance(saved.get("params"),
                                                                (list, tuple)):
                raise ValueError(f"load_state_dict: parameter group {k} must be a dict with a "
                                 f"'params' list")
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(f"loaded state dict contains a parameter group {k} of "
                                 f"{len(saved['params'])} parameters that doesn't match the "
                                 f"size of optimizer's group ({len(own['params'])})")
        state, hyper = defaultdict(dict), []
        # an optimizer written outside pygrad (its own step) keeps Tensors in its state
        tensors = type(self).step is not Optimizer.step
        for k, (saved, own) in enumerate(zip(groups, self.param_groups)):
            hyper.append({key: tuple(value) if isinstance(value, list) and
                          key != "param_names" else value
                          for key, value in saved.items() if key != "params"})
            for i, (idx, p) in enumerate(zip(saved["params"], own["params"])):
                if not isinstance(idx, (int, str)):
                    raise ValueError(f"load_state_dict: parameter group {k} lists parameter "
                                     f"{idx!r}; expected the integer indices of state_dict()")
                s = saved_state.get(idx, saved_state.get(str(idx)))
                if s is None:
                    continue
                if not isinstance(s, Mapping):
                    raise ValueError(f"load_state_dict: the state of parameter {i} in group {k} "
                                     f"is a {type(s).__name__}, expected a dict")
                state[p] = {name: _unwrap(v, p, name, f"parameter {i} in group {k}",
                                          self._scalar_state, tensors)
                            for name, v in s.items()}
        for own, h in zip(self.param_groups, hyper):
            own.update(h)
        self.state = state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"


def _grad_mismatch(opt, gi, i, p, g) -> Exception:
    where = (f"{type(opt).__name__}.step: parameter {i} of param group {gi} "
             f"(shape {tuple(p.shape)}, {p.dtype}, {p.device})")
    if not isinstance(g, Tensor):
        return TypeError(f"{where} has a .grad of type {type(g).__name__}; expected a Tensor "
                         f"or None")
    if g.device is not p.device:
        return RuntimeError(f"{where} has its .grad on {g.device}; a gradient must be on its "
                            f"parameter's device")
    return RuntimeError(f"{where} has a .grad of shape {tuple(g.shape)}; a gradient must have "
                        f"its parameter's shape")


def _wrap(v, p):
    if v is None or isinstance(v, (int, float, Tensor)):
        return v
    return Tensor._make(v, p.device)


def _unwrap(v, p, name, where, scalars=("step",), tensors=False):
    """A saved state value as the optimizer keeps it: a number, or an array (a Tensor when
    ``tensors``) of p's dtype and device."""
    if v is None or isinstance(v, (int, float)):
        return v
    if isinstance(v, Tensor):
        v = v._data
    if name in scalars and not tensors:   # torch keeps these as 0-d tensors, pygrad as numbers
        kind = int if name == "step" else float
        try:
            return kind(v.item()) if hasattr(v, "item") else kind(v)
        except (TypeError, ValueError):
            raise ValueError(f"load_state_dict: state {name!r} of {where} is {v!r}, expected "
                             f"{'an integer' if kind is int else 'a number'}") from None
    xp = p.device.backend.xp
    if type(v).__module__.split(".", 1)[0] == "cupy":    # its .data is a device pointer
        if xp.__name__ == "numpy":
            v = v.get()
    elif type(v).__module__.startswith("torch") and hasattr(v, "detach"):
        v = v.detach().cpu().numpy()
    elif isinstance(v, (list, tuple)):
        v = np.asarray(v)
    kind = getattr(getattr(v, "dtype", None), "kind", None)
    if tensors and (kind is None or not hasattr(v, "shape")):
        return v                # whatever else an optimizer of its own keeps
    if kind is None or kind not in "biuf" or not hasattr(v, "shape"):
        what = f"an array of dtype {v.dtype}" if kind else f"a {type(v).__name__}"
        raise ValueError(f"load_state_dict: state {name!r} of {where} is {what}, expected a "
                         f"Tensor, an array of numbers or a number")
    if tensors:     # as torch: floating values take p's dtype, others keep theirs; any shape
        dtype = p._data.dtype if kind == "f" else v.dtype
        return Tensor._make(xp.array(v, dtype=dtype, copy=True, order="C"), p.device)
    arr = xp.array(v, dtype=p._data.dtype, copy=True, order="C")
    if arr.shape != p._data.shape:
        raise ValueError(f"load_state_dict: state {name!r} of {where} has shape {arr.shape}, "
                         f"the parameter has shape {p._data.shape}")
    return arr


def _at_least(group, name, low, inclusive=True):
    v = group[name]
    ok = v >= low if inclusive else v > low
    if not ok:
        raise ValueError(f"Invalid {name} value: {v} (expected {'>=' if inclusive else '>'} {low})")


def _check_betas(group) -> None:
    betas = group["betas"]
    if len(betas) != 2:
        raise ValueError(f"Invalid betas: expected a pair (beta1, beta2), got {betas!r}")
    _in_unit(group, "beta1", betas[0])
    _in_unit(group, "beta2", betas[1])


def _in_unit(group, name, value=None):
    v = group[name] if value is None else value
    if not 0.0 <= v < 1.0:
        raise ValueError(f"Invalid {name} value: {v} (expected 0 <= {name} < 1)")
