"""The registry's source-verification material, for block explorers and regulators:
``GET /v1/contract``, ``GET /v1/contract/standard-json``, ``GET /v1/contract/metadata``."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from anchor.api.deps import get_config
from anchor.config import Config

__all__ = ["router"]

router = APIRouter()
ConfigDep = Annotated[Config, Depends(get_config)]


def _artifact() -> Any:
    from anchor.chain.artifact import load_artifact

    return load_artifact()


@router.get("/v1/contract", tags=["contract"])
def contract_info(config: ConfigDep) -> JSONResponse:
    """Address, chain id, ABI and compiler of the registry, for explorers and tools."""
    art = _artifact()
    address = config.contract_address
    return JSONResponse(
        {
            "name": art.contract_name,
            "address": address,
            "chain_id": config.chain_id,
            "compiler": art.compiler_version,
            "source_sha256": art.source_sha256,
            "artifact_sha256": art.sha256,
            "explorer_url": config.explorer_url("address", address=address) if address else None,
            "start_block": config.contract_start_block,
            "abi": art.abi_list,
            "standard_json_url": "/v1/contract/standard-json",
            "metadata_url": "/v1/contract/metadata",
        }
    )


@router.get("/v1/contract/standard-json", tags=["contract"])
def contract_standard_json() -> JSONResponse:
    """The solc standard-JSON input the committed artifact was built from (give it to a
    block explorer's "verify source" form, compiler as in /v1/contract)."""
    return JSONResponse(_artifact().standard_json_input)


@router.get("/v1/contract/metadata", tags=["contract"])
def contract_metadata() -> JSONResponse:
    """The compiler's metadata JSON of the contract."""
    meta = _artifact().metadata
    return JSONResponse(json.loads(meta) if isinstance(meta, str) and meta else meta or {})
