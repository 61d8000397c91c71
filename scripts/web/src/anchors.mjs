// Anchors read straight from the chain, in the browser: the `Anchored` events of the registry
// YOU pinned, through the RPC you choose (eth_getLogs in ranges), with each block's time.
// Used by the explorer page (window.ledgerAnchorVerifier.readAnchors): a regulator sees the
// chain's own list, not only what the exchange's API says.
import { VerifyError, ANCHORED_EVENT } from './verify.mjs';
import { IMMUTABLE_RANGES, PUBLISHED_CODE_HASH, CONTRACT_NAME } from './generated.mjs';
import { enc, hexToBytes, keccakHex } from './records.mjs';

const unusable = (detail) => new VerifyError('unusable', 'input', detail);
const int = (v, what) => {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]+$/.test(v)) throw unusable(`RPC returned a malformed ${what}`);
  return BigInt(v);
};

export async function readAnchors({ rpc, registry, fromBlock = 0n, chainId = null, range = 10000n, codeHash = PUBLISHED_CODE_HASH }) {
  const address = String(registry || '').trim().toLowerCase();
  if (!/^0x[0-9a-f]{40}$/.test(address)) throw unusable('type the registry address you pinned (0x and 40 hex digits)');
  const served = int(await rpc('eth_chainId', []), 'chain id');
  if (chainId !== null && served !== BigInt(chainId)) {
    throw unusable(`wrong chain: the RPC serves chain ${served}, the registry is on chain ${chainId}`);
  }
  const code = await rpc('eth_getCode', [address, 'latest']);
  if (typeof code !== 'string' || code === '0x') throw new VerifyError('invalid', 'contract', `no contract at ${address} on chain ${served}`);
  const bytes = hexToBytes(code.toLowerCase());
  for (const [start, length] of IMMUTABLE_RANGES) if (start + length <= bytes.length) bytes.fill(0, start, start + length);
  const actual = keccakHex(bytes);
  if (actual !== codeHash) throw new VerifyError('invalid', 'code', `code at ${address} is not the published ${CONTRACT_NAME} (code hash ${actual})`);
  const latest = int(await rpc('eth_blockNumber', []), 'block number');
  const topic0 = keccakHex(enc.encode(ANCHORED_EVENT));
  const logs = [];
  for (let start = BigInt(fromBlock); start <= latest; start += range) {
    const end = start + range - 1n < latest ? start + range - 1n : latest;
    const got = await rpc('eth_getLogs', [{ address, topics: [topic0], fromBlock: '0x' + start.toString(16), toBlock: '0x' + end.toString(16) }]);
    if (!Array.isArray(got)) throw unusable('RPC returned malformed logs');
    logs.push(...got);
  }
  const times = new Map();
  const anchors = [];
  const seen = new Set();
  for (const log of logs) {
    if (!log || !Array.isArray(log.topics) || log.topics.length !== 3) continue;
    const batchId = int(log.topics[1], 'batch id');
    if (seen.has(batchId)) continue; // the contract refuses a second anchor of an id
    seen.add(batchId);
    const blockNumber = int(log.blockNumber, 'log block number');
    if (!times.has(blockNumber)) {
      const blk = await rpc('eth_getBlockByNumber', ['0x' + blockNumber.toString(16), false]);
      times.set(blockNumber, blk ? Number(int(blk.timestamp, 'block timestamp')) : null);
    }
    anchors.push({
      batchId, root: String(log.topics[2]).toLowerCase(), leafCount: int(log.data, 'leaf count'),
      txHash: String(log.transactionHash).toLowerCase(), blockNumber, blockHash: String(log.blockHash).toLowerCase(),
      blockTime: times.get(blockNumber),
    });
  }
  return { chainId: served, latest, codeHash: actual, anchors };
}
