import { renameSync, copyFileSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { AUD, SECRETS, startTestService, type TestService } from '../helpers/service.js';

/**
 * Fail closed when the database under a running service goes away or stops taking writes:
 * no token is handed out that cannot be recorded in the database at the configured path, and /readyz says
 * why the instance is not ready (a load balancer takes it out) until a write succeeds again.
 */
let s: TestService | undefined;
afterEach(() => {
  s?.stop();
  s = undefined;
});

const UNAVAILABLE = { error: 'temporarily_unavailable', error_description: 'the service cannot record this request; try again shortly' };
const GONE = 'the database file at the configured path was removed or replaced while running: restart campus-sts';

async function token(svc: TestService) {
  const res = await svc.post('/token', { grant_type: 'client_credentials', audience: AUD.sis }, ['alpha', SECRETS.alpha]);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
async function readiness(svc: TestService) {
  const res = await svc.app.request('/readyz');
  return { status: res.status, body: await res.json() };
}
const auditCount = (svc: TestService) => svc.auditRows().length;
const NOT_READY = { status: 503, body: { status: 'not ready', checks: { database: 'failing', signing_key: 'ok' }, reasons: { database: GONE } } };

describe('the data folder deleted under a running service', () => {
  it('refuses tokens with 503 and /readyz says not ready, naming the reason', async () => {
    s = await startTestService();
    expect((await token(s)).status).toBe(200);
    expect(await readiness(s)).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok', signing_key: 'ok' } } });

    const before = auditCount(s);
    rmSync(s.dir, { recursive: true, force: true });
    expect(await token(s)).toEqual({ status: 503, body: UNAVAILABLE });
    expect(await readiness(s)).toEqual(NOT_READY);
    // Nothing went into the deleted file: the refusal could not be recorded, so it was not.
    expect(auditCount(s)).toBe(before);
    expect(s.logs.join('')).not.toContain('unexpected error');
  });

  it('the same when the file was replaced by a copy: the copy is not the file being written', async () => {
    s = await startTestService();
    const path = s.config.database.path;
    expect((await token(s)).status).toBe(200);
    const before = auditCount(s);
    copyFileSync(path, `${path}.copy`);
    renameSync(`${path}.copy`, path);
    expect(await token(s)).toEqual({ status: 503, body: UNAVAILABLE });
    expect(await readiness(s)).toEqual(NOT_READY);
    // Nothing was written into the old (unlinked) file either: the refusal could not be recorded, so it was not.
    expect(auditCount(s)).toBe(before);
  });
});

describe('writes that fail, then succeed again', () => {
  it('is not ready while another process holds the write lock, and ready again without any request once it is released', async () => {
    s = await startTestService();
    const other = new Database(s.config.database.path);
    try {
      other.prepare('BEGIN IMMEDIATE').run();
      // The busy timeout (5 s) passes, the write fails: 503, and /readyz names why.
      expect(await token(s)).toEqual({ status: 503, body: UNAVAILABLE });
      const stuck = await readiness(s);
      expect(stuck).toEqual({ status: 503, body: { status: 'not ready', checks: { database: 'failing', signing_key: 'ok' }, reasons: { database: 'the last write failed (SQLITE_BUSY); ready again once a write succeeds' } } });
      other.prepare('ROLLBACK').run();
    } finally {
      other.close();
    }
    expect(await readiness(s)).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok', signing_key: 'ok' } } });
    expect((await token(s)).status).toBe(200);
  }, 30_000);
});
