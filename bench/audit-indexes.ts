// `node --import tsx bench/audit-indexes.ts [rows]`: what the audit log's low-cardinality indexes (audit_log_event,
// audit_log_client) cost every audited request's write, and what dropping them would cost the review page. One
// SQLite database of `rows` (default 1,000,000) rows of a service's mix is built once (real chained rows through
// the real insert statement) and copied per variant; then, in rotation, each variant takes appends through the
// real path (createAuditLog + the group committer, 50 per transaction, at the head of the table) and answers the
// review page's reads through the real reader (newest page of 50, a page deep in the log, the activity chart on a
// filter's first load and on a later one, its closed days then held by the console's cache).
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, sql } from 'drizzle-orm';
import { openDatabase, type AppDatabase, type Db } from '../src/db/client.js';
import { createGroupCommitter } from '../src/db/group-commit.js';
import { auditLog, type AuditRow } from '../src/db/schema/audit-log.js';
import { systemClock } from '../src/core/clock.js';
import { timeOrderedId } from '../src/core/ids.js';
import { createAuditLog, type AuditLog } from '../src/audit/audit-log.js';
import { auditInsert, chainedRow, type CheckedAuditEvent } from '../src/audit/chained-row.js';
import { auditEventSchema, type AuditEvent } from '../src/audit/events.js';
import type { AuditFilter } from '../src/audit/query.js';
import { readActivity, type AuditReader } from '../src/audit/reader.js';
import { withActivityCache } from '../src/audit/activity-cache.js';
import { activityQuery, filterCondition, pageQuery } from '../src/audit/reader-sql.js';
import { createSqliteAuditReader, sqliteAuditSql } from '../src/audit/reader-sqlite.js';
import { planActivity } from '../src/audit/activity.js';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const DAY = 86_400_000;
const DAYS = 30; // the log's span
const BATCH = 50; // appends per transaction, as the group committer batches a busy moment's requests
const BATCHES = 40;
const INSERT_ROUNDS = 21; // plus one warm-up round
const QUERY_RUNS = 5;

const VARIANTS: [name: string, ddl: string][] = [
  ['A: as shipped (7 indexes)', ''],
  ['B: without event, client', 'DROP INDEX audit_log_event; DROP INDEX audit_log_client;'],
];

// A seeded generator, so every run builds the same log.
let seed = 14;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const sha = (text: string, encoding: 'hex' | 'base64url') => createHash('sha256').update(text).digest(encoding);
/** Pairwise-looking subjects: 43 characters, as a hashed `sub` is. */
const STUDENTS = Array.from({ length: 20_000 }, (_, i) => sha(`student-${i}`, 'base64url'));
// Marks in a template for what each row draws afresh.
const STUDENT = '<student>';
const UNKNOWN_CLIENT = '<unknown>';

const exchange = { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token_type: 'urn:ietf:params:oauth:token-type:jwt', subject_token: timeOrderedId(), expires_in: 300 };
const issued = (client: string): AuditEvent => ({
  event: 'token.issue', outcome: 'success', requestId: 'r', clientId: client, subject: STUDENT, audience: [`https://api.${client}.example/v1`], scope: ['responses:write', 'profile:read'], jti: 'j', data: exchange,
});
const refused = (client: string, error: string, reason: string): AuditEvent => ({
  event: 'token.issue', outcome: 'refused', requestId: 'r', clientId: client, ...(client === UNKNOWN_CLIENT ? {} : { subject: STUDENT }), reason, data: { grant_type: exchange.grant_type, error },
});
const launch = { survey: 'wellbeing-2026', idp: 'https://idp.campus.example/idp/shibboleth', purpose: 'launch' as const, assertion: sha('a', 'hex'), start_request: timeOrderedId() };
const upstream = { upstream: 'courses', route: '/courses', method: 'GET' };

