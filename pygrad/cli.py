"""The ``pygrad`` command: ``pygrad train | bench | info`` (also ``python -m pygrad ...``)."""
from __future__ import annotations

import sys

USAGE = """usage: pygrad {train,bench,info} [options]

  train   train a network on a built-in dataset or your CSV (pygrad train --help)
  bench   compare pygrad's kernels and training step with PyTorch (pygrad bench --help)
  info    versions, CPU kernel variant, threads, CUDA devices
"""


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "train":
        from .train import main as run
    elif cmd == "bench":
        from .bench.cli import main as run
    elif cmd == "info":
        from .info import main as run
    else:
        print(f"pygrad: unknown command {cmd!r}\n\n{USAGE}", end="", file=sys.stderr)
        return 2
    return run(rest) or 0


if __name__ == "__main__":
    sys.exit(main())
