// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {LiabilitiesRegistry} from "../LiabilitiesRegistry.sol";
import {AnchorerHandler, AnchorerInvariantTest, cast} from "./utils/AnchorerHandler.sol";

/// @notice Drives the liabilities registry with random sequences of calls from a small cast
/// of accounts and keeps a model; the invariant test checks the registry against it.
contract LiabilitiesHandler is AnchorerHandler {
    LiabilitiesRegistry public immutable registry;

    mapping(uint64 roundId => bytes32 root) public firstRoot;
    mapping(uint64 roundId => uint256 total) public firstTotal;
    mapping(uint64 roundId => uint64 cutoff) public firstCutoff;
    uint64 public anchoredCount;

    bool public roundRewritten;
    bool public roundByNonAnchorer;
    bool public outOfOrderAccepted;
    bool public cutoffWentBack;
    uint256 public successfulAnchors;

    constructor(LiabilitiesRegistry registry_, address[] memory actors_, address firstAnchorer)
        AnchorerHandler(address(registry_), actors_, firstAnchorer)
    {
        registry = registry_;
    }

    function anchorRound(uint256 actorSeed, uint256 idSeed, uint64 cutoff, bytes32 root, uint256 total) external {
        address caller = actorSeed % 2 == 0 ? actors[1] : _actor(actorSeed / 2);
        uint64 roundId = idSeed % 4 == 0 ? uint64(bound(idSeed, 0, anchoredCount + 2)) : anchoredCount + 1;
        if (idSeed % 5 != 0 && root == bytes32(0)) root = keccak256(abi.encode(idSeed));
        cutoff = uint64(bound(cutoff, 0, 2 * uint256(anchoredCount) + 3));
        bytes32[] memory assets = new bytes32[](1);
        assets[0] = bytes32("BTC");
        uint256[] memory totals = new uint256[](1);
        totals[0] = bound(total, 0, type(uint160).max);
        vm.prank(caller);
        try registry.anchorRound(roundId, cutoff, root, 8, assets, totals) {
            successfulAnchors++;
            if (!modelAnchorer[caller]) roundByNonAnchorer = true;
            if (firstRoot[roundId] != bytes32(0)) roundRewritten = true;
            if (roundId != anchoredCount + 1) outOfOrderAccepted = true;
            if (anchoredCount > 0 && cutoff < firstCutoff[anchoredCount]) cutoffWentBack = true;
            firstRoot[roundId] = root;
            firstTotal[roundId] = totals[0];
            firstCutoff[roundId] = cutoff;
            anchoredCount = roundId;
        } catch {}
    }
}

/// @notice Rounds never change once written; ids are exactly 1..lastRoundId; cut-offs never go
/// back; only anchorers write rounds.
contract LiabilitiesRegistryInvariantTest is AnchorerInvariantTest {
    LiabilitiesRegistry internal registry;
    LiabilitiesHandler internal handler;

    function setUp() public {
        address[] memory actors = cast(4); // the owner, the first anchorer, two strangers
        registry = new LiabilitiesRegistry(actors[0], actors[1]);
        handler = new LiabilitiesHandler(registry, actors, actors[1]);
        bytes4[] memory own = new bytes4[](1);
        own[0] = LiabilitiesHandler.anchorRound.selector;
        _targetHandler(handler, own);
    }

    function invariant_roundsNeverChange() public view {
        assertTrue(!handler.roundRewritten(), "a round was written twice");
        for (uint64 id = 1; id <= handler.anchoredCount(); id++) {
            (bytes32 root, uint64 cutoff,,, uint256[] memory totals) = registry.roundOf(id);
            assertEq(root, handler.firstRoot(id), "root");
            assertEq(cutoff, handler.firstCutoff(id), "cutoff");
            assertEq(totals[0], handler.firstTotal(id), "total");
        }
    }

    function invariant_roundIdsAreExactlyOneToLast() public view {
        uint64 last = registry.lastRoundId();
        assertEq(last, handler.anchoredCount(), "lastRoundId");
        assertTrue(!handler.outOfOrderAccepted(), "an out-of-order id was accepted");
        (bytes32 above,,,,) = registry.roundOf(last + 1);
        assertEq(above, bytes32(0), "a round above lastRoundId");
    }

    function invariant_cutoffsNeverGoBack() public view {
        assertTrue(!handler.cutoffWentBack(), "a cut-off went back");
    }

    function invariant_onlyAnchorersWriteRounds() public view {
        assertTrue(!handler.roundByNonAnchorer(), "a round from an account that is no anchorer");
        assertTrue(handler.anchorersAsModelled(), "anchorer set");
    }
}
