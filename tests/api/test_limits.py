"""Sign-in challenges are the one unauthenticated write: limited per client address and
overall (429 with Retry-After), and their table is bounded — over a real uvicorn server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from anchor.api.app import create_app
from anchor.api.auth import SiweSite, TooManyChallenges, issue_challenge, utcnow
from anchor.store.db import Database
from tests.interop.helpers import live_server, service_config

ADDRESS = "0x" + "ab" * 20


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database.open(f"sqlite:///{tmp_path / 'anchor.sqlite'}")
    try:
        yield db
    finally:
        db.close()


def _client(source: str) -> httpx.Client:
    """A client whose connections come from ``source`` (another loopback address)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=30)


def _ask(client: httpx.Client, url: str, n: int) -> list[httpx.Response]:
    return [client.post(f"{url}/v1/auth/challenge", json={"address": ADDRESS}) for _ in range(n)]


def _count(db: Database) -> int:
    with db.connect(write=False) as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM auth_challenges")).scalar() or 0)


def test_challenges_are_limited_per_client(sqlite_db: Database) -> None:
    config = service_config(
        None, challenge_rate_per_client_per_minute=3, challenge_rate_total_per_second=1000
    )
    with (
        live_server(create_app(config, sqlite_db)) as url,
        _client("127.0.0.1") as one,
        _client("127.0.0.2") as two,
    ):
        first = _ask(one, url, 4)
        assert [r.status_code for r in first] == [201, 201, 201, 429]
        refused = first[-1]
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "retry later" in refused.json()["detail"]
        # another client is not held back by the first one's flood
        assert _ask(two, url, 1)[0].status_code == 201
    assert _count(sqlite_db) == 4


def test_challenges_are_limited_overall(sqlite_db: Database) -> None:
    config = service_config(
        None, challenge_rate_per_client_per_minute=600, challenge_rate_total_per_second=0.01
    )
    with live_server(create_app(config, sqlite_db)) as url:
        codes = []
        for i in range(2, 6):
            with _client(f"127.0.0.{i}") as c:
                codes.append(_ask(c, url, 1)[0].status_code)
    # the overall bucket holds a burst of one (2 x 0.01/s, at least 1), then refuses everyone
    assert codes[0] == 201 and set(codes[1:]) == {429}
    assert _count(sqlite_db) == 1


def test_the_challenge_table_is_bounded(sqlite_db: Database) -> None:
    def issue(address: str, *, now: object = None) -> None:
        issue_challenge(
            sqlite_db,
            address,
            site=SiweSite("127.0.0.1", "http://127.0.0.1", 1),
            max_rows=5,
            now=now,  # type: ignore[arg-type]
        )

    # two long expired: dropped when the table is full
    for i in range(2):
        issue("0x" + f"{i:040x}", now=utcnow() - timedelta(hours=2))
    for i in range(2, 5):
        issue("0x" + f"{i:040x}")
    assert _count(sqlite_db) == 5
    issue("0x" + f"{5:040x}")  # the expired ones make room
    assert _count(sqlite_db) == 4
    issue("0x" + f"{6:040x}")
    with pytest.raises(TooManyChallenges, match="too many open challenges"):
        issue("0x" + f"{7:040x}")
    assert _count(sqlite_db) == 5
