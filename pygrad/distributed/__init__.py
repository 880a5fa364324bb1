"""``pygrad.distributed``: data-parallel training across processes, GPUs and machines.

torch.distributed's names and semantics over existing engines: MPI (mpi4py) starts the
processes and runs the CPU collectives; NCCL (``cupy.cuda.nccl``), bootstrapped over MPI,
runs the GPU ones. Start a job with the launcher::

    python -m pygrad.distributed.run --nproc_per_node 2 train.py

and in the script::

    import pygrad.distributed as dist
    dist.init_process_group()                      # "auto": nccl with GPUs, else mpi
    model = dist.DDP(model)                        # = pygrad.nn.parallel.DistributedDataParallel
    dist.all_reduce(t, op=dist.ReduceOp.SUM)       # in place, as torch

Without the launcher (and without MPI installed) a script runs as world size 1. A rank
that raises, exits with an error or is killed ends the whole job with a message naming it;
a collective that waits longer than ``timeout`` (a rank hangs) ends it too.
"""
from __future__ import annotations

import datetime
import os
import sys

import numpy as np

from ._groups import MPI_INSTALL, gpu_for_rank, nccl_problem

__all__ = ["ReduceOp", "Backend", "init_process_group", "is_initialized", "is_available",
           "is_mpi_available", "is_nccl_available", "get_rank", "get_world_size",
           "get_local_rank", "get_local_world_size", "get_backend", "all_reduce", "broadcast",
           "all_gather", "all_gather_into_tensor", "reduce_scatter", "reduce_scatter_tensor",
           "all_gather_object", "broadcast_object_list", "barrier", "destroy_process_group",
           "device_for_rank", "DDP", "DistributedDataParallel", "MPI_INSTALL"]

DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)     # torch's default_pg_timeout


class ReduceOp:
    """The reductions of ``all_reduce`` / ``reduce_scatter`` (torch.distributed.ReduceOp)."""

    SUM = "SUM"
    AVG = "AVG"
    PRODUCT = "PRODUCT"
    MIN = "MIN"
    MAX = "MAX"


class Backend:
    """Backend names accepted by ``init_process_group``."""

    MPI = "mpi"
    NCCL = "nccl"
    AUTO = "auto"


_state = {"group": None}


# ----------------------------------------------------------------------------- the group

def is_available() -> bool:
    """True: the package is always importable (MPI itself may be missing; see
    ``is_mpi_available``)."""
    return True


