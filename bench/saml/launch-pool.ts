// Single-use ACS requests for one round. Each is a real survey launch: `GET /launch/{survey}` in a fresh
// "browser" (its own login cookie) leaves a pending AuthnRequest at campus-sts; the test IdP then answers
// that AuthnRequest with a freshly signed Response. The replay store accepts each Response once, so the
// pool is sized to the round (the load stops when it is used up) and never reused against campus-sts.
import { inflateRawSync } from 'node:zlib';
import type { HttpRequest } from '../harness/load.js';
import { SAML } from '../servers/shared.js';
import type { ResponseFactory } from './response-factory.js';

const LOGIN_COOKIE = 'campus_sts_login';
const CONCURRENCY = 16;

export interface PendingLaunch {
  cookie: string;
  requestId: string;
}

/** Starts `count` launches, `CONCURRENCY` at a time; every one must answer 303 with a cookie and an AuthnRequest. */
export async function startLaunches(baseUrl: string, count: number): Promise<PendingLaunch[]> {
  const out: PendingLaunch[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < count) {
      next += 1;
      out.push(await startLaunch(baseUrl));
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
  return out;
}

async function startLaunch(baseUrl: string): Promise<PendingLaunch> {
  const res = await fetch(`${baseUrl}/launch/${SAML.survey}`, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  await res.arrayBuffer();
  const location = res.headers.get('location');
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith(`${LOGIN_COOKIE}=`));
  if (res.status !== 303 || !location || !cookie) throw new Error(`launch start: expected 303 with a login cookie, got ${res.status}`);
  const samlRequest = new URL(location).searchParams.get('SAMLRequest');
  if (!samlRequest) throw new Error(`launch start: no SAMLRequest in ${location.slice(0, 120)}`);
  // HTTP-Redirect binding: base64 of raw DEFLATE.
  const xml = inflateRawSync(Buffer.from(samlRequest, 'base64')).toString('utf8');
  const requestId = /<(?:\w+:)?AuthnRequest\b[^>]*\sID="([^"]+)"/.exec(xml)?.[1];
  if (!requestId) throw new Error('launch start: no ID in the AuthnRequest');
  return { cookie, requestId };
}

/** The ACS request for one Response (form body built once, up front, so the load generator only copies). */
export function acsRequest(samlResponseB64: string, cookie?: string): HttpRequest {
  return {
    method: 'POST',
    path: '/saml/acs',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams({ SAMLResponse: samlResponseB64 }).toString(),
  };
}

/** One answered launch per pending one, in order. */
export function answerLaunches(factory: ResponseFactory, launches: PendingLaunch[]): HttpRequest[] {
  return launches.map((l) => acsRequest(factory.make(l.requestId), l.cookie));
}

/**
 * Hands out requests in order. A single-use pool that runs dry starts over rather than stopping the load
 * generator mid-run: the repeats are refused as replays and show up as unexpected statuses in the report.
 */
export class RequestPool {
  private at = 0;
  constructor(readonly requests: readonly HttpRequest[]) {
    if (requests.length === 0) throw new Error('empty request pool');
  }

  next(): HttpRequest {
    return this.requests[this.at++ % this.requests.length]!;
  }

  get size(): number {
    return this.requests.length;
  }
}
