// The page's liability section: wires liability.mjs to its form. The verdict is computed here,
// in your browser, from the proof and the LiabilitiesRegistry YOU pinned, read over the RPC
// you choose; the exchange's server is never asked.
import { VerifyError } from './verify.mjs';
import { LIABILITIES_CODE_HASH, verifyLiabilityMath, verifyLiabilityOnline } from './liability.mjs';
import { $, chosenRpc } from './dom.mjs';
const TITLES = {
  invalid: 'INVALID', format: 'NOT A USABLE LIABILITY PROOF', unusable: 'CANNOT CHECK', unpinned: 'LIABILITIES REGISTRY NOT PINNED',
};

let show = null; // the page's verdict display (page.mjs), handed over by initLiabilityPage

function render(verdict, title, lines, table = null) {
  show(verdict, title, lines, 'liability-result');
  if (!table) return;
  const t = document.createElement('table');
  t.id = 'liability-amounts';
  table.forEach((row, k) => {
    const tr = document.createElement('tr');
    for (const cell of row) {
      const td = document.createElement(k === 0 ? 'th' : 'td');
      td.textContent = cell;
      tr.appendChild(td);
    }
    t.appendChild(tr);
  });
  $('liability-result').appendChild(t);
}

function amountsTable(assets, balances, totals) {
  return [['asset', 'your amount (smallest unit)', 'total owed to all users'],
    ...assets.map((a, k) => [a, String(balances[k]), String(totals[k])])];
}

async function onVerifyLiability(ev) {
  ev.preventDefault();
  const text = $('liability-bundle').value;
  const account = $('liability-account').value.trim();
  render('running', 'Verifying…', []);
  try {
    if ($('liability-offline').checked) {
      const { bundle: b, totals } = verifyLiabilityMath(text, { account });
      render('math', 'MATH OK (offline)', [
        `account ${b.accountId} has a leaf in round ${b.roundId}; the path's sums are the round's totals.`,
        'The root and totals were NOT checked against the chain: this does not show the round is anchored.',
      ], amountsTable(b.assets, b.balances, totals));
      return;
    }
    const rpc = chosenRpc('liability-use-wallet', 'liability-rpc');
    const roundText = $('liability-round').value.trim();
    if (roundText !== '' && !/^[1-9][0-9]{0,19}$/.test(roundText)) throw new VerifyError('unusable', 'input', 'the round to check must be a round number');
    const res = await verifyLiabilityOnline(text, {
      rpc, pinned: $('liability-registry').value, account, expectedRound: roundText === '' ? null : BigInt(roundText),
    });
    render('valid', 'VALID', [
      `account ${res.accountId} is counted in full in round ${res.roundId} (latest on chain: ${res.latestRound}; ` +
        `balances up to batch ${res.cutoffBatchId}; ${res.leafCount} leaves).`,
      `Root ${res.root} and the totals below were read from LiabilitiesRegistry ${res.contract} (pinned by you; ` +
        `code = the published one) on chain ${res.chainId}; its verifyLiability agrees.`,
      account ? '' : 'Type your account id above to check the proof is of your own account.',
    ].filter(Boolean), amountsTable(res.assets, res.balances, res.totals));
  } catch (e) {
    if (e instanceof VerifyError) {
      render(e.kind, TITLES[e.kind] || 'ERROR', [e.kind === 'invalid' ? `failed check: ${e.step}` : '', e.detail].filter(Boolean));
    } else {
      render('unusable', 'CANNOT CHECK', [`unexpected problem: ${e && e.message ? e.message : e}`]);
    }
  }
}

async function onFile() {
  const f = $('liability-file').files[0];
  if (f) $('liability-bundle').value = await f.text();
}

export function initLiabilityPage(display) {
  show = display;
  $('liability-code-hash').textContent = LIABILITIES_CODE_HASH;
  $('liability-form').addEventListener('submit', onVerifyLiability);
  $('liability-file').addEventListener('change', onFile);
}
