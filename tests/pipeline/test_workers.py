"""``anchor serve --role api --workers 2`` (uvicorn processes built by the app factory
``create_app_from_env``, each on its own ``SO_REUSEPORT`` socket): it serves, several
processes answer, a burst of connections is spread over them, SIGTERM stops them all with
exit 0 and no process left behind."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.api.server import free_port
from tests.fixtures.procs import child_pids, stop_process, wait_http_ok


def _serve_two_workers(
    tmp_path: Path, port: int | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """``anchor serve --role api --workers 2`` on ``port`` (default: a free one; operator
    key ``k``)."""
    port = port or free_port()
    config = tmp_path / "anchor.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path / "a.sqlite"}"\napi_key = "k"\napi_port = {port}\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANCHOR_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "anchor.cli", "serve", "--role", "api", "--workers", "2",
         "--config", str(config)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    return proc, port


def test_serve_with_workers_and_sigterm(tmp_path: Path) -> None:
    proc, port = _serve_two_workers(tmp_path)
    try:
        assert wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=60, proc=proc), proc.stderr
        workers = set(child_pids(proc.pid))
        assert len(workers) >= 2, workers
        r = httpx.get(f"http://127.0.0.1:{port}/metrics", headers={"X-API-Key": "k"}, timeout=5)
        assert r.status_code == 200 and "anchor_batches" in r.text
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0
    time.sleep(0.5)
    for pid in workers:
        assert (
            not Path(f"/proc/{pid}").exists()
            or b"anchor" not in Path(f"/proc/{pid}/cmdline").read_bytes()
        ), pid


def _socket_inodes(port: int, state: str) -> set[str]:
    """Inodes of the TCP sockets on local ``port`` in ``state`` (01 established, 0A listen)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[1].endswith(f":{port:04X}") and fields[3] == state:
                    inodes.add(fields[9])
    return inodes


def _held(pid: int, inodes: set[str]) -> int:
    """How many of the sockets ``inodes`` process ``pid`` holds open."""
    count = 0
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                link = os.readlink(fd)
                count += link.startswith("socket:[") and link[8:-1] in inodes
    return count


def test_workers_share_the_connections(tmp_path: Path) -> None:
    """Each worker listens on its own socket (SO_REUSEPORT): a client's 32 keep-alive
    connections, opened in a burst, do not all land on one worker (with one shared socket,
    the first worker to wake accepted them all and served them at one core)."""
    proc, port = _serve_two_workers(tmp_path)
    conns: list[socket.socket] = []
    try:
        assert wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=60, proc=proc), proc.stderr
        listening = _listening(proc, port, 2)  # each has bound its socket: clients may come
        assert len(listening) == 2, listening
        for _ in range(32):  # a pool opened in one burst, as a load balancer or wrk does
            conn = socket.socket()
            conn.setblocking(False)
            conn.connect_ex(("127.0.0.1", port))
            conns.append(conn)
        for conn in conns:
            select.select([], [conn], [], 10)
            conn.settimeout(10)
        for conn in conns:  # each answers on its kept-alive connection
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        for conn in conns:
            assert conn.recv(65536).startswith(b"HTTP/1.1 200 ")
        established = _socket_inodes(port, "01")
        held = {pid: _held(pid, established) for pid in listening}
        # the kernel hashes each connection to a socket: fewer than 4 of 32 on one worker
        # has odds of ~3e-6 (one shared socket: 0 or 1 in half of the runs tried)
        assert sum(held.values()) == 32 and min(held.values()) >= 4, held
    finally:
        for conn in conns:
            conn.close()
        code = stop_process(proc)
    assert code == 0


def _listening(
    proc: subprocess.Popen[bytes], port: int, want: int, without: int | None = None
) -> list[int]:
    """The children of ``proc`` (but ``without``) listening on ``port``, once ``want`` of
    them do (60 s at most: then whatever listens)."""
    deadline = time.monotonic() + 60
    while True:
        listening = [
            p for p in child_pids(proc.pid) if p != without and _held(p, _socket_inodes(port, "0A"))
        ]
        if len(listening) >= want or time.monotonic() > deadline:
            return listening
        time.sleep(0.2)


def test_a_worker_that_dies_is_replaced(tmp_path: Path) -> None:
    proc, port = _serve_two_workers(tmp_path)
    try:
        assert wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=60, proc=proc), proc.stderr
        first = _listening(proc, port, 2)
        assert len(first) == 2, first
        os.kill(first[0], signal.SIGKILL)
        now = _listening(proc, port, 2, without=first[0])  # another, on the same port
        assert len(now) == 2 and first[1] in now, (first, now)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    finally:
        code = stop_process(proc)
    assert code == 0


def test_a_taken_address_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:  # another server, without SO_REUSEPORT
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc, _ = _serve_two_workers(tmp_path, port)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert f"error: cannot serve on 127.0.0.1:{port}: Address already in use" in err.decode()
    assert "Traceback" not in err.decode()
