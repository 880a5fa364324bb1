"""The process groups behind ``pygrad.distributed``: collectives on raw arrays.

``_MPIGroup`` runs everything through mpi4py (NumPy arrays in place; a CuPy array goes
through the host). ``_NCCLGroup`` adds NCCL through ``cupy.cuda.nccl`` for CuPy arrays,
bootstrapped over MPI (rank 0 makes the unique id and broadcasts it); CPU arrays still go
through MPI. ``_SingleGroup`` is world size 1 without MPI installed: every collective is the
identity. A ``_Watchdog`` thread ends the whole job, naming the rank, when a collective
waits longer than the timeout (a rank that died or hangs), so a job never hangs forever.
"""
from __future__ import annotations

import os
import socket
import sys
import threading
import time

import numpy as np

MPI_INSTALL = 'pip install "pygrad[mpi]"  (mpi4py and the mpich wheel)'

# torch.distributed.ReduceOp names -> the engines' operations
_OPS = ("SUM", "AVG", "PRODUCT", "MIN", "MAX")


def _is_cupy(a) -> bool:
    return type(a).__module__.startswith("cupy")


def import_mpi():
    """mpi4py's MPI module, or RuntimeError naming the extra to install."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise RuntimeError(f"pygrad.distributed needs MPI, which cannot be imported ({e}); "
                           f"install it with {MPI_INSTALL}") from None
    return MPI


class _Watchdog:
    """One daemon thread that ends the job when a collective outlives ``timeout`` seconds.

    ``arm(what)`` before a blocking wait, ``disarm()`` after: two attribute writes, so the
    fast path costs nothing measurable. On expiry the rank prints why (naming itself) and
    calls ``abort`` — MPI_Abort, which makes mpiexec stop every rank.
    """

    def __init__(self, rank: int, timeout: float, abort):
        self.rank, self.timeout, self._abort = rank, float(timeout), abort
        self._deadline = None
        self._what = ""
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="pygrad-dist-watchdog",
                                        daemon=True)
        self._thread.start()

    def arm(self, what: str):
        self._what = what
        self._deadline = time.monotonic() + self.timeout

    def disarm(self):
        self._deadline = None

    def close(self):
        self._stop = True

    def _run(self):
        step = min(1.0, max(self.timeout / 20, 0.01))
        while not self._stop:
            time.sleep(step)
            deadline = self._deadline
            if deadline is not None and time.monotonic() > deadline:
                from ._worker import report
                report(self.rank, f"{self._what} did not complete within the timeout of "
                                  f"{self.timeout:g}s (another rank died, hangs or did not "
                                  f"call it); stopping the job")
                time.sleep(0.3)
                try:
                    self._abort(1)
                finally:
                    os._exit(1)


class _Handle:
    """A started collective; ``wait()`` blocks (under the watchdog) until it is done."""

    def __init__(self, group, what, request=None, after=None):
        self._group, self._what, self._request, self._after = group, what, request, after
        self._done = request is None and after is None

    def wait(self):
        if self._done:
            return True
        if self._request is not None:
            self._group._wait(self._request, self._what)
            self._request = None
        if self._after is not None:
            after, self._after = self._after, None
            after()
        self._done = True
        return True


class _SingleGroup:
    """World size 1 without MPI: every collective leaves the arrays as they are."""

    backend = "mpi"
    rank, size, local_rank, local_size, node_rank = 0, 1, 0, 1, 0

    def __init__(self, timeout):
        self.timeout = timeout

    def allreduce_(self, a, op):
        return _Handle(self, "all_reduce")

    iallreduce_ = allreduce_

    def bcast_(self, a, src):
        return _Handle(self, "broadcast")

    def allgather(self, a):
        return a[None].copy()

    def reduce_scatter(self, a, op):
        return a[0].copy()

    def allgather_object(self, obj):
        return [obj]

    def bcast_object(self, obj, src=0):
        return obj

    def barrier(self):
        pass

    def abort(self, code=1):
        os._exit(code)

    def close(self):
        pass


class _MPIGroup:
    """The world of an MPI job (COMM_WORLD), collectives through mpi4py."""

    backend = "mpi"

    def __init__(self, timeout: float):
        MPI = import_mpi()
        self.MPI = MPI
        self.comm = MPI.COMM_WORLD.Dup()
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        # ranks sharing a machine: LOCAL_RANK is the rank among them
        local = self.comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = local.Get_rank(), local.Get_size()
        local.Free()
        hosts = self.comm.allgather(socket.gethostname())
        self.node_rank = list(dict.fromkeys(hosts)).index(hosts[self.rank])
        self.timeout = timeout
        self._ops = {"SUM": MPI.SUM, "AVG": MPI.SUM, "PRODUCT": MPI.PROD, "MIN": MPI.MIN,
                     "MAX": MPI.MAX}
        self.watchdog = _Watchdog(self.rank, timeout, self.abort) if self.size > 1 else None

    # ------------------------------------------------------------------ plumbing

    def _wait(self, request, what):
        w = self.watchdog
        if w is None:
            request.Wait()
            return
        w.arm(what)
        try:
            request.Wait()
        finally:
            w.disarm()

    def _blocking(self, what, fn, *args):
        w = self.watchdog
        if w is None:
            return fn(*args)
        w.arm(what)
        try:
            return fn(*args)
        finally:
            w.disarm()

    def abort(self, code=1):
        self.comm.Abort(code)

    # ------------------------------------------------------------------ collectives
    # Each takes C-contiguous arrays and works in place where torch does; AVG is SUM here and
    # the caller divides (MPI has no average).

    def allreduce_(self, a, op):
        if _is_cupy(a):
            host = a.get()
            self._blocking("all_reduce", self.comm.Allreduce, self.MPI.IN_PLACE, host,
                           self._ops[op])
            a.set(host)
        else:
            self._blocking("all_reduce", self.comm.Allreduce, self.MPI.IN_PLACE, a,
                           self._ops[op])
        return _Handle(self, "all_reduce")

    def iallreduce_(self, a, op):
        """Start an in-place all-reduce; the returned handle's wait() finishes it."""
        if _is_cupy(a):
            return self.allreduce_(a, op)
        return _Handle(self, "all_reduce",
                       self.comm.Iallreduce(self.MPI.IN_PLACE, a, self._ops[op]))

    def bcast_(self, a, src):
        if _is_cupy(a):
            host = a.get()
            self._blocking("broadcast", self.comm.Bcast, host, src)
            a.set(host)
        else:
            self._blocking("broadcast", self.comm.Bcast, a, src)
        return _Handle(self, "broadcast")

    def allgather(self, a):
        """(size, *a.shape): every rank's ``a``, in rank order."""
        host = a.get() if _is_cupy(a) else a
        out = np.empty((self.size,) + host.shape, host.dtype)
        self._blocking("all_gather", self.comm.Allgather, np.ascontiguousarray(host), out)
        return _like(a, out)

    def reduce_scatter(self, a, op):
        """``a`` shaped (size, *shape): this rank gets the reduction of row ``rank``."""
        host = np.ascontiguousarray(a.get() if _is_cupy(a) else a)
        out = np.empty(host.shape[1:], host.dtype)
        self._blocking("reduce_scatter", self.comm.Reduce_scatter_block, host, out,
                       self._ops[op])
        return _like(a, out)

    def allgather_object(self, obj):
        return self._blocking("all_gather_object", self.comm.allgather, obj)

    def bcast_object(self, obj, src=0):
        return self._blocking("broadcast_object", self.comm.bcast, obj, src)

    def barrier(self):
        self._blocking("barrier", self.comm.Barrier)

    def close(self):
        if self.watchdog is not None:
            self.watchdog.close()
        try:
            self.comm.Free()
        except Exception:
            pass


