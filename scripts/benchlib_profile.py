"""``bench_proofs.py --profile``: where a proof's server CPU goes, by part.

py-spy (``pip install py-spy``; it needs ptrace, i.e. root or CAP_SYS_PTRACE) samples the
server's worker processes while the load runs (``py-spy record --subprocesses --format
raw``). Each sample is put in one part by the deepest frame that names one (:data:`PARTS`).

py-spy samples a process whenever it is not idle, runnable-but-waiting included: on a
machine busier than its cores, a worker that wakes the load generator with its response
write is often preempted right there, so uvicorn's write collects samples far beyond the
CPU it uses. Hence the split printed: the stack's share is what the ceiling (the same
uvicorn stack serving a fixed body) costs per request in CPU time, measured in the same
run; the rest of our CPU per request is divided among the application's parts in
proportion to their samples.
"""

from __future__ import annotations

import collections
import subprocess
from pathlib import Path

STACK = "stack"
# (part, frame substrings), the most specific first; the deepest frame matching any wins
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (STACK, ("RequestResponseCycle.send", "httptools_impl", "asyncio", "uvloop")),
    ("DB: the record + batch statement", ("_Rows.one", "ProofReader.record")),
    ("DB: the accounts' commitments (cache misses)", ("_accounts",)),
    ("DB: connection (held)", ("_held_connection", "_reader", "_HeldReads")),
    ("record parsed + validated (core parse_record)", ("parse_record", "read_stored")),
    ("bundle rendered in one call (leaf, path to root, JSON, checksum)", ("render_bundle",)),
    ("bundle serialized + checksum (proof_bundle)", ("computed_checksum", "ProofBundle._body",
     "_render_body", "ProofBundle.to_json", "_record_block", "_hex_list", "_json_str_list")),
    ("leaf recomputed (redact, ABI encode, keccak)", ("_abi_encode", "leaf_hash", "redact",
     "leaf_values_redacted", "leaf_types", "account_commitment")),
    ("path hashed to the root (keccak)", ("process_proof",)),
    ("bundle object (values, dataclasses)", ("leaf_values_json", "ProofBundle.__init__",
     "AnchorInfo", "__init__ (<string>")),
    ("make_bundle (rest)", ("make_bundle",)),
    ("tree: chunk cache, leaf search, path", ("_Tree.", "stored_path")),
    ("batch row + anchor fields", ("anchor_info", "_batch_row")),
    ("load_proof (rest)", ("load_proof", "ProofOutcome")),
    ("auth / visibility: viewer from headers", ("viewer_of", "is_operator", "bearer_token",
     "Request.", "Headers.")),
    ("proof route (path, query, send)", ("answer (", "ProofRoute.", "ProofFront.", "_route_path",
     "_operator_by_key", "_request_id", "_parts (")),
    ("RequestGuard + RequestIdMiddleware", ("RequestGuard", "target_problem", "_decoded",
     "tracking_send", "_declared_length", "RequestIdMiddleware", "send_with_id", "token_hex")),
    ("framework: uvicorn proxy headers, FastAPI, Starlette middleware", ("FastAPI.",
     "Starlette.", "Middleware.", "_send (")),
)  # fmt: skip


def record(py_spy: str, supervisor: int, seconds: int, out: Path) -> subprocess.Popen[bytes]:
    """Start sampling the supervisor's worker processes for ``seconds`` (raw stacks)."""
    return subprocess.Popen(
        [py_spy, "record", "--pid", str(supervisor), "--subprocesses", "--nonblocking",
         "--rate", "200", "--duration", str(seconds), "--format", "raw", "-o", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def parts(raw: Path) -> collections.Counter[str]:
    """Samples per part, worker processes only (their stacks pass through the ASGI app or
    the event loop; the supervisor's do not)."""
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        if not any("spawn_main" in f for f in frames[:2]):
            continue  # the supervisor
        counts[_part(frames[2:])] += int(n)
    return counts


def _part(frames: list[str]) -> str:
    if any("_Tree._load" in f for f in frames) and any(
        "_Rows.all" in f or "ProofReader._all" in f for f in frames
    ):
        return "tree: chunk cache MISS, chunk read from the DB"
    for frame in reversed(frames):
        for part, keys in PARTS:
            if any(k in frame for k in keys):
                return part
    return STACK  # the event loop, the HTTP parser, the socket


def breakdown(counts: collections.Counter[str], ours_us: float, ceiling_us: float) -> str:
    """The table: the stack at the ceiling's CPU per request, the application's parts
    sharing the rest of ours by their samples."""
    app = {k: v for k, v in counts.items() if k != STACK}
    app_total = sum(app.values()) or 1
    app_us = max(0.0, ours_us - ceiling_us)
    lines = [
        f"server CPU per proof: {ours_us:.0f} us; py-spy samples: {sum(counts.values()):,} "
        f"({100 * counts[STACK] / max(1, sum(counts.values())):.0f}% in the stack, waits "
        "for the CPU included)",
        f"  {ceiling_us:6.0f} us  uvicorn stack: HTTP parse, event loop, socket writes "
        "(= the ceiling's CPU per request)",
    ]
    for part, n in sorted(app.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {app_us * n / app_total:6.0f} us  {part}  ({100 * n / app_total:.1f}%)")
    return "\n".join(lines)
