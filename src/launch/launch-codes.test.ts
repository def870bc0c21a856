import { eq } from 'drizzle-orm';
import { sha256b64u } from '../core/hash.js';
import { createKeyring, generateMasterKeyText, parseMasterKey } from '../core/sealed-box.js';
import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { pgHarness } from '../db/pg/harness.contract.js';
import { launchCodes } from '../db/schema/launch-codes.js';
import * as pgSchema from '../db/schema-pg/index.js';
import { describeLaunchCodeStoreContract } from './launch-codes.contract.js';
import { createPgLaunchCodes } from './launch-codes-pg.js';
import { createLaunchCodes } from './launch-codes.js';

const keyring = () => createKeyring([parseMasterKey(generateMasterKeyText())]);

describeLaunchCodeStoreContract(
  'SQLite',
  sqliteHarness((db) =>
    Object.assign(createLaunchCodes(db, keyring()), {
      storedPayload: async (code: string) => db.select().from(launchCodes).where(eq(launchCodes.codeHash, sha256b64u(code))).get()?.payloadSealed,
    }),
  ),
);
describeLaunchCodeStoreContract(
  'PostgreSQL',
  pgHarness((db) =>
    Object.assign(createPgLaunchCodes(keyring()), {
      storedPayload: async (code: string) => (await db.select().from(pgSchema.launchCodes).where(eq(pgSchema.launchCodes.codeHash, sha256b64u(code))))[0]?.payloadSealed,
    }),
  ),
);
