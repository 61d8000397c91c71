// ledger-anchor explorer page. Renders /v1/explorer/anchors (newest first, paged), draws the
// chart, lists missed receipt promises, and — with the registry YOU pin and YOUR RPC — reads
// the anchors straight from the chain and verifies pasted bundles client-side, with the same
// module as /verify (window.ledgerAnchorVerifier). Nothing pasted is sent to this service.
// No framework, no external resources; every value is inserted as text (never as HTML).
'use strict';

const V = window.ledgerAnchorVerifier;
const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
const state = { page: 1, pages: 1, data: null, chainRows: null, highlight: null, chain: null };

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}
function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
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
function duration(s) {
  if (s === null || s === undefined) return '—';
  s = Math.max(0, Math.round(Number(s)));
  if (s < 120) return s + ' s';
  if (s < 7200) return Math.round(s / 60) + ' min';
  if (s < 172800) return (s / 3600).toFixed(1) + ' h';
  return (s / 86400).toFixed(1) + ' d';
}
function iso(t) { return t === null || t === undefined ? '—' : new Date(Number(t) * 1000).toISOString().replace('.000', ''); }
function when(t, now) {
  const span = el('span');
  span.appendChild(el('span', {}, iso(t)));
  if (t !== null && t !== undefined) span.appendChild(el('div', { class: 'age' }, duration(now - Number(t)) + ' ago'));
  return span;
}

function renderTable(rows, now) {
  const body = $('anchors-body');
  body.textContent = '';
  for (const a of rows) {
    const cls = 'anchor ' + a.status + (String(a.batch_id) === String(state.highlight) ? ' found' : '');
    const row = el('tr', { class: cls, 'data-batch-id': a.batch_id, 'data-status': a.status, id: 'batch-' + a.batch_id });
    cell(row, a.batch_id);
    const td = cell(row, el('span', { class: 'status status-' + a.status }, a.status_label));
    for (const p of a.problems) td.appendChild(el('div', { class: 'problem' }, p));
    cell(row, a.chain ? shortHex(a.chain.root) : 'not on chain', a.chain ? a.chain.root : '');
    cell(row, a.db ? shortHex(a.db.root) : 'not in our records', a.db ? a.db.root : '');
    cell(row, (a.chain ? a.chain.leaf_count : '—') + ' / ' + (a.db ? a.db.leaf_count : '—'));
    const block = a.chain ? a.chain.block_number : (a.db ? a.db.block_number : null);
    const bcell = cell(row, block === null || block === undefined ? '—' : linkOrText(a.links.block, block, 'explorer-link block-link'));
    if (a.chain) bcell.appendChild(el('div', { class: 'age' }, a.chain.final ? 'final' : 'not final yet'));
    cell(row, a.chain ? when(a.chain.block_time, now) : '—');
    const tx = a.chain ? a.chain.tx_hash : (a.db ? a.db.tx_hash : null);
    cell(row, tx ? linkOrText(a.links.tx, shortHex(tx), 'explorer-link tx-link') : '—', tx || '');
    cell(row, a.db ? a.db.state : '—');
    cell(row, duration(a.latency_seconds), 'first record ingested → final in our records');
    body.appendChild(row);
  }
}

function renderChart(series) {
  const box = $('chart');
  box.textContent = '';
  const W = 900, H = 220, L = 50, R = 50, T = 15, B = 30;
  const root = svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', id: 'chart-svg' });
  root.appendChild(svg('title', {}, 'records per batch (bars) and ingest-to-final latency (line)'));
  if (!series.length) {
    root.appendChild(svg('text', { x: L, y: H / 2 }, 'no anchors yet'));
    box.appendChild(root);
    return;
  }
  const maxN = Math.max(1, ...series.map((s) => s.leaf_count || 0));
  const lat = series.map((s) => s.latency_seconds).filter((x) => x !== null && x !== undefined);
  const maxL = Math.max(1, ...lat);
  const step = (W - L - R) / series.length;
  const y = (v, max) => T + (H - T - B) * (1 - v / max);
  const pts = [];
  series.forEach((s, i) => {
    const x = L + i * step;
    const top = y(s.leaf_count || 0, maxN);
    const bar = svg('rect', { class: 'bar', x: x + step * 0.1, y: top, width: Math.max(1, step * 0.8), height: H - B - top, 'data-batch-id': s.batch_id });
    bar.appendChild(svg('title', {}, `batch ${s.batch_id}: ${s.leaf_count} records, ${iso(s.block_time)}, latency ${duration(s.latency_seconds)}`));
    root.appendChild(bar);
    if (s.latency_seconds !== null && s.latency_seconds !== undefined) {
      const cx = x + step / 2, cy = y(s.latency_seconds, maxL);
      pts.push(`${cx.toFixed(1)},${cy.toFixed(1)}`);
      root.appendChild(svg('circle', { class: 'dot', cx, cy, r: 3 }));
    }
  });
  if (pts.length > 1) root.appendChild(svg('polyline', { class: 'line', points: pts.join(' ') }));
  root.appendChild(svg('text', { x: 4, y: T + 8 }, String(maxN)));
  root.appendChild(svg('text', { x: 4, y: H - B }, '0'));
  root.appendChild(svg('text', { x: W - R + 4, y: T + 8 }, duration(maxL)));
  root.appendChild(svg('text', { x: L, y: H - 8 }, `batch ${series[0].batch_id} · ${iso(series[0].block_time)}`));
  const last = series[series.length - 1];
  root.appendChild(svg('text', { x: W - R - 260, y: H - 8 }, `batch ${last.batch_id} · ${iso(last.block_time)}`));
  root.appendChild(svg('text', { x: L + 4, y: T + 8 }, 'bars: records per batch · red: ingest → final'));
  box.appendChild(root);
}

