import { createLocalJWKSet, decodeJwt, errors, jwtVerify } from 'jose';
import type { Clock } from '../core/clock.js';
import { CLIENT_ASSERTION_ALGORITHMS, CLIENT_ASSERTION_TYPE_JWT_BEARER } from '../core/constants.js';
import { constantTimeEqual, sha256b64u } from '../core/hash.js';
import { CLIENT_AUTHENTICATION_FAILED, InvalidClient, InvalidRequest, TooManyFailures } from '../core/oauth-errors.js';
import type { FormParams } from '../core/form-params.js';
import type { Client, ClientAuthMethod, ClientRegistry } from './registry.js';
import type { FailureThrottle, ThrottleKeys } from './failure-throttle.js';
import { DUMMY_SECRET_HASH, verifyClientSecret } from './secret-hash.js';

/** jose wants a mutable list: copied once, not per verification. */
const ASSERTION_ALGORITHMS: string[] = [...CLIENT_ASSERTION_ALGORITHMS];

/** A client assertion `jti` to be consumed in the transaction that records the request (RFC 7523 §3 item 7). */
export interface OneTimeAssertion {
  key: string;
  clientId: string;
  expiresAt: Date;
}

export interface AuthenticatedClient {
  client: Client;
  method: ClientAuthMethod;
  assertion?: OneTimeAssertion;
}

export interface ClientAuthDeps {
  clients: ClientRegistry;
  clock: Clock;
  /** Audiences a client assertion may name (RFC 7523 §3 item 3): the token endpoint and our issuer. */
  assertionAudiences: string[];
  clockSkewSeconds: number;
  throttle: FailureThrottle;
  /**
   * Runs one scrypt check within the cap on concurrent checks (core/bulkhead.ts), or throws a 503 with Retry-After (`serviceBusy`).
   * scrypt runs on libuv's thread pool, which also signs our tokens: a few slots stay free for that.
   */
  secretChecks<T>(check: () => Promise<T>): Promise<T>;
}

/** A client assertion is meant for one request; refuse ones that live longer than this. */
const MAX_ASSERTION_LIFETIME_S = 600;

/** What client authentication reads from a request besides its form. */
export interface ClientCredentialsRequest {
  authorization: string | undefined;
  /** The caller's address as far as it can be trusted (http/source-address.ts); absent for in-process calls. */
  sourceAddress?: string | undefined;
  requestId: string;
}

export interface ClientAuthenticator {
  authenticate(req: ClientCredentialsRequest, form: FormParams): Promise<AuthenticatedClient>;
  /** The client id a request claims, for the audit row of a refused request (never trusted). */
  claimedClientId(authorization: string | undefined, form: FormParams): string | undefined;
}

/**
 * RFC 6749 §2.3 client authentication: exactly one method per request, the one configured for the client.
 * Failures are throttled (clients/failure-throttle.ts): an address over its limit gets 429 for every method;
 * a client id over its limit gets 429 instead of the scrypt check, unless the request presents the secret
 * already verified for that client (what a legitimate client under attack sends), which costs no scrypt.
 */
