import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.js';
import type { AuditEvent } from '../audit/events.js';
import type { Clock } from '../core/clock.js';
import { sha256b64u } from '../core/hash.js';
import { GatewayTimeout, TemporarilyUnavailable } from '../core/oauth-errors.js';
import type { Tx } from '../db/tx.js';
import { commitAudited } from '../audit/commit.js';
import type { UpstreamConfig } from '../config/upstream.js';
import { needsReauthorization, notConnected, tokenFailure } from './errors.js';
import { UpstreamTokenError, type TokenSet, type UpstreamObserver, type UpstreamProvider } from './provider.js';
import type { ConnectionStore, OpenedConnection } from './vault-store.js';

/**
 * The upstream token vault (flow 5). Hands out a usable upstream access token per upstream, refreshing it
 * before it expires and once after the upstream rejected it, with these guarantees:
 * - single flight: concurrent callers in this process share one refresh (a map of in-flight promises);
 * - one refresher across instances: a database lease (`tryLease`, one UPDATE … WHERE); the others poll the row
 *   until its version moves and use the new token;
 * - a refresh is never abandoned while its answer can still arrive: callers wait at most `timeout_ms` (then
 *   504), the token request itself runs to `refresh_timeout_ms` and its answer is stored whoever still waits;
 * - durability first: once the provider's answer has arrived, the refreshed (possibly rotated) refresh token is
 *   committed, with its audit row, before the new access token is returned to anyone (an answer with an unusable
 *   access token still has its new refresh token kept), so a crash after that loses nothing. A crash before the
 *   answer arrives loses a token the vendor already rotated: no client can store what it never received. That
 *   loss is loud (the next refresh is `invalid_grant`, below), and a vendor's refresh grace period longer than
 *   the lease (`refresh_timeout_ms` + 5 s) undoes it (README, "What survives a crash mid-refresh");
 * - no retry storm: `invalid_grant`, `invalid_client` or `unauthorized_client` marks the connection
 *   `needs_reauth` (audited) and every later call fails fast without contacting the provider, until an admin
 *   reconnects or imports new credentials (client credentials: a restart tries the configured secret once).
 */

export interface UpstreamEntry {
  config: UpstreamConfig;
  provider: UpstreamProvider;
}

/** An access token ready to use, with what the caller needs to report a rejection of it. */
export interface UsableToken {
  value: string;
  /** The row version it came from: a rejection of an older version is already handled. */
  version: number;
  expiresAt: Date | null;
  accessUrl: string | null;
  scope: string | null;
}

export interface VaultDeps {
  audit: AuditLog;
  clock: Clock;
  store: ConnectionStore;
  upstreams: ReadonlyMap<string, UpstreamEntry>;
  /** Poll interval while another instance holds the lease (real time; the lease itself runs on `clock`). */
  pollMs?: number;
  observer?: UpstreamObserver | undefined;
}