/** The mix: [weight, template]; weights add up to 1. */
const KINDS: [number, AuditEvent][] = [
  [0.45, issued('survey-platform')], [0.27, issued('qualtrics-proxy')], [0.179, issued('lti-gateway')],
  [0.0005, issued('pilot-dashboard')], [0.0005, issued('legacy-export')],
  [0.01, refused(UNKNOWN_CLIENT, 'invalid_client', 'client authentication failed: unknown client')],
  [0.012, refused('survey-platform', 'invalid_grant', 'subject token expired at 2026-11-23T10:04:11Z')],
  [0.008, refused('qualtrics-proxy', 'invalid_target', 'audience https://api.grades.example is not allowed for this client')],
  [0.0225, { event: 'saml.login', outcome: 'success', requestId: 'r', subject: STUDENT, data: launch }],
  [0.0025, { event: 'saml.login', outcome: 'refused', requestId: 'r', reason: 'assertion NotOnOrAfter has passed', data: launch }],
  [0.023, { event: 'launch.issue', outcome: 'success', requestId: 'r', subject: STUDENT, audience: ['https://survey.example/wellbeing'], jti: 'j', data: { ...launch, expires_in: 900 } }],
  [0.002, { event: 'launch.issue', outcome: 'refused', requestId: 'r', subject: STUDENT, reason: 'affiliation staff is not admitted', data: launch }],
  [0.0187, { event: 'upstream.call', outcome: 'success', requestId: 'r', clientId: 'lti-gateway', subject: STUDENT, data: { ...upstream, status: 200, upstream_status: 200, latency_ms: 42 } }],
  [0.001, { event: 'upstream.call', outcome: 'error', requestId: 'r', clientId: 'lti-gateway', subject: STUDENT, data: { ...upstream, status: 502, latency_ms: 3000, error: 'timeout' } }],
  // Rare: a few hundred rows in the million.
  [0.00006, { event: 'admin.login', outcome: 'success', requestId: 'r', subject: 'auditor@campus.example', data: { idp: launch.idp, role: 'auditor' } }],
  [0.00006, { event: 'admin.logout', outcome: 'success', requestId: 'r', subject: 'auditor@campus.example', data: { role: 'auditor' } }],
  [0.00006, { event: 'audit.export', outcome: 'success', requestId: 'r', subject: 'auditor@campus.example', data: { actor: 'console', format: 'csv', filter: 'event=token.issue', through_id: 1 } }],
  [0.00006, { event: 'key.generate', outcome: 'success', requestId: 'r', data: { kid: 'es256-2026-11', alg: 'ES256', retired_kid: 'es256-2026-10' } }],
  [0.00006, { event: 'key.rotate_master', outcome: 'success', requestId: 'r', data: { key_id: 'mk-2026-11', previous_key_ids: ['mk-2026-10'], resealed: { upstream_tokens: 12 } } }],
];
const TEMPLATES = KINDS.map(([weight, event]) => [weight, auditEventSchema.parse(event)] as const);

/** A template's row with fresh ids (time-ordered, as the service's), student and unknown client id. */
function fill(e: CheckedAuditEvent): CheckedAuditEvent {
  return {
    ...e,
    requestId: timeOrderedId(),
    ...(e.jti && { jti: timeOrderedId() }),
    ...(e.subject === STUDENT && { subject: STUDENTS[Math.floor(random() * STUDENTS.length)]! }),
    ...(e.clientId === UNKNOWN_CLIENT && { clientId: `app-${Math.floor(random() * 1e6)}` }),
  };
}

function drawRow(): CheckedAuditEvent {
  let r = random();
  for (const [weight, template] of TEMPLATES) if ((r -= weight) < 0) return fill(template);
  return fill(TEMPLATES[0]![1]);
}

/** The service's own audit insert statement, as createAuditLog prepares it, for rows chained beforehand. */
function inserter(db: Db): (row: AuditRow) => void {
  const statement = auditInsert((values) => db.insert(auditLog).values(values).toSQL());
  const insert = db.$client.prepare(statement.text);
  return (row) => void insert.run(statement.values(row));
}

/** ROWS chained rows over the last DAYS days, in transactions of 100,000. */
function build(path: string): void {
  const { db, close } = openDatabase({ path });
  const insert = inserter(db);
  const start = Date.now() - DAYS * DAY;
  let head: AuditRow | undefined;
  const chunk = db.$client.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) insert((head = chainedRow(drawRow(), new Date(start + Math.floor((i * DAYS * DAY) / ROWS)), head)));
  });
  for (let i = 0; i < ROWS; i += 100_000) chunk(i, Math.min(ROWS, i + 100_000));
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
  close();
}

type Variant = { name: string; database: AppDatabase; audit: AuditLog; reader: AuditReader };
type Sample = { cpu: number; wall: number };

/** CPU and wall µs per row of `write`ing BATCHES batches of BATCH rows (CPU: other tenants of the machine count less). */
async function timed(write: () => Promise<void>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  for (let b = 0; b < BATCHES; b++) await write();
  const { user, system } = process.cpuUsage(cpu);
  return { cpu: (user + system) / (BATCHES * BATCH), wall: ((performance.now() - wall) * 1000) / (BATCHES * BATCH) };
}

