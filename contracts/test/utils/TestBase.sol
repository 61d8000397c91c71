// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Vm} from "forge-std/Vm.sol";

/// @notice What the registry's tests need from a test base: the cheatcode interface (the npm
/// package forge-std, pinned; its own Test.sol does not compile from that package, which
/// ships without the ds-test it imports), assertions that revert with a message, `bound`, and
/// the functions forge reads to pick invariant-test targets.
abstract contract TestBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev Shape forge expects from `targetSelectors()`.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private _targets;
    FuzzSelector[] private _selectors;
    address[] private _excluded;

    function targetContracts() public view returns (address[] memory) {
        return _targets;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _selectors;
    }

    function excludeSenders() public view returns (address[] memory) {
        return _excluded;
    }

    function _targetContract(address target) internal {
        _targets.push(target);
    }

    function _targetSelectors(address target, bytes4[] memory selectors) internal {
        _selectors.push(FuzzSelector(target, selectors));
    }

    function _excludeSender(address sender) internal {
        _excluded.push(sender);
    }

    error AssertionFailed(string what);
    error NotEqualUint(string what, uint256 got, uint256 expected);
    error NotEqualBytes32(string what, bytes32 got, bytes32 expected);
    error NotEqualAddress(string what, address got, address expected);

    function assertTrue(bool condition, string memory what) internal pure {
        if (!condition) revert AssertionFailed(what);
    }

    function assertEq(uint256 got, uint256 expected, string memory what) internal pure {
        if (got != expected) revert NotEqualUint(what, got, expected);
    }

    function assertEq(bytes32 got, bytes32 expected, string memory what) internal pure {
        if (got != expected) revert NotEqualBytes32(what, got, expected);
    }

    function assertEq(address got, address expected, string memory what) internal pure {
        if (got != expected) revert NotEqualAddress(what, got, expected);
    }

    /// @dev `x` mapped into [min, max] (inclusive), keeping small values small.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        uint256 size = max - min;
        if (size == type(uint256).max) return x;
        return min + (x % (size + 1));
    }
}
