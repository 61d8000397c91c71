// ledger-anchor explorer page: renders /v1/explorer/anchors and posts bundles to /v1/verify.
// No framework, no external resources; every value is inserted as text (never as HTML).
'use strict';

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function shortHex(h) {
  if (!h) return '—';
  return h.length > 18 ? h.slice(0, 10) + '…' + h.slice(-6) : h;
}

function linkOrText(url, text, cls) {
  if (!url) return el('span', { class: cls || '' }, text);
  return el('a', { href: url, class: cls || 'explorer-link', rel: 'noopener', target: '_blank' }, text);
}

function cell(row, child, title) {
  const td = el('td');
  if (title) td.title = title;
  if (child instanceof Node) td.appendChild(child); else td.textContent = child === null || child === undefined ? '—' : String(child);
  row.appendChild(td);
  return td;
}

function renderAnchors(data) {
  document.getElementById('chain-id').textContent = data.chain.chain_id ?? '—';
  const contract = document.getElementById('contract');
  contract.textContent = '';
  contract.appendChild(linkOrText(data.chain.contract_url, data.chain.contract || '—', 'explorer-link contract-link'));
  document.getElementById('latest-block').textContent = data.chain.latest_block ?? '—';

  const body = document.getElementById('anchors-body');
  body.textContent = '';
  for (const a of data.anchors) {
    const row = el('tr', { class: 'anchor ' + a.status, 'data-batch-id': a.batch_id, 'data-status': a.status });
    cell(row, a.batch_id);
    const st = el('span', { class: 'status status-' + a.status }, a.status_label);
    const td = cell(row, st);
    for (const p of a.problems) td.appendChild(el('div', { class: 'problem' }, p));
    cell(row, a.chain ? shortHex(a.chain.root) : 'not on chain', a.chain ? a.chain.root : '');
    cell(row, a.db ? shortHex(a.db.root) : 'not in our records', a.db ? a.db.root : '');
    cell(row, (a.chain ? a.chain.leaf_count : '—') + ' / ' + (a.db ? a.db.leaf_count : '—'));
    const block = a.chain ? a.chain.block_number : (a.db ? a.db.block_number : null);
    cell(row, block === null || block === undefined ? '—' : linkOrText(a.links.block, block, 'explorer-link block-link'));
    const tx = a.chain ? a.chain.tx_hash : (a.db ? a.db.tx_hash : null);
    cell(row, tx ? linkOrText(a.links.tx, shortHex(tx), 'explorer-link tx-link') : '—', tx || '');
    cell(row, a.db ? a.db.state : '—');
    body.appendChild(row);
  }
  const summary = document.getElementById('summary');
  summary.className = 'summary ' + (data.mismatches ? 'bad' : 'good');
  if (data.chain.error) {
    summary.textContent = 'Chain unreachable: ' + data.chain.error;
    summary.className = 'summary bad';
  } else {
    summary.textContent = data.anchors.length + ' anchors, ' + data.mismatches + ' mismatch' +
      (data.mismatches === 1 ? '' : 'es') + ' between the chain and our records.';
  }
}

async function loadAnchors() {
  try {
    const r = await fetch('/v1/explorer/anchors', { headers: { accept: 'application/json' } });
    if (!r.ok) throw new Error('HTTP ' + r.status);
    renderAnchors(await r.json());
  } catch (e) {
    const summary = document.getElementById('summary');
    summary.textContent = 'Could not load anchors: ' + e.message;
    summary.className = 'summary bad';
  }
}

async function verify(ev) {
  ev.preventDefault();
  const out = document.getElementById('verify-result');
  out.className = 'verify-result';
  out.textContent = 'Verifying…';
  try {
    const r = await fetch('/v1/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: document.getElementById('bundle').value,
    });
    const res = await r.json();
    out.textContent = '';
    if (res.valid) {
      out.className = 'verify-result valid';
      out.appendChild(el('strong', {}, 'VALID'));
      out.appendChild(el('div', {}, 'Record ' + res.record_id + ' is in batch ' + res.batch_id +
        ', whose root the contract holds; block ' + res.block_number + ' (' + res.status + ').'));
    } else {
      out.className = 'verify-result invalid';
      out.appendChild(el('strong', {}, 'INVALID'));
      out.appendChild(el('div', { class: 'failed-step' }, 'failed check: ' + (res.step || 'input')));
      out.appendChild(el('div', {}, res.detail || res.error || JSON.stringify(res)));
    }
  } catch (e) {
    out.className = 'verify-result invalid';
    out.textContent = 'Verification request failed: ' + e.message;
  }
}

document.getElementById('verify-form').addEventListener('submit', verify);
loadAnchors();
