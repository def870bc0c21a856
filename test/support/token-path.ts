// The token path's real collaborators for unit tests beside the code: a SQLite file in a fresh folder with its
// group committer and audit log, a master keyring, the signing-key store with one active ES256 key, the keystore,
// the revocation store and a fixed clock. Nothing is mocked; `close` removes the folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc } from 'drizzle-orm';
import { createAuditLog, type AuditLog } from '../../src/audit/audit-log.js';
import { fixedClock } from '../../src/core/clock.js';
import { createKeyring, generateMasterKeyText, parseMasterKey, type MasterKeyring } from '../../src/core/sealed-box.js';
import { openDatabase, type AppDatabase } from '../../src/db/client.js';
import { createGroupCommitter, type GroupCommitter } from '../../src/db/group-commit.js';
import { auditLog } from '../../src/db/schema/audit-log.js';
import { createKeystore, ensureSigningKey, type Keystore } from '../../src/tokens/keystore.js';
import { createRevocations, type RevocationStore } from '../../src/tokens/revocations.js';
import { createSigningKeyStore, type SigningKeyStore } from '../../src/tokens/signing-keys.js';
import type { VerifyDeps } from '../../src/tokens/verify.js';

export const T0 = '2026-11-23T10:00:00.000Z';
export const ISSUER = 'https://sts.example.edu';

export interface TokenPath {
  dir: string;
  database: AppDatabase;
  committer: GroupCommitter;
  audit: AuditLog;
  clock: ReturnType<typeof fixedClock>;
  keyring: MasterKeyring;
  signingKeys: SigningKeyStore;
  keystore: Keystore;
  revocations: RevocationStore;
  /** What `verifyOwnToken` takes: our issuer, 60 s of skew. */
  verify: VerifyDeps;
  /** What the minting code takes. */
  minting: { keystore: Keystore; clock: ReturnType<typeof fixedClock>; issuer: string };
  /** The audit rows written so far, without the chain's bookkeeping (id, at, hashes); `data` parsed. */
  auditRows(): Record<string, unknown>[];
  close(): void;
}

export async function openTokenPath(): Promise<TokenPath> {
  const dir = mkdtempSync(join(tmpdir(), 'campus-sts-unit-'));
  const database = openDatabase({ path: join(dir, 'sts.sqlite') });
  const committer = createGroupCommitter(database.db, { check: database.checkFile });
  const clock = fixedClock(T0);
  const audit = createAuditLog(database.db, clock, { committer });
  const keyring = createKeyring([parseMasterKey(generateMasterKeyText())]);
  const signingKeys = createSigningKeyStore(database.db);
  const keystore = createKeystore({ keys: signingKeys, keyring, clock });
  const revocations = createRevocations(database.db);
  await ensureSigningKey({ keys: signingKeys, keyring, clock, audit }, 'ES256');
  const keyRows = database.db.select().from(auditLog).all().length;
  return {
    dir,
    database,
    committer,
    audit,
    clock,
    keyring,
    signingKeys,
    keystore,
    revocations,
    verify: { keystore, revocations, clock, issuer: ISSUER, clockSkewSeconds: 60 },
    minting: { keystore, clock, issuer: ISSUER },
    auditRows: () =>
      database.db
        .select()
        .from(auditLog)
        .orderBy(asc(auditLog.id))
        .all()
        .slice(keyRows)
        .map(({ id: _id, at: _at, prevHash: _p, hash: _h, data, ...rest }) => ({
          ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null)),
          data: JSON.parse(data ?? 'null') as unknown,
        })),
    close() {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
