import { randomUUID } from 'node:crypto';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { hashRow } from '../../src/audit/chain.js';
import { captureCli, writeConfigFile } from '../helpers/cli.js';
import { alphaToken, AUD, type TestService } from '../helpers/service.js';
import type { SimpleSamlIdp } from '../support/simplesamlphp/idp.js';
import { CONSOLE_PEOPLE, consoleSignIn, startConsoleService, type SignedIn } from './admin-helpers.js';

/**
 * Exports (CSV and JSON Lines) through the console API and the CLI, verified offline with
 * `campus-sts audit verify --file`; every kind of tampering with an export file is named; and 100,000 rows
 * stream out with a small, bounded heap.
 */
let idp: SimpleSamlIdp;
let s: TestService;
let carol: SignedIn;

beforeAll(async () => {
  ({ idp, s } = await startConsoleService({ admin: { session: { idle_timeout_seconds: 14_400 } } }));
  carol = await consoleSignIn(s, CONSOLE_PEOPLE.auditor);
  for (let i = 0; i < 5; i++) await alphaToken(s);
  await alphaToken(s, { audience: AUD.reports, scope: 'student.read' });
  await s.admin.checkpoints.create('cli');
  for (let i = 0; i < 3; i++) await alphaToken(s);
});
afterAll(async () => {
  s?.stop();
  await idp?.stop();
});

const cli = (args: string[]) => captureCli((io) => runCli(args, io), s.env);

async function download(query: string): Promise<{ res: Response; text: string; file: string }> {
  const res = await carol.browser.request(`/admin/api/audit/export?${query}`);
  const text = await res.text();
  const file = join(s.dir, `export-${randomUUID()}.${query.includes('format=csv') ? 'csv' : 'jsonl'}`);
  writeFileSync(file, text);
  return { res, text, file };
}

function rewrite(file: string, edit: (lines: string[]) => string[]): string {
  const out = file.replace(/\.jsonl$/, `-${randomUUID().slice(0, 8)}.jsonl`);
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  writeFileSync(out, edit(lines).map((l) => `${l}\n`).join(''));
  return out;
}

