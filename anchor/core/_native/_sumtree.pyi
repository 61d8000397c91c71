from typing import Any

def derive(secret: bytes, label: int, start: int, count: int, /) -> bytes: ...
def permutation(secret: bytes, count: int, /) -> bytes: ...
def leaves(
    round_id: int,
    count: int,
    positions: Any,
    commitments: bytes,
    salts: bytes,
    pads: bytes,
    records: list[bytes],
    balances: list[int],
    n_assets: int,
    /,
) -> tuple[bytes, bytes]: ...
def levels(hashes: bytes, sums: bytes, n_assets: int, /) -> list[tuple[bytes, bytes]]: ...
def has_duplicate(values: bytes, /) -> bool: ...
