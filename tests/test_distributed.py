"""pygrad.distributed, DistributedDataParallel, DistributedSampler and the launcher.

Multi-process cases start real jobs through ``python -m pygrad.distributed.run`` (MPI via
mpi4py and the mpich wheel) with 2 and 3 ranks; they skip, with the reason, when mpi4py or
mpiexec are missing. The helper scripts are tests/dist_*.py.
"""
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import pygrad as pg
import pygrad.distributed as dist
from pygrad.data.distributed import DistributedSampler

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _mpi_problem():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return 'mpi4py is not installed (pip install "pygrad[mpi]")'
    from pygrad.distributed.run import find_mpiexec
    try:
        find_mpiexec()
    except RuntimeError as e:
        return str(e)
    return None


MPI_PROBLEM = _mpi_problem()
needs_mpi = pytest.mark.skipif(MPI_PROBLEM is not None, reason=str(MPI_PROBLEM))


def launch(nproc, *args, env=None, timeout=60, launcher=("-m", "pygrad.distributed.run")):
    """Run a job through the launcher; returns (exit status, stdout, stderr, seconds)."""
    e = dict(os.environ, PYTHONWARNINGS="ignore", **(env or {}))
    cmd = [sys.executable, *launcher, "--nproc_per_node", str(nproc), *args]
    start = time.monotonic()
    return (*_finish(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, cwd=ROOT, env=e), timeout),
            time.monotonic() - start)


def _finish(p, timeout):
    """(exit status, stdout, stderr) of a launcher process. One that outlives ``timeout``
    gets SIGTERM first, on which it stops mpiexec and every rank (mpiexec runs in its own
    session, out of reach of a kill of the launcher alone), then SIGKILL."""
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.terminate()
        try:
            p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
        raise
    return p.returncode, out, err


def script(name):
    return os.path.join(HERE, name)


def json_objects(text):
    """The JSON objects printed by the ranks (their lines may interleave)."""
    found, decoder, i = [], json.JSONDecoder(), text.find("{")
    while i != -1:
        obj, end = decoder.raw_decode(text, i)
        found.append(obj)
        i = text.find("{", end)
    return found


# ----------------------------------------------------------------------------- sampler

@pytest.mark.parametrize("n,replicas", [(0, 2), (1, 3), (10, 3), (17, 4), (100, 7), (1797, 2)])
@pytest.mark.parametrize("shuffle,drop_last", list(itertools.product([True, False], repeat=2)))
def test_sampler_matches_torch(n, replicas, shuffle, drop_last):
    torch = pytest.importorskip("torch")
    from torch.utils.data import DistributedSampler as TorchSampler
    data = list(range(n))
    for rank in range(replicas):
        for seed, epoch in ((0, 0), (42, 3), (2**33 + 5, 1)):
            ours = DistributedSampler(data, replicas, rank, shuffle, seed, drop_last)
            theirs = TorchSampler(data, replicas, rank, shuffle, seed, drop_last)
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs)
            assert len(ours) == len(theirs) and ours.total_size == theirs.total_size
    assert torch is not None


def test_sampler_epochs_cover_the_data():
    data = list(range(23))
    seen = []
    for rank in range(3):
        s = DistributedSampler(data, 3, rank, shuffle=True, seed=5)
        s.set_epoch(1)
        seen += list(s)
    assert sorted(set(seen)) == data and len(seen) == 24        # one row repeated as padding
    a, b = DistributedSampler(data, 3, 0, seed=5), DistributedSampler(data, 3, 0, seed=5)
    b.set_epoch(1)
    assert list(a) != list(b)