describe('exports from the console API', () => {
  it('streams a complete JSON Lines export that verifies offline, and records who exported what', async () => {
    const { res, text, file } = await download('format=jsonl');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/jsonl; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="campus-sts-audit-\d{8}T\d{6}Z\.jsonl"$/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ type: 'header', format: 'campus-sts-audit-export', version: 1, complete: true, filter: 'all rows', anchor: { first_id: 1, prev_hash: '0'.repeat(64) } });
    expect(lines[1]).toMatchObject({ type: 'checkpoint', kid: expect.any(String), jws: expect.stringMatching(/^eyJ/) });
    const rows = lines.filter((l) => l.type === 'row');
    expect(rows.map((r) => r.id)).toEqual(s.auditRows().filter((r) => r.id <= (lines[0]!.through_id as number)).map((r) => r.id));
    expect(lines.at(-1)).toEqual({ type: 'end', rows: rows.length, last_id: rows.at(-1)!.id, head_hash: rows.at(-1)!.hash });
    const audited = s.auditRows().find((r) => r.event === 'audit.export' && r.requestId === res.headers.get('x-request-id'))!;
    expect(audited).toMatchObject({ subject: 'carol@example.edu', outcome: 'success' });
    expect(JSON.parse(audited.data!)).toEqual({ actor: 'console', format: 'jsonl', filter: 'all rows', through_id: lines[0]!.through_id });

    const verified = await cli(['audit', 'verify', '--file', file]);
    expect(verified.err).toBe('');
    expect(verified.code).toBe(0);
    expect(verified.out).toContain(`${file}: chain intact: ${rows.length} rows, rows 1..${rows.at(-1)!.id}, head ${rows.at(-1)!.hash as string}`);
    expect(verified.out).toContain(`${file}: checkpoints: 1 checked`);
  });

  it('checks checkpoint signatures against a saved JWKS when given one', async () => {
    const { file } = await download('format=jsonl');
    const jwksFile = join(s.dir, 'jwks.json');
    writeFileSync(jwksFile, await (await s.app.request('/jwks.json')).text());
    expect((await cli(['audit', 'verify', '--file', file, '--jwks', jwksFile])).code).toBe(0);
    const strangerJwks = join(s.dir, 'stranger-jwks.json');
    writeFileSync(strangerJwks, JSON.stringify({ keys: [] }));
    const r = await cli(['audit', 'verify', '--file', file, '--jwks', strangerJwks]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/checkpoint 1: signature does not verify \(no key with kid "[\w-]{43}"\)/);
  });

  it('exports a filter as CSV with the hashes, cells safe for spreadsheets', async () => {
    await s.audit.commit((tx) =>
      s.audit.append(tx, { event: 'token.issue', outcome: 'refused', requestId: '=HYPERLINK("x")', clientId: 'alpha', reason: 'a, "quoted"\nreason', data: { grant_type: 'client_credentials' } }),
    );
    const row = s.lastAudit();
    const { res, text } = await download(`format=csv&client=alpha&outcome=refused`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const [header, ...rest] = text.split('\r\n');
    expect(header).toBe('id,at,event,outcome,request_id,client_id,subject,audience,scope,jti,reason,data,prev_hash,hash');
    expect(rest.filter(Boolean)).toHaveLength(1);
    // RFC 4180 quoting; the formula-looking request id is defused with a leading apostrophe.
    expect(rest[0]).toBe(
      `${row.id},${row.at.toISOString()},token.issue,refused,"'=HYPERLINK(""x"")",alpha,,,,,"a, ""quoted""\nreason","{""grant_type"":""client_credentials""}",${row.prevHash},${row.hash}`,
    );
  });

  it('verifies a filtered export row by row (hashes, links where rows are consecutive)', async () => {
    const { file } = await download('format=jsonl&event=token.issue');
    const r = await cli(['audit', 'verify', '--file', file]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/filtered export \(event=token\.issue\): \d+ rows, each hash recomputed; \d+ gap\(s\) left by the filter/);
    const edited = rewrite(file, (lines) => lines.map((l, i) => (i === 2 ? l.replace('"alpha"', '"mallory"') : l)));
    const bad = await cli(['audit', 'verify', '--file', edited]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/row \d+ was edited: its content does not match its hash/);
  });

  it('refuses a bad format or filter with 400', async () => {
    expect((await download('format=xml')).res.status).toBe(400);
    expect(JSON.parse((await download('format=csv&from=soon')).text)).toEqual({ error: 'invalid_request', error_description: 'from: expected an ISO 8601 time such as 2026-11-23T10:00:00Z' });
  });
});

