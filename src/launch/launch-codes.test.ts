import { createKeyring, generateMasterKeyText, parseMasterKey } from '../core/sealed-box.js';
import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { pgHarness } from '../db/pg/harness.contract.js';
import { describeLaunchCodeStoreContract } from './launch-codes.contract.js';
import { createPgLaunchCodes } from './launch-codes-pg.js';
import { createLaunchCodes } from './launch-codes.js';

describeLaunchCodeStoreContract('SQLite', sqliteHarness((db) => createLaunchCodes(db, createKeyring([parseMasterKey(generateMasterKeyText())]))));
describeLaunchCodeStoreContract('PostgreSQL', pgHarness(() => createPgLaunchCodes(createKeyring([parseMasterKey(generateMasterKeyText())]))));
