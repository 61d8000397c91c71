"""``GET /verify``: the browser verifier (anchor/verifier/static/verify.html), as built by
scripts/build_verifier_page.py. The same file works saved to disk and opened from
``file://``; serving it here is a convenience, not a dependency: the page sends nothing to
this server, it talks only to the RPC (or wallet) the user chooses.

``GET /verify/verifier.js``: the same verification module for the explorer page
(``window.ledgerAnchorVerifier``).

The page's script is inline; the Content-Security-Policy allows exactly that script (by its
SHA-256), no other script, and connections to any http(s) RPC the user types.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

__all__ = ["page_csp", "router"]

router = APIRouter()

_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


@lru_cache(maxsize=4)
def _static(name: str) -> bytes:
    return resources.files("anchor.verifier").joinpath("static", name).read_bytes()


def page_csp(html: bytes) -> str:
    """The CSP for a page whose only script is inline: that script's hash, nothing else."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() + "'"
        for m in _SCRIPT.finditer(html)
    )
    return (
        f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; "
        "connect-src http: https:; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


@router.get("/verify", include_in_schema=False)
def verify_page() -> Response:
    html = _static("verify.html")
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": page_csp(html), "X-Content-Type-Options": "nosniff"},
    )


@router.get("/verify/verifier.js", include_in_schema=False)
def verifier_js() -> Response:
    return Response(
        _static("verifier.js"),
        media_type="text/javascript; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )
