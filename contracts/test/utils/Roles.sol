// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TestBase} from "./TestBase.sol";

/// @notice The accounts of both registries' unit tests: the owner, the first anchorer (the two
/// the constructor takes) and a stranger with no role.
abstract contract Roles is TestBase {
    address internal constant OWNER = address(0x0A11CE);
    address internal constant ANCHORER = address(0xA0C4);
    address internal constant STRANGER = address(0xBAD);
}
