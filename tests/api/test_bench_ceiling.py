"""The ceiling fixture of scripts/bench_proofs.py stays comparable to what it is compared
with: over a real uvicorn server it answers with a JSON body of exactly the size asked for
and the same response header names as a proof (the golden responses of the proof route)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest

from tests.api.server import serve

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
GOLDEN = Path(__file__).parent / "golden" / "proof_responses.json"
UVICORN_OWN = {"date", "server"}


@pytest.fixture
def ceiling_app(monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.syspath_prepend(str(SCRIPTS))
    monkeypatch.setenv("BENCH_CEILING_BYTES", "3063")
    sys.modules.pop("bench_ceiling_app", None)
    import bench_ceiling_app

    return bench_ceiling_app.create_app()


def test_the_ceiling_serves_a_bundle_sized_body_with_a_proofs_headers(ceiling_app: object) -> None:
    with serve(ceiling_app) as url:
        r = httpx.get(f"{url}/v1/proofs/r5-00000001", headers={"X-API-Key": "k"})
        again = httpx.get(f"{url}/healthz")
    assert r.status_code == 200 and again.status_code == 200
    assert len(r.content) == 3063 and r.content == again.content
    assert json.loads(r.content)["pad"].strip("x") == ""
    proof = next(g for g in json.loads(GOLDEN.read_text()) if g["status"] == 200)
    ours = set(proof["headers"]) | {"x-request-id"}  # the request id: every API response
    assert set(r.headers) - UVICORN_OWN == ours
    assert r.headers["content-type"] == proof["headers"]["content-type"]
    assert r.headers["cache-control"] == proof["headers"]["cache-control"]
