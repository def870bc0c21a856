import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeRevocationStoreContract } from './revocations.contract.js';
import { createRevocations } from './revocations.js';

describeRevocationStoreContract('SQLite', sqliteHarness((db) => createRevocations(db)));
