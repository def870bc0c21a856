/**
 * The demo survey's browser script, as a survey builder would paste it into Qualtrics' JavaScript: read the
 * one-time code from the URL, redeem it at campus-sts (POST, JSON; CORS when the survey lives elsewhere) and
 * show the released fields. The token itself is never shown in full. Configuration comes from data attributes
 * on <main>, so this text is constant and runs under the page's CSP nonce. Values are set with textContent only.
 */
export const SURVEY_PAGE_SCRIPT = `
(async function () {
  var main = document.querySelector('main');
  var cfg = main.dataset;
  var status = document.getElementById('status');
  function say(kind, text, link) {
    status.className = 'status ' + kind;
    status.textContent = text;
    if (link) {
      var a = document.createElement('a');
      a.href = link;
      a.textContent = link;
      status.append(' ', a);
    }
  }
  function row(table, key, value) {
    var tr = table.insertRow();
    var k = document.createElement('code');
    k.textContent = key;
    tr.insertCell().append(k);
    tr.insertCell().textContent = value;
  }

  var params = new URLSearchParams(location.search);
  var code = params.get(cfg.codeParam);
  // Single use: take the code out of the address bar and history once it is read.
  params.delete(cfg.codeParam);
  history.replaceState(null, '', location.pathname + (params.toString() ? '?' + params : ''));
  if (!code) {
    say('error', 'This page was opened without a launch code. Open the survey through its launch link:', cfg.launchUrl);
    return;
  }

  var res, body;
  try {
    res = await fetch(cfg.redeemUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: code }) });
    body = await res.json();
  } catch (e) {
    say('error', 'campus-sts could not be reached to redeem the launch code.');
    return;
  }
  if (!res.ok) {
    if (body.error === 'invalid_grant') {
      say('error', 'This launch code is invalid, expired or already used (codes work once, for about a minute). Open the survey link again:', cfg.launchUrl);
    } else {
      say('error', 'campus-sts refused the launch code: ' + (body.error_description || body.error || res.status));
    }
    return;
  }

  say('ok', 'Signed in as ' + (body.displayName || body.sub) + '.');
  var table = document.getElementById('fields');
  // sub first, the released claims, then the token fields.
  var placed = ['sub', 'token', 'token_expires_at', 'token_expires_in'];
  row(table, 'sub', body.sub);
  Object.keys(body).filter(function (k) { return placed.indexOf(k) < 0; }).forEach(function (k) { row(table, k, body[k]); });
  row(table, 'token', body.token.slice(0, 16) + '… (' + body.token.length + ' characters; kept by the survey, not shown)');
  row(table, 'token_expires_at', body.token_expires_at);
  row(table, 'token_expires_in', body.token_expires_in + ' s');
  document.getElementById('identity').hidden = false;

  // Optional panel (demo.recordUrl): the token as a bearer credential at the upstream proxy.
  var record = document.getElementById('record');
  if (!record) return;
  record.hidden = false;
  var out = document.getElementById('record-body');
  try {
    var r = await fetch(record.dataset.url, { headers: { Authorization: 'Bearer ' + body.token, Accept: 'application/json' } });
    var text = await r.text();
    try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON: show as is */ }
    out.textContent = r.ok ? text : 'The student-information system answered ' + r.status + ': ' + text;
  } catch (e) {
    out.textContent = 'The student-information system could not be reached.';
  }
})();
`;
