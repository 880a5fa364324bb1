"""What each rank runs under the launcher: ``python -m pygrad.distributed._worker``.

It asks MPI for this process's place in the job, exports torchrun's variables (RANK,
LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK) and runs the user's script (or
``-m module``) as ``__main__``. A script that raises or exits with a non-zero status ends
the whole job through MPI_Abort, after printing a line naming the rank; the other ranks
would otherwise wait for it forever.
"""
from __future__ import annotations

import json
import os
import runpy
import socket
import sys
import time
import traceback

RUN_DIR = "PYGRAD_RUN_DIR"       # set by the launcher: where ranks leave their pid and errors


def _note(rank: int, name: str, payload: dict) -> None:
    """Leave ``payload`` in the launcher's run folder, when it is on this machine."""
    folder = os.environ.get(RUN_DIR)
    if not folder or not os.path.isdir(folder):
        return
    try:
        with open(os.path.join(folder, f"rank{rank}.{name}"), "w") as f:
            json.dump(payload, f)
    except OSError:
        pass


_link = {}


def _hello(rank: int) -> None:
    """Connect to the launcher's socket (when on this machine): it learns that this process
    is rank ``rank``, and sees the connection close when the process ends."""
    folder = os.environ.get(RUN_DIR)
    path = folder and os.path.join(folder, "ctl")
    if not path or not os.path.exists(path):
        return
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        s.sendall(f"hello {rank}\n".encode())
    except OSError:
        return
    _link["socket"] = s


def _done() -> None:
    s = _link.pop("socket", None)
    if s is not None:
        try:
            s.sendall(b"done\n")
        except OSError:
            pass
        s.close()


def report(rank: int, message: str) -> None:
    """Print ``pygrad.distributed: rank R: message`` and leave it for the launcher."""
    sys.stderr.write(f"pygrad.distributed: rank {rank} {message}\n")
    sys.stderr.flush()
    _note(rank, "error", {"rank": rank, "message": message})


def fail(rank: int, kind, value, tb, abort, code: int = 1) -> None:
    """The rank's traceback (each line marked with the rank), one line naming the rank and
    the error, then ``abort(code)``: MPI_Abort, so mpiexec stops every rank."""
    lines = "".join(traceback.format_exception(kind, value, tb)).rstrip("\n").split("\n")
    sys.stderr.write("".join(f"[rank {rank}] {line}\n" for line in lines))
    what = f"{kind.__name__}: {value}" if str(value) else kind.__name__
    report(rank, f"failed with {what}; stopping the job")
    time.sleep(0.3)          # let mpiexec forward the lines above before the abort
    _stop(abort, code)


def _stop(abort, code):
    """MPI_Abort (mpiexec then stops every rank); should it return, end this process."""
    try:
        abort(code)
    finally:
        os._exit(code)


def _place(MPI):
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    local = comm.Split_type(MPI.COMM_TYPE_SHARED, key=rank)
    local_rank, local_size = local.Get_rank(), local.Get_size()
    local.Free()
    hosts = comm.allgather(socket.gethostname())
    node = list(dict.fromkeys(hosts)).index(hosts[rank])
    return rank, size, local_rank, local_size, node


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    module = False
    if argv and argv[0] == "-m":
        module, argv = True, argv[1:]
    if not argv:
        print("usage: python -m pygrad.distributed._worker [-m] script.py|module [args...]",
              file=sys.stderr)
        return 2
    from ._groups import import_mpi
    MPI = import_mpi()
    rank, size, local_rank, local_size, node = _place(MPI)
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(size), LOCAL_RANK=str(local_rank),
                      LOCAL_WORLD_SIZE=str(local_size), GROUP_RANK=str(node),
                      NODE_RANK=str(node))
    _hello(rank)
    target, sys.argv = argv[0], argv
    abort = MPI.COMM_WORLD.Abort
    try:
        if module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.path[0] = os.path.dirname(os.path.abspath(target))
            runpy.run_path(target, run_name="__main__")
    except SystemExit as e:
        code = e.code
        if code not in (None, 0):
            if not isinstance(code, int):
                print(code, file=sys.stderr)
                code = 1
            if size > 1:
                report(rank, f"exited with status {code}; stopping the job")
                time.sleep(0.3)
                _stop(abort, code)
            _done()
            return code
    except BaseException:
        kind, value, tb = sys.exc_info()
        if size > 1:
            fail(rank, kind, value, tb.tb_next or tb, abort)
        raise
    from . import destroy_process_group, is_initialized
    if is_initialized():
        destroy_process_group()
    _done()
    return 0


if __name__ == "__main__":
    sys.exit(main())
