"""Build of pygrad: the Python packages plus the Cython/C extension pygrad.backend._cpu.

Metadata lives in pyproject.toml; this file adds what needs code:

* the extension, built from csrc/cpu/*.c and pygrad/backend/_cpu.pyx with OpenMP and libm
  (libm also brings libmvec, whose vector expf the kernels call). If the compiler has no
  OpenMP the kernels build single-threaded; if the extension does not build at all the
  install still succeeds and pygrad.backend.cpu falls back to the reference code.
* the engine core (the modules pygrad/_core.py lists), compiled from their Python source
  by Cython; optional too: without it the same source runs as Python.
* two folders mapped into the package: bench/ -> pygrad.bench and csrc/cuda/ ->
  pygrad._cuda_src (the .cu sources CuPy compiles at run time, shipped as package data).
"""
import importlib.util
import os
import sys
import tempfile

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
CPU_SRC = "csrc/cpu"


OMP_PROGRAM = "#include <omp.h>\nint main(void) { return omp_get_max_threads() > 0 ? 0 : 1; }\n"
SIMD_PROGRAM = "int main(void) {\n#pragma omp simd\nfor (int i = 0; i < 4; i++) {}\nreturn 0; }\n"


def _compiler_accepts(compiler, flags, code) -> bool:
    """Whether ``compiler`` compiles and links the C program ``code`` with ``flags``."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "omp_check.c")
        with open(src, "w") as f:
            f.write(code)
        try:
            objs = compiler.compile([src], output_dir=tmp, extra_postargs=flags)
            compiler.link_executable(objs, os.path.join(tmp, "omp_check"), extra_postargs=flags)
        except Exception:  # any compiler/linker failure means "not supported"
            return False
    return True


class BuildExt(build_ext):
    """build_ext that replaces -fopenmp when the compiler cannot use it (e.g. Apple clang):
    with -fopenmp-simd the kernels still vectorise, on one thread; without it they build as
    plain C."""

    def build_extensions(self):
        if self.compiler.compiler_type == "msvc":
            for ext in self.extensions:
                ext.extra_compile_args = ["/O2", "/openmp"]
                ext.extra_link_args = []
                ext.libraries = []
        elif not _compiler_accepts(self.compiler, ["-fopenmp"], OMP_PROGRAM):
            simd = _compiler_accepts(self.compiler, ["-fopenmp-simd"], SIMD_PROGRAM)
            print("pygrad: the C compiler has no OpenMP; building single-threaded kernels",
                  file=sys.stderr)
            for ext in self.extensions:
                ext.extra_compile_args = [a for a in ext.extra_compile_args if a != "-fopenmp"]
                ext.extra_link_args = [a for a in ext.extra_link_args if a != "-fopenmp"]
                if simd:
                    ext.extra_compile_args.append("-fopenmp-simd")
        super().build_extensions()


cpu_ext = Extension(
    "pygrad.backend._cpu",
    sources=[
        "pygrad/backend/_cpu.pyx",
        f"{CPU_SRC}/dispatch.c",
        f"{CPU_SRC}/kernels_baseline.c",
        f"{CPU_SRC}/kernels_avx2.c",
        f"{CPU_SRC}/kernels_avx512.c",
    ],
    depends=[f"{CPU_SRC}/{name}" for name in
             ("pygrad_cpu.h", "simd_math.h", "variant.inc", "kernels.inc")],
    include_dirs=[CPU_SRC, np.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    # -fno-math-errno and -fno-trapping-math (not -ffast-math): loops with expf, sqrt and
    # selects vectorise while IEEE inf/nan semantics, which masked (-inf) rows rely on, stay.
    extra_compile_args=["-O3", "-fopenmp", "-fno-math-errno", "-fno-trapping-math"],
    extra_link_args=["-fopenmp"],
    libraries=["m"],
    optional=True,
)


# The engine core (pygrad/_core.py lists it): plain Python modules that Cython compiles into
# extensions beside them. The hash of each source is recorded, so an edited source that was
# not rebuilt runs as Python instead of through a stale extension.
_spec = importlib.util.spec_from_file_location("_pygrad_core", os.path.join(HERE, "pygrad",
                                                                            "_core.py"))
_core = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_core)       # the list alone, without importing pygrad
CORE, source_hash = _core.CORE, _core.source_hash

core_exts = [Extension(name, [name.replace(".", "/") + ".py"], optional=True) for name in CORE]
with open(os.path.join(HERE, "pygrad", "_core_build.py"), "w") as f:
    f.write("# written by setup.py: the sources the compiled core was built from\n"
            "SOURCES = {\n" + "".join(
                f"    {name!r}: {source_hash(name.replace('.', '/') + '.py')!r},\n"
                for name in CORE) + "}\n")


def _packages():
    """pygrad's packages plus those mapped from bench/ and csrc/cuda/."""
    packages = find_packages(include=["pygrad", "pygrad.*"])
    packages += ["pygrad.bench"] + [f"pygrad.bench.{p}" for p in find_packages("bench")]
    packages.append("pygrad._cuda_src")
    return packages


setup(
    packages=_packages(),
    package_dir={"pygrad.bench": "bench", "pygrad._cuda_src": "csrc/cuda"},
    package_data={
        "pygrad._cuda_src": ["*.cu", "*.cuh"],
        "pygrad.data": ["datasets/*"],
        # the core's Cython declarations: part of each module's recorded source hash
        "pygrad": ["*.pxd"],
        "pygrad.autograd": ["*.pxd"],
    },
    # the extension's sources stay in the sdist; wheels carry only the built module
    exclude_package_data={"pygrad.backend": ["*.c", "*.pyx", "*.pxd"]},
    ext_modules=cythonize(
        [cpu_ext],
        compiler_directives={"language_level": "3"},
        quiet=True,
    ) + cythonize(
        core_exts,
        compiler_directives={"language_level": "3", "annotation_typing": False},
        build_dir="build/cython",
        quiet=True,
    ),
    cmdclass={"build_ext": BuildExt},
    zip_safe=False,
)
