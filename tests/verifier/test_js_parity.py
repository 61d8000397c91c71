"""The browser verifier's JavaScript (scripts/web/src, bundled into verify.html) and the Python
verifier agree on every committed vector, broken ones included, and on single-byte
mutations of a bundle; the committed page is what the build script makes of the sources."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

from anchor.errors import ProofFormatError, VerificationError
from anchor.verifier import verify_bundle_offline
from tests.core.ozjs import run_node
from tests.fixtures.paths import ROOT

VECTORS = ROOT / "tests" / "vectors"


def _python_verdict(data: bytes) -> tuple[str, str | None]:
    try:
        verify_bundle_offline(data)
    except VerificationError as exc:
        return "invalid", exc.step
    except ProofFormatError:
        return "format", "format"
    return "valid", None


def _js_verdicts(files: list[Path]) -> dict[str, tuple[str, str | None]]:
    results = run_node("verify_vectors.mjs", args=list(files))
    return {r["file"]: (r["verdict"], r["step"]) for r in results}


def test_python_and_js_agree_on_every_committed_vector() -> None:
    files = sorted(p for p in VECTORS.rglob("*.json") if p.parent.name in ("bundles", "broken"))
    files = [p for p in files if p.name != "index.json"]
    index = json.loads((VECTORS / "broken" / "index.json").read_text())
    js = _js_verdicts(files)
    assert len(js) == len(files) >= 25
    for f in files:
        py = _python_verdict(f.read_bytes())
        assert js[str(f)] == py, (f.name, js[str(f)], py)
        if f.parent.name == "bundles":
            assert py == ("valid", None), f.name
        else:
            expect = index[f.name]
            assert py[0] == ("invalid" if expect["exit"] == 1 else "format"), f.name
            if expect["exit"] == 1:
                assert py[1] == expect["step"], f.name


def test_python_and_js_agree_on_single_byte_mutations(tmp_path: Path) -> None:
    rnd = random.Random(13)
    base = (VECTORS / "bundles" / "valid-trade-final.json").read_bytes()
    pretty = (VECTORS / "bundles" / "valid-trade-final-reformatted.json").read_bytes()
    files = []
    for name, data in (("canon", base), ("pretty", pretty)):
        for k in range(120):
            pos = rnd.randrange(len(data))
            changed = bytearray(data)
            changed[pos] = rnd.choice([changed[pos] ^ 1, ord(" "), ord("\n"), ord("0"), ord('"')])
            path = tmp_path / f"{name}-{k}.json"
            path.write_bytes(bytes(changed))
            files.append(path)
    js = _js_verdicts(files)
    for f in files:
        assert js[str(f)] == _python_verdict(f.read_bytes()), (f.name, f.read_bytes())


def test_the_committed_page_is_built_from_the_sources() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_verifier_page.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = (ROOT / "anchor" / "verifier" / "static" / "verify.html").read_text()
    # self-contained: one inline script, nothing loaded from anywhere
    assert html.count("<script") == 1 and "<script src" not in html
    assert "http://" not in html.split("<script>")[0] and "cdn" not in html.lower()


def test_the_page_expects_the_artifacts_code_hash() -> None:
    from anchor.chain.artifact import load_artifact
    from anchor.core.hashing import keccak256

    expected = "0x" + keccak256(load_artifact().deployed_bytecode_bytes).hex()
    generated = (ROOT / "scripts" / "web" / "src" / "generated.mjs").read_text()
    assert f'PUBLISHED_CODE_HASH = "{expected}"' in generated
    assert expected in (ROOT / "anchor" / "verifier" / "static" / "verify.html").read_text()