// long: closure scope: the verified-secret memory is shared by its named steps (each < 40 lines).
export function createClientAuthenticator(deps: ClientAuthDeps): ClientAuthenticator {
  // Successful scrypt checks are remembered by digest so that a busy client pays scrypt once, not per request.
  const verified = new Map<string, string>();

  async function checkSecret(id: string | undefined, method: 'client_secret_basic' | 'client_secret_post', secret: string, keys: ThrottleKeys): Promise<AuthenticatedClient> {
    const client = id === undefined ? undefined : deps.clients.get(id);
    const stored = client?.auth.method === method ? client.auth.secretHash : undefined;
    const digest = sha256b64u(secret);
    const known = client && stored ? verified.get(client.id) : undefined;
    if (client && known && constantTimeEqual(known, digest)) {
      await deps.throttle.admit({ source: keys.source });
      return { client, method };
    }
    await deps.throttle.admit(keys);
    const matches = await deps.secretChecks(async () => {
      // Again after the wait for a slot: the failures of the checks ahead of this one may have started a block.
      await deps.throttle.admit(keys);
      // An unknown id, or a known one configured for another method, costs the same scrypt as a wrong secret:
      // the answer's timing does not tell which client ids exist.
      return verifyClientSecret(secret, stored ?? DUMMY_SECRET_HASH);
    });
    if (!client) throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, 'unknown client');
    if (!stored) throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, `client uses ${client.auth.method}, not ${method}`);
    if (!matches) throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, 'wrong client secret');
    verified.set(client.id, digest);
    return { client, method };
  }

  async function checkAssertion(assertion: string, formClientId: string | undefined): Promise<AuthenticatedClient> {
    let iss: unknown;
    try {
      ({ iss } = decodeJwt(assertion));
    } catch {
      throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, 'client assertion is not a JWT');
    }
    const clientId = formClientId ?? (typeof iss === 'string' ? iss : undefined);
    const client = lookup(clientId);
    if (client.auth.method !== 'private_key_jwt') throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, `client uses ${client.auth.method}, not private_key_jwt`);
    const now = deps.clock.now();
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, createLocalJWKSet(client.auth.jwks), {
        issuer: client.id,
        subject: client.id,
        audience: deps.assertionAudiences,
        algorithms: ASSERTION_ALGORITHMS,
        currentDate: now,
        clockTolerance: deps.clockSkewSeconds,
        requiredClaims: ['exp', 'jti'],
      }));
    } catch (err) {
      if (err instanceof errors.JOSEError) throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, `client assertion rejected: ${err.code}`, { cause: err });
      throw err;
    }
    const exp = payload.exp! * 1000;
    if (exp - now.getTime() > MAX_ASSERTION_LIFETIME_S * 1000) throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, 'client assertion lives too long');
    if (typeof payload.jti !== 'string' || payload.jti.length > 256) throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, 'client assertion jti is malformed');
    return {
      client,
      method: 'private_key_jwt',
      assertion: { key: sha256b64u(`${client.id}\n${payload.jti}`), clientId: client.id, expiresAt: new Date(exp + deps.clockSkewSeconds * 1000) },
    };
  }

  function lookup(id: string | undefined): Client {
    const client = id === undefined ? undefined : deps.clients.get(id);
    if (!client) throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, 'unknown client');
    return client;
  }

  async function verify(authorization: string | undefined, form: FormParams, keys: ThrottleKeys): Promise<AuthenticatedClient> {
    const basic = parseBasic(authorization);
    const postSecret = form.single('client_secret');
    const assertion = form.single('client_assertion');
    const assertionType = form.single('client_assertion_type');
    const formClientId = form.single('client_id');
    const used = [basic, postSecret, assertion ?? assertionType].filter((m) => m !== undefined).length;
    // RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each request."
    if (used > 1) throw new InvalidRequest('more than one client authentication method', 'more than one client authentication method used');
    if (basic) {
      if (formClientId !== undefined && formClientId !== basic.id) throw new InvalidRequest('client_id does not match the authenticated client');
      return checkSecret(basic.id, 'client_secret_basic', basic.secret, keys);
    }
    if (postSecret !== undefined) return checkSecret(formClientId, 'client_secret_post', postSecret, keys);
    if (assertion !== undefined || assertionType !== undefined) {
      if (assertionType !== CLIENT_ASSERTION_TYPE_JWT_BEARER || assertion === undefined) {
        throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, 'client_assertion_type must be jwt-bearer with a client_assertion');
      }
      // An assertion check is cheap (one signature): only a blocked address is refused before it.
      await deps.throttle.admit({ source: keys.source });
      return checkAssertion(assertion, formClientId);
    }
    throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, 'no client authentication');
  }

  const authenticator: ClientAuthenticator = {
    async authenticate(req, form) {
      const keys = { client: authenticator.claimedClientId(req.authorization, form), source: req.sourceAddress };
      try {
        return await verify(req.authorization, form, keys);
      } catch (err) {
        // Every failed authentication counts against the client id it claimed and its address; a request turned
        // away for a blocked client id counts against its address (so guessing at a blocked id stays bounded).
        if (err instanceof InvalidClient) await deps.throttle.failed(keys, req.requestId);
        else if (err instanceof TooManyFailures) await deps.throttle.failed({ source: keys.source }, req.requestId);
        throw err;
      }
    },
    claimedClientId(authorization, form) {
      let id: string | undefined;
      try {
        id = parseBasic(authorization)?.id ?? form.single('client_id') ?? assertionIssuer(form.single('client_assertion'));
      } catch {
        id = undefined;
      }
      return id && /^[\x21-\x7e]{1,128}$/.test(id) ? id : undefined;
    },
  };
  return authenticator;
}

/** The unverified `iss` of a client assertion: who it claims to be. */
function assertionIssuer(assertion: string | undefined): string | undefined {
  if (assertion === undefined) return undefined;
  const { iss } = decodeJwt(assertion);
  return typeof iss === 'string' ? iss : undefined;
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined by ":" and base64-encoded (RFC 7617). */
function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  if (header === undefined) return undefined;
  const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  if (!match) throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, 'malformed Authorization header');
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, 'malformed Basic credentials');
  try {
    const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, 'malformed Basic credentials');
  }
}
