// launch and saml-raw: the SAML ACS end to end against node-saml's validation alone, on the same responses.
// Each launch round gets a pool of real pending launches answered by freshly signed Responses; raw node-saml
// then validates that same pool (it keeps no replay store, so it may see a response more than once).
import { startServerChild, type ServerChild } from '../harness/children.js';
import type { HttpRequest } from '../harness/load.js';
import { acsRequest, answerLaunches, RequestPool, startLaunches } from '../saml/launch-pool.js';
import type { SamlWorld } from '../saml/world.js';
import { SAML } from '../servers/shared.js';
import { stsOptions } from './tokens.js';
import type { Round, RoundLoad, Scenario, ScenarioContext } from './types.js';

/** Pool = expected throughput × round length × this, so a round normally ends on time, not on an empty pool. */
const HEADROOM = 1.4;
/** Before any round has been measured. */
const FIRST_GUESS_PER_SECOND = 150;
/** ~8 KB per request: a pool never holds more than ~200 MB. */
const MAX_POOL = 25_000;
/** Responses are valid for 5 minutes from their template; raw node-saml reuses a pool only while it is fresh. */
const POOL_FRESH_MS = 3 * 60_000;

/** The latest launch pool, shared with saml-raw. */
export interface SharedPool {
  requests: readonly HttpRequest[];
  madeAt: number;
}

export function launchScenarios(ctx: ScenarioContext, world: SamlWorld): { launch: Scenario; raw: Scenario } {
  let launchChild: ServerChild | undefined;
  let rawChild: ServerChild | undefined;
  let latest: SharedPool | undefined;
  let bestRate = 0;

  const launch: Scenario = {
    name: 'launch',
    description: 'campus-sts ACS: validate a fresh signed Response, all checks, replay store, mint, launch code, 303',
    async start() {
      launchChild = await startServerChild('sts', stsOptions(ctx, world, 'launch', 'normal'));
    },
    servers: () => [required(launchChild, 'launch')],
    async load(round: Round): Promise<RoundLoad> {
      const child = required(launchChild, 'launch');
      const rate = bestRate || FIRST_GUESS_PER_SECOND;
      const size = Math.min(MAX_POOL, Math.ceil(rate * round.durationSeconds * HEADROOM) + 2 * ctx.connections);
      const started = performance.now();
      const [launches, factory] = await Promise.all([startLaunches(child.url, size + 1), world.freshFactory()]);
      const requests = answerLaunches(factory, launches);
      await probeAcs(child.url, requests.pop()!, true);
      latest = { requests, madeAt: Date.now() };
      ctx.log(`launch: ${requests.length} pending launches answered in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return { url: child.url, request: new RequestPool(requests), expectStatus: 303, amount: requests.length };
    },
    observe(_round, okPerSecond) {
      bestRate = Math.max(bestRate, okPerSecond);
    },
    async stop() {
      await launchChild?.stop();
    },
  };

  const raw: Scenario = {
    name: 'saml-raw',
    description: 'node-saml validatePostResponseAsync alone (same certs and options, same responses), 303',
    async start() {
      rawChild = await startServerChild('saml-raw', { spKeysDir: world.spKeysDir, idpCertPem: world.idpKey.certPem });
    },
    servers: () => [required(rawChild, 'saml-raw')],
    async load(): Promise<RoundLoad> {
      const child = required(rawChild, 'saml-raw');
      if (!latest || Date.now() - latest.madeAt > POOL_FRESH_MS) {
        // Run without the launch scenario (--only saml-raw): same kind of responses, to unknown request ids.
        const factory = await world.freshFactory();
        const requests = Array.from({ length: 2000 }, (_, i) => acsRequest(factory.make(`_bench${i}`)));
        latest = { requests, madeAt: Date.now() };
      }
      await probeAcs(child.url, latest.requests[0]!, false);
      return { url: child.url, request: new RequestPool(latest.requests), expectStatus: 303 };
    },
    async stop() {
      await rawChild?.stop();
    },
  };

  return { launch, raw };
}

async function probeAcs(url: string, req: HttpRequest, ours: boolean): Promise<void> {
  const res = await fetch(url + req.path, { method: 'POST', headers: req.headers, body: req.body ?? null, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  const body = await res.text();
  const location = res.headers.get('location') ?? '';
  const expected = ours ? new RegExp(`^${escape(SAML.surveyUrl)}\\?sts_code=[\\w-]{43}$`) : new RegExp(`^${escape(SAML.surveyUrl)}$`);
  if (res.status !== 303 || !expected.test(location)) {
    throw new Error(`ACS probe of ${url} failed: ${res.status} ${location} ${body.replace(/\s+/g, ' ').slice(0, 300)}`);
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function required(child: ServerChild | undefined, name: string): ServerChild {
  if (!child) throw new Error(`${name}: server not started`);
  return child;
}
