import { open, seal, type MasterKeyring } from '../core/sealed-box.js';
import type { UpstreamConnectionRow } from '../db/schema/upstream-connections.js';

/**
 * What both engines' connection stores share: how a row's tokens are sealed and opened (AAD
 * `upstream_connections:{id}:{column}`, so a value copied to another row or column does not open), and which
 * columns a token write sets. Pure: no statement runs here.
 */

/** A connection with its tokens opened (in memory only, never logged). */
export interface OpenedConnection {
  upstreamId: string;
  status: UpstreamConnectionRow['status'];
  accessToken: string | undefined;
  refreshToken: string | undefined;
  accessExpiresAt: Date | null;
  accessObtainedAt: Date | null;
  scope: string | null;
  accessUrl: string | null;
  version: number;
}

export interface TokenWrite {
  accessToken: string | undefined;
  refreshToken: string | undefined;
  expiresIn?: number | undefined;
  scope?: string | undefined;
  accessUrl?: string | undefined;
  seedHash?: string;
  /** A new connection (an admin's authorization, a seed, a first client-credentials token): `connected_at` = now. */
  fresh?: boolean;
}

type TokenColumn = 'access_token' | 'refresh_token';
const aad = (id: string, column: TokenColumn) => `upstream_connections:${id}:${column}`;

/**
 * Opens connection rows, remembering per upstream the sealed values it opened last: the proxy reads the row on
 * every call, and a sealed value (key id, IV, ciphertext, tag) opens to the same token every time, so a row whose
 * sealed values are unchanged is not decrypted again (two AES-GCM opens a call). A refresh, re-seal or disconnect
 * changes them, and the row is opened afresh.
 */
export function createConnectionOpener(keyring: MasterKeyring): (row: UpstreamConnectionRow) => OpenedConnection {
  const last = new Map<string, { access: string | null; refresh: string | null; accessToken: string | undefined; refreshToken: string | undefined }>();
  const opened = (value: string | null, id: string, column: TokenColumn) => (value ? open(keyring, value, aad(id, column)) : undefined);
  return (row) => {
    const id = row.upstreamId;
    let tokens = last.get(id);
    if (tokens?.access !== row.accessTokenSealed || tokens.refresh !== row.refreshTokenSealed) {
      tokens = {
        access: row.accessTokenSealed,
        refresh: row.refreshTokenSealed,
        accessToken: opened(row.accessTokenSealed, id, 'access_token'),
        refreshToken: opened(row.refreshTokenSealed, id, 'refresh_token'),
      };
      last.set(id, tokens);
    }
    return {
      upstreamId: id,
      status: row.status,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      accessExpiresAt: row.accessExpiresAt,
      accessObtainedAt: row.accessObtainedAt,
      scope: row.scope,
      accessUrl: row.accessUrl,
      version: row.version,
    };
  };
}

/**
 * The columns a token write sets, every token sealed under the current key, the lease and the last error
 * cleared (`version` is the engine's to bump); `seed` only what this write changes of seed hash and connected_at.
 */
export function tokenColumns(keyring: MasterKeyring, id: string, tokens: TokenWrite, now: Date) {
  const sealed = (column: TokenColumn, value: string | undefined) => (value === undefined ? null : seal(keyring, value, aad(id, column)));
  const values = {
    status: 'connected' as const,
    keyId: keyring.current.id,
    accessTokenSealed: sealed('access_token', tokens.accessToken),
    refreshTokenSealed: sealed('refresh_token', tokens.refreshToken),
    accessExpiresAt: tokens.accessToken && tokens.expiresIn !== undefined ? new Date(now.getTime() + tokens.expiresIn * 1000) : null,
    accessObtainedAt: tokens.accessToken ? now : null,
    scope: tokens.scope ?? null,
    accessUrl: tokens.accessUrl ?? null,
    leaseOwner: null,
    leaseUntil: null,
    lastError: null,
    lastErrorAt: null,
    updatedAt: now,
  };
  const seed = { ...(tokens.seedHash === undefined ? {} : { seedHash: tokens.seedHash }), ...(tokens.fresh ? { connectedAt: now } : {}) };
  return { values, seed };
}

/** The row's tokens sealed again under the current key: same plaintexts, same AADs. */
export function resealedColumns(keyring: MasterKeyring, row: UpstreamConnectionRow) {
  const again = (value: string | null, column: TokenColumn) => (value === null ? null : seal(keyring, open(keyring, value, aad(row.upstreamId, column)), aad(row.upstreamId, column)));
  return { keyId: keyring.current.id, accessTokenSealed: again(row.accessTokenSealed, 'access_token'), refreshTokenSealed: again(row.refreshTokenSealed, 'refresh_token') };
}

/** The columns a disconnect sets: the tokens and the lease forgotten, the note kept as the last error (`version` is the engine's to bump). */
export function disconnectedColumns(note: string | null, now: Date) {
  return {
    status: 'disconnected' as const,
    accessTokenSealed: null,
    refreshTokenSealed: null,
    accessExpiresAt: null,
    accessObtainedAt: null,
    leaseOwner: null,
    leaseUntil: null,
    lastError: note,
    lastErrorAt: note ? now : null,
    updatedAt: now,
  };
}
