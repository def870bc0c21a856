import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../core/clock.js';
import { randomToken, sha256b64u } from '../core/hash.js';
import { open, seal, type MasterKeyring } from '../core/sealed-box.js';
import { commitAudited } from '../audit/commit.js';
import type { UpstreamAuthStateStore } from './auth-states.js';
import { UpstreamTokenError } from './provider.js';
import type { UpstreamEntry, Vault } from './vault.js';

/**
 * Connecting an authorization-code upstream (flow 5): an admin starts it in the browser, the provider sends the
 * browser back with a code, the code (with the PKCE verifier, RFC 7636) becomes tokens in the vault.
 * `state` is single use, expires in 10 minutes and is bound to the admin's browser by a cookie nonce; the
 * redirect URI is one exact URL per upstream (which also separates providers: RFC 9700 §4.4.2 mix-up defence).
 * Every outcome is an audit row; refusals come back as ConnectRefusal for the page that explains them.
 */

export const CONNECT_STATE_TTL_MS = 10 * 60 * 1000;

export type ConnectRefusalKind = 'bad_state' | 'access_denied' | 'provider_error' | 'bad_code' | 'bad_request' | 'not_applicable';

export class ConnectRefusal extends Error {
  constructor(
    readonly kind: ConnectRefusalKind,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export interface ConnectDeps {
  audit: AuditLog;
  clock: Clock;
  keyring: MasterKeyring;
  states: UpstreamAuthStateStore;
  vault: Vault;
  upstreams: ReadonlyMap<string, UpstreamEntry>;
  issuer: string;
}

export const callbackPath = (id: string) => `/admin/upstreams/${id}/callback`;
export const connectPath = (id: string) => `/admin/upstreams/${id}/connect`;

// long: closure scope of the connect module: its body is the object of methods over deps.
export function createConnectService(deps: ConnectDeps) {
  const redirectUri = (id: string) => `${deps.issuer}${callbackPath(id)}`;
  const aad = (stateHash: string) => `upstream_auth_states:${stateHash}`;

  function connectable(id: string): UpstreamEntry {
    const e = deps.upstreams.get(id);
    if (!e || e.config.grant !== 'authorization_code' || !e.provider.authorizationUrl) {
      throw new ConnectRefusal('not_applicable', `upstream "${id.slice(0, 64)}" is not connected by an admin (unknown, or not grant authorization_code)`);
    }
    return e;
  }

  return {
    redirectUri,
    connectable: (id: string) => deps.upstreams.get(id)?.config.grant === 'authorization_code',
    authorizeOrigin(id: string): string {
      const e = connectable(id);
      return new URL(e.provider.authorizationUrl!({ state: 'x', codeChallenge: 'x', redirectUri: redirectUri(id) })).origin;
    },

    /** Step 1: a state, a PKCE pair and a browser nonce; returns where to send the browser and the nonce to set. */
    async start(id: string, actor: string, requestId: string): Promise<{ location: string; nonce: string }> {
      const { provider } = connectable(id);
      const state = randomToken();
      const verifier = randomToken(); // 43 characters of [A-Za-z0-9_-]: RFC 7636 §4.1
      const nonce = randomToken();
      const stateHash = sha256b64u(state);
      const now = deps.clock.now();
      await commitAudited(deps, async (tx) => {
        await deps.states.add(
          tx,
          {
            stateHash,
            upstreamId: id,
            bindingHash: sha256b64u(nonce),
            keyId: deps.keyring.current.id,
            codeVerifierSealed: seal(deps.keyring, verifier, aad(stateHash)),
            redirectUri: redirectUri(id),
            actor,
            createdAt: now,
            expiresAt: new Date(now.getTime() + CONNECT_STATE_TTL_MS),
          },
          now,
        );
        await deps.audit.append(tx, { event: 'upstream.connect', outcome: 'success', requestId, audience: [id], data: { upstream: id, method: 'authorization_code', stage: 'start', actor } });
      });
      // RFC 7636 §4.2: S256, code_challenge = BASE64URL(SHA256(ASCII(code_verifier))).
      return { location: provider.authorizationUrl!({ state, codeChallenge: sha256b64u(verifier), redirectUri: redirectUri(id) }), nonce };
    },

    /** Step 2: the provider's redirect. Returns the connected upstream's token lifetime (if any). */
    async callback(id: string, params: Record<string, string | undefined>, nonce: string | undefined, requestId: string): Promise<{ expiresIn?: number }> {
      const { provider } = connectable(id);
      const now = deps.clock.now();
      const refuse = async (kind: ConnectRefusalKind, reason: string, error: string, actor?: string) => {
        await commitAudited(deps, async (tx) =>
          await deps.audit.append(tx, {
            event: 'upstream.connect',
            outcome: 'refused',
            requestId,
            audience: [id],
            reason,
            data: { upstream: id, method: 'authorization_code', stage: 'callback', error, ...(actor ? { actor } : {}) },
          }),
        );
        return new ConnectRefusal(kind, reason);
      };
      const state = params.state;
      if (!state || state.length > 256) throw await refuse('bad_state', 'callback without a usable state parameter', 'bad_state');
      const stateHash = sha256b64u(state);
      // RFC 6749 §10.12: the state must come back to the browser that started the flow. One atomic consume
      // checks the binding, the upstream and the expiry: a state can never be used twice.
      const row = await commitAudited(deps, (tx) => deps.states.consume(tx, { stateHash, upstreamId: id, bindingHash: sha256b64u(nonce ?? '') }, now));
      if (!row) {
        const expiresAt = await deps.states.expiryOf(stateHash);
        const why = !expiresAt ? 'state unknown or already used' : expiresAt <= now ? 'state expired' : nonce ? 'state started in another browser' : 'no connect cookie in this browser';
        throw await refuse('bad_state', why, 'bad_state');
      }
      if (params.error !== undefined) {
        const code = params.error.replace(/[^\w.-]/g, '_').slice(0, 64);
        const description = (params.error_description ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
        throw await refuse(code === 'access_denied' ? 'access_denied' : 'provider_error', `the provider answered error=${code}${description ? ` (${description})` : ''}`, code, row.actor);
      }
      if (!params.code || params.code.length > 2048) throw await refuse('bad_request', 'callback without a code', 'no_code', row.actor);
      const verifier = open(deps.keyring, row.codeVerifierSealed, aad(stateHash));
      let set;
      try {
        set = await provider.exchangeCode!({ code: params.code, codeVerifier: verifier, redirectUri: row.redirectUri });
      } catch (err) {
        if (!(err instanceof UpstreamTokenError)) throw err;
        const kind = err.kind === 'invalid_grant' ? 'bad_code' : 'provider_error';
        throw await refuse(kind, `code exchange failed: ${err.kind} (${err.code})`, err.code, row.actor);
      }
      const at = deps.clock.now();
      await commitAudited(deps, async (tx) => {
        await deps.vault.storeConnection(tx, id, set, at);
        await deps.audit.append(tx, {
          event: 'upstream.connect',
          outcome: 'success',
          requestId,
          audience: [id],
          data: { upstream: id, method: 'authorization_code', stage: 'callback', actor: row.actor, ...(set.expiresIn !== undefined ? { expires_in: set.expiresIn } : {}) },
        });
      });
      return set.expiresIn !== undefined ? { expiresIn: set.expiresIn } : {};
    },
  };
}

export type ConnectService = ReturnType<typeof createConnectService>;
