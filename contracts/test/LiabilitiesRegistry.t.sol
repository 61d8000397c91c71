// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {LiabilitiesRegistry} from "../LiabilitiesRegistry.sol";
import {Roles} from "./utils/Roles.sol";
import {TestBase} from "./utils/TestBase.sol";

/// @notice Builds small sum trees the way anchor/core/sumtree.py does, in Solidity, so the
/// tests can anchor real roots and check real paths.
abstract contract SumTreeBuilder is TestBase {
    function _leafHash(uint64 roundId, LiabilitiesRegistry.Leaf memory leaf) internal pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                bytes1(0x00), roundId, leaf.accountCommitment, leaf.salt, leaf.recordsHash, leaf.balances
            )
        );
    }

    function _node(bytes32 l, bytes32 r, uint256[] memory ls, uint256[] memory rs) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x01), l, r, ls, rs));
    }

    function _add(uint256[] memory a, uint256[] memory b) internal pure returns (uint256[] memory out) {
        out = new uint256[](a.length);
        for (uint256 i = 0; i < a.length; i++) {
            out[i] = a[i] + b[i];
        }
    }

    function _leaf(uint256 seed, uint256 b0, uint256 b1) internal pure returns (LiabilitiesRegistry.Leaf memory leaf) {
        leaf.accountCommitment = keccak256(abi.encode("account", seed));
        leaf.salt = keccak256(abi.encode("salt", seed));
        leaf.recordsHash = keccak256(abi.encode("records", seed));
        leaf.balances = new uint256[](2);
        leaf.balances[0] = b0;
        leaf.balances[1] = b1;
    }

    /// @dev A 4-leaf, 2-asset tree: root, totals, and each leaf's path.
    struct Tree {
        LiabilitiesRegistry.Leaf[4] leaves;
        bytes32 root;
        uint256[] totals;
        bytes32[2][4] sibHashes;
        uint256[][2][4] sibSums;
    }

    function _tree(uint64 roundId, uint256[8] memory amounts) internal pure returns (Tree memory t) {
        bytes32[4] memory h;
        for (uint256 i = 0; i < 4; i++) {
            t.leaves[i] = _leaf(i, amounts[2 * i], amounts[2 * i + 1]);
            h[i] = _leafHash(roundId, t.leaves[i]);
        }
        uint256[] memory s01 = _add(t.leaves[0].balances, t.leaves[1].balances);
        uint256[] memory s23 = _add(t.leaves[2].balances, t.leaves[3].balances);
        bytes32 n01 = _node(h[0], h[1], t.leaves[0].balances, t.leaves[1].balances);
        bytes32 n23 = _node(h[2], h[3], t.leaves[2].balances, t.leaves[3].balances);
        t.root = _node(n01, n23, s01, s23);
        t.totals = _add(s01, s23);
        for (uint256 i = 0; i < 4; i++) {
            uint256 sib = i ^ 1;
            t.sibHashes[i][0] = h[sib];
            t.sibSums[i][0] = t.leaves[sib].balances;
            t.sibHashes[i][1] = i < 2 ? n23 : n01;
            t.sibSums[i][1] = i < 2 ? s23 : s01;
        }
    }

    function _path(Tree memory t, uint256 i) internal pure returns (bytes32[] memory hs, uint256[][] memory ss) {
        hs = new bytes32[](2);
        ss = new uint256[][](2);
        for (uint256 l = 0; l < 2; l++) {
            hs[l] = t.sibHashes[i][l];
            ss[l] = t.sibSums[i][l];
        }
    }

    function _assets() internal pure returns (bytes32[] memory a) {
        a = new bytes32[](2);
        a[0] = bytes32("BTC");
        a[1] = bytes32("ETH");
    }

    function _amounts() internal pure returns (uint256[8] memory a) {
        a = [uint256(5), 100, 0, 7, 12, 0, 3, 1 << 100];
    }
}

