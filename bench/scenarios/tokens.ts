// floor, peer, cc, exchange and exchange-durable (and the *-tuned runs of floor and exchange): the token endpoint
// scenarios (the PostgreSQL ones are in postgres.ts). All send the same client's HTTP Basic credentials; floor and
// exchange send the same RFC 8693 form, peer and cc the same client_credentials form.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { startServerChild, type ServerChild, type StartOptions } from '../harness/children.js';
import type { HttpRequest } from '../harness/load.js';
import type { StsOptions } from '../servers/sts.js';
import { AUD, basicAuth, CLIENT, exchangeForm, GRANT } from '../servers/shared.js';
import type { SamlWorld } from '../saml/world.js';
import type { RoundLoad, Scenario, ScenarioContext, ScenarioName } from './types.js';

type World = Pick<SamlWorld, 'spKeysDir' | 'idpMetadataFile'>;

const AUTH = basicAuth(CLIENT.id, CLIENT.secret);
const FORM = 'application/x-www-form-urlencoded';

function tokenRequest(body: string): HttpRequest {
  return { method: 'POST', path: '/token', headers: { authorization: AUTH, 'content-type': FORM }, body };
}

/** Sends one request outside the load and checks the answer is a token of the expected shape. */
async function probe(url: string, req: HttpRequest, check: (body: Record<string, unknown>) => string | undefined): Promise<Record<string, unknown>> {
  const res = await fetch(url + req.path, { method: req.method, headers: req.headers, body: req.body ?? null, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // reported below
  }
  const problem = res.status !== 200 ? `status ${res.status}` : check(body);
  if (problem) throw new Error(`probe of ${url}${req.path} failed (${problem}): ${text.slice(0, 300)}`);
  return body;
}

const isExchangeAnswer = (b: Record<string, unknown>) =>
  typeof b.access_token === 'string' && b.issued_token_type && b.token_type === 'Bearer' ? undefined : 'not an RFC 8693 answer';

/** A child holder shared by the scenarios below. */
function childSlot(name: ScenarioName) {
  let child: ServerChild | undefined;
  return {
    set: (c: ServerChild) => (child = c),
    get(): ServerChild {
      if (!child) throw new Error(`${name}: server not started`);
      return child;
    },
    async stop() {
      await child?.stop();
    },
  };
}

/** Node's defaults, or with `ctx.knobs` applied (the *-tuned scenarios). */
const startWith = (ctx: ScenarioContext, tuned: boolean): StartOptions => (tuned ? { knobs: ctx.knobs } : {});
const tunedNote = (ctx: ScenarioContext) => ` with UV_THREADPOOL_SIZE=${ctx.knobs.threadpool} and --max-semi-space-size=${ctx.knobs.semiSpaceMb}`;

export function floorScenario(ctx: ScenarioContext, tuned = false): Scenario {
  const name: ScenarioName = tuned ? 'floor-tuned' : 'floor';
  const slot = childSlot(name);
  return {
    name,
    description: tuned
      ? `the floor${tunedNote(ctx)}`
      : 'bare Hono: parse the same form, verify one ES256 JWT, sign one (jose); no client auth, no database',
    start: async () => void slot.set(await startServerChild('floor', {}, startWith(ctx, tuned))),
    servers: () => [slot.get()],
    async load() {
      const child = slot.get();
      const request = tokenRequest(exchangeForm(child.info.subjectToken!));
      await probe(child.url, request, isExchangeAnswer);
      return { url: child.url, request, expectStatus: 200 };
    },
    stop: slot.stop,
  };
}

/** client_credentials as peer and cc both get it: HTTP Basic, one resource indicator, two of its scopes. */
const CLIENT_CREDENTIALS = tokenRequest(new URLSearchParams({ grant_type: GRANT.clientCredentials, resource: AUD.sis, scope: 'student.read enrollment.read' }).toString());

/** peer (oidc-provider) or cc (campus-sts as shipped, which also writes an audit row): the same request. */
function clientCredentialsScenario(name: 'peer' | 'cc', description: string, start: () => Promise<ServerChild>): Scenario {
  const slot = childSlot(name);
  return {
    name,
    description,
    start: async () => void slot.set(await start()),
    servers: () => [slot.get()],
    async load() {
      const child = slot.get();
      await probe(child.url, CLIENT_CREDENTIALS, (b) => {
        if (typeof b.access_token !== 'string') return 'no access_token';
        return decodeProtectedHeader(b.access_token).alg === 'ES256' ? undefined : 'access token is not an ES256 JWT';
      });
      return { url: child.url, request: CLIENT_CREDENTIALS, expectStatus: 200 };
    },
    stop: slot.stop,
  };
}

export function peerScenario(): Scenario {
  return clientCredentialsScenario('peer', 'oidc-provider 9: client_credentials, HTTP Basic, resource indicator, JWT access token (ES256)', () => startServerChild('peer', {}));
}

export function ccScenario(ctx: ScenarioContext, world: World): Scenario {
  return clientCredentialsScenario('cc', "campus-sts as shipped: peer's request (client auth, resource, scopes, one ES256 JWT) plus its audit row (synchronous: normal)", () =>
    startServerChild('sts', stsOptions(ctx, world, 'cc', 'normal')),
  );
}

const EXCHANGES = {
  exchange: 'campus-sts as shipped: client auth, RFC 8693 exchange, policy, revocation lookup, audit row (synchronous: normal)',
  'exchange-durable': 'the same exchange with database.synchronous: full (each acknowledged token durable before the answer)',
  'exchange-tuned': 'the exchange as shipped',
} as const;

/** campus-sts's RFC 8693 exchange: as shipped, with `database.synchronous: full`, or with the deployment knobs. */
export function exchangeScenario(ctx: ScenarioContext, world: World, name: keyof typeof EXCHANGES = 'exchange'): Scenario {
  const slot = childSlot(name);
  const tuned = name === 'exchange-tuned';
  return {
    name,
    description: EXCHANGES[name] + (tuned ? tunedNote(ctx) : ''),
    async start() {
      slot.set(await startServerChild('sts', stsOptions(ctx, world, name, name === 'exchange-durable' ? 'full' : 'normal'), startWith(ctx, tuned)));
    },
    servers: () => [slot.get()],
    load: () => exchangeLoad(slot.get().url),
    stop: slot.stop,
  };
}

/** One round of the exchange against `url` (a campus-sts, or a balancer in front of some). */
export async function exchangeLoad(url: string): Promise<RoundLoad> {
  // A fresh subject token each round: tokens live 300 s, a run lasts longer.
  const request = tokenRequest(exchangeForm(await subjectToken(url)));
  await probe(url, request, isExchangeAnswer);
  return { url, request, expectStatus: 200 };
}

/** Options for one campus-sts child: its own new folder, so every server starts on a fresh database. */
export function stsOptions(ctx: ScenarioContext, world: World, name: string, synchronous: 'normal' | 'full'): StsOptions {
  const dir = mkdtempSync(join(ctx.runDir, `${name}-`));
  return { dir, synchronous, spKeysDir: world.spKeysDir, idpMetadataFile: world.idpMetadataFile };
}

/** One exchange outside the load: its subject token and the token it got (what the crypto microbenchmark mirrors). */
export async function exchangeSample(url: string): Promise<{ verified: string; signed: string }> {
  const verified = await subjectToken(url);
  const body = await probe(url, tokenRequest(exchangeForm(verified)), isExchangeAnswer);
  return { verified, signed: body.access_token as string };
}

/** A client_credentials token of the bench client for the SIS audience: the subject of every exchange. */
export async function subjectToken(url: string): Promise<string> {
  const body = await probe(url, tokenRequest(new URLSearchParams({ grant_type: GRANT.clientCredentials, audience: AUD.sis }).toString()), (b) =>
    typeof b.access_token === 'string' ? undefined : 'no access_token',
  );
  return body.access_token as string;
}

