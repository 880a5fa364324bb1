"""The ``pygrad`` command: ``pygrad train | run | bench | info`` (also ``python -m pygrad ...``).

Bad input ends a command with one line on stderr (``pygrad train: error: ...``) and a
non-zero exit status, before any work starts; the helpers here are shared by the commands.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile

USAGE = """usage: pygrad {train,run,bench,info} [options]
       pygrad --version

  train   train a network on a built-in dataset or your CSV (pygrad train --help)
  run     start a data-parallel job: pygrad run --nproc_per_node N script.py [args]
          (python -m pygrad.distributed.run; pygrad run --help)
  bench   compare pygrad's kernels and training step with PyTorch (pygrad bench --help)
  info    versions, CPU kernel variant, threads, CUDA devices
"""

TORCH_INSTALL = "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, ``<prog>: error: <message>``, exit 2
    (argparse prints the whole usage block first; ``--help`` still shows it)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def version() -> str:
    """pygrad's version: ``pygrad.__version__``, else the installed distribution's."""
    try:
        from . import __version__
        return __version__
    except ImportError:
        from importlib import metadata
        return metadata.version("pygrad")


def writable_dir_problem(path: str, option: str = "--out") -> str | None:
    """Create the folder ``path`` if needed and check that a file can be written in it.

    Returns None when it can, else a one-line reason naming ``option`` and ``path``; commands
    call this before their work so a bad output folder is not found only at the end.
    """
    where = f"argument {option}: {path!r}"
    if os.path.exists(path) and not os.path.isdir(path):
        return f"{where} is an existing file, not a folder"
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        return f"{where}: cannot create the folder ({e.strerror or e})"
    try:
        fd, probe = tempfile.mkstemp(dir=path, prefix=".pygrad-write-check-")
        os.close(fd)
        os.remove(probe)
    except OSError as e:
        return f"{where}: cannot write in the folder ({e.strerror or e})"
    return None


@contextlib.contextmanager
def default_device(device):
    """Make ``device`` this thread's default device inside the block, then put back what was
    set before: a command's ``--device`` wins and ``$PYGRAD_DEVICE`` is not consulted."""
    from .device import _default, set_default_device
    before = getattr(_default, "device", None)
    set_default_device(device)
    try:
        yield
    finally:
        set_default_device(before)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd in ("--version", "-V"):
        print(f"pygrad {version()}")
        return 0
    if cmd == "train":
        from .train import main as run
    elif cmd == "run":
        import functools
        from .distributed.run import main as launch
        run = functools.partial(launch, prog="pygrad run")
    elif cmd == "bench":
        from .bench.cli import main as run
    elif cmd == "info":
        from .info import main as run
    else:
        print(f"pygrad: unknown command {cmd!r}\n\n{USAGE}", end="", file=sys.stderr)
        return 2
    try:
        return run(rest) or 0
    except KeyboardInterrupt:
        print(f"\npygrad {cmd}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of stdout went away (pygrad train | head): stop quietly, as a C program
        # killed by SIGPIPE does; stdout goes to devnull so the exit-time flush cannot fail
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):     # stdout is not a real file (captured)
            pass
        return 141


if __name__ == "__main__":
    sys.exit(main())
