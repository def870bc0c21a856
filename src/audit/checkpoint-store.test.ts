import { pgHarness } from '../db/pg/harness.contract.js';
import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeAuditCheckpointStoreContract } from './checkpoint-store.contract.js';
import { createPgAuditCheckpointStore } from './checkpoint-store-pg.js';
import { createAuditCheckpointStore } from './checkpoint-store.js';

describeAuditCheckpointStoreContract('SQLite', sqliteHarness((db) => createAuditCheckpointStore(db)));
describeAuditCheckpointStoreContract('PostgreSQL', pgHarness((db) => createPgAuditCheckpointStore(db)));
