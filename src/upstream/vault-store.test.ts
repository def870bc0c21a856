import { createKeyring, generateMasterKeyText, parseMasterKey } from '../core/sealed-box.js';
import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeConnectionStoreContract } from './vault-store.contract.js';
import { createConnectionStore } from './vault-store.js';

describeConnectionStoreContract('SQLite', sqliteHarness((db) => createConnectionStore(db, createKeyring([parseMasterKey(generateMasterKeyText())]))));