def _like(ref, out):
    if _is_cupy(ref):
        import cupy
        return cupy.asarray(out)
    return out


# ----------------------------------------------------------------------------- NCCL

def gpu_for_rank(local_rank: int, local_size: int, visible: str | None = None,
                 count: int | None = None) -> tuple:
    """The GPU a rank uses: ``(index, physical)`` — ``cuda:index`` counts the devices left
    visible by ``CUDA_VISIBLE_DEVICES``, ``physical`` is that entry of the list (or the index
    itself when the variable is unset). Needs no GPU: ``count`` (the visible devices) is read
    from the list, else asked of CUDA. Raises RuntimeError when there are fewer visible GPUs
    than ranks on the machine."""
    if visible is None:
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    entries = None
    if visible is not None:
        entries = [v.strip() for v in visible.split(",") if v.strip()]
        count = len(entries)
    if count is None:
        from ..cuda import device_count
        count = device_count()
    if local_size > count:
        note = (f"CUDA_VISIBLE_DEVICES={visible!r}" if visible is not None
                else "CUDA_VISIBLE_DEVICES is unset")
        raise RuntimeError(f"{local_size} ranks on this machine need {local_size} GPUs, but "
                           f"{count} are visible ({note}); start fewer ranks per machine "
                           f"(--nproc_per_node) or make more GPUs visible")
    return local_rank, entries[local_rank] if entries is not None else str(local_rank)


