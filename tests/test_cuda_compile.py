"""Every CUDA kernel compiles (NVRTC, else nvcc) for sm_80 and sm_90 and exports its entry points;
the row-kernel launch chooser keeps its invariants. No GPU needed.

A cold compile of softmax.cu or cross_entropy.cu takes 10-15 s, so the (source, arch) pairs the
selected tests need are compiled once, side by side in threads (NVRTC and nvcc run outside the
GIL), and shared by the tests."""
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("cupy")
cuda_backend = pytest.importorskip("pygrad.backend.cuda")

ARCHS = ("80", "90")


def _nvrtc():
    try:
        from cupy.cuda import nvrtc
        nvrtc.getVersion()
        return nvrtc
    except Exception:
        return None


NVRTC = _nvrtc()
NVCC = shutil.which("nvcc") or (shutil.which("/usr/local/cuda/bin/nvcc"))


def compile_ptx(source: str, arch: str, tmp_path) -> str:
    if NVRTC is not None:
        prog = NVRTC.createProgram(source, "kernel.cu", [], [])
        try:
            NVRTC.compileProgram(prog, [f"--gpu-architecture=compute_{arch}",
                                        *cuda_backend.NVRTC_OPTIONS])
        except Exception as e:
            raise AssertionError(f"NVRTC failed for compute_{arch}: {e}\n"
                                 f"{NVRTC.getProgramLog(prog)}") from None
        ptx = NVRTC.getPTX(prog)
        return ptx.decode() if isinstance(ptx, bytes) else ptx
    src = tmp_path / "kernel.cu"
    src.write_text(source)
    out = tmp_path / "kernel.ptx"
    subprocess.run([NVCC, "-std=c++17", f"-arch=sm_{arch}", "-ptx", str(src), "-o", str(out)],
                   check=True, capture_output=True, text=True)
    return out.read_text()


needs_compiler = pytest.mark.skipif(NVRTC is None and NVCC is None,
                                    reason="neither NVRTC (cupy.cuda.nvrtc) nor nvcc is available")


PACKED = ("cross_entropy.cu", "90")      # the PTX test_packed_path_uses_16_byte_accesses reads


def _wanted(session) -> list:
    """The (source, arch) pairs that this run's selected tests of this module compile."""
    want = []
    for item in session.items:
        if getattr(item, "module", None) is not sys.modules[__name__]:
            continue
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "filename" in params and "arch" in params:
            want.append((params["filename"], params["arch"]))
        elif item.originalname == "test_packed_path_uses_16_byte_accesses":
            want.append(PACKED)
    return list(dict.fromkeys(want))


@pytest.fixture(scope="module")
def ptx(request, tmp_path_factory):
    """``ptx(filename, arch)``: the PTX text. Every pair the selected tests use is compiled up
    front, in parallel; a failed compile raises in the tests that use that pair."""
    def one(job):
        try:
            return job, compile_ptx(cuda_backend.load_source(job[0]), job[1], dirs[job])
        except Exception as e:  # noqa: BLE001  (raised by the test that needs the pair)
            return job, e

    jobs = _wanted(request.session)
    dirs = {job: tmp_path_factory.mktemp(f"{job[0].split('.')[0]}_{job[1]}") for job in jobs}
    with ThreadPoolExecutor(max(1, min(len(jobs), os.cpu_count() or 1))) as pool:
        done = dict(pool.map(one, jobs))

    def get(filename, arch):
        job = (filename, arch)
        if job not in done:
            dirs[job] = tmp_path_factory.mktemp(f"{filename.split('.')[0]}_{arch}")
            done.update([one(job)])
        if isinstance(done[job], Exception):
            raise done[job]
        return done[job]

    return get


@needs_compiler
@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("filename", cuda_backend.SOURCES)
def test_every_entry_point_compiles(filename, arch, ptx):
    text = ptx(filename, arch)
    entries = set(re.findall(r"\.entry\s+(\w+)\s*\(", text))
    expected = set(cuda_backend.kernel_names(filename))
    assert expected - entries == set(), f"missing in {filename} PTX"
    assert entries - expected == set(), f"unlisted entry points in {filename}"


@needs_compiler
def test_packed_path_uses_16_byte_accesses(ptx):
    body = ptx(*PACKED).split(".entry cross_entropy_warp32_float32")[1].split(".entry")[0]
    assert "ld.global.v4.f32" in body or "ld.global.nc.v4.f32" in body
    assert "st.global.v4.f32" in body


def test_sources_are_found_and_headers_inlined():
    for filename in cuda_backend.SOURCES:
        src = cuda_backend.load_source(filename)
        assert not re.search(r'^\s*#include\s+"', src, re.M), filename
        assert src.count("#define PYGRAD_COMMON_CUH") == 1


def test_kernel_names_rejects_unknown_file():
    with pytest.raises(ValueError, match="kernel_names"):
        cuda_backend.kernel_names("nope.cu")


# ----------------------------------------------------------------------------- launch configs

ROW_ENTRIES = set(cuda_backend.kernel_names("softmax.cu")) | set(cuda_backend.kernel_names("cross_entropy.cu"))
SHAPES = [(1, 1), (3, 2), (1048576, 10), (7, 31), (5, 32), (5, 33), (9, 64), (9, 100), (262144, 128),
          (65536, 1024), (4, 1025), (4, 2048), (4, 2049), (16384, 4096), (2, 16384), (2, 16385),
          (4096, 32000), (2, 32768), (2, 32769), (2, 100000), (3, 1023)]


