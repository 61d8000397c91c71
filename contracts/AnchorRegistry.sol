// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title AnchorRegistry
/// @notice Stores the Merkle roots of an exchange's sealed record batches under strictly
/// sequential batch ids (1, 2, 3, ...), so that anyone can check one record against the chain.
/// @dev Rules, each enforced below and each stated as a Foundry invariant in contracts/test:
/// - only an anchorer writes a root; the owner adds and removes anchorers;
/// - batch ids are anchored in order from 1, without gaps or repeats;
/// - a root is never zero, a batch never has zero leaves;
/// - a root, once written, never changes (no function writes a slot that is set);
/// - no proxy, no selfdestruct, no delegatecall, no upgrade path.
/// Leaves and inner nodes follow OpenZeppelin's StandardMerkleTree: a leaf is
/// keccak256(keccak256(abi.encode(...))) and inner nodes hash sorted pairs.
///
/// There is deliberately no stored counter of anchored batches: updating one would cost
/// about 2,900 gas per anchor, more than reading the previous batch's root. Because the ids
/// 1..n are exactly the anchored ones, "`batchId` is next" is "`batchId` is free and the id
/// before it is anchored", and `lastBatchId` is found by a search (a view, O(log n) reads).
///
/// The owner is a constructor argument, not `msg.sender`, because the registry is deployed
/// through a CREATE2 factory (the same address on every chain; see contracts/README.md).
contract AnchorRegistry is Ownable2Step {
    /// @dev Batch id => Merkle root; zero means "not anchored". Id 0 is never written.
    mapping(uint64 batchId => bytes32 root) private _roots;

    /// @dev Account => whether it may anchor.
    mapping(address account => bool allowed) private _anchorers;

    /// @notice Batch `batchId`'s Merkle root `root`, over `leafCount` records, was anchored.
    /// When: the block's timestamp. By whom: the transaction's sender (an anchorer).
    event Anchored(uint64 indexed batchId, bytes32 indexed root, uint64 leafCount);

    /// @notice `account` may now anchor.
    event AnchorerAdded(address indexed account);

    /// @notice `account` may no longer anchor.
    event AnchorerRemoved(address indexed account);

    /// @notice The caller is not an anchorer.
    error NotAnchorer(address caller);

    /// @notice `got` is not the next batch id `expected`: `got < expected` means it is
    /// already anchored, `got > expected` that ids would be skipped.
    error BatchIdOutOfOrder(uint64 expected, uint64 got);

    /// @notice A zero root cannot be anchored (zero marks "not anchored").
    error ZeroRoot();

    /// @notice A batch has at least one leaf.
    error ZeroLeafCount();

    /// @notice `account` is already an anchorer (addAnchorer) or is not one (removeAnchorer).
    error AnchorerUnchanged(address account);

    /// @notice The zero address cannot be an anchorer.
    error ZeroAnchorer();

    /// @param initialOwner the account that manages anchorers (it may transfer or renounce
    /// ownership); must not be zero.
    /// @param firstAnchorer the account allowed to anchor from the start; must not be zero.
    constructor(address initialOwner, address firstAnchorer) Ownable(initialOwner) {
        _addAnchorer(firstAnchorer);
    }

    /// @notice Anchor `root`, the Merkle root of a batch of `leafCount` records, as batch
    /// `batchId`, which must be lastBatchId() + 1. Anchorers only.
    /// @dev When several rules are broken, the first of these is reported: the caller is an
    /// anchorer, the root is not zero, the leaf count is not zero, the id is the next one.
    function anchor(uint64 batchId, bytes32 root, uint64 leafCount) external {
        if (!_anchorers[msg.sender]) revert NotAnchorer(msg.sender);
        if (root == bytes32(0)) revert ZeroRoot();
        if (leafCount == 0) revert ZeroLeafCount();
        if (!_isNext(batchId)) revert BatchIdOutOfOrder(lastBatchId() + 1, batchId);
        _roots[batchId] = root;
        emit Anchored(batchId, root, leafCount);
    }

    /// @notice The root anchored for `batchId`, or zero when that batch is not anchored.
    function rootOf(uint64 batchId) external view returns (bytes32) {
        return _roots[batchId];
    }

    /// @notice The highest anchored batch id, 0 when none. An exponential then a binary
    /// search over the contiguous anchored ids: O(log n) storage reads, meant for calls.
    function lastBatchId() public view returns (uint64) {
        if (_roots[1] == bytes32(0)) return 0;
        uint256 anchored = 1; // known to be anchored
        uint256 free = 2; // candidate for the first id that is not
        while (free <= type(uint64).max && _roots[uint64(free)] != bytes32(0)) {
            anchored = free;
            free *= 2;
        }
        if (free > type(uint64).max) free = uint256(type(uint64).max) + 1;
        while (free - anchored > 1) {
            uint256 middle = (anchored + free) / 2;
            if (_roots[uint64(middle)] != bytes32(0)) {
                anchored = middle;
            } else {
                free = middle;
            }
        }
        return uint64(anchored);
    }

    /// @notice Whether `leaf` (the double-hashed StandardMerkleTree leaf) belongs to the tree
    /// anchored as `batchId`, checked with OpenZeppelin's MerkleProof (sorted pairs). False
    /// for a batch that is not anchored.
    /// @dev As with any MerkleProof check, compute `leaf` from the record itself: an inner
    /// node passed as a leaf, with the rest of its path, also verifies.
    function verify(uint64 batchId, bytes32[] calldata proof, bytes32 leaf) external view returns (bool) {
        bytes32 root = _roots[batchId];
        if (root == bytes32(0)) return false;
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @notice Whether `account` may anchor.
    function isAnchorer(address account) external view returns (bool) {
        return _anchorers[account];
    }

    /// @notice Allow `account` to anchor. Owner only.
    function addAnchorer(address account) external onlyOwner {
        _addAnchorer(account);
    }

    /// @notice Stop `account` from anchoring. Owner only.
    function removeAnchorer(address account) external onlyOwner {
        if (!_anchorers[account]) revert AnchorerUnchanged(account);
        _anchorers[account] = false;
        emit AnchorerRemoved(account);
    }

    /// @dev Ids 1..lastBatchId() are exactly the anchored ones, so `batchId` is the next id
    /// when it is free and either 1 or the successor of an anchored id.
    function _isNext(uint64 batchId) private view returns (bool) {
        if (batchId == 0 || _roots[batchId] != bytes32(0)) return false;
        return batchId == 1 || _roots[batchId - 1] != bytes32(0);
    }

    function _addAnchorer(address account) private {
        if (account == address(0)) revert ZeroAnchorer();
        if (_anchorers[account]) revert AnchorerUnchanged(account);
        _anchorers[account] = true;
        emit AnchorerAdded(account);
    }
}