/// @notice One unit test per rule and per custom error, paths that must verify and forged ones
/// that must not, then fuzz tests. Invariants are in LiabilitiesRegistry.invariants.t.sol.
contract LiabilitiesRegistryTest is SumTreeBuilder, Roles {
    LiabilitiesRegistry internal registry;

    function setUp() public {
        registry = new LiabilitiesRegistry(OWNER, ANCHORER);
    }

    function _anchorTree(uint64 roundId, uint64 cutoff, Tree memory t) internal {
        vm.prank(ANCHORER);
        registry.anchorRound(roundId, cutoff, t.root, 4, _assets(), t.totals);
    }

    function _verify(uint64 roundId, Tree memory t, uint256 i) internal view returns (bool) {
        (bytes32[] memory hs, uint256[][] memory ss) = _path(t, i);
        return registry.verifyLiability(roundId, t.leaves[i], i, hs, ss);
    }

    function _totals(uint256 a, uint256 b) internal pure returns (uint256[] memory t) {
        t = new uint256[](2);
        t[0] = a;
        t[1] = b;
    }

    // --- construction and roles ------------------------------------------------------------

    function test_constructorSetsOwnerAndFirstAnchorer() public view {
        assertEq(registry.owner(), OWNER, "owner");
        assertTrue(registry.isAnchorer(ANCHORER), "first anchorer");
        assertEq(registry.lastRoundId(), 0, "nothing anchored");
    }

    function test_constructorRejectsZeroOwnerAndZeroAnchorer() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new LiabilitiesRegistry(address(0), ANCHORER);
        vm.expectRevert(LiabilitiesRegistry.ZeroAnchorer.selector);
        new LiabilitiesRegistry(OWNER, address(0));
    }

    function test_notAnchorer() public {
        Tree memory t = _tree(1, _amounts());
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(LiabilitiesRegistry.NotAnchorer.selector, STRANGER));
        registry.anchorRound(1, 1, t.root, 4, _assets(), t.totals);
    }

    function test_anchorerUnchangedAndRemoval() public {
        vm.prank(OWNER);
        vm.expectRevert(abi.encodeWithSelector(LiabilitiesRegistry.AnchorerUnchanged.selector, ANCHORER));
        registry.addAnchorer(ANCHORER);
        vm.prank(OWNER);
        registry.removeAnchorer(ANCHORER);
        assertTrue(!registry.isAnchorer(ANCHORER), "removed");
        vm.prank(OWNER);
        vm.expectRevert(abi.encodeWithSelector(LiabilitiesRegistry.AnchorerUnchanged.selector, ANCHORER));
        registry.removeAnchorer(ANCHORER);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, STRANGER));
        registry.addAnchorer(STRANGER);
    }

    // --- anchoring -------------------------------------------------------------------------

    function test_anchorStoresTheRoundAndEmits() public {
        Tree memory t = _tree(1, _amounts());
        vm.expectEmit(true, true, true, true, address(registry));
        emit LiabilitiesRegistry.RoundAnchored(1, t.root, 9, 4, _assets(), t.totals);
        _anchorTree(1, 9, t);
        (bytes32 root, uint64 cutoff, uint64 count, bytes32[] memory assets, uint256[] memory totals) =
            registry.roundOf(1);
        assertEq(root, t.root, "root");
        assertEq(cutoff, 9, "cutoff");
        assertEq(count, 4, "leaf count");
        assertEq(assets[1], bytes32("ETH"), "assets");
        assertEq(totals[1], 107 + (1 << 100), "totals");
        assertEq(registry.lastRoundId(), 1, "last round");
    }

    function test_zeroRoot() public {
        vm.prank(ANCHORER);
        vm.expectRevert(LiabilitiesRegistry.ZeroRoot.selector);
        registry.anchorRound(1, 1, bytes32(0), 4, _assets(), _totals(1, 1));
    }

    function test_badLeafCount() public {
        uint64[3] memory bad = [uint64(0), 3, uint64(1) << 33];
        for (uint256 i = 0; i < 3; i++) {
            vm.prank(ANCHORER);
            vm.expectRevert(abi.encodeWithSelector(LiabilitiesRegistry.BadLeafCount.selector, bad[i]));
            registry.anchorRound(1, 1, bytes32(uint256(1)), bad[i], _assets(), _totals(1, 1));
        }
    }

    function test_badAssets() public {
        bytes32[] memory unsorted = new bytes32[](2);
        unsorted[0] = bytes32("ETH");
        unsorted[1] = bytes32("BTC");
        vm.prank(ANCHORER);
        vm.expectRevert(LiabilitiesRegistry.BadAssets.selector);
        registry.anchorRound(1, 1, bytes32(uint256(1)), 4, unsorted, _totals(1, 1));
        vm.prank(ANCHORER);
        vm.expectRevert(LiabilitiesRegistry.BadAssets.selector);
        registry.anchorRound(1, 1, bytes32(uint256(1)), 4, _assets(), new uint256[](1));
        vm.prank(ANCHORER);
        vm.expectRevert(LiabilitiesRegistry.BadAssets.selector);
        registry.anchorRound(1, 1, bytes32(uint256(1)), 4, new bytes32[](0), new uint256[](0));
    }

    function test_totalTooLarge() public {
        uint256 big = uint256(type(uint160).max) + 1;
        vm.prank(ANCHORER);
        vm.expectRevert(abi.encodeWithSelector(LiabilitiesRegistry.TotalTooLarge.selector, 1, big));
        registry.anchorRound(1, 1, bytes32(uint256(1)), 4, _assets(), _totals(1, big));
    }

    /// @dev The anchorer sends tree `t` as round `roundId` with `cutoff`: rejected with `err`.
    function _anchorTreeRejected(bytes memory err, uint64 roundId, uint64 cutoff, Tree memory t) internal {
        vm.prank(ANCHORER);
        vm.expectRevert(err);
        registry.anchorRound(roundId, cutoff, t.root, 4, _assets(), t.totals);
    }

    function test_roundIdOutOfOrder() public {
        Tree memory t = _tree(1, _amounts());
        bytes4 outOfOrder = LiabilitiesRegistry.RoundIdOutOfOrder.selector;
        _anchorTreeRejected(abi.encodeWithSelector(outOfOrder, 1, 2), 2, 1, t);
        _anchorTree(1, 5, t);
        _anchorTreeRejected(abi.encodeWithSelector(outOfOrder, 2, 1), 1, 5, t); // never overwritten
    }

    function test_cutoffOutOfOrder() public {
        Tree memory t = _tree(1, _amounts());
        bytes4 outOfOrder = LiabilitiesRegistry.CutoffOutOfOrder.selector;
        _anchorTreeRejected(abi.encodeWithSelector(outOfOrder, 0, 0), 1, 0, t);
        _anchorTree(1, 5, t);
        _anchorTreeRejected(abi.encodeWithSelector(outOfOrder, 5, 4), 2, 4, t);
    }

    // --- verifyLiability -------------------------------------------------------------------

    function test_everyLeafVerifies() public {
        Tree memory t = _tree(1, _amounts());
        _anchorTree(1, 1, t);
        for (uint256 i = 0; i < 4; i++) {
            assertTrue(_verify(1, t, i), "an honest path");
        }
    }

    function test_unanchoredRoundOrWrongIndexDoesNotVerify() public {
        Tree memory t = _tree(1, _amounts());
        assertTrue(!_verify(1, t, 0), "not anchored yet");
        _anchorTree(1, 1, t);
        (bytes32[] memory hs, uint256[][] memory ss) = _path(t, 0);
        assertTrue(!registry.verifyLiability(1, t.leaves[0], 1, hs, ss), "another index");
        assertTrue(!registry.verifyLiability(1, t.leaves[0], 4, hs, ss), "index out of range");
        assertTrue(!registry.verifyLiability(2, t.leaves[0], 0, hs, ss), "another round");
    }

    function test_aChangedBalanceDoesNotVerify() public {
        Tree memory t = _tree(1, _amounts());
        _anchorTree(1, 1, t);
        t.leaves[2].balances[0] -= 1;
        assertTrue(!_verify(1, t, 2), "a smaller balance");
    }

    function test_aSiblingSumThatDiffersFromItsChildrenDoesNotVerify() public {
        Tree memory t = _tree(1, _amounts());
        _anchorTree(1, 1, t);
        // shift 3 units between the user's view of the sibling and the sibling's own sum:
        // the parent hash commits to both children's sums, so the root no longer matches
        t.sibSums[0][1][0] -= 3;
        assertTrue(!_verify(1, t, 0), "a forged sibling sum");
    }

    function test_aTotalOnChainThatDiffersFromTheRootSumDoesNotVerify() public {
        Tree memory t = _tree(1, _amounts());
        uint256[] memory understated = _totals(t.totals[0] - 1, t.totals[1]);
        vm.prank(ANCHORER);
        registry.anchorRound(1, 1, t.root, 4, _assets(), understated);
        for (uint256 i = 0; i < 4; i++) {
            assertTrue(!_verify(1, t, i), "totals differ from the tree's");
        }
    }

    function test_aReplayedProofFromAnEarlierRoundDoesNotVerify() public {
        Tree memory one = _tree(1, _amounts());
        _anchorTree(1, 1, one);
        Tree memory two = _tree(2, _amounts());
        _anchorTree(2, 2, two);
        assertTrue(_verify(2, two, 0), "round 2's own path");
        assertTrue(!_verify(2, one, 0), "round 1's path against round 2");
    }

    function test_negativeAndOverflowingAmountsDoNotVerify() public {
        // a "negative" balance can only arrive as its two's complement: far above MAX_AMOUNT
        uint256[8] memory a = _amounts();
        Tree memory t = _tree(1, a);
        _anchorTree(1, 1, t);
        t.leaves[0].balances[0] = type(uint256).max - 4; // -5
        assertTrue(!_verify(1, t, 0), "a negative balance");
        Tree memory u = _tree(1, a);
        u.sibSums[1][1][1] = type(uint256).max; // would wrap the sum
        assertTrue(!_verify(1, u, 1), "an overflowing sibling sum");
        Tree memory w = _tree(1, a);
        w.leaves[0].balances[0] = uint256(type(uint128).max) + 1;
        assertTrue(!_verify(1, w, 0), "above MAX_AMOUNT");
    }

    function test_aUserLeftOutOrTwoUsersOnOneLeafDoNotVerify() public {
        // user 1 is left out: the operator shows them user 0's leaf and path with user 1's
        // commitment (salt, records and balances of user 0), or user 0's leaf unchanged
        Tree memory t = _tree(1, _amounts());
        _anchorTree(1, 1, t);
        bytes32 mine = t.leaves[1].accountCommitment;
        (bytes32[] memory hs, uint256[][] memory ss) = _path(t, 0);
        assertTrue(registry.verifyLiability(1, t.leaves[0], 0, hs, ss), "user 0's own leaf");
        t.leaves[0].accountCommitment = mine;
        assertTrue(!registry.verifyLiability(1, t.leaves[0], 0, hs, ss), "user 1's commitment on user 0's leaf");
        assertTrue(!registry.verifyLiability(1, t.leaves[0], 1, hs, ss), "... at user 1's index");
    }

    function test_aSumThatOverflowsTheBoundDoesNotVerify() public {
        // every input is at most MAX_SUM, but the parent's sum would exceed it
        Tree memory t = _tree(1, _amounts());
        _anchorTree(1, 1, t);
        t.sibSums[0][0][0] = registry.MAX_SUM(); // leaf 0 holds 5 of asset 0
        assertTrue(!_verify(1, t, 0), "a sum above 2^160 - 1");
    }

    function test_aWrongPathLengthDoesNotVerify() public {
        Tree memory t = _tree(1, _amounts());
        _anchorTree(1, 1, t);
        (bytes32[] memory hs, uint256[][] memory ss) = _path(t, 0);
        bytes32[] memory shortHs = new bytes32[](1);
        shortHs[0] = hs[0];
        uint256[][] memory shortSs = new uint256[][](1);
        shortSs[0] = ss[0];
        assertTrue(!registry.verifyLiability(1, t.leaves[0], 0, shortHs, shortSs), "short path");
    }

    // --- fuzz ------------------------------------------------------------------------------

    function testFuzz_honestTreesVerify(uint256[8] memory amounts, uint8 which) public {
        for (uint256 i = 0; i < 8; i++) {
            amounts[i] = bound(amounts[i], 0, type(uint128).max);
        }
        Tree memory t = _tree(1, amounts);
        _anchorTree(1, 1, t);
        assertTrue(_verify(1, t, which % 4), "an honest path of any amounts");
    }

    function testFuzz_anyChangedSiblingSumFails(uint256[8] memory amounts, uint8 which, uint256 delta) public {
        for (uint256 i = 0; i < 8; i++) {
            amounts[i] = bound(amounts[i], 0, type(uint128).max);
        }
        Tree memory t = _tree(1, amounts);
        _anchorTree(1, 1, t);
        uint256 i = which % 4;
        uint256 level = (which / 4) % 2;
        uint256 asset = (which / 8) % 2;
        uint256 old = t.sibSums[i][level][asset];
        delta = bound(delta, 1, type(uint160).max);
        t.sibSums[i][level][asset] = old >= delta ? old - delta : old + delta;
        assertTrue(!_verify(1, t, i), "a changed sibling sum");
    }

    function testFuzz_onlyAnchorersAnchor(address caller) public {
        Tree memory t = _tree(1, _amounts());
        vm.prank(caller);
        if (caller == ANCHORER) {
            registry.anchorRound(1, 1, t.root, 4, _assets(), t.totals);
            assertEq(registry.lastRoundId(), 1, "anchored");
        } else {
            vm.expectRevert(abi.encodeWithSelector(LiabilitiesRegistry.NotAnchorer.selector, caller));
            registry.anchorRound(1, 1, t.root, 4, _assets(), t.totals);
        }
    }
}
