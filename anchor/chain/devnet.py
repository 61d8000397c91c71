"""A local chain with no Hardhat: anvil from the npm package ``@foundry-rs/anvil-linux-amd64``.

Starts anvil on 127.0.0.1 (a chosen port, or a free one picked by anvil itself with
``--port 0`` so there is no race), with a deterministic mnemonic, and optionally a block
time, a state file that survives restarts, and ``--slots-in-an-epoch`` so the ``safe`` and
``finalized`` tags move. Stops it by PID. Uses only the standard library, so the CLI can
import it cheaply.

The default mnemonic is the well-known, public test mnemonic ("test test ... junk"): its
keys are published everywhere and must never hold real funds. anvil prints the keys it
derives into its log; the log file is created readable by its owner only.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from anchor.errors import ChainError, ConfigError

DEFAULT_MNEMONIC = "test test test test test test test test test test test junk"
DEFAULT_CHAIN_ID = 31337
HOST = "127.0.0.1"
ANVIL_ENV = "ANCHOR_ANVIL"
_LISTENING = re.compile(r"Listening on ([0-9.]+):(\d+)")
_REPO_ROOT = Path(__file__).resolve().parents[2]

__all__ = [
    "DEFAULT_CHAIN_ID",
    "DEFAULT_MNEMONIC",
    "DevAccount",
    "Devnet",
    "DevnetError",
    "DevnetOptions",
    "DevnetStatus",
    "devnet_down",
    "devnet_status",
    "devnet_up",
    "find_anvil",
    "is_running",
    "start_devnet",
    "stop_devnet",
]


class DevnetError(ChainError):
    """anvil could not be found, started, reached or stopped."""


@dataclass(frozen=True)
class DevnetOptions:
    """How to start anvil. ``port=0`` lets anvil pick a free port."""

    port: int = 0
    chain_id: int = DEFAULT_CHAIN_ID
    mnemonic: str = field(default=DEFAULT_MNEMONIC, repr=False)
    accounts: int = 10
    balance_eth: int = 10_000
    block_time: float | None = None
    no_mining: bool = False
    state_file: str | None = None
    state_interval: int | None = None
    slots_in_an_epoch: int | None = None
    hardfork: str | None = None
    extra_args: tuple[str, ...] = ()

    def arguments(self) -> list[str]:
        """anvil's command-line arguments (without the executable, log and config-out)."""
        args = [
            "--host", HOST,
            "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            "--mnemonic", self.mnemonic,
            "--accounts", str(self.accounts),
            "--balance", str(self.balance_eth),
        ]  # fmt: skip
        if self.block_time is not None:
            args += ["--block-time", _number(self.block_time)]
        if self.no_mining:
            args.append("--no-mining")
        if self.state_file is not None:
            args += ["--state", str(self.state_file)]
        if self.state_interval is not None:
            if self.state_file is None:
                raise ConfigError("--state-interval needs a state file")
            args += ["--state-interval", str(self.state_interval)]
        if self.slots_in_an_epoch is not None:
            args += ["--slots-in-an-epoch", str(self.slots_in_an_epoch)]
        if self.hardfork is not None:
            args += ["--hardfork", self.hardfork]
        args += list(self.extra_args)
        return args


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class DevAccount:
    """A funded development account. The key is derived from the devnet's mnemonic."""

    address: str
    private_key: str = field(repr=False)


@dataclass(frozen=True)
class Devnet:
    """A running anvil: where it listens and who is funded."""

    pid: int
    rpc_url: str
    port: int
    chain_id: int
    accounts: tuple[DevAccount, ...] = field(repr=False)
    log_file: str
    state_file: str | None = None
    options: DevnetOptions = field(default_factory=DevnetOptions, repr=False)

    @property
    def dev_account(self) -> DevAccount:
        """The first funded account (the deployer by default)."""
        return self.accounts[0]

    def to_public_json(self) -> dict[str, Any]:
        """What is saved for ``anchor devnet status``: no private keys, no mnemonic."""
        options = asdict(self.options)
        options.pop("mnemonic", None)
        options["default_mnemonic"] = self.options.mnemonic == DEFAULT_MNEMONIC
        return {
            "pid": self.pid,
            "rpc_url": self.rpc_url,
            "port": self.port,
            "chain_id": self.chain_id,
            "accounts": [a.address for a in self.accounts],
            "log_file": self.log_file,
            "state_file": self.state_file,
            "options": options,
        }


