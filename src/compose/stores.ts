import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AdminSessionStore } from '../admin/sessions.js';
import { createAdminSessionStore } from '../admin/sessions.js';
import { createPgAdminSessionStore } from '../admin/sessions-pg.js';
import { createAuditLog, type AuditLog, type AuditObserver } from '../audit/audit-log.js';
import { createPgAuditLog } from '../audit/audit-log-pg.js';
import { createAuditCheckpointStore, type AuditCheckpointStore } from '../audit/checkpoint-store.js';
import { createPgAuditCheckpointStore } from '../audit/checkpoint-store-pg.js';
import type { AuditReader } from '../audit/reader.js';
import { createPgAuditReader } from '../audit/reader-pg.js';
import { createSqliteAuditReader } from '../audit/reader-sqlite.js';
import { createClientAssertionStore, type ClientAssertionStore } from '../clients/assertion-replay.js';
import { createPgClientAssertionStore } from '../clients/assertion-replay-pg.js';
import type { Config } from '../config/schema.js';
import { readSecret } from '../config/secrets.js';
import type { Clock } from '../core/clock.js';
import { createKeyring, parseMasterKey, type MasterKeyring } from '../core/sealed-box.js';
import { openDatabase, type AppDatabase } from '../db/client.js';
import { createGroupCommitter, type GroupCommitter } from '../db/group-commit.js';
import { openPgDatabase, type PgDatabase, type PgOptions } from '../db/pg/client.js';
import { createPgGroupCommitter } from '../db/pg/group-commit.js';
import { purgeExpiredPg } from '../db/pg/purge-expired.js';
import { createPgRateLimiter, type LimiterOptions } from '../db/pg/rate-limiter.js';
import { purgeExpiredSqlite, type PurgeExpired } from '../db/prune-expired.js';
import { createMasterKeyResealStore, type MasterKeyResealStore } from '../db/sealed-columns.js';
import { createPgMasterKeyResealStore } from '../db/sealed-columns-pg.js';
import { createLaunchCodes, type LaunchCodeStore } from '../launch/launch-codes.js';
import { createPgLaunchCodes } from '../launch/launch-codes-pg.js';
import { createServiceSecretStore, type ServiceSecretStore } from '../launch/service-secrets.js';
import { createPgServiceSecretStore } from '../launch/service-secrets-pg.js';
import type { AssertionReplayStore } from '../saml/types.js';
import { createAssertionReplayStore } from '../sso/assertion-replay.js';
import { createPgAssertionReplayStore } from '../sso/assertion-replay-pg.js';
import { createPendingLogins, type PendingLoginStore } from '../sso/pending-logins.js';
import { createPgPendingLogins } from '../sso/pending-logins-pg.js';
import { createRevocations, type RevocationStore } from '../tokens/revocations.js';
import { createPgRevocations } from '../tokens/revocations-pg.js';
import { createSigningKeyStore, type SigningKeyStore } from '../tokens/signing-keys.js';
import { createPgSigningKeyStore } from '../tokens/signing-keys-pg.js';
import { createUpstreamAuthStateStore, type UpstreamAuthStateStore } from '../upstream/auth-states.js';
import { createPgUpstreamAuthStateStore } from '../upstream/auth-states-pg.js';
import { createConnectionStore, type ConnectionStore } from '../upstream/vault-store.js';
import { createPgConnectionStore } from '../upstream/vault-store-pg.js';

/**
 * Every store the service writes or reads, each behind its engine-neutral interface (and its contract suite,
 * run against both engines): an engine plugs in by building this record from its own implementations.
 */
export interface Stores {
  audit: AuditLog;
  auditReader: AuditReader;
  auditCheckpoints: AuditCheckpointStore;
  pendingLogins: PendingLoginStore;
  launchCodes: LaunchCodeStore;
  samlReplay: AssertionReplayStore;
  revocations: RevocationStore;
  clientAssertions: ClientAssertionStore;
  signingKeys: SigningKeyStore;
  adminSessions: AdminSessionStore;
  serviceSecrets: ServiceSecretStore;
  upstreamConnections: ConnectionStore;
  upstreamAuthStates: UpstreamAuthStateStore;
  /** The sealed columns `keys rotate-master` re-seals (upstream connections aside). */
  sealedColumns: MasterKeyResealStore;
}


/** The opened engine: its stores and one group committer, and the handle of whichever engine it is. */
export interface Engine {
  readonly kind: 'sqlite' | 'postgres';
  readonly committer: GroupCommitter;
  readonly stores: Stores;
  /** Deletes expired one-time and revocation rows (through the committer). */
  readonly purgeExpired: PurgeExpired;
  /** The SQLite database (WAL checkpoints, online backup, tests); absent on PostgreSQL. */
  readonly sqlite?: AppDatabase;
  /** The PostgreSQL pool; absent on SQLite. */
  readonly postgres?: PgDatabase;
  /** Where the failure throttle counts, when instances share it (PostgreSQL); absent: in this process's memory. */
  readonly sharedLimiter?: (opts: LimiterOptions) => RateLimiterAbstract;
  close(): Promise<void>;
}