/** BATCH rows of the mix as concurrent requests append them: the group committer puts them in one transaction. */
const appendBatch = ({ audit }: Variant) => Promise.all(Array.from({ length: BATCH }, () => audit.commit((tx) => audit.append(tx, drawRow()))));
const appendRound = (v: Variant) => timed(async () => void (await appendBatch(v)));

/** Pages one transaction of BATCH appends writes to the WAL: counted, so no other tenant of the machine moves it. */
async function walPages(v: Variant): Promise<number> {
  const sqlite = v.database.db.$client;
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  sqlite.pragma('wal_autocheckpoint = 0'); // a checkpoint would restart the count
  for (let b = 0; b < 10; b++) await appendBatch(v);
  const { log } = (sqlite.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!;
  sqlite.pragma('wal_autocheckpoint = 1000');
  return log / 10;
}

/** The insert statement alone, BATCH rows (chained beforehand) per transaction: SQLite's share of the append. */
async function insertRound({ database: { db }, reader }: Variant): Promise<Sample> {
  const insert = inserter(db);
  let head = await reader.head();
  const rows = Array.from({ length: BATCHES }, () => Array.from({ length: BATCH }, () => (head = chainedRow(drawRow(), new Date(), head))));
  const batch = db.$client.transaction((list: AuditRow[]) => list.forEach(insert));
  return timed(async () => batch(rows.shift()!));
}

const oneDay = { from: new Date(Date.now() - 10 * DAY), to: new Date(Date.now() - 9 * DAY) };
const QUERIES: [string, AuditFilter][] = [
  ['no filter', {}],
  ['event token.issue', { event: ['token.issue'] }],
  ['event admin.login (rare)', { event: ['admin.login'] }],
  ['events token.issue, saml.login', { event: ['token.issue', 'saml.login'] }],
  ['event family upstream.*', { event: ['upstream.*'] }],
  ['event family key.* (rare)', { event: ['key.*'] }],
  ['client, busy', { client: 'survey-platform' }],
  ['client, rare', { client: 'pilot-dashboard' }],
  ['outcome refused', { outcome: 'refused' }],
  ['1 day + event admin.login', { ...oneDay, event: ['admin.login'] }],
];
/** Each variant's reader with the chart's cache, as the console wraps it: from a filter's second load on, its closed days are held. */
const cached = new Map<AuditReader, AuditReader>();
const cachedOf = (r: AuditReader) => cached.get(r) ?? cached.set(r, withActivityCache(r, systemClock)).get(r)!;
/** The review page's reads for a filter: newest 50, 50 from the middle of the log (a deep cursor), the chart (first load, later). */
const READS: [string, (r: AuditReader, f: AuditFilter) => Promise<unknown>][] = [
  ['page 1', (r, f) => r.page(f, { limit: 50, order: 'desc' })],
  ['deep page', (r, f) => r.page(f, { limit: 50, order: 'desc', after: Math.floor(ROWS / 2) })],
  ['chart', (r, f) => readActivity(withActivityCache(r, systemClock), f)],
  ['chart again', (r, f) => readActivity(cachedOf(r), f)],
];

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;
/** CPU as median (quartiles), wall as median: µs per row. */
const us = (xs: Sample[], key: keyof Sample) => {
  const at = (q: number) => quantile(xs.map((x) => x[key]), q).toFixed(1);
  return key === 'wall' ? at(0.5) : `${at(0.5)} (${at(0.25)}–${at(0.75)})`;
};

function plan(db: Db, query: { sql: string; params: unknown[] }): string {
  const steps = db.$client.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...query.params) as { detail: string }[];
  return steps.map((s) => s.detail.replaceAll('audit_log ', '').replace('USING INDEX ', '')).join(' + ');
}

/** The query plans of page 1 and of the chart's GROUP BY, as the reader builds them. */
async function plans({ database: { db }, reader }: Variant, filter: AuditFilter): Promise<string> {
  const p = pageQuery(sqliteAuditSql, filter, { limit: 50, order: 'desc' });
  const page = plan(db, db.select().from(auditLog).where(p.where).orderBy(p.order).limit(p.limit).toSQL());
  const window = planActivity(filter, filter.from && filter.to ? undefined : await reader.activitySpan(filter));
  const a = window && activityQuery(sqliteAuditSql, filter, window);
  const chart = a ? plan(db, db.select({ b: a.bucket, f: a.family, o: auditLog.outcome, n: count() }).from(auditLog).where(a.where).groupBy(sql`1, 2, 3`).toSQL()) : '-';
  return `page: ${page} | chart: ${chart}`;
}

