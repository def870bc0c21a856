import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { AUD, ISSUER, SECRETS, type TestService } from '../helpers/service.js';
import { startInstances, type Instances } from './pg-instances.js';

/**
 * One audit hash chain for every instance on the database: rows of concurrent requests on three instances
 * interleave along one gapless chain that `audit verify` accepts, and periodic checkpoints are signed by one
 * instance at a time.
 */
let cluster: Instances | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const alphaForm = { grant_type: 'client_credentials', audience: AUD.sis, scope: 'student.read' };

async function issue(s: TestService): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await s.post('/token', alphaForm, ['alpha', SECRETS.alpha]);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('the audit chain across instances', () => {
  it('three instances started together share one signing key and one chain of their start-up rows', async () => {
    cluster = await startInstances(3);
    const rows = await cluster.rows();
    expect(rows.map((r) => r.event).sort()).toEqual(['config.load', 'config.load', 'config.load', 'key.generate']);
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4]);
    const jwks = await Promise.all(cluster.all.map(async (s) => (await s.app.request('/jwks.json')).json()));
    expect(jwks[1]).toEqual(jwks[0]);
    expect(jwks[2]).toEqual(jwks[0]);
    expect((jwks[0] as { keys: unknown[] }).keys).toHaveLength(1);
  });

  it('3 × 60 concurrent token requests: one gapless chain that verifies, one token.issue row per 200', async () => {
    cluster = await startInstances(3);
    // One request each first: the client secret is then verified once per instance, not 60 times at once.
    for (const s of cluster.all) expect((await issue(s)).status).toBe(200);
    const answers = await Promise.all(cluster.all.flatMap((s) => Array.from({ length: 60 }, () => issue(s))));

    expect(answers.map((a) => a.status)).toEqual(Array(180).fill(200));
    const rows = await cluster.rows();
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: rows.length }, (_, i) => i + 1));
    const issued = rows.filter((r) => r.event === 'token.issue');
    expect(issued).toHaveLength(183);
    expect(issued.every((r) => r.outcome === 'success' && r.clientId === 'alpha' && r.audience === AUD.sis && r.scope === 'student.read')).toBe(true);
    // Each 200 is one row, by its token's jti; and every token verifies with the keys any instance publishes.
    const jwks = createLocalJWKSet((await (await cluster.all[2]!.app.request('/jwks.json')).json()) as never);
    const jtis: string[] = [];
    for (const a of answers) {
      const { payload } = await jwtVerify(a.body.access_token as string, jwks, { issuer: ISSUER, audience: AUD.sis, currentDate: cluster.all[0]!.clock.now() });
      jtis.push(payload.jti!);
    }
    expect(new Set(jtis).size).toBe(180);
    const rowJtis = new Set(issued.map((r) => r.jti));
    expect(jtis.every((jti) => rowJtis.has(jti))).toBe(true);

    const verdict = await cluster.verify();
    expect(verdict).toMatchObject({ ok: true, problems: [], chain: { ok: true, rows: rows.length, lastId: rows.length, headHash: rows.at(-1)!.hash } });
    for (const s of cluster.all) expect(await s.audit.verify()).toEqual(verdict.chain);
  });
});

describe('periodic checkpoints across instances', () => {
  /** Each instance's periodic checkpointer with a timer the test fires (interval 600 s). */
  function schedulers(instances: TestService[]): (() => Promise<void>)[] {
    return instances.map((s) => {
      let tick: (() => Promise<void>) | undefined;
      s.admin.checkpoints.schedule(600, createLogger('silent'), (ms, fn) => ((tick = fn), () => undefined));
      return () => tick!();
    });
  }

  it('two instances firing at the same moment write one checkpoint, and it verifies', async () => {
    cluster = await startInstances(2, { overrides: () => ({ admin: { audit: { checkpoint_interval_seconds: 0 } } }) });
    for (const s of cluster.all) expect((await issue(s)).status).toBe(200);
    const ticks = schedulers(cluster.all);
    await Promise.all(ticks.map((tick) => tick()));

    const checkpoints = await cluster.all[0]!.engine.stores.auditCheckpoints.all();
    expect(checkpoints).toHaveLength(1);
    const rows = await cluster.rows();
    const marks = rows.filter((r) => r.event === 'audit.checkpoint');
    expect(marks).toHaveLength(1);
    expect(marks[0]!.id).toBe(rows.length);
    expect(JSON.parse(marks[0]!.data!)).toEqual({ trigger: 'periodic', last_id: rows.length - 1, head_hash: rows.at(-2)!.hash, rows: rows.length - 1, kid: checkpoints[0]!.kid });
    expect(checkpoints[0]).toMatchObject({ lastId: rows.length - 1, headHash: rows.at(-2)!.hash, rows: rows.length - 1 });
    expect(await cluster.verify()).toMatchObject({ ok: true, problems: [], checkpoints: { checked: 1, skipped: 0, latest: { lastId: rows.length - 1 } } });
  });

  it('with new rows on both sides, one checkpoint per interval between them; the next interval gets the next', async () => {
    cluster = await startInstances(2, { overrides: () => ({ admin: { audit: { checkpoint_interval_seconds: 0 } } }) });
    const [a, b] = cluster.all as [TestService, TestService];
    const [tickA, tickB] = schedulers(cluster.all) as [() => Promise<void>, () => Promise<void>];
    expect((await issue(a)).status).toBe(200);
    await tickA();
    // B's timer fires later in the same interval, with a new row since A's checkpoint: A already signed this one.
    a.clock.advance(200_000);
    b.clock.advance(200_000);
    expect((await issue(b)).status).toBe(200);
    await tickB();
    expect(await a.engine.stores.auditCheckpoints.all()).toHaveLength(1);
    // The next interval: whichever fires first signs, the other then finds it signed.
    a.clock.advance(400_000);
    b.clock.advance(400_000);
    await tickB();
    await tickA();
    const checkpoints = await a.engine.stores.auditCheckpoints.all();
    expect(checkpoints).toHaveLength(2);
    const rows = await cluster.rows();
    expect(checkpoints[1]).toMatchObject({ lastId: rows.length - 1, at: b.clock.now() });
    expect(rows.filter((r) => r.event === 'audit.checkpoint')).toHaveLength(2);
    expect(await cluster.verify()).toMatchObject({ ok: true, problems: [], checkpoints: { checked: 2 } });
  });
});
