// exchange-pg, exchange-pg-lb and exchange-pg-2 (issue 12): the RFC 8693 exchange of exchange-durable with
// campus-sts on PostgreSQL, in the run's own database (harness/postgres.ts). exchange-pg is one instance, loaded
// directly. exchange-pg-2 is two instances on ONE schema behind HAProxy running deploy/haproxy.cfg (through the
// HA tests' launcher, test/support/balancer/haproxy.ts); exchange-pg-lb is the first of those two alone behind
// a second HAProxy of the same config. So pg-2 / pg-lb is what a second instance adds, pg-lb / pg what the
// balancer costs.
import { existsSync } from 'node:fs';
import { generateMasterKeyText } from '../../src/core/sealed-box.js';
import { HAPROXY, startHaproxy, type Balancer } from '../../test/support/balancer/haproxy.js';
import { startServerChild, type ServerChild } from '../harness/children.js';
import { atCleanup } from '../harness/cleanup.js';
import { createBenchDatabase, type BenchDatabase } from '../harness/postgres.js';
import type { SamlWorld } from '../saml/world.js';
import { exchangeLoad, stsOptions } from './tokens.js';
import type { Scenario, ScenarioContext, ScenarioName } from './types.js';

export const PG_SCENARIOS = ['exchange-pg', 'exchange-pg-lb', 'exchange-pg-2'] as const satisfies readonly ScenarioName[];
type PgScenarioName = (typeof PG_SCENARIOS)[number];

export interface PgScenarios {
  scenarios: Record<PgScenarioName, Scenario>;
  /** Starts what `names` need; returns the selected scenarios that cannot run here, with the reason. */
  start(names: ReadonlySet<ScenarioName>): Promise<Map<ScenarioName, string>>;
  /** Stops the balancers and every child, then drops the database. */
  stop(): Promise<void>;
}

type World = Pick<SamlWorld, 'spKeysDir' | 'idpMetadataFile'>;

export function postgresScenarios(ctx: ScenarioContext, world: World): PgScenarios {
  let database: BenchDatabase | undefined;
  let single: ServerChild | undefined;
  let pair: ServerChild[] = [];
  const balancers: Partial<Record<'one' | 'two', Balancer>> = {};
  const children: ServerChild[] = [];
  const need = <T>(x: T | undefined, name: PgScenarioName): T => {
    if (x === undefined) throw new Error(`${name}: not started`);
    return x;
  };
  /** A campus-sts child on the run's database, in `schema`. */
  async function sts(name: string, schema: string, extra: { masterKey?: string; server?: Record<string, unknown> } = {}): Promise<ServerChild> {
    const child = await startServerChild('sts', { ...stsOptions(ctx, world, name, 'full'), postgres: { url: need(database, 'exchange-pg').url, schema }, ...extra });
    children.push(child);
    return child;
  }
  /** Read once the database exists: what the durability of the numbers rests on, as the server reports it. */
  const settings = () => {
    const s = database?.settings;
    return `PostgreSQL ${s?.version ?? '?'}, synchronous_commit ${s?.synchronousCommit ?? '?'}, fsync ${s?.fsync ?? '?'}: each acknowledged token durable before the answer`;
  };
  const scenario = (name: PgScenarioName, what: () => string, url: () => string, servers: () => ServerChild[]): Scenario => ({
    name,
    get description() {
      return what();
    },
    start: async () => undefined,
    servers,
    load: () => exchangeLoad(url()),
    stop: async () => undefined,
  });

  const scenarios: Record<PgScenarioName, Scenario> = {
    'exchange-pg': scenario(
      'exchange-pg',
      () => `the same exchange on PostgreSQL, one instance, loaded directly (${settings()})`,
      () => need(single, 'exchange-pg').url,
      () => [need(single, 'exchange-pg')],
    ),
    'exchange-pg-lb': scenario(
      'exchange-pg-lb',
      () => "the first of exchange-pg-2's instances alone behind HAProxy (deploy/haproxy.cfg): the balancer's cost",
      () => need(balancers.one, 'exchange-pg-lb').url,
      () => [need(pair[0], 'exchange-pg-lb')],
    ),
    'exchange-pg-2': scenario(
      'exchange-pg-2',
      () => 'two instances (two processes) on ONE schema of the same PostgreSQL behind HAProxy (deploy/haproxy.cfg, round robin)',
      () => need(balancers.two, 'exchange-pg-2').url,
      () => need(pair.length === 2 ? pair : undefined, 'exchange-pg-2'),
    ),
  };

  async function balance(key: 'one' | 'two', backends: ServerChild[]): Promise<void> {
    const servers = backends.map((c, i) => ({ name: `sts${i + 1}`, port: Number(new URL(c.url).port) }));
    const started = await startHaproxy(servers);
    // Not a child the harness forks: stopped on Ctrl-C and at --max-minutes through the clean-up registry.
    const unregister = atCleanup(() => started.stop());
    const b: Balancer = { ...started, stop: () => (unregister(), started.stop()) };
    balancers[key] = b;
    await b.waitFor('UP', servers.map((s) => s.name));
  }

  return {
    scenarios,
    async start(names) {
      const pending = new Map<ScenarioName, string>();
      const wanted = PG_SCENARIOS.filter((n) => names.has(n));
      if (!wanted.length) return pending;
      try {
        database = await createBenchDatabase();
      } catch (err) {
        for (const n of wanted) pending.set(n, `pending: no PostgreSQL to create the bench database in (${(err as Error).message.split('\n')[0]})`);
        return pending;
      }
      if (names.has('exchange-pg')) {
        ctx.log('starting exchange-pg');
        single = await sts('exchange-pg', database.schema('exchange_pg'));
      }
      const balanced = wanted.filter((n) => n !== 'exchange-pg');
      if (!balanced.length) return pending;
      if (!existsSync(HAPROXY)) {
        for (const n of balanced) pending.set(n, `pending: no HAProxy at ${HAPROXY} (test/support/balancer/install.sh installs it)`);
        return pending;
      }
      ctx.log(`starting ${balanced.join(' and ')}: two instances on one schema, HAProxy`);
      const schema = database.schema('exchange_pg_2');
      // One master key (it seals the signing keys they share); each believes the X-Forwarded-For of the balancer, as deployed.
      const shared = { masterKey: generateMasterKeyText(), server: { trusted_proxies: ['127.0.0.1'] } };
      // One after the other: the second finds the schema migrated and the first's signing key, as in a rolling start.
      pair = [await sts('exchange-pg-2-a', schema, shared)];
      pair.push(await sts('exchange-pg-2-b', schema, shared));
      try {
        if (names.has('exchange-pg-lb')) await balance('one', [pair[0]!]);
        if (names.has('exchange-pg-2')) await balance('two', pair);
      } catch (err) {
        for (const n of balanced) pending.set(n, `pending: HAProxy did not start (${(err as Error).message.split('\n')[0]})`);
      }
      return pending;
    },
    async stop() {
      // Balancers first, then the children, then the database they used.
      const quietly = (stops: Array<Promise<void> | undefined>) => Promise.all(stops.map((p) => p?.catch(() => undefined)));
      await quietly([balancers.one?.stop(), balancers.two?.stop()]);
      await quietly(children.splice(0).map((c) => c.stop()));
      const d = database;
      database = undefined;
      await d?.drop();
    },
  };
}