const dir = mkdtempSync(join(tmpdir(), 'campus-sts-bench-audit-indexes-'));
const variants: Variant[] = [];
try {
  const base = join(dir, 'base.sqlite');
  let started = performance.now();
  build(base);
  console.log(`built ${ROWS.toLocaleString('en')} rows in ${((performance.now() - started) / 1000).toFixed(0)} s, ${(statSync(base).size / 2 ** 20).toFixed(0)} MB`);
  for (const [i, [name, ddl]] of VARIANTS.entries()) {
    const path = join(dir, `variant-${i}.sqlite`);
    copyFileSync(base, path);
    const database = openDatabase({ path });
    database.db.$client.exec(ddl);
    const audit = createAuditLog(database.db, systemClock, { committer: createGroupCommitter(database.db) });
    variants.push({ name, database, audit, reader: createSqliteAuditReader(database.db) });
  }
  rmSync(base);

  const { db } = variants[0]!.database;
  const matching = new Map(QUERIES.map(([query, filter]) => [query, db.select({ n: count() }).from(auditLog).where(filterCondition(sqliteAuditSql, filter)).get()!.n]));

  started = performance.now();
  // Reads first, on the log as built: the writes below add rows at its head.
  const timings = new Map<string, number[]>();
  // Run -1 warms up, untimed: SQLite's page cache, and each variant's held chart days for "chart again".
  for (let run = -1; run < QUERY_RUNS; run++) {
    for (const [query, filter] of QUERIES) {
      for (const [read, call] of READS) {
        for (const v of variants) {
          const t = performance.now();
          await call(v.reader, filter);
          if (run >= 0) timings.set(`${v.name}|${query}|${read}`, [...(timings.get(`${v.name}|${query}|${read}`) ?? []), performance.now() - t]);
        }
      }
    }
  }
  const writes = new Map(variants.map((v) => [v, { append: [] as Sample[], insert: [] as Sample[] }]));
  for (let round = 0; round <= INSERT_ROUNDS; round++) {
    // Every other round in reverse order, so drift on the shared machine favours no variant.
    for (const v of round % 2 ? [...variants].reverse() : variants) {
      const [append, insert] = [await appendRound(v), await insertRound(v)];
      if (round > 0) writes.get(v)!.append.push(append), writes.get(v)!.insert.push(insert);
    }
  }
  const pages = new Map<Variant, number>();
  for (const v of variants) pages.set(v, await walPages(v));
  console.log(`measured in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);

  console.log(`writes at the head of the table, µs per row (median and quartiles of ${INSERT_ROUNDS} rounds of ${BATCHES * BATCH} rows of the mix, ${BATCH} per transaction)\n`);
  console.log('| variant | append (createAuditLog + group committer), CPU | wall | insert statement alone, CPU | wall | WAL pages / transaction |\n|---|---:|---:|---:|---:|---:|');
  for (const [v, { append, insert }] of writes) console.log(`| ${v.name} | ${us(append, 'cpu')} | ${us(append, 'wall')} | ${us(insert, 'cpu')} | ${us(insert, 'wall')} | ${pages.get(v)!.toFixed(1)} |`);

  console.log(`\nreview page reads, ms (median of ${QUERY_RUNS}): page 1 · deep page (cursor at id ${Math.floor(ROWS / 2)}) · chart, first load (span + GROUP BY) · chart again (closed days held)\n`);
  console.log(`| filter | rows | ${variants.map((v) => v.name).join(' | ')} |\n|---|---:|${variants.map(() => '---:|').join('')}`);
  const ms = (x: number) => (x < 10 ? x.toFixed(1) : x.toFixed(0));
  for (const [query] of QUERIES) {
    const cells = variants.map((v) => READS.map(([read]) => ms(quantile(timings.get(`${v.name}|${query}|${read}`)!, 0.5))).join(' · '));
    console.log(`| ${query} | ${matching.get(query)!.toLocaleString('en')} | ${cells.join(' | ')} |`);
  }
  console.log('\nquery plans (page 1 | chart GROUP BY)\n');
  for (const [query, filter] of QUERIES) for (const v of variants) console.log(`${query} — ${v.name.split(':')[0]}: ${await plans(v, filter)}`);
} finally {
  for (const v of variants) v.database.close();
  rmSync(dir, { recursive: true, force: true });
}
