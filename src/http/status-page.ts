/**
 * The status page at `/`: a static HTML shell with one inline style and one inline script that fetch the JSON
 * API and build the tables with DOM calls. No framework, no build step, no external URL (hospital networks have
 * no internet). Every value reaches the page through textContent, never as markup: accession numbers, report
 * text and error messages come from outside. The Content-Security-Policy allows only these two inline blocks
 * (by hash), so even a missed escape could not run a script. When the API answers 401 the page asks for the
 * token and sends it as a bearer header (kept in sessionStorage, for this tab only).
 */
import { createHash } from 'node:crypto';

const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #57606a; --line: #d0d7de; --head: #f3f5f7;
  --bad: #a40e26; --bad-bg: #ffebe9; --ok: #116329; --ok-bg: #dafbe1; --warn: #7d4e00; --warn-bg: #fff8c5; --focus: #0550ae; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9ea7b3; --line: #3d444d; --head: #161b22;
    --bad: #ffa198; --bad-bg: #3c1618; --ok: #7ee787; --ok-bg: #12261e; --warn: #e3b341; --warn-bg: #2e2400; --focus: #79c0ff; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
header, main { padding: 0 1.25rem; max-width: 110rem; margin: 0 auto; }
header { display: flex; flex-wrap: wrap; gap: 0.75rem 1.5rem; align-items: center; padding-top: 1rem; }
h1 { font-size: 1.35rem; margin: 0; }
h2 { font-size: 1.1rem; margin: 1.75rem 0 0.5rem; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); padding: 0.25rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; white-space: nowrap; }
tbody th { background: none; }
th button { font: inherit; font-weight: 600; color: inherit; background: none; border: 0; padding: 0; cursor: pointer; }
th[aria-sort="ascending"] button::after { content: " \\25B2"; }
th[aria-sort="descending"] button::after { content: " \\25BC"; }
td.num { text-align: right; }
ul.plain { list-style: none; margin: 0; padding: 0; }
.filters, .toolbar { display: flex; flex-wrap: wrap; gap: 0.5rem 1.25rem; align-items: center; margin: 0.25rem 0 0.5rem; }
label { white-space: nowrap; }
input, select, button { font: inherit; }
button.action { padding: 0.15rem 0.6rem; border: 1px solid var(--line); border-radius: 4px; background: var(--head); color: var(--fg); cursor: pointer; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 1px; }
.badge { display: inline-block; padding: 0 0.4rem; border-radius: 3px; font-size: 0.9em; white-space: nowrap; }
.bad { color: var(--bad); background: var(--bad-bg); }
.ok { color: var(--ok); background: var(--ok-bg); }
.warn { color: var(--warn); background: var(--warn-bg); }
.muted { color: var(--muted); }
.error-text { max-width: 36rem; overflow-wrap: anywhere; }
#auth { border: 1px solid var(--line); padding: 0.75rem 1rem; margin: 1rem 0; max-width: 40rem; }
#auth[hidden], #data[hidden] { display: none; }
#status { color: var(--muted); }
button.thumb { display: block; margin: 0.25rem 0 0; padding: 0; border: 1px solid var(--line); background: #000; cursor: zoom-in; line-height: 0; }
button.thumb img { width: 96px; height: auto; }
#summary-dialog { padding: 0.5rem; border: 1px solid var(--line); background: var(--bg); color: var(--fg); max-width: 95vw; max-height: 95vh; }
#summary-dialog img { display: block; max-width: 90vw; max-height: 85vh; height: auto; }
#summary-dialog::backdrop { background: rgba(0, 0, 0, 0.6); }
#status.error { color: var(--bad); }
`;

const SCRIPT = `
'use strict';
(function () {
  var TOKEN_KEY = 'pacs-ai-gateway.token';
  var REFRESH_MS = 5000;
  var state = { studies: [], outbox: [], destinations: [], nodes: [], sort: { key: 'receivedAt', dir: 'descending' }, timer: undefined };
  function $(id) { return document.getElementById(id); }

  /** Builds an element; children may be nested arrays; strings become text nodes, so nothing from the API is ever parsed as HTML. */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'onclick') node.addEventListener('click', v);
      else if (k === 'class') node.className = v;
      else node.setAttribute(k, String(v));
    });
    (function add(list) {
      for (var i = 0; i < list.length; i++) {
        var c = list[i];
        if (c === undefined || c === null) continue;
        if (Array.isArray(c)) add(c);
        else node.append(c instanceof Node ? c : String(c));
      }
    })(Array.prototype.slice.call(arguments, 2));
    return node;
  }
  function time(iso) { return iso ? String(iso).replace('T', ' ').replace(/\\.\\d+Z$|Z$/, '') : ''; }
  function dash() { return el('span', { class: 'muted' }, '\\u2013'); }
  function setStatus(text, isError) { var s = $('status'); s.textContent = text; s.className = isError ? 'error' : ''; }

  function AuthRequired(rejected) { this.rejected = rejected; }
  function api(path, init) {
    var token = sessionStorage.getItem(TOKEN_KEY);
    var headers = token ? { Authorization: 'Bearer ' + token } : {};
    return fetch(path, Object.assign({ cache: 'no-store' }, init || {}, { headers: headers })).then(function (res) {
      if (res.status === 401) throw new AuthRequired(token !== null);
      return res.json().then(function (body) {
        if (!res.ok) throw new Error((body && body.error) || path + ': HTTP ' + res.status);
        return body;
      });
    });
  }

  /** Images need the bearer header too, so they are fetched and shown from blob: URLs, each fetched once. */
  var images = {};
  function image(path) {
    if (!images[path]) {
      var token = sessionStorage.getItem(TOKEN_KEY);
      images[path] = fetch(path, { cache: 'no-store', headers: token ? { Authorization: 'Bearer ' + token } : {} }).then(function (res) {
        if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
        return res.blob();
      }).then(function (blob) { return URL.createObjectURL(blob); });
      images[path].catch(function () { delete images[path]; });
    }
    return images[path];
  }
  function showSummary(src, label) {
    var d = $('summary-dialog');
    $('summary-full').src = src;
    $('summary-full').alt = label;
    $('summary-title').textContent = label;
    d.showModal();
  }
  function thumbnail(a, s) {
    var label = 'AI summary image: ' + a.finding.meaning + ' ' + a.probability.toFixed(2) + ', study ' + (s.accessionNumber || s.studyInstanceUid);
    var img = el('img', { alt: label });
    var button = el('button', { type: 'button', class: 'thumb', 'aria-label': 'Show ' + label + ' full size', 'data-summary': a.summaryImage }, img);
    image(a.summaryImage).then(function (src) {
      img.src = src;
      button.addEventListener('click', function () { showSummary(src, label); });
    }, function () { button.replaceWith(el('span', { class: 'muted' }, 'summary image unavailable')); });
    return button;
  }

  function showAuth(show, rejected) {
    $('auth').hidden = !show;
    $('data').hidden = show;
    if (show) {
      $('auth-message').textContent = rejected ? 'The token was not accepted. Enter the token from http.authToken.' : 'This gateway requires an access token (http.authToken).';
      $('token').focus();
    }
  }

  function refresh() {
    return Promise.all([api('/api/studies?limit=1000'), api('/api/outbox?limit=1000'), api('/api/destinations'), api('/api/nodes')]).then(function (r) {
      state.studies = r[0]; state.outbox = r[1]; state.destinations = r[2]; state.nodes = r[3];
      showAuth(false);
      render();
      setStatus('Updated ' + new Date().toLocaleTimeString());
    }, function (err) {
      if (err instanceof AuthRequired) { stopTimer(); showAuth(true, err.rejected); return; }
      setStatus('Could not load the data: ' + err.message, true);
    });
  }
  function stopTimer() { if (state.timer !== undefined) clearInterval(state.timer); state.timer = undefined; }
  function startTimer() { stopTimer(); if ($('auto').checked) state.timer = setInterval(refresh, REFRESH_MS); }

  function render() { renderNodes(); renderDestinations(); renderStudies(); renderOutbox(); }

  function nodeBadge(n) {
    var cls = n.state === 'up' ? 'ok' : n.state === 'stopped' ? 'warn' : 'bad';
    return el('span', { class: 'badge ' + cls }, n.state);
  }
  function renderNodes() {
    var body = $('nodes-body');
    body.replaceChildren.apply(body, state.nodes.map(function (n) {
      return el('tr', { 'data-node': n.name, 'data-state': n.state },
        el('th', { scope: 'row' }, n.name), el('td', {}, nodeBadge(n)), el('td', {}, n.roles.join(', ')),
        el('td', {}, n.host), el('td', {}, n.version), el('td', {}, time(n.startedAt)), el('td', {}, time(n.heartbeatAt)));
    }));
  }

  function healthBadge(d) {
    if (d.dead > 0) return el('span', { class: 'badge bad' }, 'dead letters');
    if (d.lastError && d.pending > 0) return el('span', { class: 'badge warn' }, 'retrying');
    return el('span', { class: 'badge ok' }, 'ok');
  }
  function renderDestinations() {
    var body = $('destinations-body');
    body.replaceChildren.apply(body, state.destinations.map(function (d) {
      return el('tr', { 'data-destination': d.name },
        el('th', { scope: 'row' }, d.name), el('td', {}, d.kind), el('td', {}, d.address),
        el('td', {}, healthBadge(d)), el('td', { class: 'num' }, d.pending), el('td', { class: 'num' }, d.dead),
        el('td', {}, d.lastDeliveredAt ? time(d.lastDeliveredAt) : dash()),
        el('td', { class: 'error-text' }, d.lastError ? d.lastError : dash()));
    }));
    if (state.destinations.length === 0) body.append(el('tr', {}, el('td', { colspan: 8, class: 'muted' }, 'No destinations configured: results stay in the gateway.')));
  }

  function maxProbability(s) { return s.ai.reduce(function (m, a) { return Math.max(m, a.probability); }, -1); }
  function isFlagged(s) { return s.ai.some(function (a) { return a.flagged; }); }
  var SORT_VALUE = {
    receivedAt: function (s) { return s.receivedAt; },
    accessionNumber: function (s) { return s.accessionNumber.toLowerCase(); },
    instanceCount: function (s) { return s.instanceCount; },
    status: function (s) { return s.status; },
    probability: maxProbability,
  };
  function visibleStudies() {
    var text = $('filter-accession').value.trim().toLowerCase();
    var status = $('filter-status').value;
    var flaggedOnly = $('filter-flagged').checked;
    var value = SORT_VALUE[state.sort.key];
    var sign = state.sort.dir === 'ascending' ? 1 : -1;
    return state.studies.filter(function (s) {
      return (text === '' || s.accessionNumber.toLowerCase().indexOf(text) >= 0) && (status === '' || s.status === status) && (!flaggedOnly || isFlagged(s));
    }).sort(function (a, b) { var x = value(a), y = value(b); return x < y ? -sign : x > y ? sign : 0; });
  }
  function aiCell(s) {
    if (s.ai.length === 0) return dash();
    return el('ul', { class: 'plain' }, s.ai.map(function (a) {
      return el('li', {}, a.finding.meaning + ' ', el('span', { class: 'num' }, a.probability.toFixed(2)), ' ',
        a.flagged ? el('span', { class: 'badge bad' }, 'flagged') : el('span', { class: 'badge ok' }, 'not flagged'),
        el('span', { class: 'muted' }, ' (' + a.modelId + ' ' + a.modelVersion + ')'),
        a.summaryImage ? thumbnail(a, s) : null);
    }));
  }
  function reportCell(s) {
    if (s.report === null) return el('span', { class: 'muted' }, 'no report');
    var text = s.report.resultStatus === 'F' ? 'final' : s.report.resultStatus === 'P' ? 'preliminary' : s.report.resultStatus;
    return el('span', {}, text + ' ', el('span', { class: 'muted' }, time(s.report.receivedAt)));
  }
  function concordanceCell(s) {
    if (s.concordance.length === 0) return dash();
    return el('ul', { class: 'plain' }, s.concordance.map(function (c) {
      var cls = c.state === 'concordant' ? 'ok' : 'bad';
      return el('li', {}, c.meaning + ' ', el('span', { class: 'badge ' + cls }, c.state));
    }));
  }
  function statusBadge(status) {
    var cls = status === 'failed' ? 'bad' : status === 'delivered' || status === 'analyzed' ? 'ok' : 'warn';
    return el('span', { class: 'badge ' + cls }, status);
  }
  function renderStudies() {
    var rows = visibleStudies();
    var body = $('studies-body');
    body.replaceChildren.apply(body, rows.map(function (s) {
      return el('tr', { 'data-accession': s.accessionNumber, 'data-flagged': isFlagged(s) ? 'yes' : 'no' },
        el('td', {}, time(s.receivedAt)), el('th', { scope: 'row' }, s.accessionNumber || '(none)'),
        el('td', {}, s.modalities.join(', ')), el('td', { class: 'num' }, s.instanceCount),
        el('td', {}, statusBadge(s.status), s.lastError ? el('div', { class: 'error-text muted' }, s.lastError) : null),
        el('td', {}, aiCell(s)), el('td', {}, reportCell(s)), el('td', {}, concordanceCell(s)));
    }));
    if (rows.length === 0) body.append(el('tr', {}, el('td', { colspan: 8, class: 'muted' }, state.studies.length === 0 ? 'No studies received yet.' : 'No study matches the filters.')));
    $('studies-count').textContent = rows.length + ' of ' + state.studies.length + ' studies shown';
    document.querySelectorAll('#studies th[data-sort]').forEach(function (th) {
      if (th.getAttribute('data-sort') === state.sort.key) th.setAttribute('aria-sort', state.sort.dir);
      else th.removeAttribute('aria-sort');
    });
  }

  function resend(id, button) {
    button.disabled = true;
    api('/api/outbox/' + encodeURIComponent(id) + '/resend', { method: 'POST' }).then(function () {
      setStatus('Outbox item ' + id + ' queued for resend');
      return refresh();
    }, function (err) {
      button.disabled = false;
      if (err instanceof AuthRequired) showAuth(true, err.rejected);
      else setStatus('Resend of outbox item ' + id + ' failed: ' + err.message, true);
    });
  }
  function outboxBadge(st) {
    var cls = st === 'dead' ? 'bad' : st === 'delivered' ? 'ok' : 'warn';
    return el('span', { class: 'badge ' + cls }, st);
  }
  function renderOutbox() {
    var want = $('filter-outbox').value;
    var rows = state.outbox.filter(function (o) { return want === '' || o.state === want; });
    var accessionOf = {};
    state.studies.forEach(function (s) { accessionOf[s.studyInstanceUid] = s.accessionNumber; });
    var body = $('outbox-body');
    body.replaceChildren.apply(body, rows.map(function (o) {
      var canResend = o.state === 'dead' || o.state === 'pending';
      var button = canResend ? el('button', { type: 'button', class: 'action', 'aria-label': 'Resend outbox item ' + o.id }, 'Resend') : null;
      if (button) button.addEventListener('click', function () { resend(o.id, button); });
      return el('tr', { 'data-outbox-id': o.id, 'data-state': o.state },
        el('th', { scope: 'row', class: 'num' }, o.id), el('td', {}, o.destination), el('td', {}, o.kind),
        el('td', { title: o.studyInstanceUid }, accessionOf[o.studyInstanceUid] || o.studyInstanceUid),
        el('td', {}, outboxBadge(o.state)), el('td', { class: 'num' }, o.attempts),
        el('td', {}, o.state === 'pending' ? time(o.nextAttemptAt) : dash()),
        el('td', { class: 'error-text' }, o.lastError ? o.lastError : dash()),
        el('td', {}, time(o.createdAt)), el('td', {}, o.deliveredAt ? time(o.deliveredAt) : dash()),
        el('td', {}, button || dash()));
    }));
    if (rows.length === 0) body.append(el('tr', {}, el('td', { colspan: 11, class: 'muted' }, 'Nothing in the outbox' + (want ? ' in state ' + want : '') + '.')));
  }

  document.querySelectorAll('#studies th[data-sort] button').forEach(function (b) {
    b.addEventListener('click', function () {
      var key = b.parentElement.getAttribute('data-sort');
      state.sort = { key: key, dir: state.sort.key === key && state.sort.dir === 'descending' ? 'ascending' : 'descending' };
      renderStudies();
    });
  });
  ['filter-accession', 'filter-status', 'filter-flagged'].forEach(function (id) { $(id).addEventListener('input', renderStudies); $(id).addEventListener('change', renderStudies); });
  $('filter-outbox').addEventListener('change', renderOutbox);
  $('summary-close').addEventListener('click', function () { $('summary-dialog').close(); });
  $('refresh').addEventListener('click', refresh);
  $('auto').addEventListener('change', startTimer);
  $('auth').addEventListener('submit', function (e) {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
    $('token').value = '';
    refresh().then(startTimer);
  });
  refresh().then(function () { if ($('auth').hidden) startTimer(); });
})();
`;

const BODY = `<header>
<h1>pacs-ai-gateway</h1>
<div class="toolbar"><button type="button" id="refresh" class="action">Refresh</button>
<label><input type="checkbox" id="auto" checked> Refresh every 5 s</label>
<span id="status" role="status" aria-live="polite">Loading…</span></div>
</header>
<main>
<form id="auth" hidden aria-labelledby="auth-title">
<h2 id="auth-title">Access token</h2>
<p id="auth-message" role="alert"></p>
<label for="token">Token</label> <input id="token" name="token" type="password" autocomplete="off" required>
<button type="submit" class="action">Sign in</button>
</form>
<div id="data">
<section aria-labelledby="nodes-title">
<h2 id="nodes-title">Nodes</h2>
<table id="nodes"><caption>The gateway nodes sharing this database; gone: no heartbeat for three intervals</caption>
<thead><tr><th scope="col">Node</th><th scope="col">State</th><th scope="col">Roles</th><th scope="col">Host</th><th scope="col">Version</th><th scope="col">Started (UTC)</th><th scope="col">Last heartbeat (UTC)</th></tr></thead>
<tbody id="nodes-body"></tbody></table>
</section>
<section aria-labelledby="destinations-title">
<h2 id="destinations-title">Destinations</h2>
<table id="destinations"><caption>Where results are delivered, and how delivery is going</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Address</th><th scope="col">Health</th><th scope="col">Pending</th><th scope="col">Dead letters</th><th scope="col">Last delivered (UTC)</th><th scope="col">Last error</th></tr></thead>
<tbody id="destinations-body"></tbody></table>
</section>
<section aria-labelledby="studies-title">
<h2 id="studies-title">Studies</h2>
<div class="filters">
<label for="filter-accession">Accession contains</label> <input id="filter-accession" type="search" autocomplete="off">
<label for="filter-status">Status</label> <select id="filter-status"><option value="">any</option><option>receiving</option><option>complete</option><option>analyzing</option><option>analyzed</option><option>delivered</option><option>failed</option></select>
<label><input type="checkbox" id="filter-flagged"> AI-flagged only</label>
<span id="studies-count" class="muted" aria-live="polite"></span>
</div>
<table id="studies"><caption>Studies received, newest first; select a column heading to sort</caption>
<thead><tr><th scope="col" data-sort="receivedAt"><button type="button">Received (UTC)</button></th><th scope="col" data-sort="accessionNumber"><button type="button">Accession</button></th><th scope="col">Modalities</th><th scope="col" data-sort="instanceCount"><button type="button">Instances</button></th><th scope="col" data-sort="status"><button type="button">Status</button></th><th scope="col" data-sort="probability"><button type="button">AI finding</button></th><th scope="col">Report</th><th scope="col">Concordance</th></tr></thead>
<tbody id="studies-body"></tbody></table>
</section>
<section aria-labelledby="outbox-title">
<h2 id="outbox-title">Outbox and dead letters</h2>
<div class="filters"><label for="filter-outbox">State</label> <select id="filter-outbox"><option value="">any</option><option>pending</option><option>sending</option><option>delivered</option><option value="dead">dead letters</option></select></div>
<table id="outbox"><caption>Results queued for delivery; a dead letter gave up and can be resent</caption>
<thead><tr><th scope="col">ID</th><th scope="col">Destination</th><th scope="col">Kind</th><th scope="col">Study (accession)</th><th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Next attempt (UTC)</th><th scope="col">Last error</th><th scope="col">Created (UTC)</th><th scope="col">Delivered (UTC)</th><th scope="col">Action</th></tr></thead>
<tbody id="outbox-body"></tbody></table>
</section>
</div>
<dialog id="summary-dialog" aria-labelledby="summary-title">
<p id="summary-title"></p>
<img id="summary-full" alt="">
<p><button type="button" id="summary-close" class="action">Close</button></p>
</dialog>
</main>`;

function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pacs-ai-gateway status</title>
<style>${STYLE}</style>
</head>
<body>
${BODY}
<script>${SCRIPT}</script>
</body>
</html>
`;

/** Only the two inline blocks above may run or apply; data comes from this origin only. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${cspHash(SCRIPT)}`,
  `style-src ${cspHash(STYLE)}`,
  "connect-src 'self'",
  // summary thumbnails: fetched with the token, shown from blob: URLs
  'img-src blob:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
