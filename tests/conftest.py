"""Shared fixtures: every device-aware test runs on "cpu" and, when a GPU is there, "cuda"."""
import numpy as np
import pytest

import pygrad as pg


def _cuda_available():
    try:
        return pg.cuda.is_available()
    except Exception:       # CuPy missing or broken: no cuda tests, the cpu ones still run
        return False


CUDA = _cuda_available()
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not CUDA, reason="no CUDA GPU: pygrad.cuda.is_available() is False"))]


@pytest.fixture(params=DEVICES)
def device(request):
    return request.param


@pytest.fixture(autouse=True)
def _seed():
    pg.manual_seed(0)
    np.random.seed(0)
