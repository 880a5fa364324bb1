"""``nn.parallel.DistributedDataParallel``: data-parallel training over ``pygrad.distributed``.

Each rank holds a full copy of the model and trains on its own part of every batch; after
backward the gradients are averaged over the ranks, so every copy takes the same step.

How the gradients are averaged: the parameters are grouped, in reverse registration order
(roughly the order backward produces their gradients), into flat buckets of at most
``bucket_cap_mb``; one all-reduce per bucket. While the wrapped module runs forward, each
parameter it reads is passed through an identity op, whose backward is called by the engine
once that parameter's gradient is complete: the gradient is copied into its bucket, and a
bucket whose gradients are all in starts its all-reduce at once (non-blocking, in bucket
order on every rank), while backward goes on with the layers below. When the last gradient is
in, backward waits for the buckets, divides by the world size and sets each ``.grad`` — so
``loss.backward()`` returns with the averaged gradients, as in torch.
"""
from __future__ import annotations

import contextlib

import numpy as np

from ..autograd.function import Function
from .modules.module import Module

__all__ = ["DistributedDataParallel"]


class _GradReady(Function):
    """Identity in forward; in backward, hands the parameter's complete gradient to the
    reducer instead of the engine (which then has nothing to accumulate)."""

    def __init__(self, reducer, index):
        self.reducer, self.index = reducer, index

    def forward(self, x):
        return x

    def backward(self, gy):
        self.reducer.ready(self.index, gy._data)
        return None


class _Bucket:
    __slots__ = ("indices", "offsets", "numel", "dtype", "device", "pending", "buffer",
                 "handle")

    def __init__(self, dtype, device):
        self.indices, self.offsets, self.numel = [], [], 0
        self.dtype, self.device = dtype, device
        self.pending, self.buffer, self.handle = 0, None, None


class _Reducer:
    """The buckets of one DDP model and the state of the current backward."""

    def __init__(self, group, params, names, cap_bytes):
        self.group, self.params, self.names = group, params, names
        self.buckets, self.bucket_of = [], {}
        open_ = {}       # (dtype, device) -> index of the bucket being filled
        for i in reversed(range(len(params))):
            p = params[i]
            key = (p.dtype, p.device)
            k = open_.get(key)
            size = p.numel() * p._data.dtype.itemsize
            if k is None or (self.buckets[k].numel * self.buckets[k].dtype.itemsize + size >
                             cap_bytes):
                k = open_[key] = len(self.buckets)
                self.buckets.append(_Bucket(p._data.dtype, p.device))
            b = self.buckets[k]
            self.bucket_of[i] = (k, b.numel)
            b.indices.append(i)
            b.offsets.append(b.numel)
            b.numel += p.numel()
        self.arrived = None      # per parameter: its gradient is in this iteration
        self.remaining = 0
        self.next_bucket = 0
        self.early_launches = 0  # buckets started while backward still had gradients to make

    def prepare(self):
        """A new iteration: fresh bucket buffers (the last iteration's .grad are views of
        the old ones), nothing arrived."""
        for b in self.buckets:
            b.buffer = b.device.backend.xp.empty(b.numel, b.dtype)
            b.pending = len(b.indices)
            b.handle = None
        self.arrived = [False] * len(self.params)
        self.remaining = len(self.params)
        self.next_bucket = 0

    @property
    def in_progress(self) -> bool:
        return self.arrived is not None and 0 < self.remaining < len(self.params)

    def missing(self) -> list:
        return [self.names[i] for i, a in enumerate(self.arrived or ()) if not a]

    def ready(self, index, gy):
        """Parameter ``index``'s gradient for this iteration is ``gy`` (complete)."""
        if self.arrived is None or self.arrived[index]:
            raise RuntimeError(
                f"DistributedDataParallel: parameter {self.names[index]!r} received its "
                f"gradient twice for one forward (a second backward through the same graph, "
                f"or a reused output?); run forward again before each backward")
        self.arrived[index] = True
        k, offset = self.bucket_of[index]
        b = self.buckets[k]
        p = self.params[index]
        n = p.numel()
        slot = b.buffer[offset:offset + n]
        g = p._grad
        if g is None:
            slot[...] = gy.reshape(-1)
        else:                      # gradients accumulated under no_sync() join this one
            b.device.backend.xp.add(g._data.reshape(-1), gy.reshape(-1), out=slot)
        b.pending -= 1
        if b.pending == 0:
            self._launch()
        self.remaining -= 1
        if self.remaining == 0:
            self.finish()

    def _launch(self):
        # buckets start in index order on every rank: MPI matches collectives by order
        while self.next_bucket < len(self.buckets) and \
                self.buckets[self.next_bucket].pending == 0:
            b = self.buckets[self.next_bucket]
            b.handle = self.group.iallreduce_(b.buffer, "SUM")
            self.next_bucket += 1
            self.early_launches += self.remaining > 1

    def finish(self):
        """Wait for every bucket, average, and set each parameter's .grad (views of the
        bucket)."""
        from ..tensor import Tensor
        self._launch()
        size = self.group.size
        for b in self.buckets:
            b.handle.wait()
            b.handle = None
            if size > 1:
                b.buffer /= size
            for i, off in zip(b.indices, b.offsets):
                p = self.params[i]
                p._grad = Tensor._make(b.buffer[off:off + p.numel()].reshape(p.shape), p.device)
        self.arrived = None