@pytest.mark.parametrize("itemsize", [4, 8])
@pytest.mark.parametrize("kind", ["fwd", "ce", "bwd"])
@pytest.mark.parametrize("n,c", SHAPES)
def test_row_config_covers_the_row(n, c, kind, itemsize):
    cfg = cuda_backend.row_config(n, c, itemsize, kind)
    op = {"fwd": "softmax_fwd", "ce": "cross_entropy", "bwd": "softmax_bwd"}[kind]
    dt = {4: "float32", 8: "float64"}[itemsize]
    assert f"{op}_{cfg.tier}_{dt}" in ROW_ENTRIES
    assert cfg.block % 32 == 0 and 32 <= cfg.block <= 1024
    assert 1 <= cfg.grid < 2**31
    vec_width = 16 // itemsize
    if cfg.vec:
        assert c % vec_width == 0
    if cfg.tier.startswith("warp"):
        vpl = int(cfg.tier[4:])
        assert cfg.width & (cfg.width - 1) == 0 and cfg.width <= 32
        assert cfg.width * vpl >= c, "the lanes of a row hold all of it"
        assert cfg.width == 32 or (vpl == 1 and cfg.width >= c)
        assert cfg.grid * (cfg.block // cfg.width) >= n, "every row gets a lane group"
        if cfg.vec:
            assert vpl % vec_width == 0
    elif cfg.tier.startswith("block"):
        assert cfg.block * int(cfg.tier[5:]) >= c
        assert cfg.grid == n
    else:
        assert cfg.tier == "online" and cfg.grid == n


def test_row_config_tiers_by_row_length():
    tier = lambda c: cuda_backend.row_config(64, c, 4, "fwd").tier  # noqa: E731
    assert tier(10) == "warp1" and tier(32) == "warp1"
    assert tier(1024) == "warp32" and tier(2048) == "warp64"
    assert tier(4096).startswith("block") and tier(32768).startswith("block")
    assert tier(32769) == "online"
    assert cuda_backend.row_config(64, 10, 4).width == 16


def test_row_config_vector_path_needs_alignment():
    assert cuda_backend.row_config(8, 1024, 4, aligned=True).vec
    assert not cuda_backend.row_config(8, 1024, 4, aligned=False).vec
    assert not cuda_backend.row_config(8, 1022, 4, aligned=True).vec
    assert cuda_backend.row_config(8, 1022, 8, aligned=True).vec


@pytest.mark.parametrize("args,match", [((0, 4, 4), "n >= 1"), ((4, 4, 2), "itemsize"),
                                        ((4, 0, 4), "c >= 1")])
def test_row_config_errors(args, match):
    with pytest.raises(ValueError, match=match):
        cuda_backend.row_config(*args)
    with pytest.raises(ValueError, match="kind"):
        cuda_backend.row_config(4, 4, 4, "sideways")


def test_elementwise_grid():
    assert cuda_backend.elementwise_grid(1, 4) == 1
    assert cuda_backend.elementwise_grid(4 * 256, 4) == 1
    assert cuda_backend.elementwise_grid(4 * 256 + 1, 4) == 2
    assert cuda_backend.elementwise_grid(2**40, 1) == 1 << 20


# ----------------------------------------------------------------------------- layer norm

LN_ENTRIES = set(cuda_backend.kernel_names("layer_norm.cu"))


@pytest.mark.parametrize("n,c", [(1, 1), (3, 2), (7, 31), (5, 32), (5, 33), (16384, 1024),
                                 (4, 1025), (2, 8192), (2, 8193), (2, 100000), (1048576, 10)])
def test_layer_norm_config_covers_the_row(n, c):
    cfg = cuda_backend.layer_norm_config(n, c)
    for op in ("fwd", "bwd"):
        for dt in ("float32", "float64"):
            assert f"layer_norm_{op}_{cfg.tier}_{dt}" in LN_ENTRIES
    assert cfg.block % 32 == 0 and 32 <= cfg.block <= 1024 and 1 <= cfg.grid < 2**31
    if cfg.tier == "warp":
        assert cfg.width & (cfg.width - 1) == 0 and cfg.width <= 32
        assert cfg.width >= min(c, 32), "lanes of a row are not wasted beyond the row"
        assert cfg.grid * (cfg.block // cfg.width) >= n, "every row gets a lane group"
    else:
        assert cfg.grid == n and c > cuda_backend.LN_WARP_MAX_C


@pytest.mark.parametrize("n,c", [(1, 1), (5, 7), (16384, 1024), (3, 100000), (10**6, 10)])
def test_gamma_beta_chunks_cover_every_row(n, c):
    rows, chunks = cuda_backend.gamma_beta_chunks(n, c)
    assert rows >= 1 and 1 <= chunks <= n
    assert (chunks - 1) * rows < n <= chunks * rows


def test_layer_norm_config_errors():
    with pytest.raises(ValueError, match="n >= 1 and c >= 1"):
        cuda_backend.layer_norm_config(0, 4)