def test_sampler_errors():
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval"):
        DistributedSampler(range(4), num_replicas=3, rank=3)
    with pytest.raises(ValueError, match="num_replicas must be positive"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(TypeError, match="rank expected an int"):
        DistributedSampler(range(4), num_replicas=2, rank=1.0)
    with pytest.raises(ValueError, match="has not been initialized"):
        DistributedSampler(range(4))        # defaults need a process group


# ----------------------------------------------------------------------------- in process

@pytest.fixture
def single_group(monkeypatch):
    """A world-size-1 group without MPI (what a machine without mpi4py gets)."""
    from pygrad.distributed import _groups
    group = _groups._SingleGroup(60.0)
    monkeypatch.setitem(dist._state, "group", group)
    return group


def test_world_size_one_collectives(single_group):
    t = pg.tensor([1.0, 2.0])
    for op in ("SUM", "AVG", "MAX"):
        dist.all_reduce(t, op=op)
    assert t.tolist() == [1.0, 2.0]
    outs = [pg.zeros(2)]
    dist.all_gather(outs, t)
    assert outs[0].tolist() == [1.0, 2.0]
    assert dist.get_world_size() == 1 and dist.get_rank() == 0


def test_ddp_world_size_one_is_the_module(single_group):
    from pygrad import nn
    pg.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 3), nn.Sigmoid(), nn.Linear(3, 2))
    ddp = dist.DDP(net)
    assert ddp.module is net
    assert sorted(ddp.state_dict()) == ["module.0.bias", "module.0.weight", "module.2.bias",
                                        "module.2.weight"]
    x = pg.randn(5, 4)
    ddp(x).sum().backward()
    g = {n: p.grad.numpy().copy() for n, p in net.named_parameters()}
    net.zero_grad()
    net(x).sum().backward()
    for n, p in net.named_parameters():
        np.testing.assert_array_equal(g[n], p.grad.numpy())


def test_errors_without_a_group():
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.get_rank()
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.all_reduce(pg.ones(2))


def test_init_arguments(single_group, monkeypatch):
    monkeypatch.setitem(dist._state, "group", None)
    with pytest.raises(ValueError, match="backend expected 'auto', 'mpi' or 'nccl'"):
        dist.init_process_group("gloo")
    with pytest.raises(TypeError, match="timeout expected a datetime.timedelta"):
        dist.init_process_group("mpi", timeout="5")
    with pytest.raises(ValueError, match="init_method is not supported"):
        dist.init_process_group("mpi", init_method="tcp://h:1")


def test_device_for_rank_without_a_gpu(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,2,3")
    assert [dist.device_for_rank(r, 3) for r in range(3)] == [(0, "0"), (1, "2"), (2, "3")]
    with pytest.raises(RuntimeError, match="4 ranks on this machine need 4 GPUs, but 3 are "
                                           "visible"):
        dist.device_for_rank(0, 4)


def test_missing_mpi_names_the_extra():
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "import pygrad.distributed as d\n"
            "d.init_process_group('mpi'); print(d.get_world_size())\n"
            "d.destroy_process_group(); import os; os.environ['WORLD_SIZE'] = '2'\n"
            "try:\n    d.init_process_group('mpi')\n"
            "except RuntimeError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True,
                         text=True, timeout=60, env={k: v for k, v in os.environ.items()
                                                     if k not in ("WORLD_SIZE", "PMI_SIZE")})
    lines = out.stdout.splitlines()
    assert lines[0] == "1", out.stderr
    assert "pygrad[mpi]" in lines[1] and "needs MPI" in lines[1]


def test_launcher_option_errors(tmp_path, capsys):
    from pygrad.distributed.run import main
    assert main(["--nproc_per_node", "2", str(tmp_path / "none.py")]) == 2
    assert "no such file" in capsys.readouterr().err
    s = tmp_path / "s.py"
    s.write_text("pass\n")
    assert main(["--nnodes", "2", str(s)]) == 2
    assert "needs --hostfile" in capsys.readouterr().err
    assert main(["--node_rank", "1", str(s)]) == 2
    assert "--node_rank" in capsys.readouterr().err
    assert main(["--nproc_per_node", "0", str(s)]) == 2
    assert "expected a positive integer" in capsys.readouterr().err