describe('offline verification names every kind of tampering with an export', () => {
  let file: string;
  let rowLines: number[];
  beforeAll(async () => {
    file = (await download('format=jsonl')).file;
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    rowLines = lines.flatMap((l, i) => (l.startsWith('{"type":"row"') ? [i] : []));
  });
  const idOf = (line: string) => (JSON.parse(line) as { id: number }).id;

  const cases: [string, (lines: string[], rows: number[]) => string[], RegExp][] = [
    ['an edited row', (l, r) => l.map((x, i) => (i === r[4] ? x.replace(/"outcome":"success"/, '"outcome":"refused"') : x)), /row 5 was edited: its content does not match its hash/],
    ['a deleted row', (l, r) => l.filter((_, i) => i !== r[3]), /audit chain broken at row 5: row 5 follows row 3: rows 4\.\.4 are missing/],
    ['two rows swapped', (l, r) => l.map((x, i) => (i === r[3] ? l[r[4]!]! : i === r[4] ? l[r[3]!]! : x)), /audit chain broken at row 5: row 5 follows row 3/],
    ['a cut-off file (tail and end line gone)', (l, r) => l.slice(0, r.at(-3)), /the file ends without its end line: it was cut short/],
    ['rows removed before the end line', (l, r) => [...l.slice(0, r.at(-3)), l.at(-1)!], /the end line counts \d+ rows but the file holds \d+/],
    [
      'a truncated tail made consistent (end line rewritten)',
      (l, r) => {
        // Cut every row from the checkpointed one on, and rewrite the end line to match.
        const cp = JSON.parse(l[1]!) as { last_id: number };
        const kept = l.slice(0, r.find((i) => idOf(l[i]!) === cp.last_id));
        const last = JSON.parse(kept.at(-1)!) as { id: number; hash: string };
        return [...kept, JSON.stringify({ type: 'end', rows: kept.length - 2, last_id: last.id, head_hash: last.hash })];
      },
      /checkpoint 1 \(row \d+\): the log ends at row \d+, so rows up to \d+ were removed \(tail truncated\)/,
    ],
    ['a forged checkpoint', (l) => l.map((x, i) => (i === 1 ? x.replace(/"jws":"[^"]+"/, `"jws":"${(JSON.parse(x) as { jws: string }).jws.slice(0, -4)}AAAA"`) : x)), /checkpoint 1: signature does not verify/],
  ];
  for (const [name, edit, message] of cases) {
    it(`detects ${name}`, async () => {
      const r = await cli(['audit', 'verify', '--file', rewrite(file, (l) => edit(l, rowLines))]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(message);
    });
  }

  it('detects a truncated tail with the checkpoint lines removed too, given a checkpoint saved from the endpoint', async () => {
    const saved = join(s.dir, 'latest.jws');
    writeFileSync(saved, await (await s.app.request('/audit/checkpoints/latest')).text());
    const cp = JSON.parse(readFileSync(file, 'utf8').split('\n')[1]!) as { last_id: number };
    const doctored = rewrite(file, (l) => {
      const rows = l.filter((x) => x.startsWith('{"type":"row"') && idOf(x) < cp.last_id);
      const last = JSON.parse(rows.at(-1)!) as { id: number; hash: string };
      return [l[0]!, ...rows, JSON.stringify({ type: 'end', rows: rows.length, last_id: last.id, head_hash: last.hash })];
    });
    expect((await cli(['audit', 'verify', '--file', doctored])).code).toBe(0);
    const r = await cli(['audit', 'verify', '--file', doctored, '--checkpoint', saved]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/given checkpoint 1 \(row \d+\): the log ends at row \d+, so rows up to \d+ were removed \(tail truncated\)/);
  });

  it('says clearly when a file is not an export', async () => {
    const junk = join(s.dir, 'junk.jsonl');
    writeFileSync(junk, 'hello\n');
    expect(await cli(['audit', 'verify', '--file', junk])).toMatchObject({ code: 1, err: `campus-sts audit verify: line 1 is not JSON` });
    writeFileSync(junk, '{"type":"row"}\n');
    expect(await cli(['audit', 'verify', '--file', junk])).toMatchObject({ code: 1, err: `campus-sts audit verify: ${junk} is not a campus-sts JSON Lines audit export (line 1 is not its header)` });
    expect(await cli(['audit', 'verify', '--file', join(s.dir, 'missing.jsonl')])).toMatchObject({ code: 1, err: `campus-sts audit verify: cannot read ${join(s.dir, 'missing.jsonl')}` });
  });
});

describe('CLI export', () => {
  it('writes a verifiable file (mode 0600) and records the export', async () => {
    const out = join(s.dir, 'cli-export.jsonl');
    const r = await cli(['audit', 'export', '--config', writeConfigFile(s), '--out', out, '--client', 'alpha']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^exported rows through row \d+ \(client=alpha\) to /);
    expect((await import('node:fs')).statSync(out).mode & 0o777).toBe(0o600);
    expect((await cli(['audit', 'verify', '--file', out])).code).toBe(0);
    expect(JSON.parse(s.lastAudit().data!)).toMatchObject({ actor: 'cli', format: 'jsonl', filter: 'client=alpha' });
  });

  it('prints CSV to stdout and refuses bad options with exit 2', async () => {
    const config = writeConfigFile(s);
    const r = await cli(['audit', 'export', '--config', config, '--format', 'csv', '--event', 'key.generate']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toHaveLength(2);
    expect(await cli(['audit', 'export', '--config', config, '--format', 'xml'])).toMatchObject({ code: 2, err: expect.stringContaining('campus-sts audit export: --format: expected jsonl or csv') });
    expect(await cli(['audit', 'export', '--config', config, '--outcome', 'maybe'])).toMatchObject({ code: 2, err: expect.stringContaining('--outcome: Invalid option') });
  });
});

describe('a year of rows streams in constant memory', () => {
  const ROWS = 100_000;
  it(`exports ${ROWS.toLocaleString('en')} rows with bounded heap growth, and the export verifies`, async () => {
    // Seed hash-chained rows straight into the table (the writer's own speed is not what is measured here).
    const started = performance.now();
    const head = s.lastAudit();
    const insert = s.sqlite.sqlite.prepare(
      'INSERT INTO audit_log (id, at, event, outcome, request_id, client_id, subject, audience, scope, jti, reason, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const data = JSON.stringify({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', expires_in: 300 });
    s.sqlite.sqlite.transaction(() => {
      let prevHash = head.hash;
      for (let n = 0; n < ROWS; n++) {
        const row = {
          id: head.id + 1 + n, at: new Date(head.at.getTime() + n * 300), event: 'token.issue', outcome: n % 17 === 0 ? 'refused' : 'success', requestId: randomUUID(),
          clientId: n % 3 ? 'alpha' : 'beta', subject: `student${n % 5000}@example.edu`, audience: AUD.sis, scope: 'student.read enrollment.read', jti: randomUUID(),
          reason: null, data, prevHash,
        };
        const hash = hashRow(row);
        insert.run(row.id, row.at.getTime(), row.event, row.outcome, row.requestId, row.clientId, row.subject, row.audience, row.scope, row.jti, row.reason, row.data, prevHash, hash);
        prevHash = hash;
      }
    })();
    const seededMs = performance.now() - started;

    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;

    // 1. Throughput through the HTTP route (no GC calls in the loop).
    let t = performance.now();
    let res = await carol.browser.request('/admin/api/audit/export?format=jsonl');
    let reader = res.body!.getReader();
    let bytes = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) bytes += r.value.byteLength;
    const seconds = (performance.now() - t) / 1000;

    // 2. Live heap while streaming (GC before each sample, so only what is retained counts), written to a file.
    const file = join(s.dir, 'year.jsonl');
    const sink = createWriteStream(file);
    gc();
    const base = process.memoryUsage().heapUsed;
    let peak = 0;
    let chunks = 0;
    res = await carol.browser.request('/admin/api/audit/export?format=jsonl');
    reader = res.body!.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      if (!sink.write(r.value)) await once(sink, 'drain');
      if (++chunks % 10 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      }
    }
    sink.end();
    await once(sink, 'finish');
    gc();
    const after = process.memoryUsage().heapUsed - base;

    const rowsPerSecond = Math.round(ROWS / seconds);
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    console.info(
      `[audit export] seeded ${ROWS} rows in ${(seededMs / 1000).toFixed(1)} s; export ${mb(bytes)} MiB in ${seconds.toFixed(2)} s = ${rowsPerSecond} rows/s; ` +
        `live heap growth while streaming: peak ${mb(peak)} MiB, after ${mb(after)} MiB`,
    );
    expect(bytes).toBeGreaterThan(40 * 1024 * 1024);
    // The whole export is ~50 MiB of text (far more as objects); streaming keeps the live heap a few MiB.
    expect(peak).toBeLessThan(8 * 1024 * 1024);

    const verify = performance.now();
    const r = await cli(['audit', 'verify', '--file', file]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    console.info(`[audit export] offline verify of ${ROWS}+ rows: ${((performance.now() - verify) / 1000).toFixed(1)} s`);
  }, 120_000);
});
