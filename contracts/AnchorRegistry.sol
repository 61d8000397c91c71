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
/// Gas: `anchor` stores the root in storage (not only in an event, which history expiry may
/// drop) and does exactly three storage accesses: the anchorer flag, the previous batch's root
/// (is it anchored?) and this batch's root (is it free? then write it). There is deliberately
/// no stored counter: updating one would add ~2,900-5,000 gas per call. `lastBatchId` is
/// therefore computed by a search over the roots (a view, O(log n) reads).
contract AnchorRegistry is Ownable {
    /// @dev batch id => Merkle root; ids 1..lastBatchId() are set, every other id is zero.
    mapping(uint64 batchId => bytes32 root) private _roots;

    /// @dev accounts allowed to call `anchor`.
    mapping(address account => bool allowed) private _anchorers;

    /// @notice A batch's root was anchored. The block's timestamp is when; `anchorer` is the
    /// account that called `anchor` (it differs from the transaction sender when a contract,
    /// e.g. a multisig, anchors).
    event Anchored(uint64 indexed batchId, bytes32 indexed root, uint64 leafCount, address anchorer);

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
        if (root == bytes32(0)) revert ZeroRoot();
        if (leafCount == 0) revert ZeroLeafCount();
        // Sequential: this id is free and (unless it is the first) the previous one is set.
        // Since ids only ever grow by one, this keeps ids 1..n set and everything else zero.
        bool outOfOrder = batchId == 0 || _roots[batchId] != bytes32(0);
        if (!outOfOrder && batchId != 1) {
            unchecked {
                outOfOrder = _roots[batchId - 1] == bytes32(0);
            }
        }
        if (outOfOrder) revert BatchIdOutOfOrder(_nextBatchId(), batchId);
        _roots[batchId] = root;
        emit Anchored(batchId, root, leafCount, msg.sender);
    }

    /// @notice The root anchored for `batchId`, or zero when that batch is not anchored.
    function rootOf(uint64 batchId) external view returns (bytes32) {
        return _roots[batchId];
    }

    /// @notice The highest anchored batch id (0 when none). Computed by an exponential then
    /// binary search over the contiguous run of roots: O(log n) storage reads, meant for calls.
    function lastBatchId() public view returns (uint64) {
        if (_roots[1] == bytes32(0)) return 0;
        uint256 set = 1; // known anchored
        uint256 unset = 2; // candidate for the first id not anchored
        while (unset <= type(uint64).max && _roots[uint64(unset)] != bytes32(0)) {
            set = unset;
            unset = unset * 2;
        }
        if (unset > type(uint64).max) unset = uint256(type(uint64).max) + 1;
        while (unset - set > 1) {
            uint256 mid = (set + unset) / 2;
            if (_roots[uint64(mid)] != bytes32(0)) {
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
        bytes32 root = _roots[batchId];
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

    function _nextBatchId() private view returns (uint64) {
        unchecked {
            return lastBatchId() + 1;
        }
    }
}