def test_launcher_hostfile_command(tmp_path):
    from pygrad.distributed.run import build_parser, command
    hosts = tmp_path / "hosts"
    hosts.write_text("node1\nnode2\n")
    args = build_parser().parse_args(["--nproc-per-node", "4", "--nnodes", "2", "--hostfile",
                                      str(hosts), "train.py", "--lr", "0.1"])
    cmd = command(args, "mpiexec", "hydra")
    assert cmd[:7] == ["mpiexec", "-n", "8", "-f", str(hosts), "-ppn", "4"]
    assert cmd[-3:] == ["train.py", "--lr", "0.1"]
    cmd = command(args, "mpiexec", "openmpi")
    assert cmd[3:7] == ["--hostfile", str(hosts), "--map-by", "ppr:4:node"]


# ----------------------------------------------------------------------------- jobs

@needs_mpi
@pytest.mark.parametrize("nproc", [2, 3])
def test_collectives_against_numpy(nproc):
    # 2 ranks through `pygrad run`, 3 through `python -m pygrad.distributed.run`
    launcher = ("-m", "pygrad", "run") if nproc == 2 else ("-m", "pygrad.distributed.run")
    rc, out, err, _ = launch(nproc, script("dist_collectives.py"), launcher=launcher)
    assert rc == 0, err
    assert sorted(re.findall(r"ok (\d)", out)) == [str(r) for r in range(nproc)]


@needs_mpi
@pytest.mark.parametrize("nproc,dtype,tol", [(2, "float64", 1e-10), (3, "float32", 1e-6)])
def test_ddp_equals_one_process_on_the_concatenated_batches(nproc, dtype, tol):
    rc, out, err, _ = launch(nproc, script("dist_ddp.py"), dtype, "adam", "20", "16")
    assert rc == 0, err
    r = json.loads(out.strip().splitlines()[-1])
    assert r["world"] == nproc and r["same_on_every_rank"]
    assert r["buckets"] > 1                       # more than one collective per step
    assert r["early_launches"] == 20              # one bucket per step started mid-backward
    assert r["diff"] <= tol and r["no_sync_diff"] <= tol
    assert r["keys"][0] == "module.0.bias"


@needs_mpi
def test_ddp_shared_weights_and_unused_parameters():
    rc, out, err, _ = launch(2, script("dist_ddp_cases.py"))
    assert rc == 0, err
    results = json_objects(out)
    assert sorted(r["rank"] for r in results) == [0, 1]
    for r in results:
        assert r["shared"] < 1e-12 and r["find_unused"] < 1e-12
        assert "expected to have finished reduction in the prior iteration" in r["unused_error"]
        assert "unused.weight, unused.bias" in r["unused_error"]
        assert r["buffers_from_rank_0"] is True


@needs_mpi
@pytest.mark.skipif(not dist.is_nccl_available(), reason="NCCL needs CuPy with NCCL and a GPU")
def test_nccl_end_to_end():
    """World size 1 on one GPU (2 ranks where there are 2 GPUs): the collectives on GPU
    tensors against NumPy, and DDP against one process."""
    n = min(2, pg.cuda.device_count())
    rc, out, err, _ = launch(n, script("dist_collectives.py"), "nccl", timeout=300)
    assert rc == 0, err
    assert sorted(re.findall(r"ok (\d)", out)) == [str(r) for r in range(n)]
    rc, out, err, _ = launch(n, script("dist_ddp.py"), "float64", "adam", "20", "16", "nccl",
                             timeout=300)
    assert rc == 0, err
    r = json_objects(out)[-1]
    assert r["world"] == n and r["diff"] <= 1e-10 and r["same_on_every_rank"]