def _broadcast_coalesced(group, tensors, src: int = 0):
    """Copy rank ``src``'s ``tensors`` into every rank's, in place: one broadcast per
    (dtype, device) of their arrays packed into a flat buffer, not one per tensor (each
    collective is a round trip, and on GPUs a stream synchronisation)."""
    from ..distributed import _bump
    packs = {}
    for t in tensors:
        packs.setdefault((t._data.dtype, t.device), []).append(t)
    for (_, device), ts in packs.items():
        flat = device.backend.xp.concatenate([t._data.reshape(-1) for t in ts])
        group.bcast_(flat, src)
        offset = 0
        for t in ts:
            n = t._data.size
            t._data[...] = flat[offset:offset + n].reshape(t._data.shape)
            offset += n
            _bump(t)


def _outputs(value, found):
    """Every Tensor in a (nested) forward output."""
    from ..tensor import Tensor
    if isinstance(value, Tensor):
        found.append(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _outputs(v, found)
    elif isinstance(value, dict):
        for v in value.values():
            _outputs(v, found)
    return found


class DistributedDataParallel(Module):
    """Data-parallel ``module`` over the default process group (torch's
    ``nn.parallel.DistributedDataParallel``; also ``pygrad.distributed.DDP``).

    At construction every rank's parameter names, shapes and dtypes are compared (a
    mismatch raises RuntimeError on every rank, naming the first difference), then rank 0's
    parameters and buffers are copied to all ranks. After ``loss.backward()`` each
    parameter's ``.grad`` is the average over the ranks of its local gradient, reduced in
    buckets of at most ``bucket_cap_mb`` MiB that start while backward is still running.
    ``no_sync()`` skips the averaging (gradients accumulate locally; the next synchronised
    backward averages the sum). Buffers are broadcast from rank 0 at each forward when
    ``broadcast_buffers``.

    ``state_dict()`` keys carry the ``module.`` prefix, as torch's; save
    ``ddp.module.state_dict()`` for a checkpoint that loads into the bare model.

    Every parameter that requires grad must take part in the loss, unless
    ``find_unused_parameters=True`` (then those that do not count as a zero gradient);
    otherwise the next forward raises, naming them. ``device_ids`` / ``output_device`` /
    ``dim`` are accepted for torch's signature (one device per process: the module's).
    Double backward through DDP and ``autograd.grad`` of its parameters are not supported.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group=None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False):
        super().__init__()
        from .. import distributed as dist
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module expected a Module, got "
                            f"{type(module).__name__}")
        group = dist._group("DistributedDataParallel", process_group)
        cap = 25.0 if bucket_cap_mb is None else bucket_cap_mb
        if not (isinstance(cap, (int, float)) and cap > 0):
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be a positive "
                             f"number, got {bucket_cap_mb!r}")
        self.module = module
        d = self.__dict__
        d["_group"] = group
        d["broadcast_buffers"] = bool(broadcast_buffers)
        d["find_unused_parameters"] = bool(find_unused_parameters)
        d["require_backward_grad_sync"] = True
        d["device_ids"], d["output_device"], d["dim"] = device_ids, output_device, dim
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        self._check_same_model(group)
        self._sync_module_states(group)
        d["_reducer"] = _Reducer(group, [p for _, p in named], [n for n, _ in named],
                                 int(cap * 1024 * 1024))

    # ------------------------------------------------------------------ construction

    def _check_same_model(self, group):
        mine = [("parameter", n, tuple(p.shape), str(p.dtype), bool(p.requires_grad))
                for n, p in self.module.named_parameters()]
        mine += [("buffer", n, tuple(b.shape), str(b.dtype), False)
                 for n, b in self.module.named_buffers()]
        every = group.allgather_object(mine)
        ref = every[0]
        for rank, theirs in enumerate(every):
            if theirs == ref:
                continue
            for a, b in zip(ref, theirs):
                if a != b:
                    raise RuntimeError(
                        f"DistributedDataParallel: the model differs across ranks: rank "
                        f"{rank} has {b[0]} {b[1]!r} {b[2]} {b[3]}, rank 0 has {a[0]} "
                        f"{a[1]!r} {a[2]} {a[3]}" + ("" if a[4] == b[4] else
                                                      " (requires_grad differs)"))
            longer, n = (theirs, rank) if len(theirs) > len(ref) else (ref, 0)
            extra = longer[min(len(ref), len(theirs))]
            raise RuntimeError(
                f"DistributedDataParallel: the model differs across ranks: rank {rank} has "
                f"{len(theirs)} parameters and buffers, rank 0 has {len(ref)} (rank {n} also "
                f"has {extra[0]} {extra[1]!r})")

    def _sync_module_states(self, group):
        if group.size > 1:
            _broadcast_coalesced(group, list(self.module.parameters()) +
                                 list(self.module.buffers()))

    # ------------------------------------------------------------------ running

    def forward(self, *inputs, **kwargs):
        from ..autograd.grad_mode import is_grad_enabled
        reducer = self._reducer
        if reducer.in_progress:
            names = reducer.missing()
            raise RuntimeError(
                "DistributedDataParallel: expected to have finished reduction in the prior "
                "iteration before starting a new one: these parameters received no gradient "
                f"in it: {', '.join(names)}. Make every parameter take part in the loss, or "
                "pass find_unused_parameters=True")
        if self.broadcast_buffers and self._group.size > 1:
            _broadcast_coalesced(self._group, list(self.module.buffers()))
        if not (self._group.size > 1 and self.require_backward_grad_sync and
                is_grad_enabled() and reducer.params):
            return self.module(*inputs, **kwargs)
        reducer.prepare()
        views = {id(p): _GradReady(reducer, i)(p) for i, p in enumerate(reducer.params)}
        swapped = []
        for m in self.module.modules():
            for name, p in m._parameters.items():
                if p is not None and id(p) in views:
                    swapped.append((m, name, p))
                    m.__dict__[name] = views[id(p)]
        try:
            out = self.module(*inputs, **kwargs)
        finally:
            for m, name, p in swapped:
                m.__dict__[name] = p
        self._after_forward(out, views)
        return out

    def _after_forward(self, out, views):
        """Walk the graph just recorded, to place each gradient-ready node and to find the
        parameters the outputs do not depend on.

        The engine runs nodes in reverse depth-first order, which puts every parameter's
        ready node after all the compute nodes. A parameter read by exactly one op gets
        that op's other recorded inputs as extra (gradient-free) inputs of its ready node,
        so the engine runs it right after the op, before the layers below: its bucket can
        start while they are differentiated. Parameters the outputs do not reach count as
        a zero gradient with ``find_unused_parameters``, else the next forward names them.
        """
        from ..autograd.engine import _version_sum
        from ..tensor import Tensor
        ready = {id(v): v._ctx for v in views.values()}
        consumers, reached, seen = {}, set(), set()
        stack = [t._ctx for t in _outputs(out, []) if t._ctx is not None]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if node.__class__ is _GradReady:
                reached.add(node.index)
                continue
            for t in node.inputs or ():
                r = ready.get(id(t))
                if r is not None:
                    consumers.setdefault(r, {})[id(node)] = node
                ctx = getattr(t, "_ctx", None)
                if ctx is not None and id(ctx) not in seen:
                    stack.append(ctx)
        for r, nodes in consumers.items():
            if len(nodes) != 1:        # shared: its gradient is complete only at the end
                continue
            (node,) = nodes.values()
            extra = tuple(t for t in node.inputs if isinstance(t, Tensor) and
                          t._ctx is not None and t._ctx.__class__ is not _GradReady)
            if extra:
                r.inputs = r.inputs + extra
                r.needs_input_grad = r.needs_input_grad + (False,) * len(extra)
                r._vsum = _version_sum(r)
        if self.find_unused_parameters:
            reducer = self._reducer
            for i, p in enumerate(reducer.params):
                if i not in reached:
                    reducer.ready(i, p.device.backend.xp.zeros(p.shape, p._data.dtype))

    @contextlib.contextmanager
    def no_sync(self):
        """Inside the block, backward accumulates gradients locally without averaging them;
        the first synchronised backward after it averages the accumulated sum."""
        before = self.require_backward_grad_sync
        self.__dict__["require_backward_grad_sync"] = False
        try:
            yield
        finally:
            self.__dict__["require_backward_grad_sync"] = before
