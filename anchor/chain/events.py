"""Reading the registry's ``Anchored`` events, with each block's timestamp. Takes an RPC URL
and an address, returns values: no database here (the cache is anchor/store/anchor_events.py,
the incremental refresh anchor/service/audit.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from anchor.core.anchored import AnchorEvent
from anchor.errors import AnchorError, ChainError

__all__ = ["LOG_RANGE", "AnchorEvent", "ChainHead", "read_anchor_events", "read_code"]

LOG_RANGE = 10_000  # blocks per eth_getLogs call (providers cap the range)


@dataclass(frozen=True)
class ChainHead:
    chain_id: int
    latest_block: int
    finalized_block: int | None  # the `finalized` tag (None: the chain has none)


def _event_signature(abi: Any) -> str:
    types = ",".join(str(i["type"]) for i in abi["inputs"])
    return f"{abi['name']}({types})"


def read_anchor_events(
    rpc_url: str, contract: str, from_block: int, to_block: int | None = None
) -> tuple[ChainHead, list[AnchorEvent]]:
    """The chain head and the ``Anchored`` events of ``contract`` in blocks
    ``from_block..to_block`` (default: the latest), in chain order. ChainError naming the
    problem when the RPC cannot be read."""
    from anchor.chain.artifact import load_artifact
    from anchor.chain.client import RetryPolicy, make_web3

    try:
        w3 = make_web3(rpc_url, policy=RetryPolicy(timeout=5.0, retries=1))
        address = w3.to_checksum_address(contract)
        event = w3.eth.contract(address=address, abi=load_artifact().abi_list).events.Anchored()
        topic0 = "0x" + bytes(w3.keccak(text=_event_signature(event.abi))).hex()
        latest = int(w3.eth.block_number)
        try:
            finalized: int | None = int(w3.eth.get_block("finalized")["number"])
        except Exception:  # no `finalized` tag on this chain: a depth rule applies
            finalized = None
        head = ChainHead(int(w3.eth.chain_id), latest, finalized)
        end = head.latest_block if to_block is None else min(to_block, head.latest_block)
        logs: list[Any] = []
        start = from_block
        while start <= end:
            stop = min(end, start + LOG_RANGE - 1)
            logs += w3.eth.get_logs(
                {"address": address, "topics": [topic0], "fromBlock": start, "toBlock": stop}
            )
            start = stop + 1
        times: dict[int, int] = {}
        out: list[AnchorEvent] = []
        for log in logs:
            ev = event.process_log(log)
            number = int(ev["blockNumber"])
            if number not in times:
                times[number] = int(w3.eth.get_block(number)["timestamp"])
            args = ev["args"]
            out.append(
                AnchorEvent(
                    batch_id=int(args["batchId"]),
                    root=bytes(args["root"]),
                    leaf_count=int(args["leafCount"]),
                    tx_hash=bytes(ev["transactionHash"]),
                    block_number=number,
                    block_hash=bytes(ev["blockHash"]),
                    block_time=times[number],
                )
            )
    except AnchorError:
        raise
    except Exception as exc:
        raise ChainError(f"chain unreachable ({type(exc).__name__})") from None
    return head, out


def read_code(rpc_url: str, contract: str) -> tuple[int, bytes]:
    """The chain id and the runtime code at ``contract`` (b"" when there is none)."""
    from anchor.chain.client import RetryPolicy, make_web3

    try:
        w3 = make_web3(rpc_url, policy=RetryPolicy(timeout=5.0, retries=1))
        return int(w3.eth.chain_id), bytes(w3.eth.get_code(w3.to_checksum_address(contract)))
    except Exception as exc:
        raise ChainError(f"chain unreachable ({type(exc).__name__})") from None
