"""Option blocks: typer shows a block's options in the block parameter's place, and the
command receives one value of the block, built from what was given."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from anchor.cli.options import (
    ChainOpts,
    ChainRead,
    ConfigOpt,
    JsonOpt,
    Store,
    StoreOpts,
    with_blocks,
)


def _app(seen: list[object]) -> typer.Typer:
    app = typer.Typer(add_completion=False)

    @app.command()
    @with_blocks
    def show(
        as_json: bool = JsonOpt,
        store: Store = StoreOpts,
        chain: ChainRead = ChainOpts,
    ) -> None:
        seen.extend([as_json, store, chain])

    return app


def test_a_command_receives_each_block_as_one_value() -> None:
    seen: list[object] = []
    args = ["--json", "-c", "a.toml", "--database-url", "sqlite:///x.db", "--from-block", "7"]
    result = CliRunner().invoke(_app(seen), args)
    assert result.exit_code == 0, result.output
    assert seen == [
        True,
        Store(config=Path("a.toml"), database_url="sqlite:///x.db"),
        ChainRead(rpc_url=None, contract=None, from_block=7),
    ]


def test_help_lists_the_blocks_options_in_the_parameters_place() -> None:
    command = typer.main.get_command(_app([]))
    names = [p.name for p in command.params]
    assert names == ["as_json", "config", "database_url", "rpc_url", "contract", "from_block"]
    bad = CliRunner().invoke(_app([]), ["--from-block", "-1"])
    assert bad.exit_code == 2  # the option's own checks (min=0) still hold


def test_a_block_option_may_not_repeat_a_parameter_of_the_command() -> None:
    def clash(config: Path | None = ConfigOpt, store: Store = StoreOpts) -> None: ...

    with pytest.raises(TypeError, match="repeats"):
        with_blocks(clash)
