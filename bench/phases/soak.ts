// soak: many exchanges against one campus-sts in durable mode (synchronous: full), in chunks of an exact
// number of requests so that every request sent is also answered and counted. Reports memory at start and end
// (after a GC) and then counts the audit rows in the SQLite file: each acknowledged token must have its row,
// and no row may exist for a token the client never got.
import Database from 'better-sqlite3';
import { and, count, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { auditLog } from '../../src/db/schema/audit-log.js';
import { startServerChild } from '../harness/children.js';
import { runLoad, type HttpRequest } from '../harness/load.js';
import type { MemorySample } from '../harness/protocol.js';
import type { SamlWorld } from '../saml/world.js';
import { stsOptions, subjectToken } from '../scenarios/tokens.js';
import type { ScenarioContext } from '../scenarios/types.js';
import { basicAuth, CLIENT, exchangeForm, GRANT } from '../servers/shared.js';

export interface SoakSettings {
  /** Exchanges to send after the warm-up. */
  count: number;
  /** Stop after the chunk that crosses this, even if `count` is not reached (reported as incomplete). */
  maxSeconds: number;
  warmupCount: number;
  connections: number;
}

export interface SoakResult {
  target: number;
  /** Exchanges answered 200 after the warm-up. */
  done: number;
  complete: boolean;
  seconds: number;
  rps: number;
  memory: { start: MemorySample; end: MemorySample; samples: Array<{ done: number; rss: number; heapUsed: number }> };
  rssGrowthMb: number;
  heapGrowthMb: number;
  /** Client side, warm-up included: every exchange answered 200, and every other answer. */
  granted: number;
  notGranted: number;
  /** Rows in audit_log for token-exchange requests, by outcome. */
  auditGranted: number;
  auditRefused: number;
  auditMatches: boolean;
}

/** Each chunk aims at this long, so the time cap is overshot by at most about one chunk. */
const CHUNK_SECONDS = 15;
const MB = 1024 * 1024;

export async function runSoak(ctx: ScenarioContext, world: SamlWorld, s: SoakSettings): Promise<SoakResult> {
  const options = stsOptions(ctx, world, 'soak', 'full');
  const child = await startServerChild('sts', options, { nodeFlags: ['--expose-gc'] });
  let granted = 0;
  let notGranted = 0;
  const chunk = async (amount: number) => {
    const r = await runLoad({ url: child.url, request: exchange(await subjectToken(child.url)), expectStatus: 200, connections: Math.min(s.connections, amount), amount, recordLatencies: false });
    granted += r.ok;
    notGranted += r.sent - r.ok;
    return r;
  };
  try {
    const warm = await chunk(s.warmupCount);
    const start = await child.memory();
    const samples: SoakResult['memory']['samples'] = [{ done: 0, rss: start.rss, heapUsed: start.heapUsed }];
    const began = performance.now();
    let done = 0;
    let rate = Math.max(warm.rps, 100);
    while (done < s.count && (performance.now() - began) / 1000 < s.maxSeconds) {
      const left = s.maxSeconds - (performance.now() - began) / 1000;
      const amount = Math.min(s.count - done, Math.max(s.connections, Math.round(rate * Math.min(CHUNK_SECONDS, left))));
      const r = await chunk(amount);
      done += r.ok;
      rate = Math.max(r.rps, 1);
      const m = await child.memory();
      samples.push({ done, rss: m.rss, heapUsed: m.heapUsed });
      ctx.log(`soak: ${done.toLocaleString('en-US')} / ${s.count.toLocaleString('en-US')} exchanges, ${r.rps.toFixed(0)} req/s, RSS ${(m.rss / MB).toFixed(0)} MB, heap ${(m.heapUsed / MB).toFixed(0)} MB`);
      if (r.ok < amount) break;
    }
    const seconds = (performance.now() - began) / 1000;
    const end = await child.memory();
    await child.stop();
    const audit = countExchangeRows(child.info.database!);
    return {
      target: s.count,
      done,
      complete: done >= s.count,
      seconds,
      rps: done / seconds,
      memory: { start, end, samples },
      rssGrowthMb: (end.rss - start.rss) / MB,
      heapGrowthMb: (end.heapUsed - start.heapUsed) / MB,
      granted,
      notGranted,
      auditGranted: audit.success,
      auditRefused: audit.refused,
      auditMatches: audit.success === granted && audit.refused === notGranted,
    };
  } finally {
    await child.stop();
  }
}

function exchange(token: string): HttpRequest {
  return {
    method: 'POST',
    path: '/token',
    headers: { authorization: basicAuth(CLIENT.id, CLIENT.secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: exchangeForm(token),
  };
}

/** Audit rows of token-exchange requests in the (closed) database file, by outcome. */
function countExchangeRows(path: string): { success: number; refused: number } {
  const sqlite = new Database(path, { readonly: true });
  try {
    const rows = drizzle(sqlite)
      .select({ outcome: auditLog.outcome, n: count() })
      .from(auditLog)
      .where(and(eq(auditLog.event, 'token.issue'), sql`json_extract(${auditLog.data}, '$.grant_type') = ${GRANT.tokenExchange}`))
      .groupBy(auditLog.outcome)
      .all();
    const of = (o: string) => rows.find((r) => r.outcome === o)?.n ?? 0;
    return { success: of('success'), refused: of('refused') + of('error') };
  } finally {
    sqlite.close();
  }
}
