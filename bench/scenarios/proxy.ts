// proxy and direct: one GET through campus-sts's upstream proxy (issue 4: our JWT in, route table, vaulted
// upstream token out) against the same GET sent straight to the upstream. Both run at ONE connection: the target
// is the latency the proxy adds to a request, which at 50 connections would be buried under queueing (there
// the p50 measures throughput, not added latency).
import { startServerChild, type ServerChild } from '../harness/children.js';
import type { HttpRequest } from '../harness/load.js';
import type { SamlWorld } from '../saml/world.js';
import { basicAuth, CLIENT, GRANT, UPSTREAM } from '../servers/shared.js';
import { stsOptions } from './tokens.js';
import type { RoundLoad, Scenario, ScenarioContext } from './types.js';

const CONNECTIONS = 1;

export function proxyScenarios(ctx: ScenarioContext, world: SamlWorld): { proxy: Scenario; direct: Scenario; start(): Promise<void>; stop(): Promise<void> } {
  let upstream: ServerChild | undefined;
  let sts: ServerChild | undefined;
  const need = (c: ServerChild | undefined, what: string) => {
    if (!c) throw new Error(`${what}: server not started`);
    return c;
  };
  const directRequest = (): HttpRequest => ({ method: 'GET', path: '/api/courses', headers: { authorization: `Bearer ${need(upstream, 'upstream').info.accessToken}` } });
  const proxyRequest = async (): Promise<HttpRequest> => ({
    method: 'GET',
    path: `/upstreams/${UPSTREAM.id}/courses`,
    headers: { authorization: `Bearer ${await callerToken(need(sts, 'proxy').url)}` },
  });

  /** Both servers, and one request each way: a proxy that is not usable yet fails here, before any round. */
  async function start(): Promise<void> {
    upstream = await startServerChild('upstream', {});
    sts = await startServerChild('sts', { ...stsOptions(ctx, world, 'proxy', 'normal'), upstreamUrl: upstream.url });
    await probeCourses(upstream.url, directRequest());
    await probeCourses(sts.url, await proxyRequest());
  }

  const proxy: Scenario = {
    name: 'proxy',
    description: `GET via campus-sts /upstreams/{id}/…: verify our JWT, route table, vaulted upstream token, forward (${CONNECTIONS} connection)`,
    start: async () => undefined,
    servers: () => [need(sts, 'proxy')],
    async load(): Promise<RoundLoad> {
      // A fresh caller token each round (300 s lifetime).
      const request = await proxyRequest();
      await probeCourses(need(sts, 'proxy').url, request);
      return { url: need(sts, 'proxy').url, request, expectStatus: 200, connections: CONNECTIONS };
    },
    stop: async () => undefined,
  };

  const direct: Scenario = {
    name: 'direct',
    description: `the same GET straight to the upstream API with its own token (${CONNECTIONS} connection)`,
    start: async () => undefined,
    servers: () => [need(upstream, 'direct')],
    async load(): Promise<RoundLoad> {
      return { url: need(upstream, 'direct').url, request: directRequest(), expectStatus: 200, connections: CONNECTIONS };
    },
    stop: async () => undefined,
  };

  return {
    proxy,
    direct,
    start,
    async stop() {
      await Promise.all([sts?.stop(), upstream?.stop()]);
    },
  };
}

/** A client_credentials token of the bench client for the upstream's audience. */
async function callerToken(url: string): Promise<string> {
  const res = await fetch(`${url}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(CLIENT.id, CLIENT.secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: GRANT.clientCredentials, audience: UPSTREAM.audience, scope: UPSTREAM.scope }).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || !body.access_token) throw new Error(`caller token for the proxy: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
  return body.access_token;
}

async function probeCourses(url: string, req: HttpRequest): Promise<void> {
  const res = await fetch(url + req.path, { headers: req.headers, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let courses: unknown;
  try {
    courses = (JSON.parse(text) as { courses?: unknown }).courses;
  } catch {
    // reported below
  }
  if (res.status !== 200 || !Array.isArray(courses) || courses.length === 0) {
    throw new Error(`GET ${url}${req.path}: ${res.status} ${text.replace(/\s+/g, ' ').slice(0, 200)}`);
  }
}
