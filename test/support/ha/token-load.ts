// Token traffic for HA tests: N clients, each looping "client_credentials, then an RFC 8693 exchange of that token"
// against POST /token as client gamma (private_key_jwt: a fresh single-use assertion per request, so every request
// also writes the assertion-replay table). Every outcome is kept with its timing, for the test to judge.
import { decodeJwt, SignJWT } from 'jose';
import { AT_TYPE, AUD, EXCHANGE } from '../../helpers/service.js';

export interface Outcome {
  grant: 'client_credentials' | 'token-exchange';
  /** HTTP status, or `network` when no response arrived (reset, or no answer within 10 s). */
  status: number | 'network';
  /** The issued token's jti (200 only). */
  jti?: string;
  /** The JSON `error` of a refusal, or the network error's message. */
  error?: string;
  startedAt: number;
  endedAt: number;
}

export interface TokenLoad {
  readonly outcomes: Outcome[];
  /** Stops the clients after their current request; resolves when all have stopped. */
  stop(): Promise<Outcome[]>;
}

/** A private_key_jwt client assertion (RFC 7523) for gamma, single use. */
export function gammaAssertion(key: CryptoKey, issuer: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: 'gamma', sub: 'gamma', aud: `${issuer}/token`, iat: now, exp: now + 60, jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: 'gamma-1' })
    .sign(key);
}

/** One POST /token as gamma to `base` (the balancer, or an instance directly). */
export async function gammaToken(base: string, issuer: string, key: CryptoKey, grant: Outcome['grant'], form: Record<string, string>): Promise<Outcome & { token?: string }> {
  const startedAt = Date.now();
  const body = new URLSearchParams({
    ...form,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await gammaAssertion(key, issuer),
  });
  try {
    const res = await fetch(`${base}/token`, { method: 'POST', body, signal: AbortSignal.timeout(10_000) });
    const json = (await res.json().catch(() => ({}))) as { access_token?: string; error?: string };
    const endedAt = Date.now();
    if (res.status === 200 && json.access_token) return { grant, status: 200, jti: decodeJwt(json.access_token).jti!, token: json.access_token, startedAt, endedAt };
    return { grant, status: res.status, error: json.error ?? '(no JSON error)', startedAt, endedAt };
  } catch (err) {
    const cause = (err as Error).cause as NodeJS.ErrnoException | undefined;
    return { grant, status: 'network', error: cause ? `${cause.code ?? ''} ${cause.message}`.trim() : (err as Error).message, startedAt, endedAt: Date.now() };
  }
}

export function startTokenLoad(opts: { base: string; issuer: string; gammaKey: CryptoKey; clients: number }): TokenLoad {
  const outcomes: Outcome[] = [];
  let running = true;
  const call = async (grant: Outcome['grant'], form: Record<string, string>) => {
    const outcome = await gammaToken(opts.base, opts.issuer, opts.gammaKey, grant, form);
    outcomes.push(outcome);
    // A refused client backs off a little, as a real one would, instead of spinning on errors.
    if (outcome.status !== 200) await new Promise((r) => setTimeout(r, 50));
    return outcome.token;
  };
  const client = async () => {
    while (running) {
      const token = await call('client_credentials', { grant_type: 'client_credentials', audience: AUD.sis, scope: 'student.read' });
      if (!running || token === undefined) continue;
      await call('token-exchange', { grant_type: EXCHANGE, subject_token: token, subject_token_type: AT_TYPE, audience: 'alpha', scope: 'student.read' });
    }
  };
  const clients = Array.from({ length: opts.clients }, client);
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(clients);
      return outcomes;
    },
  };
}

/** Requests, 200s and the rest by status: the line a test prints for the lead to quote. */
export function tally(outcomes: Outcome[]): { requests: number; ok: number; refused: Record<string, number> } {
  const refused: Record<string, number> = {};
  for (const o of outcomes) {
    if (o.status === 200) continue;
    const key = `${o.status} ${o.error ?? ''}`.trim();
    refused[key] = (refused[key] ?? 0) + 1;
  }
  return { requests: outcomes.length, ok: outcomes.filter((o) => o.status === 200).length, refused };
}
