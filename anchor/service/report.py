"""``anchor report --html FILE``: one self-contained HTML file a regulator can file.

It holds the registry (address, chain, and its runtime code checked against the committed
artifact's code hash), every anchor (the chain's events beside our batch records, with block
time, the chain's finality, ingest-to-final latency and explorer links: the same rows as
``anchor anchors export``), the open alarms, backup status per target, and the missed
receipt deadlines. No script, no stylesheet or image from elsewhere: inline CSS only, every
value escaped.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from typing import Any

from anchor.backup.watch import BackupHealth, backup_health
from anchor.config import Config
from anchor.errors import AnchorError
from anchor.service.audit import AnchorsReport, collect_anchors, export_rows, iso
from anchor.store.db import Database

__all__ = ["CodeCheck", "Report", "build_report", "render_html"]


@dataclass(frozen=True)
class CodeCheck:
    """The registry's runtime code against the committed artifact."""

    ok: bool
    detail: str
    code_hash: str | None
    published_hash: str


@dataclass(frozen=True)
class Report:
    generated_at: int
    config: Config
    code: CodeCheck
    anchors: AnchorsReport
    rows: list[dict[str, Any]]
    alarms: list[Any]
    missed: list[Any]
    backups: BackupHealth

    @property
    def problems(self) -> int:
        """Anything a reader must look at: mismatches, a code check that failed, an
        unreadable chain, open alarms, missed deadlines, backups that lag."""
        return (
            self.anchors.mismatches
            + (0 if self.code.ok else 1)
            + (1 if self.anchors.error else 0)
            + len(self.alarms)
            + len(self.missed)
            + (0 if self.backups.ok else 1)
        )


def check_code(config: Config) -> CodeCheck:
    from anchor.chain.events import read_code
    from anchor.verifier.registry import published_code

    published = published_code()
    want = "0x" + published.code_hash.hex()
    if not config.rpc_url or not config.contract_address:
        return CodeCheck(False, "no RPC or registry address configured", None, want)
    try:
        chain_id, code = read_code(config.rpc_url, config.contract_address)
    except AnchorError as exc:
        return CodeCheck(False, exc.diagnostics(), None, want)
    if config.chain_id is not None and chain_id != config.chain_id:
        return CodeCheck(
            False, f"wrong chain: the RPC serves {chain_id}, not {config.chain_id}", None, want
        )
    if not code:
        return CodeCheck(False, f"no contract at {config.contract_address}", None, want)
    got = "0x" + published.hash_of(code).hex()
    if got != want:
        return CodeCheck(
            False,
            f"a look-alike: the code is not the published {published.contract_name}",
            got,
            want,
        )
    return CodeCheck(
        True, f"the published {published.contract_name} (code hash matches)", got, want
    )