// Several chains (issue 18): a selector, one chain's anchors at a time.
function renderChains(data) {
  const chains = data.chains || [];
  $('chains').hidden = chains.length < 2;
  const select = $('chain-select');
  if (select.options.length !== chains.length) {
    select.textContent = '';
    for (const c of chains) {
      select.appendChild(el('option', { value: c.name }, `${c.name} (chain ${c.chain_id})`));
    }
  }
  select.value = data.chain_name || '';
}

function renderInfo(data) {
  renderChains(data);
  const c = data.chain;
  $('chain-id').textContent = c.chain_id ?? '—';
  const contract = $('contract');
  contract.textContent = '';
  contract.appendChild(linkOrText(c.contract_url, c.contract || '—', 'explorer-link contract-link'));
  $('latest-block').textContent = c.latest_block ?? '—';
  $('finalized-block').textContent = c.finalized_block ?? '—';
  $('scanned-at').textContent = c.scanned_at ? 'by this service at ' + iso(c.scanned_at) + ' (cached, read incrementally)' : '—';
  const summary = $('summary');
  if (c.error) {
    summary.textContent = 'Chain unreachable: ' + c.error;
    summary.className = 'summary bad';
  } else {
    summary.className = 'summary ' + (data.mismatches ? 'bad' : 'good');
    summary.textContent = data.total + ' anchors, ' + data.mismatches + ' mismatch' +
      (data.mismatches === 1 ? '' : 'es') + ' between the chain and our records (as read by this service).';
  }
  $('page-info').textContent = `page ${data.page} of ${data.pages}`;
  $('newer').disabled = data.page <= 1;
  $('older').disabled = data.page >= data.pages;
}

async function loadAnchors(page) {
  try {
    const chain = state.chain ? `&chain=${encodeURIComponent(state.chain)}` : '';
    const r = await fetch(`/v1/explorer/anchors?page=${page}${chain}`, { headers: { accept: 'application/json' } });
    if (!r.ok) throw new Error('HTTP ' + r.status);
    const data = await r.json();
    state.data = data;
    state.page = data.page;
    state.pages = data.pages;
    renderInfo(data);
    renderTable(data.anchors, data.now);
    renderChart(data.series);
    document.body.dataset.anchors = 'loaded';
  } catch (e) {
    $('summary').textContent = 'Could not load anchors: ' + e.message;
    $('summary').className = 'summary bad';
    document.body.dataset.anchors = 'error';
  }
}

async function loadMissed() {
  try {
    const r = await fetch('/v1/receipts/missed', { headers: { accept: 'application/json' } });
    if (!r.ok) throw new Error('HTTP ' + r.status);
    const data = await r.json();
    $('receipt-signer').textContent = data.signer || 'none configured';
    const body = $('missed-body');
    body.textContent = '';
    for (const m of data.missed) {
      const row = el('tr', { 'data-load-id': m.load_id });
      cell(row, m.load_id); cell(row, `${m.first_seq}..${m.last_seq}`); cell(row, m.count);
      cell(row, iso(m.ingested_at)); cell(row, iso(m.deadline));
      cell(row, m.final_at ? iso(m.final_at) : 'NOT FINAL'); cell(row, duration(m.late_seconds));
      body.appendChild(row);
    }
    $('missed-summary').textContent = data.missed.length ? `${data.missed.length} missed promise(s).` : 'No missed promises.';
  } catch (e) {
    $('missed-summary').textContent = 'Could not load missed promises: ' + e.message;
  }
}

// --- the chain, read by this browser ------------------------------------------------------
function rpcOrThrow() {
  const url = $('rpc-url').value.trim();
  if (!url) throw new V.VerifyError('unusable', 'input', 'type the URL of an RPC node you trust for this chain');
  return V.httpRpc(url);
}

