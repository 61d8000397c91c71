"""The shipped Prometheus rules and Grafana dashboard (scripts/monitoring/): the YAML and
JSON parse, every rule has its fields, every expression is well formed, and every metric
(and label) they name is in what ``GET /metrics`` serves."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from anchor.api.app import create_app
from anchor.config import Config
from anchor.store import ops
from anchor.store.db import Database
from tests.api.server import serve
from tests.backup.helpers import fill
from tests.fixtures.paths import ROOT

MONITORING = ROOT / "scripts" / "monitoring"
FUNCTIONS = {
    "sum", "max", "min", "avg", "count", "rate", "increase", "irate", "histogram_quantile",
    "abs", "absent", "clamp_min", "delta", "deriv", "topk", "bottomk", "time", "vector",
}  # fmt: skip
KEYWORDS = {"by", "without", "on", "ignoring", "and", "or", "unless", "bool", "offset", "le"}
DURATION = re.compile(r"^\d+[smhdw]$")


@pytest.fixture(scope="module")
def served_metrics(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """Every sample name /metrics serves, with the label names it carries."""
    tmp = tmp_path_factory.mktemp("monitoring")
    target = tmp / "backup"
    target.mkdir()
    with Database.open(f"sqlite:///{tmp / 'm.sqlite'}") as db:
        fill(db, [3])
        ops.set_balance(db, 1, "0x" + "cd" * 20, 10**18)
        cfg = Config(api_key="k", backup_targets=(str(target),), backup_plaintext=True)
        with serve(create_app(cfg, db)) as url:
            text = httpx.get(f"{url}/metrics", headers={"X-API-Key": "k"}).text
    names: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            names.setdefault(s.name, set()).update(s.labels)
    return names


def _check_expr(expr: str, served: dict[str, set[str]]) -> set[str]:
    """Brackets balance, every identifier is a function, keyword, label or served metric;
    returns the metric names used."""
    stack = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for ch in re.sub(r'"[^"]*"', '""', expr):
        if ch in "([{":
            stack.append(ch)
        elif ch in pairs:
            assert stack and stack.pop() == pairs[ch], f"unbalanced {ch!r} in {expr}"
    assert not stack, f"unclosed {stack} in {expr}"
    used = set()
    for m in re.finditer(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}", expr):
        name, matchers = m.group(1), m.group(2)
        if name in served:
            for label in re.findall(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)", matchers):
                assert label in served[name], f"{name} has no label {label!r} ({expr})"
    bare = re.sub(r'"[^"]*"', "", expr)
    bare = re.sub(r"\{[^}]*\}", "", bare)
    bare = re.sub(r"\[[^\]]*\]", "", bare)
    grouping = set()
    for m in re.finditer(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", bare):
        grouping.update(x.strip() for x in m.group(1).split(","))
    for ident in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", bare):
        if ident in FUNCTIONS or ident in KEYWORDS or ident in grouping:
            continue
        assert ident.startswith("anchor_"), f"unknown identifier {ident!r} in {expr}"
        assert ident in served, f"{ident} is not served by /metrics ({expr})"
        used.add(ident)
    assert used, f"no metric in {expr}"
    return used


def test_alerting_rules(served_metrics: dict[str, set[str]]) -> None:
    doc = yaml.safe_load((MONITORING / "alerts.yml").read_text(encoding="utf-8"))
    assert set(doc) == {"groups"}
    seen: set[str] = set()
    used: set[str] = set()
    for group in doc["groups"]:
        assert set(group) == {"name", "rules"} and group["rules"]
        for rule in group["rules"]:
            assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule
            assert rule["alert"] not in seen and re.fullmatch(r"[A-Z]\w+", rule["alert"])
            seen.add(rule["alert"])
            assert DURATION.match(str(rule["for"])), rule["for"]
            assert rule["labels"]["severity"] in ("warning", "critical")
            assert rule["annotations"]["summary"] and rule["annotations"]["description"]
            used |= _check_expr(rule["expr"], served_metrics)
    # the alerts cover the conditions an operator is woken for
    for needed in ("anchor_alarms_open", "anchor_backup_late_batches", "anchor_runway_days"):
        assert needed in used


def test_grafana_dashboard(served_metrics: dict[str, set[str]]) -> None:
    dash: dict[str, Any] = json.loads(
        (MONITORING / "grafana-dashboard.json").read_text(encoding="utf-8")
    )
    assert dash["title"] and dash["uid"] and dash["panels"]
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    used: set[str] = set()
    for panel in dash["panels"]:
        assert panel["targets"], panel["title"]
        for t in panel["targets"]:
            used |= _check_expr(t["expr"], served_metrics)
    # every metric the service serves has a panel
    served = {
        re.sub(r"_(bucket|sum|count|created)$", "", n)
        for n in served_metrics
        if n.startswith("anchor_")
    }
    missing = {n for n in served if not any(u == n or u.startswith(n) for u in used)}
    assert not missing, missing


def test_example_rules_file_path_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "scripts/monitoring/" in readme
    assert Path(MONITORING / "alerts.yml").is_file()
