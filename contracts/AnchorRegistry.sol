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
/// Gas: `anchor` keeps the root in storage (not only in an event, which history expiry may
/// drop) and touches exactly three storage slots: the caller's anchorer flag, the previous
/// batch's root (is it anchored?) and this batch's root (is it free? then write it). There is
/// deliberately no stored counter: updating one costs 2,900-5,000 gas per call, more than the
/// read of the previous root. `lastBatchId` is therefore computed by a search (a view, O(log n)
/// reads). Roots live at `_ROOTS_SLOT + batchId` (a namespaced array, see below) so the hot
/// path computes no storage hashes. scripts/bench_gas.py measures the call.
contract AnchorRegistry is Ownable {
    /// @dev Batch `id`'s root is stored at slot `_ROOTS_SLOT + id`: ids 1..lastBatchId() are
    /// set, every other id is zero. `_ROOTS_SLOT` is
    /// `uint256(keccak256("ledger-anchor.AnchorRegistry.roots")) & ~uint256(type(uint64).max)`,
    /// so the 2^64 possible slots can collide neither with `owner` (slot 0) nor with the
    /// `_anchorers` mapping (keccak-derived slots).
    uint256 private constant _ROOTS_SLOT = 0xb3607171d839f2fef9643be3865511a901d58db33a612b9e0000000000000000;

    /// @dev keccak256("Anchored(uint64,bytes32,uint64)"), topic 0 of `Anchored`.
    bytes32 private constant _ANCHORED_TOPIC = 0x8a625ff6b600489e76c9caf3b3e78a6b1cf48af724479bd7bdca61de573a6412;

    /// @dev accounts allowed to call `anchor`.
    mapping(address account => bool allowed) private _anchorers;

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

    /// @param firstAnchorer the account allowed to anchor from the start. The deployer
    /// becomes the owner. Constructor arguments are not part of the runtime code.
    constructor(address firstAnchorer) Ownable(msg.sender) {
        _addAnchorer(firstAnchorer);
    }

    /// @notice Anchor the root of batch `batchId` (which must be lastBatchId() + 1).
    function anchor(uint64 batchId, bytes32 root, uint64 leafCount) external {
        if (!_anchorers[msg.sender]) revert NotAnchorer(msg.sender);
        bool rejected;
        assembly ("memory-safe") {
            let slot := add(_ROOTS_SLOT, batchId)
            // Rejected: a zero root or leaf count; this id already set; or, for any id but 1,
            // the previous id not set (for id 0 that "previous" slot is never set either).
            // Since ids only grow by one, ids 1..n stay set and every other id stays zero.
            rejected := or(
                or(iszero(root), iszero(leafCount)),
                or(sload(slot), and(iszero(eq(batchId, 1)), iszero(sload(sub(slot, 1)))))
            )
            if iszero(rejected) {
                sstore(slot, root)
                mstore(0x00, leafCount)
                log3(0x00, 0x20, _ANCHORED_TOPIC, batchId, root)
            }
        }
        if (rejected) {
            if (root == bytes32(0)) revert ZeroRoot();
            if (leafCount == 0) revert ZeroLeafCount();
            revert BatchIdOutOfOrder(_nextBatchId(), batchId);
        }
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
        return _anchorers[account];
    }

    /// @notice Allow `account` to anchor (owner only).
    function addAnchorer(address account) external onlyOwner {
        _addAnchorer(account);
    }

    /// @notice Stop `account` from anchoring (owner only).
    function removeAnchorer(address account) external onlyOwner {
        if (!_anchorers[account]) revert AnchorerUnchanged(account);
        _anchorers[account] = false;
        emit AnchorerRemoved(account);
    }

    function _addAnchorer(address account) private {
        if (account == address(0)) revert ZeroAnchorer();
        if (_anchorers[account]) revert AnchorerUnchanged(account);
        _anchorers[account] = true;
        emit AnchorerAdded(account);
    }

    function _rootAt(uint64 batchId) private view returns (bytes32 root) {
        assembly ("memory-safe") {
            root := sload(add(_ROOTS_SLOT, batchId))
        }
    }

    function _nextBatchId() private view returns (uint64) {
        unchecked {
            return lastBatchId() + 1;
        }
    }
}