def is_mpi_available() -> bool:
    """Whether mpi4py can be imported."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def is_nccl_available() -> bool:
    """Whether NCCL can be used: CuPy with NCCL and at least one visible GPU."""
    return nccl_problem() is None


def _seconds(timeout) -> float:
    if timeout is None:
        return DEFAULT_TIMEOUT.total_seconds()
    if isinstance(timeout, datetime.timedelta):
        value = timeout.total_seconds()
    elif isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        value = float(timeout)
    else:
        raise TypeError(f"init_process_group: timeout expected a datetime.timedelta or a "
                        f"number of seconds, got {type(timeout).__name__}")
    if not value > 0:
        raise ValueError(f"init_process_group: timeout must be positive, got {value}")
    return value


def _launched_size() -> int:
    """World size announced by the launcher or mpiexec (1 when neither started us)."""
    for var in ("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE"):
        v = os.environ.get(var)
        if v and v.isdigit():
            return int(v)
    return 1


def init_process_group(backend: str | None = None, init_method=None, timeout=None,
                       world_size: int = -1, rank: int = -1, store=None, group_name: str = "",
                       pg_options=None, device_id=None) -> None:
    """Join the job's process group (torch.distributed.init_process_group).

    ``backend``: ``"auto"`` (also None) picks ``"nccl"`` when NCCL and a GPU are there,
    else ``"mpi"``. With ``"nccl"`` GPU tensors go through NCCL and CPU tensors through MPI,
    and this rank uses GPU ``LOCAL_RANK`` of the visible devices (``pg.cuda.set_device``).
    ``timeout`` (a timedelta or seconds, default 30 minutes) bounds every collective: one
    that waits longer ends the whole job with a message naming the rank. Ranks and sizes come
    from MPI (the launcher starts the job through ``mpiexec``); ``world_size`` / ``rank``,
    when given, must agree with them. ``init_method``, ``store``, ``group_name`` and
    ``pg_options`` are accepted for torch compatibility and must be left at their defaults
    (MPI does the rendezvous).
    """
    if _state["group"] is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    if backend is None:
        backend = "auto"
    if not isinstance(backend, str):
        raise TypeError(f"init_process_group: backend expected a str, got "
                        f"{type(backend).__name__}")
    name = backend.lower()
    if name not in ("auto", "mpi", "nccl"):
        raise ValueError(f"init_process_group: backend expected 'auto', 'mpi' or 'nccl', got "
                         f"{backend!r}")
    for arg, value in (("init_method", init_method), ("store", store),
                       ("pg_options", pg_options)):
        if value is not None and not (arg == "init_method" and value == "env://"):
            raise ValueError(f"init_process_group: {arg} is not supported (MPI starts the "
                             f"processes and does the rendezvous); leave it unset")
    seconds = _seconds(timeout)
    from . import _groups
    if not is_mpi_available():
        if name == "nccl" or _launched_size() > 1:
            _groups.import_mpi()       # raises, naming the extra to install
        group = _groups._SingleGroup(seconds)
    elif name == "nccl" or (name == "auto" and is_nccl_available()):
        group = _groups._NCCLGroup(seconds)
    else:
        group = _groups._MPIGroup(seconds)
    for arg, value, actual in (("world_size", world_size, group.size),
                               ("rank", rank, group.rank)):
        if value is not None and value != -1 and value != actual:
            group.close()
            raise ValueError(f"init_process_group: {arg}={value} but MPI started this process "
                             f"with {arg}={actual}")
    _state["group"] = group
    if group.size > 1:
        _install_excepthook(group)


def _install_excepthook(group):
    """An uncaught exception on one rank prints its traceback naming the rank, then ends
    the whole job (MPI_Abort): the other ranks must not wait for it forever."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        if _state["group"] is not group:
            return previous(kind, value, tb)
        from ._worker import fail
        fail(group.rank, kind, value, tb, group.abort)

    sys.excepthook = hook


def is_initialized() -> bool:
    """Whether ``init_process_group`` was called (and not undone)."""
    return _state["group"] is not None


def _group(what: str, group=None):
    g = _state["group"]
    if g is None:
        raise ValueError(f"{what}: Default process group has not been initialized, please "
                         f"make sure to call init_process_group.")
    if group is not None and group is not g and group is not GroupMember.WORLD:
        raise ValueError(f"{what}: only the default (world) group is supported")
    return g


class GroupMember:
    """``GroupMember.WORLD``: the default group (the only one)."""

    WORLD = object()


def get_rank(group=None) -> int:
    """This process's rank, 0 … world size − 1."""
    return _group("get_rank", group).rank


def get_world_size(group=None) -> int:
    """The number of processes in the job."""
    return _group("get_world_size", group).size


def get_local_rank() -> int:
    """This process's rank among those on the same machine (``LOCAL_RANK``)."""
    return _group("get_local_rank").local_rank


def get_local_world_size() -> int:
    """The number of processes on this machine (``LOCAL_WORLD_SIZE``)."""
    return _group("get_local_world_size").local_size


def get_backend(group=None) -> str:
    """``"mpi"`` or ``"nccl"``."""
    return _group("get_backend", group).backend


def device_for_rank(local_rank: int | None = None, local_world_size: int | None = None) -> tuple:
    """``(index, physical)``: the GPU a rank uses — ``cuda:index`` of the devices visible
    through ``CUDA_VISIBLE_DEVICES``, which is physical GPU ``physical``. Reads
    ``LOCAL_RANK`` / ``LOCAL_WORLD_SIZE`` (set by the launcher) when not given; needs no GPU
    when ``CUDA_VISIBLE_DEVICES`` is set. With ``CUDA_VISIBLE_DEVICES=0,2,3`` and three ranks,
    local ranks 0, 1, 2 use physical GPUs 0, 2 and 3."""
    if local_rank is None:
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if local_world_size is None:
        local_world_size = int(os.environ.get("LOCAL_WORLD_SIZE", str(local_rank + 1)))
    if not 0 <= local_rank < local_world_size:
        raise ValueError(f"device_for_rank: local_rank {local_rank} is not in [0, "
                         f"{local_world_size - 1}]")
    return gpu_for_rank(local_rank, local_world_size)


