// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {AnchorRegistry} from "../AnchorRegistry.sol";
import {Roles} from "./utils/Roles.sol";

/// @notice One unit test per rule and per custom error, then fuzz tests over ids, roots and
/// callers. Invariants (with a handler) are in AnchorRegistry.invariants.t.sol.
contract AnchorRegistryTest is Roles {
    AnchorRegistry internal registry;

    function setUp() public {
        registry = new AnchorRegistry(OWNER, ANCHORER);
    }

    function _root(uint256 i) internal pure returns (bytes32) {
        return keccak256(abi.encode("root", i));
    }

    function _anchor(uint64 batchId, bytes32 root, uint64 leafCount) internal {
        vm.prank(ANCHORER);
        registry.anchor(batchId, root, leafCount);
    }

    function _anchorMany(uint256 n) internal {
        for (uint256 i = 1; i <= n; i++) {
            _anchor(uint64(i), _root(i), 1);
        }
    }

    // --- construction ----------------------------------------------------------------------

    function test_constructorSetsOwnerAndFirstAnchorer() public view {
        assertEq(registry.owner(), OWNER, "owner is the argument, not the deployer");
        assertTrue(registry.isAnchorer(ANCHORER), "first anchorer");
        assertTrue(!registry.isAnchorer(OWNER), "the owner is not an anchorer by itself");
        assertEq(registry.lastBatchId(), 0, "nothing anchored");
    }

    function test_constructorEmitsAnchorerAdded() public {
        vm.expectEmit(true, false, false, true);
        emit AnchorRegistry.AnchorerAdded(ANCHORER);
        new AnchorRegistry(OWNER, ANCHORER);
    }

    function test_constructorRejectsZeroOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new AnchorRegistry(address(0), ANCHORER);
    }

    function test_constructorRejectsZeroAnchorer() public {
        vm.expectRevert(AnchorRegistry.ZeroAnchorer.selector);
        new AnchorRegistry(OWNER, address(0));
    }

    // --- anchoring: the happy path ---------------------------------------------------------

    function test_anchorStoresTheRootAndEmits() public {
        vm.expectEmit(true, true, false, true, address(registry));
        emit AnchorRegistry.Anchored(1, _root(1), 42);
        _anchor(1, _root(1), 42);
        assertEq(registry.rootOf(1), _root(1), "root stored");
        assertEq(registry.lastBatchId(), 1, "last id");
    }

    function test_idsRunFromOneInOrder() public {
        _anchorMany(37);
        assertEq(registry.lastBatchId(), 37, "last id after 37");
        for (uint256 i = 1; i <= 37; i++) {
            assertEq(registry.rootOf(uint64(i)), _root(i), "each root");
        }
        assertEq(registry.rootOf(38), bytes32(0), "next id empty");
        assertEq(registry.rootOf(0), bytes32(0), "id 0 never holds a root");
    }

    function test_rootOfAnUnanchoredBatchIsZero() public view {
        assertEq(registry.rootOf(1), bytes32(0), "not anchored");
        assertEq(registry.rootOf(type(uint64).max), bytes32(0), "not anchored");
    }

    // --- anchoring: one test per rule and custom error ---------------------------------------

    function test_notAnchorer() public {
        vm.expectRevert(abi.encodeWithSelector(AnchorRegistry.NotAnchorer.selector, STRANGER));
        vm.prank(STRANGER);
        registry.anchor(1, _root(1), 1);
    }

    function test_theOwnerIsNoAnchorerUnlessAdded() public {
        vm.expectRevert(abi.encodeWithSelector(AnchorRegistry.NotAnchorer.selector, OWNER));
        vm.prank(OWNER);
        registry.anchor(1, _root(1), 1);
    }

    function test_zeroRoot() public {
        vm.expectRevert(AnchorRegistry.ZeroRoot.selector);
        _anchor(1, bytes32(0), 1);
    }

    function test_zeroLeafCount() public {
        vm.expectRevert(AnchorRegistry.ZeroLeafCount.selector);
        _anchor(1, _root(1), 0);
    }

    function test_batchIdZeroIsOutOfOrder() public {
        vm.expectRevert(abi.encodeWithSelector(AnchorRegistry.BatchIdOutOfOrder.selector, 1, 0));
        _anchor(0, _root(1), 1);
    }

    function test_repeatedBatchIdIsOutOfOrder() public {
        _anchorMany(2);
        vm.expectRevert(abi.encodeWithSelector(AnchorRegistry.BatchIdOutOfOrder.selector, 3, 2));
        _anchor(2, _root(2), 1); // the same root: still rejected
    }

    function test_skippedBatchIdIsOutOfOrder() public {
        _anchorMany(2);
        vm.expectRevert(abi.encodeWithSelector(AnchorRegistry.BatchIdOutOfOrder.selector, 3, 4));
        _anchor(4, _root(4), 1);
    }

    function test_farIdsAreGaps() public {
        _anchorMany(2);
        uint64[3] memory far = [uint64(1) << 63 | 3, type(uint64).max, uint64(1) << 32 | 3];
        for (uint256 i = 0; i < far.length; i++) {
            vm.expectRevert(abi.encodeWithSelector(AnchorRegistry.BatchIdOutOfOrder.selector, 3, far[i]));
            _anchor(far[i], _root(3), 1);
        }
    }

    function test_aRootNeverChanges() public {
        _anchor(1, _root(1), 1);
        vm.expectRevert(abi.encodeWithSelector(AnchorRegistry.BatchIdOutOfOrder.selector, 2, 1));
        _anchor(1, _root(99), 7);
        assertEq(registry.rootOf(1), _root(1), "first root kept");
    }

    function test_theFirstBrokenRuleIsReported() public {
        // a stranger with a zero root, zero leaves and a wrong id: NotAnchorer first
        vm.expectRevert(abi.encodeWithSelector(AnchorRegistry.NotAnchorer.selector, STRANGER));
        vm.prank(STRANGER);
        registry.anchor(9, bytes32(0), 0);
        vm.expectRevert(AnchorRegistry.ZeroRoot.selector);
        _anchor(9, bytes32(0), 0);
        vm.expectRevert(AnchorRegistry.ZeroLeafCount.selector);
        _anchor(9, _root(9), 0);
    }

    // --- anchorers and ownership ---------------------------------------------------------------

    function test_ownerAddsAndRemovesAnchorers() public {
        vm.expectEmit(true, false, false, true, address(registry));
        emit AnchorRegistry.AnchorerAdded(STRANGER);
        vm.prank(OWNER);
        registry.addAnchorer(STRANGER);
        assertTrue(registry.isAnchorer(STRANGER), "added");
        vm.prank(STRANGER);
        registry.anchor(1, _root(1), 1);

        vm.expectEmit(true, false, false, true, address(registry));
        emit AnchorRegistry.AnchorerRemoved(STRANGER);
        vm.prank(OWNER);
        registry.removeAnchorer(STRANGER);
        assertTrue(!registry.isAnchorer(STRANGER), "removed");
        vm.expectRevert(abi.encodeWithSelector(AnchorRegistry.NotAnchorer.selector, STRANGER));
        vm.prank(STRANGER);
        registry.anchor(2, _root(2), 1);
    }

    function test_onlyTheOwnerManagesAnchorers() public {
        bytes memory denied = abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, ANCHORER);
        vm.expectRevert(denied);
        vm.prank(ANCHORER);
        registry.addAnchorer(STRANGER);
        vm.expectRevert(denied);
        vm.prank(ANCHORER);
        registry.removeAnchorer(ANCHORER);
    }

    function test_zeroAnchorer() public {
        vm.expectRevert(AnchorRegistry.ZeroAnchorer.selector);
        vm.prank(OWNER);
        registry.addAnchorer(address(0));
    }

    function test_anchorerUnchanged() public {
        vm.expectRevert(abi.encodeWithSelector(AnchorRegistry.AnchorerUnchanged.selector, ANCHORER));
        vm.prank(OWNER);
        registry.addAnchorer(ANCHORER);
        vm.expectRevert(abi.encodeWithSelector(AnchorRegistry.AnchorerUnchanged.selector, STRANGER));
        vm.prank(OWNER);
        registry.removeAnchorer(STRANGER);
    }

    function test_afterRenouncingNoOneAddsAnAnchorer() public {
        vm.prank(OWNER);
        registry.transferOwnership(STRANGER); // pending, then dropped by the renouncement
        vm.prank(OWNER);
        registry.renounceOwnership();
        assertEq(registry.owner(), address(0), "no owner");
        assertEq(registry.pendingOwner(), address(0), "no pending owner");
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, STRANGER));
        vm.prank(STRANGER);
        registry.acceptOwnership();
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, OWNER));
        vm.prank(OWNER);
        registry.addAnchorer(STRANGER);
        _anchor(1, _root(1), 1); // anchorers keep anchoring
    }

    function test_ownershipMovesInTwoSteps() public {
        vm.prank(OWNER);
        registry.transferOwnership(STRANGER);
        assertEq(registry.owner(), OWNER, "unchanged until accepted");
        assertEq(registry.pendingOwner(), STRANGER, "pending");
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, ANCHORER));
        vm.prank(ANCHORER);
        registry.acceptOwnership();
        vm.prank(STRANGER);
        registry.acceptOwnership();
        assertEq(registry.owner(), STRANGER, "accepted");
        vm.prank(STRANGER);
        registry.addAnchorer(OWNER);
        assertTrue(registry.isAnchorer(OWNER), "the new owner manages anchorers");
    }

    // --- verify ----------------------------------------------------------------------------

    function _leaf(uint256 i) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(i))));
    }

    function _pair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    function test_verifyOneLeafTwoLeafAndThreeLeafTrees() public {
        bytes32[] memory none = new bytes32[](0);
        _anchor(1, _leaf(1), 1); // a one-leaf tree's root is its leaf
        assertTrue(registry.verify(1, none, _leaf(1)), "one leaf");
        assertTrue(!registry.verify(1, none, _leaf(2)), "another leaf");

        _anchor(2, _pair(_leaf(1), _leaf(2)), 2);
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = _leaf(2);
        assertTrue(registry.verify(2, proof, _leaf(1)), "left");
        proof[0] = _leaf(1);
        assertTrue(registry.verify(2, proof, _leaf(2)), "right");
        assertTrue(!registry.verify(2, proof, _leaf(3)), "not in the tree");
        assertTrue(!registry.verify(1, proof, _leaf(2)), "another batch's root");

        bytes32 inner = _pair(_leaf(1), _leaf(2));
        _anchor(3, _pair(inner, _leaf(3)), 3);
        bytes32[] memory deep = new bytes32[](2);
        deep[0] = _leaf(2);
        deep[1] = _leaf(3);
        assertTrue(registry.verify(3, deep, _leaf(1)), "depth 2");
    }

    function test_verifyIsFalseForAnUnanchoredBatch() public view {
        bytes32[] memory none = new bytes32[](0);
        assertTrue(!registry.verify(1, none, bytes32(0)), "zero leaf, no root");
        assertTrue(!registry.verify(5, none, _leaf(1)), "no root");
    }

    // --- fuzz ------------------------------------------------------------------------------

    function testFuzz_onlyAnchorersAnchor(address caller, bytes32 root, uint64 leafCount) public {
        vm.assume(caller != ANCHORER && root != bytes32(0) && leafCount != 0);
        vm.expectRevert(abi.encodeWithSelector(AnchorRegistry.NotAnchorer.selector, caller));
        vm.prank(caller);
        registry.anchor(1, root, leafCount);
        assertEq(registry.rootOf(1), bytes32(0), "nothing written");
    }

    function testFuzz_onlyTheNextIdIsAccepted(uint8 anchored, uint64 batchId) public {
        _anchorMany(anchored % 24);
        uint64 next = uint64(anchored % 24) + 1;
        if (batchId != next) {
            vm.expectRevert(abi.encodeWithSelector(AnchorRegistry.BatchIdOutOfOrder.selector, next, batchId));
        }
        _anchor(batchId, _root(1000), 1);
        assertEq(registry.lastBatchId(), next == batchId ? next : next - 1, "last id");
    }

    function testFuzz_anyNonZeroRootAndLeafCount(bytes32 root, uint64 leafCount) public {
        if (root == bytes32(0)) {
            vm.expectRevert(AnchorRegistry.ZeroRoot.selector);
        } else if (leafCount == 0) {
            vm.expectRevert(AnchorRegistry.ZeroLeafCount.selector);
        } else {
            vm.expectEmit(true, true, false, true, address(registry));
            emit AnchorRegistry.Anchored(1, root, leafCount);
        }
        _anchor(1, root, leafCount);
        assertEq(registry.rootOf(1), root == bytes32(0) || leafCount == 0 ? bytes32(0) : root, "root");
    }

    function testFuzz_aWrittenRootSurvivesEveryLaterCall(bytes32 other, uint64 batchId, address caller) public {
        _anchorMany(3);
        vm.prank(caller);
        try registry.anchor(batchId, other, 1) {
            assertEq(batchId, 4, "only the next id can succeed");
        } catch {}
        for (uint256 i = 1; i <= 3; i++) {
            assertEq(registry.rootOf(uint64(i)), _root(i), "kept");
        }
    }

    function testFuzz_onlyTheOwnerManagesAnchorers(address caller, address account) public {
        vm.assume(caller != OWNER && account != address(0) && account != ANCHORER);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, caller));
        vm.prank(caller);
        registry.addAnchorer(account);
        vm.prank(OWNER);
        registry.addAnchorer(account);
        assertTrue(registry.isAnchorer(account), "added by the owner");
    }

    function testFuzz_verifyTwoLeafTrees(bytes32 a, bytes32 b, bytes32 stranger) public {
        vm.assume(a != b && stranger != a && stranger != b);
        _anchor(1, _pair(a, b), 2);
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = b;
        assertTrue(registry.verify(1, proof, a), "a");
        proof[0] = a;
        assertTrue(registry.verify(1, proof, b), "b");
        assertTrue(!registry.verify(1, proof, stranger), "stranger");
    }
}