def find_anvil(explicit: str | Path | None = None) -> Path:
    """The anvil executable: ``explicit``, ``$ANCHOR_ANVIL``, hardhat-free-devnet's npm
    install (here or under the current directory), then ``PATH``."""
    candidates: list[Path] = []
    if explicit:
        candidates.append(Path(explicit))
    if os.environ.get(ANVIL_ENV):
        candidates.append(Path(os.environ[ANVIL_ENV]))
    for base in (Path.cwd(), _REPO_ROOT):
        candidates.append(base / "hardhat-free-devnet" / "node_modules" / ".bin" / "anvil")
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("anvil")
    if found:
        return Path(found)
    raise DevnetError(
        "anvil not found: run scripts/setup.sh (npm ci in hardhat-free-devnet/) or set ANCHOR_ANVIL"
    )


def _rpc(url: str, method: str, params: list[Any] | None = None, timeout: float = 2.0) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        reply = json.loads(response.read())
    if "error" in reply:
        raise DevnetError(f"{method}: {reply['error'].get('message', reply['error'])}")
    return reply["result"]


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    # anvil prints derived private keys at start-up; never echo those into an error.
    kept = [ln for ln in text.splitlines() if not re.search(r"0x[0-9a-fA-F]{64}", ln)]
    return "\n".join(kept[-lines:])


def start_devnet(
    options: DevnetOptions | None = None,
    *,
    workdir: str | Path,
    anvil: str | Path | None = None,
    timeout: float = 20.0,
    detach: bool = False,
) -> Devnet:
    """Start anvil, wait until it answers, and describe it. Logs go to ``workdir/anvil.log``.

    ``detach=True`` puts anvil in its own session so it outlives this process (``anchor devnet
    up``). Either way, stop it with :func:`stop_devnet` (by PID)."""
    options = options or DevnetOptions()
    executable = find_anvil(anvil)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "anvil.log"
    config_path = workdir / "anvil-config.json"
    for stale in (log_path, config_path):
        stale.unlink(missing_ok=True)
    if options.state_file is not None:
        Path(options.state_file).parent.mkdir(parents=True, exist_ok=True)
    argv = [str(executable), *options.arguments(), "--config-out", str(config_path)]
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=fd,
            stderr=subprocess.STDOUT,
            start_new_session=detach,
            close_fds=True,
        )
    except OSError as exc:
        raise DevnetError(f"cannot start anvil ({executable}): {exc.strerror}") from None
    finally:
        os.close(fd)
    try:
        port = _wait_listening(process, log_path, options, timeout)
        rpc_url = f"http://{HOST}:{port}"
        chain_id = _wait_rpc(process, rpc_url, log_path, timeout)
        accounts = _wait_accounts(config_path, timeout)
    except BaseException:
        stop_devnet(process.pid)
        raise
    if chain_id != options.chain_id:
        stop_devnet(process.pid)
        raise DevnetError(f"anvil reports chain id {chain_id}, expected {options.chain_id}")
    return Devnet(
        pid=process.pid,
        rpc_url=rpc_url,
        port=port,
        chain_id=chain_id,
        accounts=accounts,
        log_file=str(log_path),
        state_file=options.state_file,
        options=options,
    )


