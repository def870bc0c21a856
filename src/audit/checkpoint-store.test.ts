import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeAuditCheckpointStoreContract } from './checkpoint-store.contract.js';
import { createAuditCheckpointStore } from './checkpoint-store.js';

describeAuditCheckpointStoreContract('SQLite', sqliteHarness((db) => createAuditCheckpointStore(db)));