def test_ddp_script_without_the_launcher():
    """World size 1 (MPI's singleton, or no MPI at all): DDP is the plain module."""
    out = subprocess.run([sys.executable, "-W", "ignore", script("dist_ddp.py"), "float64",
                          "sgd", "5", "8"], capture_output=True, text=True, timeout=60,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["world"] == 1 and r["diff"] == 0.0


@needs_mpi
@pytest.mark.parametrize("mode,message", [
    ("raise", "rank 1 failed with ValueError: rank one fails"),
    ("kill", "rank 1 was killed by signal 9 (SIGKILL)"),
    ("exit", "rank 1 exited with status 3"),
])
def test_a_failing_rank_stops_the_job_naming_it(mode, message):
    rc, out, err, seconds = launch(2, script("dist_fault.py"), mode, "5", timeout=30)
    assert rc != 0
    last = [line for line in err.splitlines()
            if line.startswith("python -m pygrad.distributed.run: error: ")]
    assert len(last) == 1 and message in last[0], err
    assert "finished" not in out and seconds < 20


@needs_mpi
def test_a_hanging_rank_ends_the_job_at_the_timeout():
    rc, out, err, seconds = launch(2, script("dist_fault.py"), "hang", "2", timeout=30)
    assert rc != 0 and seconds < 15
    assert "rank 0 all_reduce did not complete within the timeout of 2s" in err


@needs_mpi
def test_mismatched_models_refused_on_every_rank():
    rc, out, err, _ = launch(2, script("dist_fault.py"), "mismatch")
    assert rc == 0, err
    # the ranks' lines may arrive interleaved through mpiexec: count the messages, not lines
    ranks = sorted(re.findall(r"refused on rank (\d+)", out))
    assert ranks == ["0", "1"], out
    assert out.count("the model differs across ranks: rank 1 has parameter '0.weight' "
                     "(8, 4)") == 2, out


@needs_mpi
def test_device_mapping_follows_cuda_visible_devices():
    rc, out, err, _ = launch(3, script("dist_fault.py"), "devices",
                             env={"CUDA_VISIBLE_DEVICES": "0,2,3"})
    assert rc == 0, err
    got = sorted((d["rank"], d["index"], d["physical"])
                 for d in json_objects(out))
    assert got == [(0, 0, "0"), (1, 1, "2"), (2, 2, "3")]


@needs_mpi
def test_ctrl_c_stops_every_rank():
    e = dict(os.environ, PYTHONWARNINGS="ignore")
    p = subprocess.Popen([sys.executable, "-m", "pygrad.distributed.run", "--nproc_per_node",
                          "2", script("dist_fault.py"), "sleep"], cwd=ROOT, env=e,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = ""
    deadline = time.monotonic() + 30
    while seen.count("sleeping") < 2 and time.monotonic() < deadline:
        seen += p.stdout.readline()
    p.send_signal(signal.SIGINT)
    try:
        _, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        raise
    assert p.returncode == 130 and "interrupted; every rank was stopped" in err


def test_ci_runs_the_readme_test_command_with_the_mpi_extra():
    with open(os.path.join(ROOT, ".ci", "run")) as f:
        ci = [line for line in f.read().splitlines() if "pytest" in line]
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    assert len(ci) == 1 and ci[0] in readme.splitlines()
    assert '".[test,cuda13,mpi]"' in ci[0]
    with open(os.path.join(ROOT, "pyproject.toml")) as f:
        assert 'mpi = ["mpi4py", "mpich"]' in f.read()


def _train(*args):
    e = dict(os.environ, PYTHONWARNINGS="ignore")
    p = subprocess.Popen([sys.executable, "-m", "pygrad", "train", "--epochs", "3", "--hidden",
                          "32", "--no-progress", "--device", "cpu", *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                         env=e)
    rc, out, err = _finish(p, 120)
    assert rc == 0, err
    return out


@needs_mpi
def test_train_nproc_per_node_matches_one_process_with_the_global_batch():
    two = _train("--nproc-per-node", "2", "--batch-size", "32")
    one = _train("--batch-size", "64")
    assert "data-parallel: 2 processes x batch 32 = global batch 64" in two
    assert two.count("test accuracy:") == 1            # metrics printed once, by rank 0
    epochs = [re.findall(r"train loss (\S+)  test accuracy (\S+)", out) for out in (two, one)]
    assert len(epochs[0]) == 3 and epochs[0] == epochs[1]
    final = [re.search(r"test accuracy: (\S+)", out).group(1) for out in (two, one)]
    assert final[0] == final[1]


def test_train_nproc_per_node_option_errors():
    from pygrad.train import main
    assert main(["--nproc-per-node", "0"]) == 2
