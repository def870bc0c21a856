import { existsSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import { pgOptions } from '../compose/stores.js';
import type { Config } from '../config/schema.js';
import { backupSqlite } from '../db/backup.js';
import { openDatabase, type MigrationReport } from '../db/client.js';
import { describeTarget, openPgDatabase, type PgOptions } from '../db/pg/client.js';
import { copySqliteToPg } from '../db/pg/copy-from-sqlite.js';
import { UsageError, type CliIo } from './io.js';
import { isDemo, resolveConfig } from './resolve-config.js';

/** The database verbs; `cli/main.ts` adds them to its table (same shape as its verbs). */
interface DbVerb {
  usage: string;
  options: Record<string, { type: 'string' | 'boolean' }>;
  positionals: number;
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[] }, io: CliIo, clock: Clock): Promise<number>;
}

export const DB_USAGE = `  db migrate [--config FILE]         apply the schema migrations now (before rolling out instances), then exit
  db copy --from SQLITE_FILE --to POSTGRES_URL [--config FILE]
                                     move a SQLite deployment into an empty PostgreSQL database, in one transaction
  db backup --to FILE [--config FILE]
                                     an online, consistent copy of the SQLite database (PostgreSQL: use pg_dump)`;

const postgresUrl = /^postgres(ql)?:\/\//;

function describeMigrations(m: MigrationReport): string {
  return m.applied === 0 ? `schema up to date (${m.total} migrations)` : `applied ${m.applied} migration${m.applied === 1 ? '' : 's'} (${m.total} in all)`;
}

/** Where the configured database is, for one line of output (never a URL's user or password). */
function describeDatabase(config: Config): string {
  const c = config.database;
  return c.url ? `PostgreSQL ${describeTarget(c.url)} (schema ${c.schema})` : `SQLite ${c.path}`;
}

export const DB_VERBS: Record<string, DbVerb> = {
  'db migrate': {
    usage: `campus-sts db migrate [--config FILE]
  Applies the migrations of the configured database (SQLite, or PostgreSQL under database.url or
  CAMPUS_STS_DATABASE_URL) and exits: run it before rolling out a new version. Starting the service migrates too;
  on PostgreSQL one instance at a time (an advisory lock). A schema newer than this campus-sts is refused.`,
    options: { config: { type: 'string' } },
    positionals: 0,
    run: async ({ values }, io) => {
      const { config } = await resolveConfig(values.config as string | undefined, io);
      let migrations: MigrationReport;
      if (config.database.url) {
        const database = await openPgDatabase(pgOptions(config.database, config.database.url));
        migrations = database.migrations;
        await database.close();
      } else {
        const database = openDatabase({ path: config.database.path, synchronous: config.database.synchronous });
        migrations = database.migrations;
        database.close();
      }
      io.out(`${describeDatabase(config)}: ${describeMigrations(migrations)}`);
      return 0;
    },
  },
  'db copy': {
    usage: `campus-sts db copy --from SQLITE_FILE --to POSTGRES_URL [--config FILE]
  Moves a SQLite deployment to PostgreSQL: every table as it is (the audit chain with its ids, the anchor,
  checkpoints, signing keys, sealed secrets and upstream connections; one-time values still valid), in one
  transaction, into the schema named by --config's database.schema (default public). Sealed values stay sealed:
  run the copy with the same master key. Refuses a target that holds any campus-sts row. Stop the service first
  (rows written after the copy began are not copied); the SQLite file is brought up to date as a start would.
  Then point database.url at the target and check it: campus-sts audit verify.`,
    options: { from: { type: 'string' }, to: { type: 'string' }, config: { type: 'string' } },
    positionals: 0,
    run: async ({ values }, io, clock) => {
      const from = values.from as string | undefined;
      const to = values.to as string | undefined;
      if (!from || !to) throw new UsageError('--from SQLITE_FILE and --to POSTGRES_URL are required');
      if (!postgresUrl.test(to)) throw new UsageError('--to: expected a postgres:// URL');
      if (!existsSync(from)) throw new UsageError(`--from ${from}: no such file`);
      // Only the target's settings (schema, TLS, timeouts) come from a config; nothing here needs the master key.
      const configPath = values.config as string | undefined;
      const options: PgOptions = isDemo(configPath, io.env) ? { url: to } : pgOptions((await resolveConfig(configPath, io)).config.database, to);
      const source = openDatabase({ path: from });
      try {
        const target = await openPgDatabase(options);
        try {
          const r = await copySqliteToPg(source, target, clock.now());
          const where = `${describeTarget(to)} (schema ${options.schema ?? 'public'})`;
          io.out(`copied ${from} to ${where} in one transaction:`);
          for (const [table, rows] of Object.entries(r.tables)) io.out(`  ${table}: ${rows} row${rows === 1 ? '' : 's'}`);
          io.out(`audit chain: ${r.audit.rows} rows${r.audit.headId === null ? '' : `, up to row ${r.audit.headId}, head ${r.audit.headHash}`}`);
          return 0;
        } finally {
          await target.close();
        }
      } finally {
        source.close();
      }
    },
  },
  'db backup': {
    usage: `campus-sts db backup --to FILE [--config FILE]
  Writes an online, consistent copy of the SQLite database to FILE (created mode 0600; never overwritten) while the
  service runs. To restore, stop campus-sts and start it on the copy (database.path). On PostgreSQL it refuses:
  use pg_dump -Fc and pg_restore (README, "Backup and restore").`,
    options: { to: { type: 'string' }, config: { type: 'string' } },
    positionals: 0,
    run: async ({ values }, io) => {
      const to = values.to as string | undefined;
      if (!to) throw new UsageError('--to FILE is required');
      const { config } = await resolveConfig(values.config as string | undefined, io);
      if (config.database.url) {
        io.err(`campus-sts db backup: the database is ${describeDatabase(config)}: back it up with pg_dump -Fc, restore with pg_restore`);
        return 1;
      }
      const bytes = await backupSqlite(config.database.path, to);
      io.out(`backed up ${config.database.path} to ${to} (${bytes} bytes)`);
      return 0;
    },
  },
};
