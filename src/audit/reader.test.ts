import { pgHarness } from '../db/pg/harness.contract.js';
import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { createPgAuditLog } from './audit-log-pg.js';
import { createAuditLog } from './audit-log.js';
import { describeAuditReaderContract } from './reader.contract.js';
import { createPgAuditReader } from './reader-pg.js';
import { createSqliteAuditReader } from './reader-sqlite.js';

describeAuditReaderContract('SQLite', sqliteHarness((db, clock, committer) => ({ log: createAuditLog(db, clock, { committer }), reader: createSqliteAuditReader(db) })));
describeAuditReaderContract('PostgreSQL', pgHarness((db, clock, committer) => ({ log: createPgAuditLog(db, clock, { committer }), reader: createPgAuditReader(db) })));
