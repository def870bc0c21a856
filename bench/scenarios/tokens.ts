// floor, peer, exchange and exchange-durable: the token endpoint scenarios (the PostgreSQL ones are in postgres.ts). All send the same client's HTTP
// Basic credentials; floor and exchange send the same RFC 8693 form.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { startServerChild, type ServerChild } from '../harness/children.js';
import type { HttpRequest } from '../harness/load.js';
import type { StsOptions } from '../servers/sts.js';
import { AUD, basicAuth, CLIENT, exchangeForm, GRANT } from '../servers/shared.js';
import type { SamlWorld } from '../saml/world.js';
import type { RoundLoad, Scenario, ScenarioContext, ScenarioName } from './types.js';

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

export function floorScenario(): Scenario {
  const slot = childSlot('floor');
  return {
    name: 'floor',
    description: 'bare Hono: parse the same form, verify one ES256 JWT, sign one (jose); no client auth, no database',
    start: async () => void slot.set(await startServerChild('floor', {})),
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

export function peerScenario(): Scenario {
  const slot = childSlot('peer');
  const request = tokenRequest(new URLSearchParams({ grant_type: GRANT.clientCredentials, resource: AUD.sis, scope: 'student.read enrollment.read' }).toString());
  return {
    name: 'peer',
    description: 'oidc-provider 9: client_credentials, HTTP Basic, resource indicator, JWT access token (ES256)',
    start: async () => void slot.set(await startServerChild('peer', {})),
    servers: () => [slot.get()],
    async load() {
      const child = slot.get();
      await probe(child.url, request, (b) => {
        if (typeof b.access_token !== 'string') return 'no access_token';
        return decodeProtectedHeader(b.access_token).alg === 'ES256' ? undefined : 'access token is not an ES256 JWT';
      });
      return { url: child.url, request, expectStatus: 200 };
    },
    stop: slot.stop,
  };
}

/** campus-sts's RFC 8693 exchange; `durable` runs it with `database.synchronous: full`. */
export function exchangeScenario(ctx: ScenarioContext, world: Pick<SamlWorld, 'spKeysDir' | 'idpMetadataFile'>, durable: boolean): Scenario {
  const name: ScenarioName = durable ? 'exchange-durable' : 'exchange';
  const slot = childSlot(name);
  return {
    name,
    description: durable
      ? 'the same exchange with database.synchronous: full (each acknowledged token durable before the answer)'
      : 'campus-sts as shipped: client auth, RFC 8693 exchange, policy, revocation lookup, audit row (synchronous: normal)',
    async start() {
      slot.set(await startServerChild('sts', stsOptions(ctx, world, name, durable ? 'full' : 'normal')));
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
export function stsOptions(ctx: ScenarioContext, world: Pick<SamlWorld, 'spKeysDir' | 'idpMetadataFile'>, name: string, synchronous: 'normal' | 'full'): StsOptions {
  const dir = mkdtempSync(join(ctx.runDir, `${name}-`));
  return { dir, synchronous, spKeysDir: world.spKeysDir, idpMetadataFile: world.idpMetadataFile };
}

/** A client_credentials token of the bench client for the SIS audience: the subject of every exchange. */
export async function subjectToken(url: string): Promise<string> {
  const body = await probe(url, tokenRequest(new URLSearchParams({ grant_type: GRANT.clientCredentials, audience: AUD.sis }).toString()), (b) =>
    typeof b.access_token === 'string' ? undefined : 'no access_token',
  );
  return body.access_token as string;
}

