// RFC 6749 §2.3 client authentication, each method's success and refusal with the exact private detail, through
// the real registry, scrypt hashes, failure throttle and jose keys.
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { fixedClock } from '../core/clock.js';
import { parseForm } from '../core/form-params.js';
import { sha256b64u } from '../core/hash.js';
import { CLIENT_AUTHENTICATION_FAILED, InvalidClient, InvalidRequest, TooManyFailures } from '../core/oauth-errors.js';
import { createClientAuthenticator, type ClientAuthDeps } from './authenticate.js';
import { createFailureThrottle, type ThrottleObserver } from './failure-throttle.js';
import { buildClientRegistry, type ClientRegistry } from './registry.js';
import { hashClientSecret } from './secret-hash.js';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const TOKEN_ENDPOINT = 'https://sts.example.edu/token';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
let clients: ClientRegistry;
let gammaKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  gammaKey = pair.privateKey;
  const jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'g1', alg: 'ES256' }] };
  const [alpha, beta] = await Promise.all([hashClientSecret('alpha secret:Ω'), hashClientSecret('beta-secret')]);
  const aud = 'https://sis.example.edu';
  clients = await buildClientRegistry(
    parseConfig({
      issuer: 'https://sts.example.edu',
      audiences: [{ id: aud, scopes: ['r'] }],
      clients: [
        { id: 'alpha', auth: { method: 'client_secret_basic', secret_hash: alpha }, audiences: [aud] },
        { id: 'beta', auth: { method: 'client_secret_post', secret_hash: beta }, audiences: [aud] },
        { id: 'gamma', auth: { method: 'private_key_jwt', jwks }, audiences: [aud] },
      ],
    }),
    {},
  );
});

/** A fresh authenticator; `scryptRuns` counts the secret checks that went through the capped scrypt slot. */
function setup(throttle = { clientFailures: 100, sourceFailures: 100, windowSeconds: 60, blockSeconds: 60 }) {
  const blocks: unknown[] = [];
  const observer: ThrottleObserver = { blocked: async (b) => void blocks.push(b), throttled: () => {} };
  const counter = { scryptRuns: 0 };
  const deps: ClientAuthDeps = {
    clients,
    clock: fixedClock(T0),
    assertionAudiences: [TOKEN_ENDPOINT, 'https://sts.example.edu'],
    clockSkewSeconds: 30,
    throttle: createFailureThrottle(throttle, observer),
    secretChecks: (check) => (counter.scryptRuns++, check()),
  };
  const auth = createClientAuthenticator(deps);
  const run = (form: Record<string, string>, authorization?: string) =>
    auth.authenticate({ authorization, sourceAddress: '192.0.2.7', requestId: 'req-1' }, parseForm(new URLSearchParams(form).toString()));
  return { auth, run, counter, blocks };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function refusal(run: Promise<unknown>) {
  const err = await run.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof InvalidClient || err instanceof InvalidRequest || err instanceof TooManyFailures)) throw new Error(`not a refusal: ${String(err)}`);
  return { error: err.code, status: err.status, description: err.description, detail: err.detail };
}
const invalidClient = (detail: string) => ({ error: 'invalid_client', status: 401, description: CLIENT_AUTHENTICATION_FAILED, detail });

function assertion(claims: Record<string, unknown> = {}, alg = 'ES256', key: Parameters<SignJWT['sign']>[0] = gammaKey) {
  const now = T0 / 1000;
  return new SignJWT({ iss: 'gamma', sub: 'gamma', aud: TOKEN_ENDPOINT, exp: now + 60, jti: 'a-1', ...claims }).setProtectedHeader({ alg, kid: 'g1' }).sign(key);
}

describe('client_secret_basic (RFC 6749 §2.3.1)', () => {
  it('accepts the form-urlencoded id and secret', async () => {
    const { run } = setup();
    expect(await run({}, basic('alpha', 'alpha secret:Ω'))).toEqual({ client: clients.get('alpha'), method: 'client_secret_basic' });
  });

  it('refuses a wrong secret, the other secret method, and an unknown id, each after one scrypt check (the dummy hash)', async () => {
    const { run, counter } = setup();
    expect(await refusal(run({}, basic('alpha', 'wrong')))).toEqual(invalidClient('wrong client secret'));
    expect(await refusal(run({}, basic('beta', 'beta-secret')))).toEqual(invalidClient('client uses client_secret_post, not client_secret_basic'));
    expect(await refusal(run({}, basic('gamma', 'x')))).toEqual(invalidClient('client uses private_key_jwt, not client_secret_basic'));
    expect(await refusal(run({}, basic('nobody', 'x')))).toEqual(invalidClient('unknown client'));
    expect(counter.scryptRuns).toBe(4);
  });

  it('refuses malformed headers and a form client_id naming someone else', async () => {
    const { run } = setup();
    expect(await refusal(run({}, 'Bearer abc'))).toEqual(invalidClient('malformed Authorization header'));
    expect(await refusal(run({}, `Basic ${Buffer.from('no-colon').toString('base64')}`))).toEqual(invalidClient('malformed Basic credentials'));
    expect(await refusal(run({}, `Basic ${Buffer.from('alpha:%E0%A4%A').toString('base64')}`))).toEqual(invalidClient('malformed Basic credentials'));
    expect(await refusal(run({ client_id: 'beta' }, basic('alpha', 'alpha secret:Ω')))).toEqual({
      error: 'invalid_request', status: 400, description: 'client_id does not match the authenticated client', detail: 'client_id does not match the authenticated client',
    });
  });
});

