import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { createAuditLog } from './audit-log.js';
import { describeAuditReaderContract } from './reader.contract.js';
import { createSqliteAuditReader } from './reader-sqlite.js';

describeAuditReaderContract('SQLite', sqliteHarness((db, clock, committer) => ({ log: createAuditLog(db, clock, { committer }), reader: createSqliteAuditReader(db) })));
