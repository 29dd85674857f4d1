"""The ray executor on real Ray clusters: a head started here (as `ray start` would on a
cluster), a cluster of two nodes, and the one borderflow starts for a run. Their results equal
the local executor's, and the clusters on loopback listen on loopback only. Ray is a test
extra: without it these tests fail, never skip."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from borderflow import sweep
from borderflow.studies import Ray

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["n95-2020", "--samples", "200", "--chunk-size", "40", "--seed", "4",
        "--variants", "history,ban-and-retaliation"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _group(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


def _ray_env(temp: Path) -> dict[str, str]:
    """The environment of a loopback cluster with a token of its own (in a temporary file):
    its nodes and its clients need the same."""
    token = temp / "token"
    token.write_text(secrets.token_hex(32))
    token.chmod(0o600)
    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "token",
           "RAY_AUTH_TOKEN_PATH": str(token)}
    env.pop("RAY_ADDRESS", None)
    return env


def _ray_start(args: list[str], env: dict[str, str], temp: Path) -> int:
    """`ray start ARGS` on 127.0.0.1 in a process group of its own (`start_new_session`): every
    Ray process it starts stays in that group, so `_ray_stop` stops exactly this node (`ray
    stop` would stop every Ray on the machine). Returns the group."""
    temp.mkdir(parents=True, exist_ok=True)
    cmd = [str(Path(sys.executable).with_name("ray")), "start", *args, "--node-ip-address",
           "127.0.0.1", "--disable-usage-stats", "--temp-dir", str(temp)]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        log, _ = proc.communicate(timeout=120)
    except BaseException:
        _ray_stop(proc.pid)
        raise
    if proc.returncode != 0:
        _ray_stop(proc.pid)
        raise AssertionError(log)
    return proc.pid


def _ray_stop(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + 3  # a grace period, as `ray stop` gives
    while _group(pgid) and time.monotonic() < deadline:
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while _group(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _group(pgid), "a Ray node did not stop"


@pytest.fixture(scope="session")
def ray_head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A real Ray head on 127.0.0.1 with 2 CPUs, token authentication, no dashboard. Yields
    its address and the environment a client needs."""
    import ray  # noqa: F401  (a test extra: fail here, never skip)

    temp = tmp_path_factory.mktemp("rayhead")
    env = _ray_env(temp)
    port = _free_port()
    pgid = _ray_start(["--head", "--port", str(port), "--include-dashboard=false",
                       "--num-cpus", "2"], env, temp)
    try:
        yield f"127.0.0.1:{port}", env
    finally:
        _ray_stop(pgid)


def _bf(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "borderflow.cli", *args], capture_output=True,
                          text=True, timeout=300, env=env, cwd=ROOT)


