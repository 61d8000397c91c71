// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AnchorRegistry} from "../AnchorRegistry.sol";
import {AnchorerHandler, AnchorerInvariantTest, cast} from "./utils/AnchorerHandler.sol";

/// @notice Drives the registry with random sequences of calls from a small cast of accounts
/// (the owner, anchorers, strangers, the pending owner) and keeps a model of what may happen.
/// Every call goes through here; the invariant test checks the registry against the model.
contract RegistryHandler is AnchorerHandler {
    AnchorRegistry public immutable registry;

    // the model (with the anchorers, in AnchorerHandler)
    mapping(uint64 batchId => bytes32 root) public firstRoot;
    uint64 public anchoredCount;
    bool public renounced;

    // violations seen while calling (each should stay false)
    bool public rootRewritten;
    bool public rootByNonAnchorer;
    bool public anchorerAddedAfterRenounce;
    bool public outOfOrderAccepted;

    // how much was exercised (a test fails if the handler never got anywhere)
    uint256 public successfulAnchors;
    uint256 public rejectedAnchors;

    constructor(AnchorRegistry registry_, address[] memory actors_, address firstAnchorer)
        AnchorerHandler(address(registry_), actors_, firstAnchorer)
    {
        registry = registry_;
    }

    /// @dev Mostly the next id, sometimes a repeat or a gap, sometimes anything.
    function _batchId(uint256 seed, uint64 raw) internal view returns (uint64) {
        uint256 mode = seed % 8;
        if (mode < 4) return anchoredCount + 1;
        if (mode == 4) return anchoredCount; // a repeat (0 at first)
        if (mode == 5) return anchoredCount + 2; // a gap
        if (mode == 6) return uint64(bound(raw, 0, anchoredCount + 3));
        return raw;
    }

    function anchor(uint256 actorSeed, uint256 idSeed, uint64 rawId, bytes32 root, uint64 leafCount) external {
        // half the calls come from the first anchorer (while it is one), so sequences get deep
        address caller = actorSeed % 2 == 0 ? actors[1] : _actor(actorSeed / 2);
        uint64 batchId = _batchId(idSeed, rawId);
        if (idSeed % 5 != 0) {
            // keep most calls well-formed so that sequences get deep
            if (root == bytes32(0)) root = keccak256(abi.encode(idSeed));
            if (leafCount == 0) leafCount = 1;
        }
        vm.prank(caller);
        try registry.anchor(batchId, root, leafCount) {
            successfulAnchors++;
            if (!modelAnchorer[caller]) rootByNonAnchorer = true;
            if (firstRoot[batchId] != bytes32(0)) rootRewritten = true;
            if (batchId != anchoredCount + 1) outOfOrderAccepted = true;
            firstRoot[batchId] = root;
            anchoredCount = batchId > anchoredCount ? batchId : anchoredCount;
        } catch {
            rejectedAnchors++;
        }
    }

    function _anchorerAdded() internal override {
        if (renounced) anchorerAddedAfterRenounce = true;
    }

    function transferOwnership(uint256 callerSeed, uint256 toSeed) external {
        vm.prank(_actor(callerSeed));
        try registry.transferOwnership(_actor(toSeed)) {} catch {}
    }

    function acceptOwnership(uint256 callerSeed) external {
        vm.prank(_actor(callerSeed));
        try registry.acceptOwnership() {} catch {}
    }

    function renounceOwnership(uint256 callerSeed) external {
        // rarely, so that most sequences still exercise an owner
        if (callerSeed % 16 != 0) return;
        vm.prank(_actor(callerSeed / 16));
        try registry.renounceOwnership() {
            renounced = true;
        } catch {}
    }
}

/// @notice The registry's rules, stated as invariants over every call sequence the handler
/// makes: roots never change once set; the anchored ids are exactly 1..lastBatchId(); only
/// anchorers ever add a root; after renouncing, no one can add an anchorer.
contract AnchorRegistryInvariantTest is AnchorerInvariantTest {
    AnchorRegistry internal registry;
    RegistryHandler internal handler;

    function setUp() public {
        address[] memory actors = cast(5); // the owner, the first anchorer, three strangers
        registry = new AnchorRegistry(actors[0], actors[1]);
        handler = new RegistryHandler(registry, actors, actors[1]);
        bytes4[] memory own = new bytes4[](4);
        own[0] = RegistryHandler.anchor.selector;
        own[1] = RegistryHandler.transferOwnership.selector;
        own[2] = RegistryHandler.acceptOwnership.selector;
        own[3] = RegistryHandler.renounceOwnership.selector;
        _targetHandler(handler, own);
    }

    function invariant_rootsNeverChange() public view {
        assertTrue(!handler.rootRewritten(), "an anchored id was written twice");
        uint64 count = handler.anchoredCount();
        for (uint64 id = 1; id <= count; id++) {
            assertEq(registry.rootOf(id), handler.firstRoot(id), "root differs from the first written");
        }
    }

    function invariant_anchoredIdsAreExactlyOneToLast() public view {
        uint64 last = registry.lastBatchId();
        assertEq(last, handler.anchoredCount(), "lastBatchId");
        assertTrue(!handler.outOfOrderAccepted(), "an out-of-order id was accepted");
        assertEq(registry.rootOf(0), bytes32(0), "id 0");
        for (uint64 id = 1; id <= last; id++) {
            assertTrue(registry.rootOf(id) != bytes32(0), "a gap below lastBatchId");
        }
        for (uint64 id = last + 1; id <= last + 4; id++) {
            assertEq(registry.rootOf(id), bytes32(0), "a root above lastBatchId");
        }
    }

    function invariant_onlyAnchorersAddRoots() public view {
        assertTrue(!handler.rootByNonAnchorer(), "a root came from an account that is no anchorer");
        assertTrue(handler.anchorersAsModelled(), "anchorer set");
    }

    function invariant_afterRenouncingNoOneAddsAnAnchorer() public view {
        assertTrue(!handler.anchorerAddedAfterRenounce(), "an anchorer was added after renouncing");
        if (handler.renounced()) {
            assertEq(registry.owner(), address(0), "owner after renouncing");
            assertEq(registry.pendingOwner(), address(0), "pending owner after renouncing");
        }
    }
}