describe('client_secret_post', () => {
  it('accepts the secret in the form, and refuses a wrong one or a missing client_id', async () => {
    const { run } = setup();
    expect(await run({ client_id: 'beta', client_secret: 'beta-secret' })).toEqual({ client: clients.get('beta'), method: 'client_secret_post' });
    expect(await refusal(run({ client_id: 'beta', client_secret: 'nope' }))).toEqual(invalidClient('wrong client secret'));
    expect(await refusal(run({ client_secret: 'beta-secret' }))).toEqual(invalidClient('unknown client'));
  });
});

describe('private_key_jwt (RFC 7523 §3)', () => {
  it('accepts a signed assertion and hands back its jti to be consumed once', async () => {
    const { run } = setup();
    expect(await run({ client_assertion_type: JWT_BEARER, client_assertion: await assertion() })).toEqual({
      client: clients.get('gamma'),
      method: 'private_key_jwt',
      assertion: { key: sha256b64u('gamma\na-1'), clientId: 'gamma', expiresAt: new Date(T0 + 90_000) },
    });
  });

  it.each([
    ['another audience', { aud: 'https://elsewhere.example' }, 'client assertion rejected: ERR_JWT_CLAIM_VALIDATION_FAILED'],
    ['another subject', { sub: 'alpha' }, 'client assertion rejected: ERR_JWT_CLAIM_VALIDATION_FAILED'],
    ['expired', { exp: T0 / 1000 - 31 }, 'client assertion rejected: ERR_JWT_EXPIRED'],
    ['no jti', { jti: undefined }, 'client assertion rejected: ERR_JWT_CLAIM_VALIDATION_FAILED'],
    ['a lifetime over ten minutes', { exp: T0 / 1000 + 601 }, 'client assertion lives too long'],
    ['an unknown issuer', { iss: 'nobody', sub: 'nobody' }, 'unknown client'],
    ['a secret client', { iss: 'alpha', sub: 'alpha' }, 'client uses client_secret_basic, not private_key_jwt'],
  ])('refuses %s', async (_name, claims, detail) => {
    const { run } = setup();
    expect(await refusal(run({ client_assertion_type: JWT_BEARER, client_assertion: await assertion(claims) }))).toEqual(invalidClient(detail));
  });

  it('refuses an HMAC assertion, a foreign key, a non-JWT and a wrong assertion type', async () => {
    const { run } = setup();
    const hmac = await assertion({}, 'HS256', new TextEncoder().encode('s'.repeat(32)));
    expect(await refusal(run({ client_assertion_type: JWT_BEARER, client_assertion: hmac }))).toEqual(invalidClient('client assertion rejected: ERR_JOSE_ALG_NOT_ALLOWED'));
    const foreign = await assertion({}, 'ES256', (await generateKeyPair('ES256')).privateKey);
    expect(await refusal(run({ client_assertion_type: JWT_BEARER, client_assertion: foreign }))).toEqual(invalidClient('client assertion rejected: ERR_JWS_SIGNATURE_VERIFICATION_FAILED'));
    expect(await refusal(run({ client_assertion_type: JWT_BEARER, client_assertion: 'not-a-jwt' }))).toEqual(invalidClient('client assertion is not a JWT'));
    expect(await refusal(run({ client_assertion_type: 'urn:other', client_assertion: await assertion() }))).toEqual(invalidClient('client_assertion_type must be jwt-bearer with a client_assertion'));
  });
});

describe('one method per request (RFC 6749 §2.3)', () => {
  it('refuses two methods, and a request with none', async () => {
    const { run } = setup();
    expect(await refusal(run({ client_id: 'alpha', client_secret: 'x' }, basic('alpha', 'alpha secret:Ω')))).toEqual({
      error: 'invalid_request', status: 400, description: 'more than one client authentication method', detail: 'more than one client authentication method used',
    });
    expect(await refusal(run({ client_id: 'alpha' }))).toEqual(invalidClient('no client authentication'));
  });
});

describe('failure throttle', () => {
  it('blocks a client id after its limit, once, and then refuses it with 429 before any scrypt check', async () => {
    const { run, counter, blocks } = setup({ clientFailures: 2, sourceFailures: 100, windowSeconds: 60, blockSeconds: 60 });
    for (let i = 0; i < 3; i++) expect(await refusal(run({}, basic('alpha', 'wrong')))).toEqual(invalidClient('wrong client secret'));
    expect(blocks).toEqual([{ limit: 'client', keys: { client: 'alpha', source: '192.0.2.7' }, seconds: 60, requestId: 'req-1' }]);
    const runs = counter.scryptRuns;
    expect(await refusal(run({}, basic('alpha', 'wrong')))).toEqual({
      error: 'temporarily_unavailable', status: 429, description: 'too many failed client authentications; retry later', detail: 'client authentication throttled: client blocked',
    });
    expect(counter.scryptRuns).toBe(runs);
  });

  it('still admits a blocked client id presenting the secret already verified for it, without scrypt', async () => {
    const { run, counter } = setup({ clientFailures: 1, sourceFailures: 100, windowSeconds: 60, blockSeconds: 60 });
    await run({}, basic('alpha', 'alpha secret:Ω'));
    for (let i = 0; i < 2; i++) await refusal(run({}, basic('alpha', 'wrong')));
    const runs = counter.scryptRuns;
    expect(await run({}, basic('alpha', 'alpha secret:Ω'))).toEqual({ client: clients.get('alpha'), method: 'client_secret_basic' });
    expect(counter.scryptRuns).toBe(runs);
  });
});
