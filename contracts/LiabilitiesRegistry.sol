// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @title LiabilitiesRegistry
/// @notice Stores, per liabilities round, the root of an exchange's Merkle sum tree of its
/// users' balances together with the per-asset totals it owes, under strictly sequential
/// round ids (1, 2, 3, ...), and lets anyone check one user's leaf against them.
/// @dev Rules, each enforced below and stated as a Foundry invariant in contracts/test:
/// - only an anchorer writes a round; the owner adds and removes anchorers;
/// - round ids are anchored in order from 1, without gaps or repeats;
/// - a round's cut-off batch id (of the AnchorRegistry the balances were anchored in) never
///   goes back from one round to the next;
/// - a round, once written (root, totals, assets, cut-off, leaf count), never changes;
/// - no proxy, no selfdestruct, no delegatecall, no external call, no upgrade path.
///
/// The tree (docs/liability-proof-format.md): a leaf is
/// keccak256(0x00 ‖ uint64 roundId ‖ accountCommitment ‖ salt ‖ recordsHash ‖ balances[]),
/// an inner node keccak256(0x01 ‖ left ‖ right ‖ leftSums[] ‖ rightSums[]) with sums that
/// add its children's; every word is big-endian (abi.encodePacked). Each balance is at most
/// 2^128 - 1, a tree has at most 2^32 leaves, so every honest sum is below 2^160; any larger
/// value makes `verifyLiability` return false (no arithmetic can overflow).
contract LiabilitiesRegistry is Ownable2Step {
    /// @notice The largest balance a leaf may hold for one asset.
    uint256 public constant MAX_AMOUNT = type(uint128).max;

    /// @notice The largest value any sum (a node's, a sibling's, a total) may have.
    uint256 public constant MAX_SUM = type(uint160).max;

    /// @notice The most levels a round's tree may have (2^32 leaves).
    uint8 public constant MAX_DEPTH = 32;

    /// @notice The most assets a round may cover.
    uint256 public constant MAX_ASSETS = 16;

    /// @dev What is stored of a round. `root` is zero for a round not anchored.
    struct Round {
        bytes32 root;
        uint64 cutoffBatchId;
        uint8 depth;
        bytes32[] assets;
        uint256[] totals;
    }

    /// @notice One user's leaf: their account commitment, the round's salt for that leaf, the
    /// hash of the ids of the balance records it comes from, and one balance per asset (the
    /// round's asset order).
    struct Leaf {
        bytes32 accountCommitment;
        bytes32 salt;
        bytes32 recordsHash;
        uint256[] balances;
    }

    /// @dev Round id => round. Id 0 is never written.
    mapping(uint64 roundId => Round round) private _rounds;

    /// @dev Account => whether it may anchor rounds.
    mapping(address account => bool allowed) private _anchorers;

    /// @notice The highest anchored round id (0 when none).
    uint64 public lastRoundId;

    /// @notice Round `roundId` was anchored: the sum tree's `root` over `leafCount` leaves,
    /// built from the balances anchored up to batch `cutoffBatchId`, owes `totals[i]` of
    /// `assets[i]` (asset ids as left-aligned, zero-padded bytes32 strings).
    event RoundAnchored(
        uint64 indexed roundId,
        bytes32 indexed root,
        uint64 indexed cutoffBatchId,
        uint64 leafCount,
        bytes32[] assets,
        uint256[] totals
    );

    /// @notice `account` may now anchor rounds.
    event AnchorerAdded(address indexed account);

    /// @notice `account` may no longer anchor rounds.
    event AnchorerRemoved(address indexed account);

    /// @notice The caller is not an anchorer.
    error NotAnchorer(address caller);

    /// @notice `got` is not the next round id `expected`.
    error RoundIdOutOfOrder(uint64 expected, uint64 got);

    /// @notice A zero root cannot be anchored (zero marks "not anchored").
    error ZeroRoot();

    /// @notice The leaf count must be a power of two from 1 to 2^MAX_DEPTH.
    error BadLeafCount(uint64 leafCount);

    /// @notice Assets must be 1 to MAX_ASSETS non-zero ids in strictly ascending order, one
    /// total each.
    error BadAssets();

    /// @notice A total above MAX_SUM cannot come from a valid tree.
    error TotalTooLarge(uint256 index, uint256 total);

    /// @notice The cut-off batch id must be at least the previous round's (and not zero).
    error CutoffOutOfOrder(uint64 previous, uint64 got);

    /// @notice `account` is already an anchorer (addAnchorer) or is not one (removeAnchorer).
    error AnchorerUnchanged(address account);

    /// @notice The zero address cannot be an anchorer.
    error ZeroAnchorer();

    /// @param initialOwner manages anchorers (may transfer or renounce ownership); not zero.
    /// @param firstAnchorer may anchor rounds from the start; not zero.
    constructor(address initialOwner, address firstAnchorer) Ownable(initialOwner) {
        _addAnchorer(firstAnchorer);
    }

    /// @notice Anchor round `roundId` (which must be lastRoundId + 1): the sum tree's `root`
    /// over `leafCount` leaves, built from the balances anchored up to batch `cutoffBatchId`,
    /// and its `totals`, one per asset of `assets`. Anchorers only.
    /// @dev When several rules are broken, the first of these is reported: anchorer, zero
    /// root, leaf count, assets and totals, each total's bound, round id, cut-off.
    function anchorRound(
        uint64 roundId,
        uint64 cutoffBatchId,
        bytes32 root,
        uint64 leafCount,
        bytes32[] calldata assets,
        uint256[] calldata totals
    ) external {
        if (!_anchorers[msg.sender]) revert NotAnchorer(msg.sender);
        if (root == bytes32(0)) revert ZeroRoot();
        uint8 depth = _depthOf(leafCount);
        _checkAssets(assets, totals);
        if (roundId != lastRoundId + 1) revert RoundIdOutOfOrder(lastRoundId + 1, roundId);
        uint64 previous = lastRoundId == 0 ? 0 : _rounds[lastRoundId].cutoffBatchId;
        if (cutoffBatchId == 0 || cutoffBatchId < previous) revert CutoffOutOfOrder(previous, cutoffBatchId);
        Round storage round = _rounds[roundId];
        round.root = root;
        round.cutoffBatchId = cutoffBatchId;
        round.depth = depth;
        round.assets = assets;
        round.totals = totals;
        lastRoundId = roundId;
        emit RoundAnchored(roundId, root, cutoffBatchId, leafCount, assets, totals);
    }

    /// @notice Round `roundId`: its root (zero when not anchored), cut-off batch id, leaf
    /// count, assets and totals.
    function roundOf(uint64 roundId)
        external
        view
        returns (
            bytes32 root,
            uint64 cutoffBatchId,
            uint64 leafCount,
            bytes32[] memory assets,
            uint256[] memory totals
        )
    {
        Round storage round = _rounds[roundId];
        uint64 count = round.root == bytes32(0) ? 0 : uint64(1) << round.depth;
        return (round.root, round.cutoffBatchId, count, round.assets, round.totals);
    }

    /// @notice Whether `leaf`, at position `index` with the siblings' hashes and sums from the
    /// bottom up, belongs to round `roundId`: the hashes AND the sums recomputed along the
    /// path must give the stored root and the stored totals. False for a round not anchored,
    /// a path of the wrong length, a balance above MAX_AMOUNT or a sum above MAX_SUM.
    function verifyLiability(
        uint64 roundId,
        Leaf calldata leaf,
        uint256 index,
        bytes32[] calldata siblingHashes,
        uint256[][] calldata siblingSums
    ) external view returns (bool) {
        Round storage round = _rounds[roundId];
        uint256 assetCount = round.assets.length;
        if (round.root == bytes32(0)) return false;
        if (siblingHashes.length != round.depth || siblingSums.length != round.depth) return false;
        if (index >> round.depth != 0 || leaf.balances.length != assetCount) return false;
        uint256[] memory sums = new uint256[](assetCount);
        for (uint256 a = 0; a < assetCount; ++a) {
            if (leaf.balances[a] > MAX_AMOUNT) return false;
            sums[a] = leaf.balances[a];
        }
        bytes32 hash = keccak256(
            abi.encodePacked(
                bytes1(0x00), roundId, leaf.accountCommitment, leaf.salt, leaf.recordsHash, sums
            )
        );
        for (uint256 level = 0; level < siblingHashes.length; ++level) {
            uint256[] calldata other = siblingSums[level];
            if (other.length != assetCount) return false;
            bool right = (index >> level) & 1 == 1;
            uint256[] memory parent = new uint256[](assetCount);
            // the children's sums, left child's first: one array, so the packed encoding is
            // unambiguous (both halves have exactly assetCount words)
            uint256[] memory children = new uint256[](2 * assetCount);
            for (uint256 a = 0; a < assetCount; ++a) {
                // both at most MAX_SUM (2^160 - 1): the addition cannot overflow
                if (other[a] > MAX_SUM) return false;
                parent[a] = sums[a] + other[a];
                if (parent[a] > MAX_SUM) return false;
                children[right ? a : assetCount + a] = other[a];
                children[right ? assetCount + a : a] = sums[a];
            }
            hash = right
                ? keccak256(abi.encodePacked(bytes1(0x01), siblingHashes[level], hash, children))
                : keccak256(abi.encodePacked(bytes1(0x01), hash, siblingHashes[level], children));
            sums = parent;
        }
        if (hash != round.root) return false;
        for (uint256 a = 0; a < assetCount; ++a) {
            if (sums[a] != round.totals[a]) return false;
        }
        return true;
    }

    /// @notice Whether `account` may anchor rounds.
    function isAnchorer(address account) external view returns (bool) {
        return _anchorers[account];
    }

    /// @notice Allow `account` to anchor rounds. Owner only.
    function addAnchorer(address account) external onlyOwner {
        _addAnchorer(account);
    }

    /// @notice Stop `account` from anchoring rounds. Owner only.
    function removeAnchorer(address account) external onlyOwner {
        if (!_anchorers[account]) revert AnchorerUnchanged(account);
        _anchorers[account] = false;
        emit AnchorerRemoved(account);
    }

    /// @dev log2(leafCount) for a power of two from 1 to 2^MAX_DEPTH; reverts otherwise.
    function _depthOf(uint64 leafCount) private pure returns (uint8) {
        if (leafCount == 0 || leafCount & (leafCount - 1) != 0 || leafCount > uint64(1) << MAX_DEPTH) {
            revert BadLeafCount(leafCount);
        }
        uint8 depth = 0;
        while (uint64(1) << depth < leafCount) ++depth;
        return depth;
    }

    function _checkAssets(bytes32[] calldata assets, uint256[] calldata totals) private pure {
        if (assets.length == 0 || assets.length > MAX_ASSETS || assets.length != totals.length) {
            revert BadAssets();
        }
        for (uint256 a = 0; a < assets.length; ++a) {
            if (assets[a] == bytes32(0) || (a > 0 && assets[a] <= assets[a - 1])) revert BadAssets();
            if (totals[a] > MAX_SUM) revert TotalTooLarge(a, totals[a]);
        }
    }

    function _addAnchorer(address account) private {
        if (account == address(0)) revert ZeroAnchorer();
        if (_anchorers[account]) revert AnchorerUnchanged(account);
        _anchorers[account] = true;
        emit AnchorerAdded(account);
    }
}
