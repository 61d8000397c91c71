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

/// @notice The invariant tests' cast, its first `n` accounts: the owner, the first anchorer,
/// then strangers (who may become anchorers, or the owner, later).
function cast(uint256 n) pure returns (address[] memory actors) {
    address[5] memory all = [address(0x0A11CE), address(0xA0C4), address(0xB0B), address(0xCA7), address(0xD06)];
    actors = new address[](n);
    for (uint256 i = 0; i < n; i++) {
        actors[i] = all[i];
    }
}

/// @notice What both invariant tests share: the handler is their only target, called through
/// its own functions (`own`) and its anchorer calls.
abstract contract AnchorerInvariantTest is TestBase {
    function _targetHandler(AnchorerHandler handler, bytes4[] memory own) internal {
        _targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](own.length + 2);
        for (uint256 i = 0; i < own.length; i++) {
            selectors[i] = own[i];
        }
        selectors[own.length] = AnchorerHandler.addAnchorer.selector;
        selectors[own.length + 1] = AnchorerHandler.removeAnchorer.selector;
        _targetSelectors(address(handler), selectors);
    }
}