async function readChain(ev) {
  ev.preventDefault();
  const summary = $('summary');
  summary.className = 'summary';
  summary.textContent = 'Reading the anchors from your RPC…';
  try {
    const from = $('from-block').value.trim() || '0';
    if (!/^\d+$/.test(from)) throw new V.VerifyError('unusable', 'input', 'from block must be a block number');
    const chainId = state.data && state.data.chain.chain_id !== null ? state.data.chain.chain_id : null;
    const res = await V.readAnchors({ rpc: rpcOrThrow(), registry: $('pinned').value, fromBlock: BigInt(from), chainId });
    const ours = new Map((state.data ? state.data.anchors : []).map((a) => [String(a.batch_id), a]));
    const now = Math.floor(Date.now() / 1000);
    const rows = res.anchors.slice().reverse().map((e) => {
      const o = ours.get(String(e.batchId));
      const problems = [];
      if (o && o.db && o.db.root !== e.root) problems.push(`root differs: chain ${e.root}, ours ${o.db.root}`);
      const status = o && o.db ? (problems.length ? 'mismatch' : 'ok') : 'ok';
      return {
        batch_id: String(e.batchId), status, status_label: (problems.length ? 'MISMATCH' : 'on chain') + ' (your RPC)', problems,
        chain: { root: e.root, leaf_count: String(e.leafCount), block_number: String(e.blockNumber), block_time: e.blockTime, tx_hash: e.txHash, final: res.latest - e.blockNumber >= 64n },
        db: o ? o.db : null, links: o ? o.links : {}, latency_seconds: o ? o.latency_seconds : null,
      };
    });
    state.chainRows = rows;
    renderTable(rows, now);
    $('anchors-title').textContent = `Anchors read from your RPC (chain ${res.chainId}, up to block ${res.latest}), newest first`;
    summary.className = 'summary good';
    summary.textContent = `${rows.length} anchors read by your browser from registry ${$('pinned').value.trim().toLowerCase()} ` +
      `(code = the published registry) on chain ${res.chainId}; latest block ${res.latest}.`;
    document.body.dataset.source = 'rpc';
  } catch (e) {
    summary.className = 'summary bad';
    summary.textContent = 'Could not read the chain: ' + (e && e.detail ? e.detail : (e && e.message ? e.message : e));
    document.body.dataset.source = 'rpc-error';
  }
}

async function find(ev) {
  ev.preventDefault();
  const q = $('find').value.trim();
  const out = $('find-result');
  if (!q) return;
  try {
    const r = await fetch('/v1/explorer/find?q=' + encodeURIComponent(q), { headers: { accept: 'application/json' } });
    if (r.status === 404) { out.textContent = 'not found'; return; }
    if (!r.ok) throw new Error('HTTP ' + r.status);
    const hit = await r.json();
    state.highlight = hit.batch_id;
    const total = state.data ? state.data.total : 0;
    const per = state.data ? state.data.per_page : 50;
    // newest first: batch ids are sequential, so the page follows from its distance to the top
    const newest = state.data && state.data.anchors.length ? Number(state.data.anchors[0].batch_id) + (state.page - 1) * per : total;
    const page = Math.max(1, Math.floor((newest - hit.batch_id) / per) + 1);
    await loadAnchors(page);
    out.textContent = `batch ${hit.batch_id} (found by ${hit.found_by})`;
    const row = $('batch-' + hit.batch_id);
    if (row) row.scrollIntoView({ block: 'center' });
  } catch (e) {
    out.textContent = 'search failed: ' + e.message;
  }
}

async function verify(ev) {
  ev.preventDefault();
  const out = $('verify-result');
  out.className = 'verify-result';
  out.textContent = 'Verifying in your browser…';
  const show = (cls, title, lines) => {
    out.textContent = '';
    out.className = 'verify-result ' + cls;
    out.appendChild(el('strong', {}, title));
    for (const line of lines) if (line) out.appendChild(el('div', {}, line));
  };
  try {
    const depthText = $('finality-depth').value.trim();
    const depth = depthText === '' ? null : Number.parseInt(depthText, 10);
    const pinned = $('pinned').value.trim();
    const res = await V.verifyOnline($('bundle').value, { rpc: rpcOrThrow(), pinned: pinned ? [pinned] : [], finalityDepth: depth });
    show('valid', 'VALID', [res.summary, `block ${res.blockNumber} mined ${iso(res.blockTime)}`]);
  } catch (e) {
    if (e instanceof V.VerifyError) {
      const title = { invalid: 'INVALID', format: 'INVALID', unusable: 'CANNOT CHECK', unpinned: 'REGISTRY NOT PINNED' }[e.kind] || 'ERROR';
      show('invalid', title, [e.kind === 'invalid' || e.kind === 'format' ? 'failed check: ' + e.step : '', e.detail]);
    } else {
      show('invalid', 'CANNOT CHECK', ['unexpected problem: ' + (e && e.message ? e.message : e)]);
    }
  }
}

$('verify-form').addEventListener('submit', verify);
$('trust-form').addEventListener('submit', readChain);
$('find-form').addEventListener('submit', find);
$('chain-select').addEventListener('change', (ev) => { state.chain = ev.target.value; loadAnchors(1); });
$('newer').addEventListener('click', () => loadAnchors(Math.max(1, state.page - 1)));
$('older').addEventListener('click', () => loadAnchors(Math.min(state.pages, state.page + 1)));
loadAnchors(1);
loadMissed();
