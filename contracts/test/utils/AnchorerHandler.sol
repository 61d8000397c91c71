// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TestBase} from "./TestBase.sol";

/// @notice The anchorer roles both registries have.
interface IAnchorerRoles {
    function addAnchorer(address account) external;
    function removeAnchorer(address account) external;
    function isAnchorer(address account) external view returns (bool);
}

/// @notice What both registries' invariant handlers share: a small cast of accounts whose calls
/// go through `vm.prank`, and the model of who is an anchorer, kept by adding and removing
/// anchorers from random callers (the owner's calls succeed, the others' are rejected).
abstract contract AnchorerHandler is TestBase {
    IAnchorerRoles private immutable _roles;
    address[] public actors;
    mapping(address account => bool allowed) public modelAnchorer;

    constructor(address roles, address[] memory actors_, address firstAnchorer) {
        _roles = IAnchorerRoles(roles);
        actors = actors_;
        modelAnchorer[firstAnchorer] = true;
    }

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % actors.length];
    }

    /// @dev Called when an anchorer was added, before the model learns of it.
    function _anchorerAdded() internal virtual {}

    function addAnchorer(uint256 callerSeed, uint256 accountSeed) external {
        address account = _actor(accountSeed);
        vm.prank(_actor(callerSeed));
        try _roles.addAnchorer(account) {
            _anchorerAdded();
            modelAnchorer[account] = true;
        } catch {}
    }

    function removeAnchorer(uint256 callerSeed, uint256 accountSeed) external {
        address account = _actor(accountSeed);
        vm.prank(_actor(callerSeed));
        try _roles.removeAnchorer(account) {
            modelAnchorer[account] = false;
        } catch {}
    }

    /// @notice Whether the registry's anchorers among the cast are exactly the model's.
    function anchorersAsModelled() external view returns (bool) {
        for (uint256 i = 0; i < actors.length; i++) {
            if (_roles.isAnchorer(actors[i]) != modelAnchorer[actors[i]]) return false;
        }
        return true;
    }
}
