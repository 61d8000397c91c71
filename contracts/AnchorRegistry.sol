// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title AnchorRegistry
/// @notice Stores the Merkle roots of an exchange's sealed record batches under strictly
/// sequential batch ids, so that anyone can check one record against the chain.
/// @dev Leaves and inner nodes follow OpenZeppelin's StandardMerkleTree: a leaf is
/// keccak256(keccak256(abi.encode(...))) and inner nodes hash sorted pairs. `verify` takes the
/// final (double-hashed) leaf. No proxy, no selfdestruct, no upgrade path: a root, once
/// written, can never change.
///
/// Two entries anchor, sharing one implementation (`_anchor`): the same checks, storage
/// write, `Anchored` event and custom errors. `anchor(uint64,bytes32,uint64)` is the ABI form,
/// for people and explorers. `anchorPacked_r19q()` is the service's: the arguments follow its
/// selector tightly packed (44 bytes of call data instead of 100: fewer zero bytes, no ABI
/// decoder), and the selector, 0x00000071, is the lowest, so the dispatcher matches it first.
///
/// Gas: anchoring keeps the root in storage (not only in an event, which history expiry may
/// drop) and touches exactly three storage slots: the caller's anchorer flag, the previous
/// batch's root (is it anchored?) and this batch's root (is it free? then write it). There is
/// deliberately no stored counter: updating one costs 2,900-5,000 gas per call, more than the
/// read of the previous root. `lastBatchId` is therefore computed by a search (a view, O(log n)
/// reads). Slots are addressed directly (see the storage note below), so the hot path
/// computes no storage hashes. scripts/bench_gas.py measures both entries.
contract AnchorRegistry is Ownable {
    // Storage: `owner` (Ownable) is slot 0, the only declared variable. The rest is addressed
    // directly, so the hot path computes no storage hashes:
    // - account `a`'s anchorer flag (1 or 0) is slot `uint160(a)`, in [1, 2^160) since the
    //   zero address cannot be an anchorer;
    // - batch `id`'s root is slot `~uint256(id)` (bitwise not), in [2^256 - 2^64, 2^256):
    //   ids 1..lastBatchId() hold their roots, higher ids are zero, and id 0 holds
    //   `_SENTINEL` from the constructor (so "the previous id is anchored" needs no special
    //   case for id 1, and id 0 looks taken); `rootOf(0)` still returns zero.
    // The two ranges and slot 0 are disjoint.

    /// @dev What the constructor writes as batch 0's "root" (never a real root: rootOf(0) is 0).
    uint256 private constant _SENTINEL = 1;

    /// @dev Length of `anchorPacked_r19q()` call data: selector, uint32, bytes32, uint32.
    uint256 private constant _PACKED_LENGTH = 44;

    /// @dev keccak256("Anchored(uint64,bytes32,uint64)"), topic 0 of `Anchored`.
    bytes32 private constant _ANCHORED_TOPIC = 0x8a625ff6b600489e76c9caf3b3e78a6b1cf48af724479bd7bdca61de573a6412;

    /// @notice Batch `batchId`'s Merkle root `root`, over `leafCount` records, was anchored.
    /// When: the block's timestamp. By whom: the transaction's sender (an anchorer).
    event Anchored(uint64 indexed batchId, bytes32 indexed root, uint64 leafCount);

    event AnchorerAdded(address indexed account);
    event AnchorerRemoved(address indexed account);

    /// @notice The caller is not an anchorer.
    error NotAnchorer(address caller);
    /// @notice `got` is not the next batch id; `got < expected` means it is already anchored.
    error BatchIdOutOfOrder(uint64 expected, uint64 got);
    /// @notice A zero root cannot be anchored (zero marks "not anchored").
    error ZeroRoot();
    /// @notice A batch has at least one leaf.
    error ZeroLeafCount();
    /// @notice `account` is already an anchorer (addAnchorer) or is not one (removeAnchorer).
    error AnchorerUnchanged(address account);
    /// @notice The zero address cannot be an anchorer.
    error ZeroAnchorer();
    /// @notice `anchorPacked_r19q()` call data must be exactly 44 bytes; `length` was given.
    error BadCalldataLength(uint256 length);

    /// @param firstAnchorer the account allowed to anchor from the start. The deployer
    /// becomes the owner. Constructor arguments are not part of the runtime code.
    constructor(address firstAnchorer) Ownable(msg.sender) {
        _addAnchorer(firstAnchorer);
        assembly ("memory-safe") {
            sstore(not(0), _SENTINEL)
        }
    }

    /// @notice Anchor the root of batch `batchId` (which must be lastBatchId() + 1). The ABI
    /// entry; the service uses `anchorPacked_r19q()`, which does the same for less gas.
    function anchor(uint64 batchId, bytes32 root, uint64 leafCount) external {
        _anchor(batchId, root, leafCount, 0);
    }

    /// @notice The packed anchor entry: same rules, custom errors and `Anchored` event as
    /// `anchor`, for less gas. Its call data is exactly 44 bytes: this function's selector
    /// `0x00000071`, then `abi.encodePacked(uint32 batchId, bytes32 root, uint32 leafCount)`
    /// (big-endian, no padding). Any other length, or a value sent with it, reverts
    /// (`BadCalldataLength`, resp. empty revert data as for any non-payable function). It
    /// declares no ABI arguments on purpose: they follow the selector packed. Batch ids and
    /// leaf counts of 2^32 and above need the ABI entry (`anchor`).
    /// @dev The name is mined so that the selector starts with three zero bytes: zero call
    /// data bytes are cheaper, and the dispatcher compares selectors in ascending order, so
    /// this one is matched first. `payable` only spares the compiler's value check (11 gas);
    /// a value is rejected in the combined check.
    function anchorPacked_r19q() external payable {
        uint64 batchId;
        bytes32 root;
        uint64 leafCount;
        uint256 bad; // non-zero: wrong length or a value (a word, so no bool cleanup applies)
        assembly ("memory-safe") {
            bad := or(xor(calldatasize(), _PACKED_LENGTH), callvalue())
            batchId := shr(224, calldataload(4))
            root := calldataload(8)
            leafCount := shr(224, calldataload(40))
        }
        _anchor(batchId, root, leafCount, bad);
    }

    /// @notice The root anchored for `batchId`, or zero when that batch is not anchored.
    function rootOf(uint64 batchId) external view returns (bytes32) {
        return _rootAt(batchId);
    }

    /// @notice The highest anchored batch id (0 when none). Computed by an exponential then
    /// binary search over the contiguous run of roots: O(log n) storage reads, meant for calls.
    function lastBatchId() public view returns (uint64) {
        if (_rootAt(1) == bytes32(0)) return 0;
        uint256 set = 1; // known anchored
        uint256 unset = 2; // candidate for the first id not anchored
        while (unset <= type(uint64).max && _rootAt(uint64(unset)) != bytes32(0)) {
            set = unset;
            unset = unset * 2;
        }
        if (unset > type(uint64).max) unset = uint256(type(uint64).max) + 1;
        while (unset - set > 1) {
            uint256 mid = (set + unset) / 2;
            if (_rootAt(uint64(mid)) != bytes32(0)) {
                set = mid;
            } else {
                unset = mid;
            }
        }
        return uint64(set);
    }

    /// @notice Whether `leaf` (the double-hashed StandardMerkleTree leaf) is in the tree
    /// anchored as `batchId`, with OpenZeppelin MerkleProof semantics (sorted pairs).
    /// False for a batch that is not anchored.
    function verify(uint64 batchId, bytes32[] calldata proof, bytes32 leaf) external view returns (bool) {
        bytes32 root = _rootAt(batchId);
        if (root == bytes32(0)) return false;
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @notice Whether `account` may anchor.
    function isAnchorer(address account) external view returns (bool) {
        return _isAnchorer(account);
    }

    /// @notice Allow `account` to anchor (owner only).
    function addAnchorer(address account) external onlyOwner {
        _addAnchorer(account);
    }

    /// @notice Stop `account` from anchoring (owner only).
    function removeAnchorer(address account) external onlyOwner {
        if (!_isAnchorer(account)) revert AnchorerUnchanged(account);
        _setAnchorer(account, false);
        emit AnchorerRemoved(account);
    }

    /// @dev Both entries' logic. `bad` non-zero: the packed entry got call data of another
    /// length or a value. On success it stops the call here (neither entry returns anything).
    function _anchor(uint64 batchId, bytes32 root, uint64 leafCount, uint256 bad) private {
        assembly ("memory-safe") {
            let slot := not(batchId)
            // Rejected: `bad`; the caller no anchorer; a zero root or leaf count; this id
            // already set (id 0 holds the sentinel); or the previous id not set. Since ids only
            // grow by one, ids 0..n stay set and every other id stays zero.
            if iszero(
                or(
                    or(or(bad, iszero(sload(caller()))), or(iszero(root), iszero(leafCount))),
                    or(sload(slot), iszero(sload(add(slot, 1))))
                )
            ) {
                sstore(slot, root)
                mstore(0x00, leafCount)
                log3(0x00, 0x20, _ANCHORED_TOPIC, batchId, root)
                stop()
            }
        }
        // Rejected: the first broken rule, in this order.
        if (bad != 0) {
            if (msg.value != 0) revert();
            revert BadCalldataLength(msg.data.length);
        }
        if (!_isAnchorer(msg.sender)) revert NotAnchorer(msg.sender);
        if (root == bytes32(0)) revert ZeroRoot();
        if (leafCount == 0) revert ZeroLeafCount();
        revert BatchIdOutOfOrder(_nextBatchId(), batchId);
    }

    function _addAnchorer(address account) private {
        if (account == address(0)) revert ZeroAnchorer();
        if (_isAnchorer(account)) revert AnchorerUnchanged(account);
        _setAnchorer(account, true);
        emit AnchorerAdded(account);
    }

    function _isAnchorer(address account) private view returns (bool allowed) {
        assembly ("memory-safe") {
            allowed := sload(account)
        }
    }

    function _setAnchorer(address account, bool allowed) private {
        assembly ("memory-safe") {
            sstore(account, allowed)
        }
    }

    /// @dev Batch `batchId`'s root, zero when not anchored (and for id 0, the sentinel's).
    function _rootAt(uint64 batchId) private view returns (bytes32 root) {
        assembly ("memory-safe") {
            root := mul(sload(not(batchId)), iszero(iszero(batchId)))
        }
    }

    function _nextBatchId() private view returns (uint64) {
        unchecked {
            return lastBatchId() + 1;
        }
    }
}
