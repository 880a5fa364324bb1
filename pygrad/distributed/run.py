"""The launcher: ``python -m pygrad.distributed.run --nproc_per_node N script.py args…``
(also ``pygrad run …``), torchrun's options over ``mpiexec``.

Starts N ranks per machine through ``mpiexec`` (the ``mpich`` wheel's, beside this Python,
else the one on PATH, else ``--mpiexec``); each rank gets RANK, LOCAL_RANK, WORLD_SIZE and
LOCAL_WORLD_SIZE as under torchrun and uses GPU LOCAL_RANK of ``CUDA_VISIBLE_DEVICES``. Across
machines, one launch on the first machine with ``--nnodes M --hostfile F`` (F lists the
machines, one per line, as mpiexec reads it) starts M × N ranks. When a rank fails the job
stops and the launcher's last line names the rank and why; Ctrl-C stops every rank.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

from ._groups import MPI_INSTALL

PROG = "python -m pygrad.distributed.run"


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    from ..cli import Parser
    p = Parser(prog=prog, description="Start a data-parallel job: N processes per machine "
                                      "through mpiexec, torchrun's environment in each.")
    p.add_argument("--nproc_per_node", "--nproc-per-node", type=_positive, default=1,
                   metavar="N", help="processes per machine (default 1); with GPUs, one "
                                     "per visible GPU")
    p.add_argument("--nnodes", type=_positive, default=1, metavar="M",
                   help="machines (default 1); more than one needs --hostfile")
    p.add_argument("--node_rank", "--node-rank", type=int, default=0, metavar="K",
                   help="accepted for torchrun's command lines; MPI starts every machine "
                        "from one launch, so only 0 (the machine you launch on)")
    p.add_argument("--hostfile", metavar="F", help="the machines, one per line (mpiexec's "
                                                   "hostfile), the launching one first")
    p.add_argument("--mpiexec", metavar="PATH", help="the mpiexec to use (default: the one "
                                                     "beside this Python, else on PATH)")
    p.add_argument("-m", "--module", action="store_true",
                   help="run the target as a module (python -m), not a script")
    p.add_argument("script", help="the training script (or module with -m)")
    p.add_argument("script_args", nargs=argparse.REMAINDER, help="its arguments")
    return p


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def find_mpiexec(given: str | None = None) -> str:
    """The mpiexec to start ranks with; RuntimeError naming the extra when there is none."""
    if given:
        path = shutil.which(given)
        if path is None:
            raise RuntimeError(f"argument --mpiexec: {given!r} is not an executable")
        return path
    env = os.environ.get("PYGRAD_MPIEXEC")
    if env:
        return env
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.access(beside, os.X_OK):
        return beside
    path = shutil.which("mpiexec")
    if path is None:
        raise RuntimeError(f"mpiexec was not found (beside {sys.executable} or on PATH); "
                           f"install MPI with {MPI_INSTALL}")
    return path


def _flavour(mpiexec: str) -> str:
    """'hydra' (MPICH, Intel MPI) or 'openmpi': their hostfile options differ."""
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "hydra"
    return "openmpi" if "Open MPI" in out or "OpenRTE" in out else "hydra"


def command(args, mpiexec: str, flavour: str = "hydra") -> list:
    """The mpiexec command line of a launch."""
    total = args.nproc_per_node * args.nnodes
    cmd = [mpiexec, "-n", str(total)]
    if args.hostfile:
        if flavour == "openmpi":
            cmd += ["--hostfile", args.hostfile, "--map-by", f"ppr:{args.nproc_per_node}:node"]
        else:
            cmd += ["-f", args.hostfile, "-ppn", str(args.nproc_per_node)]
    cmd += [sys.executable, "-u", "-m", "pygrad.distributed._worker"]
    if args.module:
        cmd.append("-m")
    return cmd + [args.script] + list(args.script_args)


def problem(args) -> str | None:
    """Why these options cannot start a job, or None."""
    if args.node_rank != 0:
        return ("argument --node_rank: MPI starts every machine from one launch; run the "
                "launcher once, on the first machine, with --nnodes and --hostfile")
    if args.nnodes > 1 and not args.hostfile:
        return f"argument --nnodes {args.nnodes}: needs --hostfile listing the machines"
    if args.hostfile and not os.path.isfile(args.hostfile):
        return f"argument --hostfile: no such file: {args.hostfile!r}"
    if not args.module and not os.path.isfile(args.script):
        return f"argument script: no such file: {args.script!r}"
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return f"mpi4py cannot be imported; install MPI with {MPI_INSTALL}"
    return None


def _summary(run_dir: str, tail: str, rc: int, first_death=None) -> str:
    """One line naming the rank that ended the job, and why."""
    errors = []
    for path in sorted(glob.glob(os.path.join(run_dir, "rank*.error"))):
        try:
            with open(path) as f:
                errors.append(json.load(f))
        except (OSError, ValueError):
            pass
    # a rank that raised (the others' timeouts come after it): its message first
    errors.sort(key=lambda e: ("did not complete within" in e["message"], e["rank"]))
    if errors:
        e = errors[0]
        return f"rank {e['rank']} {e['message'].replace('; stopping the job', '')}"
    m = re.search(r"PID (\d+) RUNNING AT (\S+)", tail)
    s = re.search(r"EXIT STRING: [^\n]*\(signal (\d+)\)", tail)
    if first_death is not None or m:
        who = f"rank {first_death}" if first_death is not None else \
            f"the rank with pid {m.group(1)} on {m.group(2)}"
        if s:
            sig = int(s.group(1))
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = f"signal {sig}"
            return f"{who} was killed by signal {sig} ({name})"
        return f"{who} ended without finishing"
    return f"mpiexec ended with exit status {rc}"


class _Ranks:
    """What the ranks on this machine tell the launcher over a UNIX socket in the run
    folder: each connects at start ("hello R"), says "done" before a clean exit, and the
    socket closes when the process ends — so the first rank whose socket closes without
    "done" is the one that died (mpiexec then stops the others)."""

    def __init__(self, path):
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(1024)
        self.server.setblocking(False)
        self.conns = {}          # socket -> [rank or None, finished, buffered bytes]
        self.first_death = None

    def accept(self, sel):
        try:
            conn, _ = self.server.accept()
        except (BlockingIOError, InterruptedError):
            return
        conn.setblocking(False)
        self.conns[conn] = [None, False, b""]
        sel.register(conn, selectors.EVENT_READ, "rank")

    def read(self, conn, sel):
        state = self.conns[conn]
        try:
            chunk = conn.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if chunk:
            state[2] += chunk
            while b"\n" in state[2]:
                line, state[2] = state[2].split(b"\n", 1)
                word = line.split()
                if word[:1] == [b"hello"] and len(word) > 1:
                    state[0] = int(word[1])
                elif word[:1] == [b"done"]:
                    state[1] = True
            return
        sel.unregister(conn)
        conn.close()
        if not state[1] and state[0] is not None and self.first_death is None:
            self.first_death = state[0]

    def close(self):
        for conn in self.conns:
            conn.close()
        self.server.close()


def launch(args) -> int:
    """Run the job; returns its exit status (0 when every rank finished cleanly)."""
    mpiexec = find_mpiexec(args.mpiexec)
    cmd = command(args, mpiexec, _flavour(mpiexec) if args.hostfile else "hydra")
    with tempfile.TemporaryDirectory(prefix="pygrad-run-") as run_dir:
        env = dict(os.environ, PYGRAD_RUN_DIR=run_dir)
        if args.nproc_per_node > 1 and "OMP_NUM_THREADS" not in env:
            # as torchrun: ranks sharing a machine share its cores, not each take them all
            env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // args.nproc_per_node))
        ranks = _Ranks(os.path.join(run_dir, "ctl"))
        # its own session: Ctrl-C reaches mpiexec once, from here, and mpiexec stops the ranks
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env, start_new_session=True)
        tail = b""
        out = getattr(sys.stdout, "buffer", None)
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ, "out")
        sel.register(ranks.server, selectors.EVENT_READ, "server")
        try:
            open_out = True
            while open_out:
                for key, _ in sel.select():
                    if key.data == "server":
                        ranks.accept(sel)
                    elif key.data == "rank":
                        ranks.read(key.fileobj, sel)
                    else:
                        chunk = os.read(proc.stdout.fileno(), 65536)
                        if not chunk:
                            open_out = False
                            break
                        if out is not None:
                            out.write(chunk)
                            out.flush()
                        else:
                            sys.stdout.write(chunk.decode(errors="replace"))
                        tail = (tail + chunk)[-65536:]
            rc = proc.wait()
        except KeyboardInterrupt:
            _stop(proc)
            print(f"{PROG}: interrupted; every rank was stopped", file=sys.stderr)
            return 130
        finally:
            signal.signal(signal.SIGTERM, previous)
            sel.close()
            ranks.close()
            proc.stdout.close()
        if rc != 0:
            why = _summary(run_dir, tail.decode(errors="replace"), rc, ranks.first_death)
            print(f"{PROG}: error: {why}; the job was stopped (exit status {rc})",
                  file=sys.stderr)
        return rc


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop(proc):
    """SIGINT to mpiexec (it forwards it to every rank), then SIGKILL to what is left."""
    for sig, wait in ((signal.SIGINT, 10), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def main(argv=None, prog: str = PROG) -> int:
    """Entry point; returns the exit status (2 for bad options, before anything starts)."""
    try:
        args = build_parser(prog).parse_args(argv)
    except SystemExit as e:
        return e.code
    why = problem(args)
    if why is None:
        try:
            find_mpiexec(args.mpiexec)
        except RuntimeError as e:
            why = str(e)
    if why:
        print(f"{prog}: error: {why}", file=sys.stderr)
        return 2
    return launch(args)


if __name__ == "__main__":
    sys.exit(main())
