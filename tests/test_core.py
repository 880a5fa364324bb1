"""The compiled engine core and its Python source agree: the whole suite runs again with
PYGRAD_PURE_PYTHON=1, and a source edited after the build runs as Python, with a warning."""
import os
import subprocess
import sys
import textwrap

import pytest

import pygrad as pg
from pygrad import _core

HERE = os.path.dirname(os.path.abspath(__file__))
PURE = os.environ.get("PYGRAD_PURE_PYTHON", "") not in ("", "0")


def test_core_runs_compiled_when_it_was_built():
    if PURE:
        assert not any(_core.compiled().values())
    elif _core.built_from():                     # setup.py compiled it
        assert all(_core.compiled().values()), (
            f"{_core.compiled()}: a core module runs as Python; were sources edited since "
            f"the build? (pip install -e . rebuilds)")
    else:
        pytest.skip("pygrad was installed without the compiled core")


@pytest.mark.skipif(PURE, reason="this is the pure-Python run")
def test_whole_suite_passes_on_the_python_source():
    env = dict(os.environ, PYGRAD_PURE_PYTHON="1")
    this = f"{__file__}::test_whole_suite_passes_on_the_python_source"
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                        HERE, "--deselect", this],
                       env=env, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]


def test_an_edited_source_runs_as_python_with_a_warning(tmp_path):
    if not _core.built_from():
        pytest.skip("pygrad was installed without the compiled core")
    # a copy of the package whose dtypes.py differs from the one it was built from
    pkg = os.path.dirname(pg.__file__)
    code = textwrap.dedent(f"""
        import os, shutil, sys, warnings
        shutil.copytree({pkg!r}, {str(tmp_path / "pygrad")!r})
        with open({str(tmp_path / "pygrad" / "ops" / "dtypes.py")!r}, "a") as f:
            f.write("\\nEDITED = True\\n")
        sys.path.insert(0, {str(tmp_path)!r})
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            import pygrad
            from pygrad.ops import dtypes
        assert dtypes.EDITED and dtypes.__file__.endswith(".py"), dtypes.__file__
        assert any("differs from the source" in str(x.message) for x in w)
        from pygrad import _core
        c = _core.compiled()
        assert not c["pygrad.ops.dtypes"] and c["pygrad.tensor"], c
        x = pygrad.ones(2, dtype=pygrad.int32) + pygrad.tensor(1.5)
        assert str(x.dtype) == "float32"
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYGRAD_PURE_PYTHON"}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=300, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr[-3000:]


def test_an_edited_node_module_takes_its_compiled_users_along(tmp_path):
    """engine.py's compiled walk uses function.py's extension types: when function.py was
    edited (runs as Python), the engine must run as Python too, and backward still works."""
    if not _core.built_from():
        pytest.skip("pygrad was installed without the compiled core")
    pkg = os.path.dirname(pg.__file__)
    code = textwrap.dedent(f"""
        import os, shutil, sys, warnings
        shutil.copytree({pkg!r}, {str(tmp_path / "pygrad")!r})
        with open({str(tmp_path / "pygrad" / "autograd" / "function.py")!r}, "a") as f:
            f.write("\\nEDITED = True\\n")
        sys.path.insert(0, {str(tmp_path)!r})
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            import pygrad
        from pygrad import _core
        c = _core.compiled()
        assert not c["pygrad.autograd.function"] and not c["pygrad.autograd.engine"], c
        assert c["pygrad.ops.math"], c
        assert any("function.py differs from the source" in str(x.message) for x in w)
        x = pygrad.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        assert x.grad.tolist() == [2.0, 4.0], x.grad
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYGRAD_PURE_PYTHON"}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=300, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr[-3000:]


def test_the_python_source_runs_without_cython_installed():
    """The core's Cython declarations fall back to pygrad.autograd._cython_shim."""
    code = textwrap.dedent("""
        import sys
        sys.modules["cython"] = None            # import cython raises ImportError
        import pygrad
        from pygrad import _core
        assert not any(_core.compiled().values()), _core.compiled()
        from pygrad.autograd import function
        assert function.cython.__name__ == "pygrad.autograd._cython_shim"
        x = pygrad.tensor([1.0, 2.0], requires_grad=True)
        y = (x * 3.0 + x * x).sum()
        y.backward()
        assert x.grad.tolist() == [5.0, 7.0], x.grad
        assert function.TensorBase.__slots__ and not hasattr(x, "__dict__")
    """)
    env = dict(os.environ, PYGRAD_PURE_PYTHON="1")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
