// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A minimal OpenZeppelin ERC-20 for the reserves tests: the whole supply is minted to
/// `holder` at construction.
contract TestToken is ERC20 {
    constructor(address holder, uint256 supply) ERC20("Test USD", "TUSD") {
        _mint(holder, supply);
    }
}
