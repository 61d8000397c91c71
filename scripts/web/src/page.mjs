// The browser verifier page: wires verify.mjs to the DOM. Nothing is sent anywhere but to
// the RPC you choose (or your wallet); the verdict is computed here, in your browser.
import { PUBLISHED_CODE_HASH, ReceiptError, VerifyError, httpRpc, verifyMath, verifyOnline, verifyReceipt } from './verify.mjs';
import { initLiabilityPage } from './liability_page.mjs';
import { $, chosenRpc } from './dom.mjs';
const PIN_KEY = 'ledger-anchor.pins';

function loadPins() {
  try { return JSON.parse(localStorage.getItem(PIN_KEY) || '{}'); } catch (e) { return {}; }
}
function savePin(address) {
  try {
    const pins = loadPins();
    pins.registry = address;
    localStorage.setItem(PIN_KEY, JSON.stringify(pins));
  } catch (e) { /* storage unavailable (private mode): the field still works */ }
}

function show(verdict, title, lines, target = 'result') {
  const out = $(target);
  out.textContent = '';
  out.dataset.verdict = verdict;
  out.className = 'result ' + verdict;
  const h = document.createElement('strong');
  h.textContent = title;
  out.appendChild(h);
  for (const line of lines) {
    const d = document.createElement('div');
    d.textContent = line;
    out.appendChild(d);
  }
}

const TITLES = {
  invalid: 'INVALID', format: 'NOT A USABLE BUNDLE', unusable: 'CANNOT CHECK', unpinned: 'REGISTRY NOT PINNED',
};

async function onVerify(ev) {
  ev.preventDefault();
  const text = $('bundle').value;
  const pinned = $('pinned').value.trim();
  const depthText = $('finality-depth').value.trim();
  show('running', 'Verifying…', []);
  try {
    if ($('offline').checked) {
      const { bundle, root } = verifyMath(text);
      show('math', 'MATH OK (offline)', [
        `record ${bundle.record.recordId} (${bundle.record.kind}) is in batch ${bundle.batchId}, root ${root}.`,
        'The root was NOT checked against the chain: this does not show the record is anchored.',
      ]);
      return;
    }
    const rpc = chosenRpc('use-wallet', 'rpc-url');
    const depth = depthText === '' ? null : Number.parseInt(depthText, 10);
    if (depth !== null && !(depth >= 0)) throw new VerifyError('unusable', 'input', 'finality depth must be a number of blocks');
    const { chains, require } = moreChains(rpc, pinned);
    const res = await verifyOnline(text, { rpc, pinned: pinned ? [pinned] : [], finalityDepth: depth, chains, require });
    if ($('remember').checked) savePin(pinned);
    const when = new Date(res.blockTime * 1000).toISOString();
    show('valid', 'VALID', [
      res.summary,
      `block ${res.blockNumber} (${res.blockHash}) mined ${when}`,
    ]);
  } catch (e) {
    if (e instanceof VerifyError) {
      const extra = e.kind === 'unpinned'
        ? ['Type the registry address the exchange publishes (its website, an ENS text record, a signed statement). Never take it from a bundle.']
        : [];
      show(e.kind, TITLES[e.kind] || 'ERROR', [e.kind === 'invalid' ? `failed check: ${e.step}` : '', e.detail, ...extra].filter(Boolean));
    } else {
      show('unusable', 'CANNOT CHECK', [`unexpected problem: ${e && e.message ? e.message : e}`]);
    }
  }
}

// The extra chains typed for a v2 bundle (one "RPC-URL registry" per line) and the policy.
function moreChains(rpc, pinned) {
  const lines = $('more-chains').value.split('\n').map((l) => l.trim()).filter(Boolean);
  const requireText = $('require').value.trim();
  const require = requireText === '' ? null : Number.parseInt(requireText, 10);
  if (require !== null && !(require >= 1)) throw new VerifyError('unusable', 'input', 'anchors required must be a number of at least 1');
  if (lines.length === 0 && require === null) return { chains: null, require };
  const chains = [{ rpc, pinned: pinned ? [pinned] : [] }];
  for (const line of lines) {
    const [url, registry, ...rest] = line.split(/\s+/);
    if (!registry || rest.length) throw new VerifyError('unusable', 'input', `more chains: '${line}' is not an RPC URL and a registry address`);
    chains.push({ rpc: httpRpc(url), pinned: [registry] });
  }
  return { chains, require };
}

const RECEIPT_TITLES = { invalid: 'INVALID RECEIPT', format: 'NOT A USABLE RECEIPT', unusable: 'CANNOT CHECK' };

function onReceipt(ev) {
  ev.preventDefault();
  try {
    const r = verifyReceipt($('receipt').value, $('receipt-signer').value);
    const iso = (t) => new Date(Number(t) * 1000).toISOString();
    const overdue = Number(r.deadline) * 1000 < Date.now();
    show('valid', 'VALID RECEIPT', [
      `record ${r.recordId} (seq ${r.seq}, leaf ${r.leaf}) was accepted at ${iso(r.ingestedAt)}`,
      `and promised final on chain by ${iso(r.deadline)}; signed by ${r.signer} (pinned by you).`,
      overdue ? 'The deadline has passed: check that the record is in a final batch (verify its proof above); if not, the receipt is evidence of a missed promise.' : '',
    ].filter(Boolean), 'receipt-result');
  } catch (e) {
    if (e instanceof ReceiptError) {
      show(e.kind, RECEIPT_TITLES[e.kind] || 'ERROR', [e.kind === 'invalid' ? `failed check: ${e.step}` : '', e.detail].filter(Boolean), 'receipt-result');
    } else {
      show('unusable', 'CANNOT CHECK', [`unexpected problem: ${e && e.message ? e.message : e}`], 'receipt-result');
    }
  }
}

async function onFile() {
  const f = $('bundle-file').files[0];
  if (f) $('bundle').value = await f.text();
}

function init() {
  $('code-hash').textContent = PUBLISHED_CODE_HASH;
  const pins = loadPins();
  if (pins.registry && !$('pinned').value) $('pinned').value = pins.registry;
  $('verify-form').addEventListener('submit', onVerify);
  $('receipt-form').addEventListener('submit', onReceipt);
  $('bundle-file').addEventListener('change', onFile);
  $('wallet-note').textContent = window.ethereum ? 'a wallet was found in this browser' : 'no wallet found in this browser';
  initLiabilityPage(show);
  document.body.dataset.ready = '1';
}

init();
