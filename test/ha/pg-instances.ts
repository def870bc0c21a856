import { and, asc, eq } from 'drizzle-orm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keysFromSigningKeys } from '../../src/audit/checkpoints.js';
import { eachRow } from '../../src/audit/reader.js';
import { verifyAuditLog, type LogVerification } from '../../src/audit/verify-log.js';
import { createTestSchema } from '../../src/db/pg/harness.contract.js';
import type { AuditRow } from '../../src/db/schema/audit-log.js';
import { auditLog as pgAuditLog } from '../../src/db/schema-pg/audit-log.js';
import { AUD, defaultTestEnv, newClientKey, startTestService, type TestService } from '../helpers/service.js';
import { QUALTRICS } from '../upstream/vendor-world.js';

/** The instances' environment with the secret of `qualtricsWhoami`'s client. */
export const withQualtricsEnv = (): NodeJS.ProcessEnv => ({ ...defaultTestEnv(), QUALTRICS_SECRET: QUALTRICS.secret });

/** An upstream (a Qualtrics fake at `origin`) whose audience alpha's tokens carry: alpha's own token is a bearer token for it. */
export const qualtricsWhoami = (origin: string) => ({
  id: 'qualtrics',
  audience: AUD.sis,
  provider: 'qualtrics',
  base_url: origin,
  grant: 'client_credentials',
  client_id: QUALTRICS.id,
  client_secret_env: 'QUALTRICS_SECRET',
  scopes: ['read:surveys'],
  routes: [{ method: 'GET', path: '/whoami', scope: 'student.read' }],
});

export interface Instances {
  /** The running services, in start order (A, B, …). */
  all: TestService[];
  /** Advances every instance's clock together (they share one wall clock in production). */
  advance(ms: number): void;
  /** A folder every instance sees (SP key pairs, IdP metadata), as a shared volume would be. */
  shared: string;
  /** Every audit row in id order, as any instance reads it. */
  rows(): Promise<AuditRow[]>;
  /** The check `campus-sts audit verify` runs: the chain, its anchor and every signed checkpoint. */
  verify(): Promise<LogVerification>;
  stop(): Promise<void>;
}

/**
 * `count` whole services on one PostgreSQL schema, started at the same time as a rolling deployment would: the
 * same config, master key and client keys, each with its own folder, pool, caches, group committer and clock.
 */
export async function startInstances(
  count: number,
  opts: { overrides?: Record<string, unknown> | ((shared: string) => Record<string, unknown>); env?: NodeJS.ProcessEnv; startAt?: Date | string } = {},
): Promise<Instances> {
  const postgres = await createTestSchema();
  const shared = mkdtempSync(join(tmpdir(), 'campus-sts-ha-'));
  const env = opts.env ?? defaultTestEnv();
  const gamma = await newClientKey();
  const overrides = typeof opts.overrides === 'function' ? opts.overrides(shared) : opts.overrides;
  const started = await Promise.allSettled(
    Array.from({ length: count }, () => startTestService({ postgres, env, gamma, ...(overrides ? { overrides } : {}), ...(opts.startAt ? { startAt: opts.startAt } : {}) })),
  );
  const all = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async () => {
    await Promise.all(all.map((s) => s.stop()));
    await postgres.drop();
    rmSync(shared, { recursive: true, force: true });
  };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const stores = all[0]!.engine.stores;
  return {
    all,
    advance: (ms) => all.forEach((s) => s.clock.advance(ms)),
    shared,
    async rows() {
      const rows: AuditRow[] = [];
      for await (const row of eachRow(stores.auditReader.pages({ after: 0 }))) rows.push(row);
      return rows;
    },
    verify: () => verifyAuditLog({ reader: stores.auditReader, checkpoints: stores.auditCheckpoints }, keysFromSigningKeys(() => stores.signingKeys.all()), { issuer: all[0]!.issuer }),
    stop,
  };
}

/** The shared audit log's rows of one event, oldest first (read through any instance's pool). */
export function auditRowsOf(s: TestService, event: string, outcome?: 'success' | 'refused' | 'error') {
  const where = outcome ? and(eq(pgAuditLog.event, event), eq(pgAuditLog.outcome, outcome)) : eq(pgAuditLog.event, event);
  return s.engine.postgres!.db.select().from(pgAuditLog).where(where).orderBy(asc(pgAuditLog.id));
}

/**
 * A browser that a load balancer sends to any instance: one cookie jar, each request to the instance named.
 * (Cookies are host-wide: every instance answers for the same issuer.)
 */
export class RoamingBrowser {
  private cookies = new Map<string, string>();

  async request(s: TestService, path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await s.app.request(path, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const [name, value] = [pair!.slice(0, eq), pair!.slice(eq + 1)];
      // An expired cookie (sign-out) leaves the jar, as a browser drops it.
      if (/;\s*max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  postForm(s: TestService, path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(s, path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }
}
