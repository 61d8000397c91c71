"""Optional C accelerator for sealing (``_seal``), built by setup.py at install time.

:mod:`anchor.core.seal` uses it when it imports, and the pure Python path otherwise; the
tests check both give identical bytes.
"""
