// A survey page on its own origin, standing in for a Qualtrics survey: its JavaScript reads the one-time code
// from the URL and redeems it at campus-sts over CORS, then shows the fields (the token only abbreviated) and,
// when given a record path, fetches the respondent's own record through campus-sts's upstream proxy with the token.
import { createServer, type Server } from 'node:http';

export interface SurveyOrigin {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** The survey's distribution link (where campus-sts sends the respondent). */
  url: string;
  stop(): Promise<void>;
}

const SURVEY_PATH = '/jfe/form/SV_browser';

function page(stsIssuer: string, recordPath: string | undefined): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Course evaluation</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:40rem;color:#222}
th{text-align:left;padding:.2rem 1rem .2rem 0}td{font-family:monospace}</style></head>
<body><h1>Course evaluation</h1><p id="status">Loading…</p><table id="fields"></table><pre id="record"></pre>
<script>
(async function () {
  var status = document.getElementById('status');
  var code = new URLSearchParams(location.search).get('sts_code');
  var res = await fetch(${JSON.stringify(`${stsIssuer}/launch/redeem`)}, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: code })
  });
  var body = await res.json();
  if (!res.ok) { status.textContent = 'Refused: ' + body.error; return; }
  var table = document.getElementById('fields');
  Object.keys(body).sort().forEach(function (key) {
    var tr = table.insertRow();
    tr.dataset.field = key;
    tr.appendChild(document.createElement('th')).textContent = key;
    tr.insertCell().textContent = key === 'token' ? body.token.slice(0, 10) + '…' : body[key];
  });
  status.textContent = 'Redeemed';
  var recordUrl = ${JSON.stringify(recordPath === undefined ? null : `${stsIssuer}${recordPath}`)};
  if (!recordUrl) return;
  var record = await fetch(recordUrl, { headers: { Authorization: 'Bearer ' + body.token } });
  document.getElementById('record').textContent = record.status + ' ' + JSON.stringify(await record.json());
})();
</script></body></html>`;
}

/**
 * `stsIssuer` is read per request: the survey must exist before campus-sts (whose config names it) starts.
 * `recordPath` (e.g. `/upstreams/sis/me`): the page also shows that response, fetched with the redeemed token.
 */
export async function startSurveyOrigin(stsIssuer: () => string, opts: { recordPath?: string } = {}): Promise<SurveyOrigin> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === SURVEY_PATH) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page(stsIssuer(), opts.recordPath));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  const origin = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  return {
    origin,
    url: `${origin}${SURVEY_PATH}`,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
