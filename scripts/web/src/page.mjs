// The browser verifier page: wires verify.mjs to the DOM. Nothing is sent anywhere but to
// the RPC you choose (or your wallet); the verdict is computed here, in your browser.
import { PUBLISHED_CODE_HASH, VerifyError, httpRpc, providerRpc, verifyMath, verifyOnline } from './verify.mjs';

const $ = (id) => document.getElementById(id);
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

function show(verdict, title, lines) {
  const out = $('result');
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
    let rpc;
    if ($('use-wallet').checked) {
      if (!window.ethereum) throw new VerifyError('unusable', 'input', 'no wallet (EIP-1193 provider) in this browser');
      rpc = providerRpc(window.ethereum);
    } else {
      rpc = httpRpc($('rpc-url').value.trim());
    }
    const depth = depthText === '' ? null : Number.parseInt(depthText, 10);
    if (depth !== null && !(depth >= 0)) throw new VerifyError('unusable', 'input', 'finality depth must be a number of blocks');
    const res = await verifyOnline(text, { rpc, pinned: pinned ? [pinned] : [], finalityDepth: depth });
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

async function onFile() {
  const f = $('bundle-file').files[0];
  if (f) $('bundle').value = await f.text();
}

function init() {
  $('code-hash').textContent = PUBLISHED_CODE_HASH;
  const pins = loadPins();
  if (pins.registry && !$('pinned').value) $('pinned').value = pins.registry;
  $('verify-form').addEventListener('submit', onVerify);
  $('bundle-file').addEventListener('change', onFile);
  $('wallet-note').textContent = window.ethereum ? 'a wallet was found in this browser' : 'no wallet found in this browser';
  document.body.dataset.ready = '1';
}

init();