def destroy_process_group(group=None) -> None:
    """Leave the process group; ``init_process_group`` may be called again afterwards."""
    g = _group("destroy_process_group", group)
    _state["group"] = None
    g.close()


# ----------------------------------------------------------------------------- collectives

class Work:
    """What an ``async_op=True`` collective returns: ``wait()`` finishes it."""

    def __init__(self, handle=None, after=None):
        self._handle, self._after = handle, after

    def wait(self, timeout=None) -> bool:
        if self._handle is not None:
            self._handle.wait()
            self._handle = None
        if self._after is not None:
            after, self._after = self._after, None
            after()
        return True

    def is_completed(self) -> bool:
        return self._handle is None and self._after is None


def _tensor(what, t, arg="tensor"):
    from ..tensor import Tensor
    if not isinstance(t, Tensor):
        raise TypeError(f"{what}: {arg} expected a Tensor, got {type(t).__name__}")
    return t


def _op(what, op):
    if op not in ("SUM", "AVG", "PRODUCT", "MIN", "MAX"):
        raise ValueError(f"{what}: op expected one of ReduceOp.SUM, AVG, PRODUCT, MIN, MAX, "
                         f"got {op!r}")
    return op


def _bump(t):
    """Record an in-place change of ``t`` (the engine checks versions before backward)."""
    from ..tensor import Tensor
    t._version += 1
    Tensor._inplace_ops += 1


def _buffer(t):
    """``t``'s array when the engines can write it in place, else a contiguous copy."""
    a = t._data
    if a.flags.c_contiguous and getattr(a.flags, "writeable", True):
        return a, False
    xp = t.device.backend.xp
    return xp.ascontiguousarray(a), True


def _divide(a, n, xp):
    """In-place average of a summed array of the array module ``xp`` (integers: truncated,
    as NCCL's average)."""
    if n == 1:
        return
    if a.dtype.kind in "fc":
        a /= n
    elif a.dtype.kind in "iu":
        a[...] = xp.trunc(a / n).astype(a.dtype) if a.dtype.kind == "i" else a // n
    else:
        raise TypeError(f"all_reduce: ReduceOp.AVG is not supported for dtype {a.dtype}")


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce ``tensor`` over every rank, in place: each rank ends with the same result.

    ``op``: ReduceOp.SUM (default), AVG, PRODUCT, MIN or MAX. Returns None, or a ``Work``
    to ``wait()`` on when ``async_op``.
    """
    g = _group("all_reduce", group)
    t, op = _tensor("all_reduce", tensor), _op("all_reduce", op)
    if t.dtype.kind == "b" and op in ("SUM", "AVG", "PRODUCT"):
        raise TypeError(f"all_reduce: ReduceOp.{op} is not supported for dtype bool")
    a, copied = _buffer(t)
    h = (g.iallreduce_ if async_op else g.allreduce_)(a, op)

    def finish():
        if op == "AVG":
            _divide(a, g.size, t.device.backend.xp)
        if copied:
            t._data[...] = a
        _bump(t)

    if async_op:
        return Work(h, finish)
    finish()
    return None


def broadcast(tensor, src: int, group=None, async_op: bool = False):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank (in place)."""
    g = _group("broadcast", group)
    t = _tensor("broadcast", tensor)
    _check_rank("broadcast", "src", src, g.size)
    a, copied = _buffer(t)
    g.bcast_(a, src)
    if copied:
        t._data[...] = a
    _bump(t)
    return Work() if async_op else None


def _check_rank(what, arg, value, size):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what}: {arg} expected an int rank, got {type(value).__name__}")
    if not 0 <= value < size:
        raise ValueError(f"{what}: {arg}={value} is not a rank of the group (world size "
                         f"{size})")


def _check_list(what, arg, tensors, size, like):
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{what}: {arg} expected a list of {size} Tensors, got "
                        f"{type(tensors).__name__}")
    if len(tensors) != size:
        raise ValueError(f"{what}: {arg} has {len(tensors)} tensors, expected one per rank "
                         f"({size})")
    for i, x in enumerate(tensors):
        _tensor(what, x, f"{arg}[{i}]")
        if x.shape != like.shape or x.dtype != like.dtype or x.device != like.device:
            raise ValueError(f"{what}: {arg}[{i}] is {tuple(x.shape)} {x.dtype} on {x.device}, "
                             f"expected {tuple(like.shape)} {like.dtype} on {like.device} "
                             f"(as the input)")


