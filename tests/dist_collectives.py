"""Run under the launcher: every collective on every rank against NumPy applied to all the
ranks' inputs (each rank can rebuild the others' from their seeds). Prints "ok <rank>".
argv[1]: the backend, mpi (default, CPU tensors) or nccl (tensors on this rank's GPU)."""
import sys

import numpy as np

import pygrad as pg
import pygrad.distributed as dist

backend = sys.argv[1] if len(sys.argv) > 1 else "mpi"
dist.init_process_group(backend)
rank, world = dist.get_rank(), dist.get_world_size()
assert dist.is_initialized() and dist.get_backend() == backend
assert dist.get_local_world_size() == world and dist.get_local_rank() == rank
device = pg.device("cuda", dist.get_local_rank()) if backend == "nccl" else pg.device("cpu")


def T(a):
    return pg.tensor(a, device=device)


def host(t):
    return t.cpu().numpy()


def data(r, shape, dtype):
    rng = np.random.default_rng(1000 + r)
    if np.dtype(dtype).kind == "f":
        return rng.uniform(0.5, 2.0, shape).astype(dtype)
    return rng.integers(-20, 20, shape).astype(dtype)


def close(got, want, dtype, what):
    if np.dtype(dtype).kind == "f":
        tol = 1e-6 if np.dtype(dtype) == np.float32 else 1e-14
        ok = np.allclose(got, want, rtol=tol, atol=0)
    else:
        ok = np.array_equal(got, want)
    assert ok and got.dtype == np.dtype(dtype), f"{what}: {got} != {want}"


reduce = {"SUM": lambda a: a.sum(0), "PRODUCT": lambda a: a.prod(0), "MIN": lambda a: a.min(0),
          "MAX": lambda a: a.max(0)}
for dtype in (np.float32, np.float64, np.int64, np.int32):
    for shape in ((3, 4), (), (0,), (5,)):
        every = np.stack([data(r, shape, dtype) for r in range(world)])
        for op in ("SUM", "AVG", "PRODUCT", "MIN", "MAX"):
            t = T(data(rank, shape, dtype))
            version = t._version
            assert dist.all_reduce(t, op=getattr(dist.ReduceOp, op)) is None
            if op == "AVG":
                want = every.sum(0) / world if np.dtype(dtype).kind == "f" else \
                    np.trunc(every.sum(0) / world).astype(dtype)
            else:
                want = reduce[op](every).astype(dtype)
            close(host(t), want, dtype, f"all_reduce {op} {dtype.__name__} {shape}")
            assert t._version == version + 1
        # async
        t = T(data(rank, shape, dtype))
        work = dist.all_reduce(t, async_op=True)
        work.wait()
        close(host(t), every.sum(0).astype(dtype), dtype, "async all_reduce")
        # broadcast from the last rank
        t = T(data(rank, shape, dtype))
        dist.broadcast(t, src=world - 1)
        close(host(t), every[world - 1], dtype, "broadcast")
        # all_gather into a list and into one tensor
        outs = [pg.zeros(shape, dtype=dtype, device=device) for _ in range(world)]
        dist.all_gather(outs, T(data(rank, shape, dtype)))
        for r in range(world):
            close(host(outs[r]), every[r], dtype, "all_gather")
        if shape:
            out = pg.zeros((world * shape[0],) + shape[1:], dtype=dtype, device=device)
            dist.all_gather_into_tensor(out, T(data(rank, shape, dtype)))
            close(host(out), np.concatenate(list(every)), dtype, "all_gather_into_tensor")
        # reduce_scatter: rank r gets the sum over ranks of their input_list[r]
        inputs = [T(data(rank * 10 + r, shape, dtype)) for r in range(world)]
        out = pg.zeros(shape, dtype=dtype, device=device)
        dist.reduce_scatter(out, inputs)
        want = sum(data(q * 10 + rank, shape, dtype) for q in range(world))
        close(host(out), np.asarray(want, dtype), dtype, "reduce_scatter")
        if shape:
            big = T(np.concatenate([data(rank * 10 + r, shape, dtype)
                                            for r in range(world)]))
            out = pg.zeros(shape, dtype=dtype, device=device)
            dist.reduce_scatter_tensor(out, big, op=dist.ReduceOp.MAX)
            want = np.max([data(q * 10 + rank, shape, dtype) for q in range(world)], axis=0)
            close(host(out), want, dtype, "reduce_scatter_tensor")

# a non-contiguous tensor is reduced in place through a copy
base = T(data(rank, (4, 3), np.float64))
t = base.T
dist.all_reduce(t)
close(host(base), np.stack([data(r, (4, 3), np.float64) for r in range(world)]).sum(0),
      np.float64, "transposed all_reduce")
# objects
objs = [None] * world
dist.all_gather_object(objs, {"rank": rank})
assert objs == [{"rank": r} for r in range(world)]
lst = [rank, "x"]
dist.broadcast_object_list(lst, src=1)
assert lst == [1, "x"]
dist.barrier()
# argument errors name what was wrong
for call, kind, text in (
        (lambda: dist.broadcast(pg.ones(2, device=device), src=world), ValueError, "src"),
        (lambda: dist.all_reduce([1.0]), TypeError, "Tensor"),
        (lambda: dist.all_reduce(pg.ones(2, device=device), op="mean"), ValueError, "op"),
        (lambda: dist.all_gather([pg.ones(2, device=device)], pg.ones(2, device=device)),
         ValueError, "one per rank")):
    try:
        call()
    except kind as e:
        assert text in str(e), e
    else:
        raise AssertionError(f"no {kind.__name__}")
print(f"ok {rank}", flush=True)
