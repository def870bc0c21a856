import type { UpstreamConnectionRow } from '../db/schema/upstream-connections.js';
import type { UpstreamConfig } from '../config/upstream.js';

/** One line of `campus-sts upstream status`: what an operator needs, no token material. */
export interface ConnectionStatus {
  upstream: string;
  provider: UpstreamConfig['provider'];
  grant: UpstreamConfig['grant'];
  state: 'connected' | 'needs_reauth' | 'not_connected' | 'disconnected';
  /** ISO time the access token expires; "never" when the provider gives no expiry; null without a token. */
  expires_at: string | null;
  connected_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
}

/** Joins the configured upstreams with their vault rows (rows of upstreams no longer configured are ignored). */
export function describeConnections(upstreams: readonly UpstreamConfig[], rows: readonly UpstreamConnectionRow[]): ConnectionStatus[] {
  const byId = new Map(rows.map((r) => [r.upstreamId, r]));
  return upstreams.map((u) => {
    const row = byId.get(u.id);
    const hasToken = Boolean(row?.accessTokenSealed);
    const state: ConnectionStatus['state'] = !row ? 'not_connected' : row.status === 'connected' && !hasToken && !row.refreshTokenSealed ? 'not_connected' : row.status;
    return {
      upstream: u.id,
      provider: u.provider,
      grant: u.grant,
      state,
      expires_at: !row || !hasToken ? null : row.accessExpiresAt ? row.accessExpiresAt.toISOString() : 'never',
      connected_at: row?.connectedAt?.toISOString() ?? null,
      last_error: row?.lastError ?? null,
      last_error_at: row?.lastErrorAt?.toISOString() ?? null,
    };
  });
}

const LABEL: Record<ConnectionStatus['state'], string> = {
  connected: 'connected',
  needs_reauth: 'needs re-authorisation',
  not_connected: 'not connected',
  disconnected: 'disconnected',
};

/** A fixed-width table for people. */
export function formatStatusTable(list: readonly ConnectionStatus[]): string[] {
  const head = ['UPSTREAM', 'PROVIDER', 'GRANT', 'STATE', 'EXPIRES AT', 'LAST ERROR'];
  const rows = list.map((s) => [s.upstream, s.provider, s.grant, LABEL[s.state], s.expires_at ?? '-', s.last_error ? `${s.last_error} (${s.last_error_at})` : '-']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}
