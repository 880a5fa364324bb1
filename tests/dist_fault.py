"""Run under the launcher: a job in which rank 1 misbehaves, as argv[1] says.

raise: raises ValueError · kill: SIGKILLs itself · exit: sys.exit(3) · hang: sleeps while
the others wait in all_reduce (timeout argv[2] seconds) · mismatch: builds a different model
than the other ranks · sleep: every rank sleeps (for Ctrl-C) · devices: every rank prints the
GPU it would use.
"""
import json
import os
import signal
import sys
import time

import pygrad as pg
import pygrad.distributed as dist
from pygrad import nn

mode = sys.argv[1]
timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
if mode == "devices":
    index, physical = dist.device_for_rank()
    print(json.dumps({"rank": int(os.environ["RANK"]), "index": index, "physical": physical}),
          flush=True)
    sys.exit(0)
dist.init_process_group("mpi", timeout=timeout)
rank = dist.get_rank()
t = pg.ones(3)
dist.all_reduce(t)
if mode == "sleep":
    print(f"sleeping {rank}", flush=True)
    time.sleep(120)
if rank == 1:
    if mode == "raise":
        raise ValueError("rank one fails")
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "exit":
        sys.exit(3)
    if mode == "hang":
        time.sleep(120)
if mode == "mismatch":
    model = nn.Sequential(nn.Linear(4, 8 if rank == 1 else 6), nn.Sigmoid())
    try:
        dist.DDP(model)
    except RuntimeError as e:
        print(f"refused on rank {rank}: {e}", flush=True)
        sys.exit(0)
dist.all_reduce(t)
print(f"finished {rank}", flush=True)
