"""Build the optional C accelerator ``anchor.core._native._seal``.

Everything else is declared in pyproject.toml. If the compiler is missing or fails, the
install still succeeds and anchor.core falls back to its pure Python path -- unless
``ANCHOR_REQUIRE_NATIVE=1`` (scripts/test.sh sets it): then a failed build fails the install.
"""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

REQUIRED = os.environ.get("ANCHOR_REQUIRE_NATIVE", "") not in ("", "0")


class OptionalBuildExt(build_ext):
    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # pragma: no cover - depends on the machine
            if REQUIRED:
                raise
            print(f"warning: native accelerator not built ({exc}); using pure Python")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # pragma: no cover
            if REQUIRED:
                raise
            print(f"warning: {ext.name} not built ({exc}); using pure Python")


setup(
    ext_modules=[
        Extension(
            "anchor.core._native._seal",
            sources=["anchor/core/_native/_seal.c"],
            # one translation unit: _seal.c includes its parts
            depends=sorted(str(p) for p in Path("anchor/core/_native").glob("*.h")),
            extra_compile_args=["-O3", "-std=c99", "-pthread"],
            extra_link_args=["-pthread"],
            optional=not REQUIRED,
        ),
        Extension(
            "anchor.core._native._sumtree",
            sources=["anchor/core/_native/_sumtree.c"],
            # shares the keccak headers and the module definition with _seal.c
            depends=[
                f"anchor/core/_native/{h}"
                for h in ("_keccak_scalar.h", "_keccak_lanes.h", "_keccak_simd.h", "_module.h")
            ],
            extra_compile_args=["-O3", "-std=c99", "-pthread"],
            extra_link_args=["-pthread"],
            optional=not REQUIRED,
        ),
    ],
    cmdclass={"build_ext": OptionalBuildExt},
)