/** The configured master key (and a previous one during a rotation) as a keyring. */
function openKeyring(config: Config, env: NodeJS.ProcessEnv, onUnknownMasterKey?: (id: string) => void): MasterKeyring {
  const mk = config.master_key;
  const previous = mk.previous_key_env || mk.previous_key_file ? [parseMasterKey(readSecret({ env: mk.previous_key_env, file: mk.previous_key_file }, 'master_key.previous', env))] : [];
  // The current key seals; a previous key (during a rotation, until `keys rotate-master` re-sealed everything) only opens.
  return createKeyring([parseMasterKey(readSecret({ env: mk.key_env, file: mk.key_file }, 'master_key', env)), ...previous], onUnknownMasterKey);
}

/**
 * Opens the configured engine (PostgreSQL when `database.url` is set, else the SQLite file) with the master key
 * from the config's reference. Shared by the service and the CLI. `onUnknownMasterKey` hears of values sealed
 * under a key this process does not hold (see createKeyring).
 */
export async function openStore(config: Config, env: NodeJS.ProcessEnv, clock: Clock, auditObserver?: AuditObserver, onUnknownMasterKey?: (id: string) => void) {
  const keyring = openKeyring(config, env, onUnknownMasterKey);
  const engine = config.database.url ? await openPostgres(config, keyring, clock, auditObserver) : openSqlite(config, keyring, clock, auditObserver);
  const { audit } = engine.stores;
  return { keyring, engine, audit, committer: engine.committer, stores: engine.stores, keyDeps: { keys: engine.stores.signingKeys, keyring, clock, audit } };
}

export type OpenedStore = Awaited<ReturnType<typeof openStore>>;

function openSqlite(config: Config, keyring: MasterKeyring, clock: Clock, observer: AuditObserver | undefined): Engine {
  const database = openDatabase({ path: config.database.path, synchronous: config.database.synchronous });
  // The connection's one group committer: every request's write (audited changes, replay records) goes through it.
  const committer = createGroupCommitter(database.db, { check: () => database.checkFile() });
  const { db } = database;
  const stores: Stores = {
    audit: createAuditLog(db, clock, { committer, observer }),
    auditReader: createSqliteAuditReader(db),
    auditCheckpoints: createAuditCheckpointStore(db),
    pendingLogins: createPendingLogins(db),
    launchCodes: createLaunchCodes(db, keyring),
    samlReplay: createAssertionReplayStore(db, committer),
    revocations: createRevocations(db),
    clientAssertions: createClientAssertionStore(db),
    signingKeys: createSigningKeyStore(db),
    adminSessions: createAdminSessionStore(db),
    serviceSecrets: createServiceSecretStore(db),
    upstreamConnections: createConnectionStore(db, keyring),
    upstreamAuthStates: createUpstreamAuthStateStore(db),
    sealedColumns: createMasterKeyResealStore(db),
  };
  return { kind: 'sqlite', committer, stores, purgeExpired: purgeExpiredSqlite, sqlite: database, close: async () => database.close() };
}

/** The PostgreSQL connection settings of `database` (the CLI's `db copy` names its own `url`). */
export function pgOptions(c: Config['database'], url: string): PgOptions {
  return {
    url,
    schema: c.schema,
    poolSize: c.pool_size,
    statementTimeoutMs: c.statement_timeout_ms,
    connectTimeoutMs: c.connect_timeout_ms,
    tls: c.tls ? { caFile: c.tls.ca_file } : undefined,
  };
}

async function openPostgres(config: Config, keyring: MasterKeyring, clock: Clock, observer: AuditObserver | undefined): Promise<Engine> {
  const c = config.database;
  const database = await openPgDatabase(pgOptions(c, c.url!));
  const committer = createPgGroupCommitter(database);
  const { db } = database;
  const stores: Stores = {
    audit: createPgAuditLog(db, clock, { committer, observer }),
    auditReader: createPgAuditReader(db),
    auditCheckpoints: createPgAuditCheckpointStore(db),
    pendingLogins: createPgPendingLogins(db),
    launchCodes: createPgLaunchCodes(keyring),
    samlReplay: createPgAssertionReplayStore(committer),
    revocations: createPgRevocations(db),
    clientAssertions: createPgClientAssertionStore(),
    signingKeys: createPgSigningKeyStore(db),
    adminSessions: createPgAdminSessionStore(db),
    serviceSecrets: createPgServiceSecretStore(),
    upstreamConnections: createPgConnectionStore(db, keyring),
    upstreamAuthStates: createPgUpstreamAuthStateStore(db),
    sealedColumns: createPgMasterKeyResealStore(db),
  };
  // Every instance counts failures in one table.
  const sharedLimiter = (opts: LimiterOptions) => createPgRateLimiter(database.pool, c.schema, opts);
  return { kind: 'postgres', committer, stores, purgeExpired: purgeExpiredPg, postgres: database, sharedLimiter, close: () => database.close() };
}