// long: closure scope: lease owner, single-flight map and retry memory are shared by its named steps (each < 60 lines).
export function createVault(deps: VaultDeps) {
  const owner = randomBytes(12).toString('base64url');
  const inflight = new Map<string, Promise<UsableToken>>();
  const pollMs = deps.pollMs ?? 25;
  // Client credentials have nothing to re-authorise but the configured secret: after a start (with a corrected
  // secret, one hopes) a refused connection is tried once more, then refused again without a request.
  const triedSinceStart = new Set<string>();

  const entry = (id: string): UpstreamEntry => {
    const e = deps.upstreams.get(id);
    if (!e) throw notConnected(id, 'not configured');
    return e;
  };

  /** Fresh enough: not within the refresh margin of expiry (the margin is at most half the token's lifetime). */
  function fresh(conn: OpenedConnection, skewSeconds: number): boolean {
    if (!conn.accessToken || conn.status !== 'connected') return false;
    if (!conn.accessExpiresAt) return true;
    const expires = conn.accessExpiresAt.getTime();
    const lifetime = conn.accessObtainedAt ? expires - conn.accessObtainedAt.getTime() : Infinity;
    return expires - Math.min(skewSeconds * 1000, lifetime / 2) > deps.clock.now().getTime();
  }

  const usable = (conn: OpenedConnection): UsableToken => ({
    value: conn.accessToken!,
    version: conn.version,
    expiresAt: conn.accessExpiresAt,
    accessUrl: conn.accessUrl,
    scope: conn.scope,
  });

  function refuseUnusable(id: string, cfg: UpstreamConfig, conn: OpenedConnection | undefined): void {
    const retryable = cfg.grant === 'client_credentials' && !triedSinceStart.has(id);
    if (conn?.status === 'needs_reauth' && !retryable) throw needsReauthorization(id, 'connection marked needs_reauth');
    const selfConnecting = cfg.grant === 'client_credentials';
    if (!selfConnecting && (!conn || conn.status === 'disconnected')) throw notConnected(id, conn ? 'disconnected' : 'never connected');
  }

  /** A usable access token for the upstream; refreshes first when it is missing or about to expire. */
  async function accessToken(id: string): Promise<UsableToken> {
    const { config } = entry(id);
    const conn = await deps.store.read(id);
    refuseUnusable(id, config, conn);
    if (conn && fresh(conn, config.refresh_skew_seconds)) return usable(conn);
    return renew(id, conn?.version);
  }

  /**
   * The upstream answered 401 to `rejected`: refresh once, unless another caller already replaced that token,
   * in which case the replacement is returned without contacting the provider.
   */
  async function afterRejection(id: string, rejected: UsableToken): Promise<UsableToken> {
    const { config } = entry(id);
    const conn = await deps.store.read(id);
    refuseUnusable(id, config, conn);
    if (conn && conn.version !== rejected.version && fresh(conn, config.refresh_skew_seconds)) return usable(conn);
    return renew(id, rejected.version);
  }

  /** Single flight: one renewal per upstream at a time in this process; everyone else awaits it. */
  function renew(id: string, staleVersion: number | undefined): Promise<UsableToken> {
    let job = inflight.get(id);
    if (!job) {
      job = renewUnderLease(id, staleVersion).finally(() => inflight.delete(id));
      inflight.set(id, job);
    }
    return withinCallDeadline(id, job);
  }

  /**
   * A caller waits for a renewal at most `timeout_ms` and then gets 504, but the renewal goes on: with rotation
   * the vendor retired the old refresh token the moment it received the request, so the answer is awaited to
   * `refresh_timeout_ms` and stored, and the next caller uses it. (The race keeps a later rejection handled.)
   */
  async function withinCallDeadline(id: string, job: Promise<UsableToken>): Promise<UsableToken> {
    const ms = entry(id).config.timeout_ms;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new GatewayTimeout('the upstream did not answer in time', `upstream ${id}: credentials still being renewed after ${ms} ms (the renewal goes on)`)), ms);
    });
    try {
      return await Promise.race([job, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function renewUnderLease(id: string, staleVersion: number | undefined): Promise<UsableToken> {
    const { config } = entry(id);
    // Covers the whole token request: a live holder's lease never runs out while its answer can still arrive.
    const leaseMs = config.refresh_timeout_ms + 5_000;
    const polls = Math.ceil((leaseMs + 1_000) / pollMs);
    for (let i = 0; i <= polls; i++) {
      const now = deps.clock.now();
      const until = new Date(now.getTime() + leaseMs);
      const conn = await deps.store.read(id);
      refuseUnusable(id, config, conn);
      // Another instance finished a refresh since we looked: use its token.
      if (conn && conn.version !== staleVersion && fresh(conn, config.refresh_skew_seconds)) return usable(conn);
      // Committed on its own before the token request, so other instances see who holds the lease.
      const leased = await commitAudited(deps, (tx) => (conn ? deps.store.tryLease(tx, id, conn.version, owner, now, until) : deps.store.tryCreateLeased(tx, id, owner, now, until)));
      if (leased) return refreshWithLease(id, conn);
      staleVersion ??= conn?.version;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    throw new TemporarilyUnavailable('the upstream credentials are being renewed; try again shortly', `upstream ${id}: refresh lease held elsewhere too long`);
  }

  async function refreshWithLease(id: string, conn: OpenedConnection | undefined): Promise<UsableToken> {
    const { config, provider } = entry(id);
    const grant = config.grant;
    const first = !conn?.accessToken && grant === 'client_credentials';
    const audit = (tx: Tx, event: AuditEvent) => deps.audit.append(tx, event);
    if (grant === 'client_credentials') triedSinceStart.add(id);
    let set: TokenSet;
    try {
      if (grant === 'client_credentials') set = await provider.clientCredentials!();
      else if (conn?.refreshToken && provider.refresh) set = await provider.refresh(conn.refreshToken);
      // SurveyMonkey's long-lived tokens and static tokens cannot be renewed: a rejected one needs an admin.
      else throw new UpstreamTokenError('invalid_grant', 'no_refresh_token');
    } catch (err) {
      return await refreshFailed(id, conn, err);
    }
    const now = deps.clock.now();
    deps.observer?.countRefresh({ upstream: id, outcome: 'success' });
    const refreshToken = set.refreshToken ?? conn?.refreshToken;
    const rotated = set.refreshToken !== undefined && set.refreshToken !== conn?.refreshToken;
    // The new refresh token is committed here, before the new access token leaves this function.
    const version = await commitAudited(deps, async (tx) => {
      const v = await deps.store.writeTokens(
        tx,
        id,
        { accessToken: set.accessToken, refreshToken, expiresIn: set.expiresIn, scope: set.scope ?? conn?.scope ?? undefined, accessUrl: set.accessUrl ?? conn?.accessUrl ?? undefined, fresh: first },
        now,
      );
      const expires = set.expiresIn === undefined ? {} : { expires_in: set.expiresIn };
      if (first) await audit(tx, { event: 'upstream.connect', outcome: 'success', audience: [id], data: { upstream: id, method: 'client_credentials', ...expires } });
      else await audit(tx, { event: 'upstream.refresh', outcome: 'success', audience: [id], data: { upstream: id, grant, ...expires, ...(grant === 'client_credentials' ? {} : { rotated }) } });
      return v;
    });
    return {
      value: set.accessToken,
      version,
      expiresAt: set.expiresIn === undefined ? null : new Date(now.getTime() + set.expiresIn * 1000),
      accessUrl: set.accessUrl ?? conn?.accessUrl ?? null,
      scope: set.scope ?? conn?.scope ?? null,
    };
  }

  /** Records a failed refresh (the connection stops at needs_reauth when the provider refused it) and throws. */
  async function refreshFailed(id: string, conn: OpenedConnection | undefined, err: unknown): Promise<never> {
    const grant = entry(id).config.grant;
    const now = deps.clock.now();
    deps.observer?.countRefresh({ upstream: id, outcome: 'error' });
    if (err instanceof UpstreamTokenError && (err.kind === 'invalid_grant' || err.kind === 'invalid_client')) {
      // RFC 6749 §5.2: the refresh token is invalid, expired or revoked (we hold the lease, so no sibling
      // rotated it meanwhile), or our client credentials are refused or not allowed this grant (regenerated at
      // the vendor). Retrying cannot help: stop here, loudly, until an admin reconnects or reconfigures.
      await commitAudited(deps, async (tx) => {
        await deps.store.markNeedsReauth(tx, id, `refresh refused: ${err.code}`, now);
        await deps.audit.append(tx, { event: 'upstream.refresh', outcome: 'refused', reason: `refresh refused by the provider: ${err.code}`, audience: [id], data: { upstream: id, grant, status: 'needs_reauth', error: err.code } });
      });
      throw needsReauthorization(id, `refresh refused: ${err.code}`);
    }
    const failure = err instanceof UpstreamTokenError ? err : new UpstreamTokenError('unavailable', 'unexpected', { cause: err });
    // An answer we cannot use may still carry a rotated refresh token: the old one is already dead, so this
    // one is kept (without an access token: the next call refreshes with it).
    const salvaged = failure.refreshToken;
    await commitAudited(deps, async (tx) => {
      if (salvaged) await deps.store.writeTokens(tx, id, { accessToken: undefined, refreshToken: salvaged, scope: conn?.scope ?? undefined, accessUrl: conn?.accessUrl ?? undefined }, now);
      await deps.store.recordError(tx, id, owner, `${failure.kind}: ${failure.code}`, now);
      await deps.audit.append(tx, { event: 'upstream.refresh', outcome: 'error', reason: `${failure.kind}: ${failure.code}`, audience: [id], data: { upstream: id, grant, error: failure.code, ...(salvaged ? { rotated: true } : {}) } });
    });
    throw tokenFailure(id, failure);
  }

  /**
   * The provider said the token is dead beyond refreshing (SurveyMonkey 1011–1013, `status: 1`): the connection
   * needs an admin. Audited; later calls fail fast.
   */
  async function markRevoked(id: string, detail: string, requestId?: string): Promise<void> {
    const now = deps.clock.now();
    await commitAudited(deps, async (tx) => {
      await deps.store.markNeedsReauth(tx, id, detail, now);
      await deps.audit.append(tx, {
        event: 'upstream.refresh',
        outcome: 'refused',
        ...(requestId ? { requestId } : {}),
        reason: detail,
        audience: [id],
        data: { upstream: id, grant: entry(id).config.grant, status: 'needs_reauth', error: 'token_revoked' },
      });
    });
  }

  /** Stores what an admin's authorization code brought (or a seed), with its audit row, in one transaction. */
  async function storeConnection(tx: Tx, id: string, set: TokenSet, now: Date, seedHash?: string): Promise<void> {
    await deps.store.writeTokens(
      tx,
      id,
      { accessToken: set.accessToken || undefined, refreshToken: set.refreshToken, expiresIn: set.expiresIn, scope: set.scope, accessUrl: set.accessUrl, fresh: true, ...(seedHash ? { seedHash } : {}) },
      now,
    );
  }

  /**
   * Seeds (grant refresh_token: the first refresh token; grant static: the access token) are imported when
   * the configured value differs from the last one imported: a new credential an admin generated replaces the
   * vault's, while the original seed (already rotated away) is never imported twice.
   */
  function importSeed(id: string, seed: string): Promise<boolean> {
    const { config } = entry(id);
    const hash = sha256b64u(seed);
    const now = deps.clock.now();
    // Checked again inside the (IMMEDIATE) transaction: two instances starting together import once, and a seed
    // never overwrites the rotated refresh token another instance stored meanwhile.
    return deps.audit.commit(async (tx) => {
      if ((await deps.store.row(id, tx))?.seedHash === hash) return false;
      await storeConnection(tx, id, config.grant === 'static' ? { accessToken: seed } : { accessToken: '', refreshToken: seed }, now, hash);
      await deps.audit.append(tx, { event: 'upstream.connect', outcome: 'success', audience: [id], data: { upstream: id, method: 'seed' } });
      return true;
    });
  }

  /** Revokes at the provider where it can (refresh token first: RFC 7009 §2.1 ends the whole grant), then forgets. */
  async function disconnect(id: string, ctx: { actor: string; requestId?: string }): Promise<{ wasConnected: boolean; revoked: boolean; error?: string }> {
    const { provider } = entry(id);
    const conn = await deps.store.read(id);
    if (!conn || conn.status === 'disconnected') return { wasConnected: false, revoked: false };
    let revoked = false;
    let error: string | undefined;
    const token = conn.refreshToken ? { value: conn.refreshToken, hint: 'refresh_token' as const } : conn.accessToken ? { value: conn.accessToken, hint: 'access_token' as const } : undefined;
    if (!provider.revoke) error = 'provider_has_no_revocation';
    else if (token) {
      try {
        await provider.revoke(token);
        revoked = true;
      } catch (err) {
        error = err instanceof UpstreamTokenError ? err.code : 'revocation_failed';
      }
    }
    const now = deps.clock.now();
    await commitAudited(deps, async (tx) => {
      await deps.store.disconnect(tx, id, revoked ? null : `disconnected; not revoked upstream (${error ?? 'no token'})`, now);
      await deps.audit.append(tx, {
        event: 'upstream.disconnect',
        outcome: 'success',
        ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
        audience: [id],
        data: { upstream: id, actor: ctx.actor, revoked, ...(error ? { error } : {}) },
      });
    });
    return { wasConnected: true, revoked, ...(error ? { error } : {}) };
  }

  return { accessToken, afterRejection, markRevoked, storeConnection, importSeed, disconnect, entry };
}

export type Vault = ReturnType<typeof createVault>;