def _wait_listening(
    process: subprocess.Popen[bytes], log_path: Path, options: DevnetOptions, timeout: float
) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DevnetError(
                f"anvil exited with {process.returncode} at start-up:\n{_tail(log_path)}"
            )
        try:
            match = _LISTENING.search(log_path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            match = None
        if match:
            return int(match.group(2))
        time.sleep(0.02)
    raise DevnetError(f"anvil did not start listening within {timeout:.0f} s:\n{_tail(log_path)}")


def _wait_rpc(process: subprocess.Popen[bytes], url: str, log_path: Path, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DevnetError(f"anvil exited with {process.returncode}:\n{_tail(log_path)}")
        try:
            return int(_rpc(url, "eth_chainId"), 16)
        except (OSError, urllib.error.URLError, ValueError):
            time.sleep(0.02)
    raise DevnetError(f"anvil at {url} did not answer within {timeout:.0f} s")


def _wait_accounts(config_path: Path, timeout: float) -> tuple[DevAccount, ...]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            data = json.loads(config_path.read_text(encoding="utf-8"))
            accounts = tuple(
                DevAccount(address=_checksum_free(a), private_key=k)
                for a, k in zip(data["available_accounts"], data["private_keys"], strict=True)
            )
        except (OSError, ValueError, KeyError):
            if time.monotonic() > deadline:
                raise DevnetError("anvil wrote no account list (--config-out)") from None
            time.sleep(0.02)
            continue
        # the file holds private keys: keep them in memory only
        config_path.unlink(missing_ok=True)
        return accounts


def _checksum_free(address: str) -> str:
    """EIP-55 checksummed (tiny-keccak is a base dependency; lower case if it is absent)."""
    body = address.lower().removeprefix("0x")
    try:
        from tiny_keccak import keccak256
    except ImportError:
        return "0x" + body
    digest = keccak256(body.encode("ascii")).hex()
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(body)
    )


def is_running(pid: int) -> bool:
    """Whether ``pid`` is a live (non-zombie) anvil process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    proc = Path(f"/proc/{pid}")
    if proc.exists():
        try:
            status = (proc / "status").read_text()
            if re.search(r"^State:\s+Z", status, re.MULTILINE):
                return False
            argv0 = (proc / "cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            return False
        return Path(argv0.decode(errors="replace")).name == "anvil"
    return True


def stop_devnet(devnet: Devnet | int, timeout: float = 10.0) -> None:
    """Stop anvil by PID: SIGTERM (anvil then writes its ``--state`` file), SIGKILL after
    ``timeout``. A PID that is gone, or that is not an anvil any more, is left alone."""
    pid = devnet.pid if isinstance(devnet, Devnet) else int(devnet)
    if not is_running(pid):
        _reap(pid)
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _reap(pid) or not is_running(pid):
            return
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        if _reap(pid) or not is_running(pid):
            return
        time.sleep(0.02)
    raise DevnetError(f"anvil (pid {pid}) did not stop")


def _reap(pid: int) -> bool:
    """Collect our own child's exit status; True when it has exited."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == pid


# --- a devnet that outlives the CLI invocation: state in a directory --------------------

_STATE_FILE = "devnet.json"


@dataclass(frozen=True)
class DevnetStatus:
    """What ``anchor devnet status`` reports."""

    running: bool
    info: dict[str, Any] | None
    block_number: int | None = None


def devnet_up(state_dir: str | Path, options: DevnetOptions | None = None, **kwargs: Any) -> Devnet:
    """Start a detached anvil whose description is kept in ``state_dir`` (e.g. .anchor/devnet)."""
    state_dir = Path(state_dir)
    current = devnet_status(state_dir)
    if current.running and current.info is not None:
        raise DevnetError(
            f"a devnet is already running (pid {current.info['pid']}, {current.info['rpc_url']}); "
            "run `anchor devnet down` first"
        )
    devnet = start_devnet(options, workdir=state_dir, detach=True, **kwargs)
    (state_dir / _STATE_FILE).write_text(
        json.dumps(devnet.to_public_json(), indent=2) + "\n", encoding="utf-8"
    )
    return devnet


def devnet_status(state_dir: str | Path) -> DevnetStatus:
    """Read the saved description and check that the process is alive and answering."""
    path = Path(state_dir) / _STATE_FILE
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return DevnetStatus(running=False, info=None)
    if not is_running(int(info["pid"])):
        return DevnetStatus(running=False, info=info)
    try:
        block = int(_rpc(info["rpc_url"], "eth_blockNumber"), 16)
    except (OSError, urllib.error.URLError, ValueError, DevnetError):
        return DevnetStatus(running=True, info=info, block_number=None)
    return DevnetStatus(running=True, info=info, block_number=block)


def devnet_down(state_dir: str | Path, timeout: float = 10.0) -> dict[str, Any] | None:
    """Stop the devnet recorded in ``state_dir`` (by its PID) and forget it."""
    path = Path(state_dir) / _STATE_FILE
    try:
        info: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    stop_devnet(int(info["pid"]), timeout=timeout)
    path.unlink(missing_ok=True)
    (Path(state_dir) / "anvil-config.json").unlink(missing_ok=True)
    return info
