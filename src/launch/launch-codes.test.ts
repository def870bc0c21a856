import { createKeyring, generateMasterKeyText, parseMasterKey } from '../core/sealed-box.js';
import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeLaunchCodeStoreContract } from './launch-codes.contract.js';
import { createLaunchCodes } from './launch-codes.js';

describeLaunchCodeStoreContract('SQLite', sqliteHarness((db) => createLaunchCodes(db, createKeyring([parseMasterKey(generateMasterKeyText())]))));
