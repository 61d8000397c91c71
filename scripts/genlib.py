"""What the scripts that regenerate committed files (scripts/gen_vectors.py,
scripts/build_verifier_page.py) share: their one option."""

from __future__ import annotations

import argparse


def check_requested(description: str | None) -> bool:
    """Parse the command line: ``--check`` compares the generated files with the committed
    ones (the script exits 1 when one differs) instead of writing them."""
    ap = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("--check", action="store_true", help="compare with the committed files")
    return bool(ap.parse_args().check)