class _NCCLGroup(_MPIGroup):
    """MPI for the job and CPU arrays, NCCL (cupy.cuda.nccl) for GPU arrays: each rank on
    GPU ``local_rank`` of the visible devices."""

    backend = "nccl"

    def __init__(self, timeout: float):
        super().__init__(timeout)
        problem = nccl_problem()
        if problem:
            raise RuntimeError(f"backend 'nccl': {problem}")
        import cupy
        from cupy.cuda import nccl
        self.nccl, self.cupy = nccl, cupy
        self.device_index, _ = gpu_for_rank(self.local_rank, self.local_size)
        cupy.cuda.Device(self.device_index).use()
        from .. import cuda as pg_cuda
        pg_cuda.set_device(self.device_index)
        uid = nccl.get_unique_id() if self.rank == 0 else None
        uid = self.comm.bcast(uid, root=0)
        with cupy.cuda.Device(self.device_index):
            self.nccl_comm = self._blocking("NCCL setup", nccl.NcclCommunicator, self.size,
                                            uid, self.rank)
        self._nccl_ops = {"SUM": nccl.NCCL_SUM, "AVG": nccl.NCCL_SUM, "PRODUCT": nccl.NCCL_PROD,
                          "MIN": nccl.NCCL_MIN, "MAX": nccl.NCCL_MAX}
        self._types = {np.dtype(k): getattr(nccl, v) for k, v in (
            ("float16", "NCCL_FLOAT16"), ("float32", "NCCL_FLOAT32"),
            ("float64", "NCCL_FLOAT64"), ("int32", "NCCL_INT32"), ("int64", "NCCL_INT64"),
            ("int8", "NCCL_INT8"), ("uint8", "NCCL_UINT8"), ("bool", "NCCL_UINT8"))}

    def _dtype(self, a):
        try:
            return self._types[a.dtype]
        except KeyError:
            raise TypeError(f"backend 'nccl': dtype {a.dtype} is not supported") from None

    def _stream(self):
        return self.cupy.cuda.get_current_stream()

    def _sync(self, what, stream=None):
        stream = stream or self._stream()
        self._blocking(what, stream.synchronize)

    def allreduce_(self, a, op):
        if not _is_cupy(a):
            return super().allreduce_(a, op)
        h = self.iallreduce_(a, op)
        h.wait()
        return h

    def iallreduce_(self, a, op):
        if not _is_cupy(a):
            return super().iallreduce_(a, op)
        s = self._stream()
        self.nccl_comm.allReduce(a.data.ptr, a.data.ptr, a.size, self._dtype(a),
                                 self._nccl_ops[op], s.ptr)
        return _Handle(self, "all_reduce", after=lambda: self._sync("all_reduce", s))

    def bcast_(self, a, src):
        if not _is_cupy(a):
            return super().bcast_(a, src)
        s = self._stream()
        self.nccl_comm.broadcast(a.data.ptr, a.data.ptr, a.size, self._dtype(a), src, s.ptr)
        self._sync("broadcast", s)
        return _Handle(self, "broadcast")

    def allgather(self, a):
        if not _is_cupy(a):
            return super().allgather(a)
        a = self.cupy.ascontiguousarray(a)
        out = self.cupy.empty((self.size,) + a.shape, a.dtype)
        s = self._stream()
        self.nccl_comm.allGather(a.data.ptr, out.data.ptr, a.size, self._dtype(a), s.ptr)
        self._sync("all_gather", s)
        return out

    def reduce_scatter(self, a, op):
        if not _is_cupy(a):
            return super().reduce_scatter(a, op)
        a = self.cupy.ascontiguousarray(a)
        out = self.cupy.empty(a.shape[1:], a.dtype)
        s = self._stream()
        self.nccl_comm.reduceScatter(a.data.ptr, out.data.ptr, out.size, self._dtype(a),
                                     self._nccl_ops[op], s.ptr)
        self._sync("reduce_scatter", s)
        return out

    def barrier(self):
        self._sync("barrier")
        super().barrier()

    def abort(self, code=1):
        try:
            self.nccl_comm.abort()
        except Exception:
            pass
        super().abort(code)

    def close(self):
        try:
            self.nccl_comm.destroy()
        except Exception:
            pass
        super().close()


def nccl_problem() -> str | None:
    """Why NCCL cannot be used here (no CuPy, no GPU, no NCCL in CuPy), or None."""
    try:
        import cupy
    except ImportError as e:
        return (f"NCCL needs CuPy ({e}); install it with "
                f'pip install "pygrad[cuda12]" or "pygrad[cuda13]"')
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:
        return f"NCCL needs a GPU, and none can be reached ({e})"
    if n == 0:
        return "NCCL needs a GPU, and none is visible"
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # CuPy warns, then raises, when libnccl is missing
        try:
            from cupy.cuda import nccl
        except ImportError as e:
            return (f"CuPy cannot load NCCL ({e}); install the NCCL wheel of your CUDA "
                    f"version (nvidia-nccl-cu12 / nvidia-nccl-cu13)")
    if not getattr(nccl, "available", True):
        return "CuPy cannot load NCCL; install the NCCL wheel of your CUDA version"
    return None