def all_gather(tensor_list, tensor, group=None, async_op: bool = False):
    """Fill ``tensor_list[r]`` with rank r's ``tensor``, on every rank."""
    g = _group("all_gather", group)
    t = _tensor("all_gather", tensor)
    _check_list("all_gather", "tensor_list", tensor_list, g.size, t)
    out = g.allgather(t._data)
    for i, x in enumerate(tensor_list):
        x._data[...] = out[i]
        _bump(x)
    return Work() if async_op else None


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op: bool = False):
    """Every rank's ``input_tensor`` concatenated along dim 0 into ``output_tensor`` (of
    size world_size × input's first dim), or stacked when it has one more dim."""
    g = _group("all_gather_into_tensor", group)
    o, t = (_tensor("all_gather_into_tensor", output_tensor, "output_tensor"),
            _tensor("all_gather_into_tensor", input_tensor, "input_tensor"))
    out = g.allgather(t._data)
    if o.numel() != out.size or o.dtype != t.dtype:
        raise ValueError(f"all_gather_into_tensor: output_tensor is {tuple(o.shape)} {o.dtype}, "
                         f"expected {out.size} elements of {t.dtype}")
    o._data[...] = out.reshape(o.shape)
    _bump(o)
    return Work() if async_op else None


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """``output`` on rank r = the reduction over ranks of their ``input_list[r]``."""
    g = _group("reduce_scatter", group)
    o, op = _tensor("reduce_scatter", output, "output"), _op("reduce_scatter", op)
    _check_list("reduce_scatter", "input_list", input_list, g.size, o)
    xp = o.device.backend.xp
    stacked = xp.stack([x._data for x in input_list])
    out = g.reduce_scatter(stacked, op)
    if op == "AVG":
        _divide(out, g.size, o.device.backend.xp)
    o._data[...] = out
    _bump(o)
    return Work() if async_op else None


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """``input`` split into world_size equal chunks along dim 0; ``output`` on rank r = the
    reduction over ranks of chunk r."""
    g = _group("reduce_scatter_tensor", group)
    o, t = (_tensor("reduce_scatter_tensor", output, "output"),
            _tensor("reduce_scatter_tensor", input, "input"))
    op = _op("reduce_scatter_tensor", op)
    if t.numel() != o.numel() * g.size or o.dtype != t.dtype:
        raise ValueError(f"reduce_scatter_tensor: input is {tuple(t.shape)} {t.dtype}, "
                         f"expected world_size ({g.size}) × output {tuple(o.shape)} {o.dtype}")
    out = g.reduce_scatter(t._data.reshape((g.size,) + tuple(o.shape)), op)
    if op == "AVG":
        _divide(out, g.size, o.device.backend.xp)
    o._data[...] = out
    _bump(o)
    return Work() if async_op else None


def all_gather_object(object_list: list, obj, group=None) -> None:
    """Fill ``object_list`` (of world size) with every rank's picklable ``obj``."""
    g = _group("all_gather_object", group)
    if not isinstance(object_list, list) or len(object_list) != g.size:
        raise ValueError(f"all_gather_object: object_list expected a list of {g.size} "
                         f"entries")
    object_list[:] = g.allgather_object(obj)


def broadcast_object_list(object_list: list, src: int = 0, group=None, device=None) -> None:
    """Replace ``object_list``'s entries by rank ``src``'s (picklable objects)."""
    g = _group("broadcast_object_list", group)
    _check_rank("broadcast_object_list", "src", src, g.size)
    object_list[:] = g.bcast_object(list(object_list), src)


def barrier(group=None, async_op: bool = False, device_ids=None):
    """Wait until every rank reaches the barrier."""
    _group("barrier", group).barrier()
    return Work() if async_op else None


def __getattr__(name):
    # DDP lives in pygrad.nn.parallel; loaded on first use
    if name in ("DDP", "DistributedDataParallel"):
        from ..nn.parallel import DistributedDataParallel
        return DistributedDataParallel
    if name == "run":
        import importlib
        return importlib.import_module(".run", __name__)
    raise AttributeError(f"module 'pygrad.distributed' has no attribute {name!r}")
