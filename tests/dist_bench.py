"""Run under the launcher: the all-reduce bandwidth of a float32 buffer (default 64 MB)
through pygrad.distributed.all_reduce against mpi4py's own Allreduce of the same buffer.
Rank 0 prints one JSON line (best of the repeats, in GB/s of buffer size per second)."""
import json
import sys
import time

import numpy as np

import pygrad as pg
import pygrad.distributed as dist

megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 64
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 10
dist.init_process_group("mpi")
from mpi4py import MPI  # noqa: E402

comm = MPI.COMM_WORLD
n = int(megabytes * 2**20) // 4
buf = np.ones(n, np.float32)
t = pg.tensor(np.ones(n, np.float32))


def best(fn):
    times = []
    for _ in range(repeats + 2):
        comm.Barrier()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times[2:])


mpi = best(lambda: comm.Allreduce(MPI.IN_PLACE, buf, MPI.SUM))
ours = best(lambda: dist.all_reduce(t))
if dist.get_rank() == 0:
    size = n * 4 / 1e9
    print(json.dumps({"ranks": dist.get_world_size(), "megabytes": megabytes,
                      "mpi4py_GBps": size / mpi, "pygrad_GBps": size / ours,
                      "overhead_percent": 100 * (ours / mpi - 1)}), flush=True)
