import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeSigningKeyStoreContract } from './signing-keys.contract.js';
import { createSigningKeyStore } from './signing-keys.js';

describeSigningKeyStoreContract('SQLite', sqliteHarness((db) => createSigningKeyStore(db)));
