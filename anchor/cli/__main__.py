"""``python -m anchor.cli``: the ``anchor`` command."""

from anchor.cli import main

main()
