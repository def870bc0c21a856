// exchange-pg, exchange-pg-lb and exchange-pg-2 (issue 12): the RFC 8693 exchange of exchange-durable with
// campus-sts on PostgreSQL, in the run's own database (harness/postgres.ts). exchange-pg is one instance, loaded
// directly; exchange-pg-2 is two instances on ONE schema behind HAProxy; exchange-pg-lb is the first of those two
// alone behind the same kind of HAProxy, so that pg-2 / pg-lb is what a second instance adds and pg-lb / pg is
// what the balancer costs.
import { generateMasterKeyText } from '../../src/core/sealed-box.js';
import { startServerChild, type ServerChild } from '../harness/children.js';
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
  /** Stops every child and the balancers, then drops the database. */
  stop(): Promise<void>;
}

export function postgresScenarios(ctx: ScenarioContext, world: Pick<SamlWorld, 'spKeysDir' | 'idpMetadataFile'>): PgScenarios {
  let database: BenchDatabase | undefined;
  let single: ServerChild | undefined;
  const stops: Array<() => Promise<void>> = [];
  const need = <T>(x: T | undefined, name: PgScenarioName): T => {
    if (!x) throw new Error(`${name}: server not started`);
    return x;
  };
  const describe = (what: string) => {
    const s = database?.settings;
    return `${what} (PostgreSQL ${s?.version ?? '?'}, synchronous_commit ${s?.synchronousCommit ?? '?'}, fsync ${s?.fsync ?? '?'}: each acknowledged token durable before the answer)`;
  };
  /** A campus-sts child on the run's database; `masterKey` shared by instances of one schema. */
  const sts = (name: string, schema: string, masterKey?: string) =>
    startServerChild('sts', { ...stsOptions(ctx, world, name, 'full'), postgres: { url: need(database, 'exchange-pg').url, schema }, ...(masterKey ? { masterKey } : {}) });

  const scenarios: Record<PgScenarioName, Scenario> = {
    'exchange-pg': {
      name: 'exchange-pg',
      get description() {
        return describe('the same exchange on PostgreSQL, one instance');
      },
      start: async () => undefined,
      servers: () => [need(single, 'exchange-pg')],
      load: () => exchangeLoad(need(single, 'exchange-pg').url),
      stop: async () => undefined,
    },
    'exchange-pg-lb': placeholder('exchange-pg-lb'),
    'exchange-pg-2': placeholder('exchange-pg-2'),
  };

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
        stops.push(() => need(single, 'exchange-pg').stop());
      }
      void generateMasterKeyText;
      return pending;
    },
    async stop() {
      await Promise.all(stops.splice(0).map((s) => s().catch(() => undefined)));
      const d = database;
      database = undefined;
      await d?.drop();
    },
  };
}

function placeholder(name: ScenarioName): Scenario {
  const fail = () => {
    throw new Error(`${name}: not available`);
  };
  return { name, description: '', start: async () => undefined, servers: fail, load: fail, stop: async () => undefined };
}
