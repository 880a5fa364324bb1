"""Benchmarks of pygrad against PyTorch and NumPy (``pygrad bench``).

``harness`` holds the shared timing and reporting code; ``cpu`` the CPU kernel suite,
``gpu`` the CUDA kernel suite, ``mlp`` the end-to-end train-step suite, ``cli`` the command.
Installed as ``pygrad.bench``.
"""
