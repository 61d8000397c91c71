"""Optional C accelerator for sealing (``_seal``), built by setup.py at install time.

The core uses it, privately, when it imports (:mod:`anchor.core.native`), and the pure
Python path otherwise; the tests check both give identical bytes, and
scripts/check_native.sh runs them against a build made with AddressSanitizer and
UndefinedBehaviorSanitizer, and fuzzes it.
"""