def build_report(db: Database, config: Config, *, from_block: int | None = None) -> Report:
    from anchor.chain.alarms import open_alarms
    from anchor.store.receipts import missed_loads

    now = int(time.time())
    anchors = collect_anchors(db, config, from_block=from_block, max_age=0)
    return Report(
        generated_at=now,
        config=config,
        code=check_code(config),
        anchors=anchors,
        rows=export_rows(anchors),
        alarms=open_alarms(db),
        missed=missed_loads(db, now, limit=10_000),
        backups=backup_health(db, config),
    )


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.8rem}
table{border-collapse:collapse;width:100%;font-size:12px}
th,td{border:1px solid #d0d7de;padding:3px 5px;text-align:left;vertical-align:top}
td{font-family:ui-monospace,monospace;overflow-wrap:anywhere}
.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}
tr.bad td{background:#ffebe9}dl{display:grid;grid-template-columns:max-content auto;gap:2px 1rem}
dd{margin:0;font-family:ui-monospace,monospace}
"""


def _e(v: Any) -> str:
    return "—" if v is None or v == "" else html.escape(str(v), quote=True)


def _link(url: Any, text: Any) -> str:
    if not url:
        return _e(text)
    return f'<a href="{html.escape(str(url), quote=True)}">{_e(text)}</a>'


def _table(headers: list[str], rows: list[str]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_html(r: Report) -> str:
    c, a = r.config, r.anchors
    verdict = (
        '<p class="ok">No problem found.</p>'
        if r.problems == 0
        else f'<p class="bad">{r.problems} problem(s) to look at (below).</p>'
    )
    code_cls = "ok" if r.code.ok else "bad"
    anchor_rows = []
    for row in r.rows:
        cls = "" if row["status"] in ("ok", "pending") else ' class="bad"'
        anchor_rows.append(
            f"<tr{cls}><td>{_e(row['batch_id'])}</td><td>{_e(row['status'])}</td>"
            f"<td>{_e(row['root_chain'])}</td><td>{_e(row['root_ours'])}</td>"
            f"<td>{_e(row['leaf_count_chain'])} / {_e(row['leaf_count_ours'])}</td>"
            f"<td>{_link(row['explorer_block_url'], row['block_number'])}</td>"
            f"<td>{_e(row['block_time'])}</td><td>{_e(row['chain_finality'])}</td>"
            f"<td>{_link(row['explorer_tx_url'], row['tx_hash'])}</td>"
            f"<td>{_e(row['our_state'])}</td><td>{_e(row['latency_seconds'])}</td>"
            f"<td>{_e(row['problems'])}</td></tr>"
        )
    alarm_rows = [
        f'<tr class="bad"><td>{_e(x.kind)}</td><td>{_e(x.batch_id)}</td><td>{_e(x.count)}</td>'
        f"<td>{_e(x.created_at)}</td><td>{_e(x.message)}</td></tr>"
        for x in r.alarms
    ]
    backup_rows = [
        "<tr>"
        + "".join(
            f"<td>{_e(v)}</td>"
            for v in (
                t.target,
                t.state,
                t.last_batch or "-",
                f"{t.behind} ({t.behind_final})",
                f"{t.lag_seconds:.0f}",
                t.last_error or "",
            )
        )
        + "</tr>"
        for t in r.backups.targets
    ]
    missed_rows = [
        f'<tr class="bad"><td>{_e(m.id)}</td><td>{_e(m.first_seq)}..{_e(m.last_seq)}</td>'
        f"<td>{_e(m.count)}</td><td>{_e(iso(m.ingested_at))}</td><td>{_e(iso(m.deadline))}</td>"
        f"<td>{_e(iso(m.final_at)) if m.final_at else 'NOT FINAL'}</td></tr>"
        for m in r.missed
    ]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>ledger-anchor audit report</title><style>{_CSS}</style></head><body>
<h1>ledger-anchor audit report</h1>
<p>Generated {_e(iso(r.generated_at))} by <code>anchor report</code>. Anchors are read from
the chain's <code>Anchored</code> events and compared with the operator's batch records.</p>
{verdict}
<h2>Registry</h2>
<dl>
<dt>chain id</dt><dd id="chain-id">{_e(c.chain_id)}</dd>
<dt>address</dt><dd id="registry">{_link(a.contract_url, c.contract_address)}</dd>
<dt>code</dt><dd id="code-check" class="{code_cls}">{_e(r.code.detail)}</dd>
<dt>code hash on chain</dt><dd>{_e(r.code.code_hash)}</dd>
<dt>published code hash</dt><dd>{_e(r.code.published_hash)} (committed artifact)</dd>
<dt>latest block</dt><dd>{_e(a.latest_block)}</dd>
<dt>finalized block</dt><dd>{_e(a.finalized_block)}</dd>
<dt>chain read</dt><dd class="{"bad" if a.error else "ok"}">{_e(a.error or "ok")}</dd>
</dl>
<h2>Anchors ({len(r.rows)}; {a.mismatches} mismatch(es))</h2>
{
        _table(
            [
                "batch",
                "status",
                "root on chain",
                "root in our records",
                "leaves chain / ours",
                "block",
                "block time",
                "finality",
                "transaction",
                "our state",
                "ingest → final (s)",
                "problems",
            ],
            anchor_rows,
        )
    }
<h2>Open alarms ({len(r.alarms)})</h2>
{
        _table(["kind", "batch", "count", "since", "message"], alarm_rows)
        if alarm_rows
        else "<p>None.</p>"
    }
<h2>Backups ({len(r.backups.targets)} targets, a final batch needs {r.backups.minimum} within
{r.backups.alarm_seconds:g} s)</h2>
<p class="{"ok" if r.backups.ok else "bad"}">{
        _e("up to date" if r.backups.ok else r.backups.reason)
    }</p>
{
        _table(
            ["target", "state", "last batch", "behind (final)", "lag (s)", "last error"],
            backup_rows,
        )
        if backup_rows
        else "<p>No backup target configured.</p>"
    }
<h2>Missed receipt deadlines ({len(r.missed)})</h2>
{
        _table(["load", "seqs", "records", "ingested", "deadline", "final"], missed_rows)
        if missed_rows
        else "<p>None.</p>"
    }
</body></html>
"""
