// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AnchorRegistry} from "../AnchorRegistry.sol";
import {TestBase} from "./utils/TestBase.sol";

/// @notice Symbolic checks (halmos: every argument of a `check_` function is symbolic, so each
/// holds for all values, not for sampled ones) of the two core rules: a written root never
/// changes, and ids are anchored strictly in sequence. forge does not run `check_` functions.
contract AnchorRegistrySymbolicTest is TestBase {
    address internal constant OWNER = address(0x0A11CE);
    address internal constant ANCHORER = address(0xA0C4);
    bytes32 internal constant ROOT_1 = keccak256("root 1");
    bytes32 internal constant ROOT_2 = keccak256("root 2");

    AnchorRegistry internal registry;

    function setUp() public {
        registry = new AnchorRegistry(OWNER, ANCHORER);
        vm.prank(ANCHORER);
        registry.anchor(1, ROOT_1, 10);
        vm.prank(ANCHORER);
        registry.anchor(2, ROOT_2, 20);
    }

    /// @dev Any caller, any arguments, any of the state-changing functions: roots 1 and 2 stay.
    function check_rootsNeverChange(address caller, uint8 which, uint64 batchId, bytes32 root, uint64 leafCount, address account)
        public
    {
        vm.prank(caller);
        if (which % 6 == 0) {
            try registry.anchor(batchId, root, leafCount) {} catch {}
        } else if (which % 6 == 1) {
            try registry.addAnchorer(account) {} catch {}
        } else if (which % 6 == 2) {
            try registry.removeAnchorer(account) {} catch {}
        } else if (which % 6 == 3) {
            try registry.transferOwnership(account) {} catch {}
        } else if (which % 6 == 4) {
            try registry.acceptOwnership() {} catch {}
        } else {
            try registry.renounceOwnership() {} catch {}
        }
        assert(registry.rootOf(1) == ROOT_1);
        assert(registry.rootOf(2) == ROOT_2);
    }

    /// @dev On a fresh registry, an anchor succeeds only for id 1, from the anchorer, with a
    /// non-zero root and leaf count, and then lastBatchId() is 1. (Stated on a fresh registry:
    /// halmos models keccak256 as an uninterpreted function, so with roots already stored it
    /// also explores mapping-slot collisions that keccak256 does not have, and reports them
    /// as counterexamples; the Foundry invariants cover long sequences.)
    function check_idsStartAtOneAndRunInOrder(address caller, uint64 batchId, bytes32 root, uint64 leafCount)
        public
    {
        AnchorRegistry fresh = new AnchorRegistry(OWNER, ANCHORER);
        vm.prank(caller);
        try fresh.anchor(batchId, root, leafCount) {
            assert(batchId == 1);
            assert(caller == ANCHORER);
            assert(root != bytes32(0) && leafCount != 0);
            assert(fresh.rootOf(1) == root);
            assert(fresh.lastBatchId() == 1);
        } catch {
            assert(fresh.rootOf(batchId) == bytes32(0));
            assert(fresh.lastBatchId() == 0);
        }
    }
}