def _parquet(out: Path) -> pd.DataFrame:
    files = sorted(out.glob("chunk-*.parquet"))
    assert files
    frame = pd.concat([pd.read_parquet(p) for p in files])
    return frame.sort_values(["variant", "sample", "region", "commodity"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def local_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local") / "sweep"
    sweep("n95-2020", samples=200, chunk_size=40, seed=4, executor="local",
          variants=["history", "ban-and-retaliation"], out=out)  # as ARGS say
    assert len(list(out.glob("chunk-*.parquet"))) == 10  # 5 chunks x 2 variants
    return out


def test_a_sweep_on_a_ray_cluster_equals_the_local_one(
        ray_head: tuple[str, dict[str, str]], local_out: Path, tmp_path: Path) -> None:
    address, env = ray_head
    out = tmp_path / "ray"
    proc = _bf("sweep", *ARGS, "--executor", "ray", "--address", address, "--out", str(out),
               "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    ray_frame = _parquet(out)
    pd.testing.assert_frame_equal(ray_frame, _parquet(local_out), check_exact=True)
    assert set(ray_frame["variant"]) == {"history", "ban-and-retaliation"}
    assert ray_frame["sample"].nunique() == 200
    doc = json.loads(proc.stdout)  # stdout is the JSON document alone
    assert doc["samples"] == 200


@pytest.mark.parametrize("allocator", ["priority", "optimal"])
def test_a_stress_test_on_a_ray_cluster_equals_the_local_one(
        ray_head: tuple[str, dict[str, str]], allocator: str) -> None:
    """Every target as Ray tasks (a priority batch per task, or one LP each, with the optimal
    TTS bisections), numbers equal to the local run's, to the last bit."""
    address, env = ray_head
    args = ["stress", "n95-2020", "--variant", "history", "--allocator", allocator,
            "--targets", "3m-aberdeen,cn-makers,fema,CN>US,CA>US", "--ttr", "21", "--json"]
    local = _bf(*args)
    assert local.returncode == 0, local.stderr
    on_ray = _bf(*args, "--executor", "ray", "--address", address, "--workers", "2", env=env)
    assert on_ray.returncode == 0, on_ray.stderr
    assert json.loads(on_ray.stdout) == json.loads(local.stdout)
    assert len(json.loads(local.stdout)["rows"]) == 5


# Two nodes on one machine, with Ray's own multi-node harness (`ray.cluster_utils.Cluster`,
# what Ray's tests use): each `add_node` starts a raylet with its own resources that joins the
# head's GCS, as `ray start --address` does. `ray start --address` itself cannot stay on
# loopback on Linux: it replaces a given 127.0.0.1 with the machine's address and binds the
# GCS and raylets to every interface (ray/_private/services.py, resolve_ip_for_localhost).
CLUSTER = """
import os
import sys
from ray._private.utils import get_ray_address_file
from ray.cluster_utils import Cluster
# Cluster writes the head's address under Ray's default temp dir, whatever temp_dir says: on a
# machine where no Ray ran before, that folder does not exist yet
os.makedirs(os.path.dirname(get_ray_address_file(None)), exist_ok=True)
cluster = Cluster(initialize_head=True, head_node_args={{
    "num_cpus": 0, "include_dashboard": False, "temp_dir": {head!r}}})
cluster.add_node(num_cpus=2)
cluster.wait_for_nodes()
print(cluster.address, flush=True)
sys.stdin.read()  # until the test closes it
cluster.shutdown()
"""


@pytest.fixture(scope="module")
def ray_two_nodes(tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[tuple[str, dict[str, str], set[int]]]:
    """A cluster of two Ray nodes on this machine's loopback, as `ray up` or KubeRay would make
    on two machines: a head with no CPUs (it schedules, it runs nothing) and a worker node
    joined to it with 2 CPUs of its own, so every task runs on the second node. Yields its
    address, the environment a client needs and the processes of the cluster."""
    import ray  # noqa: F401

    temp = tmp_path_factory.mktemp("raytwo")
    env = _ray_env(temp)
    proc = subprocess.Popen([sys.executable, "-c", CLUSTER.format(head=str(temp))], env=env,
                            start_new_session=True, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=temp)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        address = proc.stdout.readline().strip()
        assert address.startswith("127.0.0.1:"), address
        yield address, env, set(_group(proc.pid))
        proc.stdin.close()
        proc.wait(timeout=60)
    finally:
        if proc.stdout is not None:
            proc.stdout.close()
        _ray_stop(proc.pid)


NODES = """
import json, ray
ray.init(address="{address}", log_to_driver=False)
print(json.dumps([n["Resources"].get("CPU", 0) for n in ray.nodes() if n["Alive"]]))
"""


def test_a_sweep_and_a_stress_test_on_two_ray_nodes_equal_the_local_ones(
        ray_two_nodes: tuple[str, dict[str, str], set[int]], local_out: Path,
        tmp_path: Path) -> None:
    """On a cluster of two nodes whose head has no CPUs, every task runs on the node that
    joined it: the sweep's Parquet files and the stress test's document are the local
    executor's, to the last bit; the cluster listens on loopback only."""
    address, env, cluster = ray_two_nodes
    nodes = subprocess.run([sys.executable, "-c", NODES.format(address=address)], env=env,
                           capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert nodes.returncode == 0, nodes.stderr
    assert sorted(json.loads(nodes.stdout.strip().splitlines()[-1])) == [0, 2]
    listening = _listening(cluster)
    assert len(listening) >= 5, listening  # the GCS and two raylets' servers
    assert all(_loopback(ip) for _, ip in listening), listening
    out = tmp_path / "two"
    proc = _bf("sweep", *ARGS, "--executor", "ray", "--address", address, "--out", str(out),
               "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    pd.testing.assert_frame_equal(_parquet(out), _parquet(local_out), check_exact=True)
    args = ["stress", "n95-2020", "--variant", "history", "--targets", "nodes,borders",
            "--ttr", "21", "--json"]
    local = _bf(*args)
    assert local.returncode == 0, local.stderr
    on_two = _bf(*args, "--executor", "ray", "--address", address, env=env)
    assert on_two.returncode == 0, on_two.stderr
    assert json.loads(on_two.stdout) == json.loads(local.stdout)


def _listening(pids: set[int]) -> list[tuple[int, str]]:
    """(pid, address) of every TCP socket in LISTEN state held by one of `pids`, from /proc."""
    inodes: dict[str, int] = {}
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        inodes[target[8:-1]] = pid
        except OSError:
            continue
    found = []
    for table, width in (("tcp", 4), ("tcp6", 16)):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] != "0A" or cols[9] not in inodes:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(cols[1].split(":")[0])
            # /proc writes each 32-bit word in host (little-endian) order
            packed = b"".join(raw[i:i + 4][::-1] for i in range(0, width, 4))
            found.append((inodes[cols[9]], str(ipaddress.ip_address(packed))))
    return found


def _loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    out, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def test_borderflow_starts_its_own_cluster_on_loopback_and_equals_local(
        local_out: Path, tmp_path: Path) -> None:
    seen: list[list[tuple[int, str]]] = []
    before = _descendants(os.getpid())  # other fixtures' processes (a browser...)
    cluster: set[int] = set()

    def inspect(done: int, total: int) -> None:
        if 0 < done < total and not seen:  # the cluster is up and working
            cluster.update(_descendants(os.getpid()) - before)
            seen.append(_listening({os.getpid()} | cluster))

    out = tmp_path / "own"
    r = sweep("n95-2020", samples=200, chunk_size=40, seed=4, variants=["history"],
              executor="ray", workers=2, out=out, progress=inspect)
    assert seen and len(seen[0]) >= 3, seen  # the GCS, the raylet, ... were found listening
    assert all(_loopback(ip) for _, ip in seen[0]), seen[0]
    local = _parquet(local_out)
    pd.testing.assert_frame_equal(_parquet(out), local[local["variant"] == "history"]
                                  .reset_index(drop=True), check_exact=True)
    assert len(r.kpis) == len(local) // 2
    # ray.shutdown() stops the raylet, and its workers exit once they see it gone: give them
    # a bounded while, not forever
    deadline = time.monotonic() + 30
    while (up := [p for p in cluster if not _is_zombie(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cluster and not up, f"the cluster is still up: {[_cmdline(p) for p in up]}"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return f"{pid} (gone)"


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_tasks_bundle_chunks_to_last_well_over_ray_overhead() -> None:
    size = Ray._bundle_size
    assert size(0.005, 1000, 2) * 0.005 >= 0.25  # 5 ms chunks: at least 50 to a task
    assert size(2.0, 10, 2) == 1  # a slow chunk is a task of its own
    assert size(0.1, 4, 2) == 3  # never under 0.25 s, even if a CPU then idles
    assert size(0.05, 100, 4) == 20  # at most 1 s while every CPU has work


def test_without_ray_the_ray_executor_says_how_to_install_it(tmp_path: Path) -> None:
    shim = tmp_path / "shim"
    shim.mkdir()
    # `import ray` fails as it does where Ray is not installed
    (shim / "sitecustomize.py").write_text("import sys\nsys.modules['ray'] = None\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(shim), *filter(None, [os.environ.get("PYTHONPATH")])])}
    check = subprocess.run([sys.executable, "-c", "import ray"], env=env, capture_output=True)
    assert check.returncode != 0  # the shim works
    proc = _bf("sweep", "two-country", "--samples", "2", "--executor", "ray", env=env)
    assert proc.returncode == 2
    assert "pip install 'borderflow[ray]'" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_address_without_the_ray_executor_is_refused() -> None:
    proc = _bf("sweep", "two-country", "--samples", "2", "--address", "127.0.0.1:1")
    assert proc.returncode == 2 and "--executor ray" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_address_nobody_answers_at_fails_fast_and_clearly() -> None:
    started = time.monotonic()
    proc = _bf("sweep", "two-country", "--samples", "2", "--executor", "ray", "--no-save",
               "--address", f"127.0.0.1:{_free_port()}")
    assert proc.returncode == 2 and "no Ray cluster reached at 127.0.0.1:" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert time.monotonic() - started < 120  # not Ray's own retries, which last many minutes


def test_the_loopback_switch_is_undone_after_a_local_cluster() -> None:
    from borderflow.studies.executors import LOOPBACK_ONLY, Ray

    before = os.environ.get(LOOPBACK_ONLY)
    with Ray(1)._environment():  # imports Ray, maybe for the first time, with the switch on
        constants = sys.modules["ray._private.ray_constants"]
        assert constants.ENABLE_RAY_CLUSTER is False
    assert constants.ENABLE_RAY_CLUSTER is (sys.platform not in ("darwin", "win32"))
    assert os.environ.get(LOOPBACK_ONLY) == before
    with Ray(1, address="10.1.2.3:6379")._environment():  # a remote cluster: Ray as it is
        assert constants.ENABLE_RAY_CLUSTER is (sys.platform not in ("darwin", "win32"))
