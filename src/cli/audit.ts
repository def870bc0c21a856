import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import type { JWK } from 'jose';
import { UsageError, type CliIo } from './io.js';
import { resolveConfig } from './resolve-config.js';
import { openStore } from '../compose/service.js';
import { ChainBroken, createCheckpoints, keysFromJwks, keysFromSigningKeys } from '../audit/checkpoints.js';
import { EXPORT_FORMATS, exportChunks, planExport, type ExportFormat } from '../audit/export.js';
import { describeFilter, parseAuditFilter } from '../audit/query.js';
import { pruneAuditLog, retentionCutoff } from '../audit/retention.js';
import { ExportFileError, verifyExportFile } from '../audit/verify-export.js';
import { verifyAuditLog } from '../audit/verify-log.js';
import type { Clock } from '../core/clock.js';
import { OAuthError } from '../core/oauth-errors.js';
import { createKeystore } from '../tokens/keystore.js';

/** The audit verbs; `cli/main.ts` adds them to its table (same shape as its verbs). */
interface AuditVerb {
  usage: string;
  options: Record<string, { type: 'string' | 'boolean' }>;
  positionals: number;
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[] }, io: CliIo, clock: Clock): Promise<number>;
}

export const AUDIT_USAGE = `  audit verify [--config FILE] [--checkpoint JWS_FILE] [--jwks FILE]
  audit verify --file EXPORT.jsonl [--jwks FILE] [--checkpoint JWS_FILE]
                                     check the hash chain, its anchor and the signed checkpoints; names the first bad row
  audit export [--config FILE] [--format jsonl|csv] [--out FILE] [filters]
                                     stream audit rows (with their hashes) to a file or stdout
  audit prune [--config FILE] [--keep-days N] [--dry-run]
                                     remove rows older than the retention period; the rest stays verifiable
  audit checkpoint [--config FILE]   sign a checkpoint of the chain head now`;

const FILTER_OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  subject: { type: 'string' },
  survey: { type: 'string' },
  client: { type: 'string' },
  audience: { type: 'string' },
  event: { type: 'string' },
  outcome: { type: 'string' },
  'request-id': { type: 'string' },
  jti: { type: 'string' },
} as const;

function readJwks(path: string | undefined): { keys: JWK[] } | undefined {
  if (path === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`--jwks ${path}: cannot read a JSON JWK Set (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!parsed || !Array.isArray((parsed as { keys?: unknown }).keys)) throw new UsageError(`--jwks ${path}: not a JWK Set (no "keys" array)`);
  return parsed as { keys: JWK[] };
}

function readCheckpoint(path: string | undefined): string[] {
  if (path === undefined) return [];
  try {
    return [readFileSync(path, 'utf8').trim()];
  } catch (err) {
    throw new UsageError(`--checkpoint ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function filterFrom(values: Record<string, string | boolean | undefined>) {
  const params = new URLSearchParams();
  for (const name of Object.keys(FILTER_OPTIONS)) {
    const v = values[name];
    if (typeof v === 'string') params.append(name === 'request-id' ? 'request_id' : name, v);
  }
  try {
    return parseAuditFilter(params);
  } catch (err) {
    if (err instanceof OAuthError) throw new UsageError(`--${err.description.replace(/^request_id/, 'request-id')}`);
    throw err;
  }
}

export const AUDIT_VERBS: Record<string, AuditVerb> = {
  'audit verify': {
    usage: `campus-sts audit verify [--config FILE] [--checkpoint JWS_FILE] [--jwks FILE]
campus-sts audit verify --file EXPORT.jsonl [--jwks FILE] [--checkpoint JWS_FILE]
  Checks the audit log's hash chain from its anchor (row 1, or the first row kept after a prune), that the
  anchor matches the audit.prune row that set it, and every signed checkpoint: its signature, and that the row
  it vouches for still has that hash (a truncated tail is caught here). --checkpoint adds one you saved from
  GET /audit/checkpoints/latest; --jwks checks signatures against a saved JWK Set instead of the database's keys.
  --file checks a JSON Lines export offline (no config, no database).
  Exit 0 when everything verifies, 1 naming the first bad row and every other problem, 2 on usage errors.`,
    options: { config: { type: 'string' }, file: { type: 'string' }, jwks: { type: 'string' }, checkpoint: { type: 'string' } },
    positionals: 0,
    run: async ({ values }, io, clock) => {
      const jwks = readJwks(values.jwks as string | undefined);
      const external = readCheckpoint(values.checkpoint as string | undefined);
      if (typeof values.file === 'string') {
        if (values.config !== undefined) throw new UsageError('--file checks an export offline; it takes no --config');
        let result;
        try {
          result = await verifyExportFile(values.file, { ...(jwks ? { jwks } : {}), external });
        } catch (err) {
          if (err instanceof ExportFileError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
            io.err(`campus-sts audit verify: ${err instanceof ExportFileError ? err.message : `cannot read ${values.file}`}`);
            return 1;
          }
          throw err;
        }
        result.summary.forEach((l) => io.out(`${values.file}: ${l}`));
        result.problems.forEach((l) => io.err(`${values.file}: ${l}`));
        return result.ok ? 0 : 1;
      }
      const { config } = await resolveConfig(values.config as string | undefined, io);
      const { engine, stores } = await openStore(config, io.env, clock);
      try {
        const keys = jwks ? keysFromJwks(jwks) : keysFromSigningKeys(() => stores.signingKeys.all());
        const v = await verifyAuditLog({ reader: stores.auditReader, checkpoints: stores.auditCheckpoints }, keys, { external });
        if (v.chain.ok) {
          io.out(`audit chain intact: ${v.chain.rows} rows${v.chain.lastId === null ? '' : `, up to row ${v.chain.lastId}, head ${v.chain.headHash}`}`);
        } else {
          io.err(`audit chain broken at row ${v.chain.badRowId}: ${v.chain.problem} (${v.chain.rows} rows verified before it)`);
        }
        if (v.anchor.prunedAt) io.out(`anchor: the chain starts at row ${v.anchor.firstId} (older rows pruned ${v.anchor.prunedAt.toISOString()})`);
        const cp = v.checkpoints;
        if (cp.checked + cp.skipped > 0 || cp.latest) {
          io.out(`checkpoints: ${cp.checked} checked${cp.skipped ? `, ${cp.skipped} older than the anchor` : ''}${cp.latest ? `; latest covers row ${cp.latest.lastId} (${cp.latest.at.toISOString()})` : ''}`);
        }
        v.problems.slice(v.chain.ok ? 0 : 1).forEach((p) => io.err(p));
        return v.ok ? 0 : 1;
      } finally {
        await engine.close();
      }
    },
  },
  'audit export': {
    usage: `campus-sts audit export [--config FILE] [--format jsonl|csv] [--out FILE] [filters]
  Streams audit rows with their chain hashes, oldest first, to FILE (created mode 0600) or stdout.
  jsonl (default) carries a header, the signed checkpoints and an end line: verify it with
  \`campus-sts audit verify --file FILE\`. csv is for spreadsheets.
  Filters: --from TIME --to TIME (ISO 8601, UTC unless a zone is given) --subject S --survey ID --client ID
  --audience A --event NAME|FAMILY.* --outcome success|refused|error --request-id ID --jti ID.
  The export itself is recorded in the audit log.`,
    options: { config: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, ...FILTER_OPTIONS },
    positionals: 0,
    run: async ({ values }, io, clock) => {
      const format = (values.format ?? 'jsonl') as ExportFormat;
      if (!EXPORT_FORMATS.includes(format)) throw new UsageError('--format: expected jsonl or csv');
      const filter = filterFrom(values);
      const { config } = await resolveConfig(values.config as string | undefined, io);
      const { engine, audit, stores } = await openStore(config, io.env, clock);
      try {
        const plan = await planExport(stores.auditReader, format, filter);
        await audit.commit((tx) =>
          audit.append(tx, { event: 'audit.export', outcome: 'success', data: { actor: 'cli', format, filter: describeFilter(filter), through_id: plan.throughId } }),
        );
        const chunks = exportChunks({ reader: stores.auditReader, checkpoints: stores.auditCheckpoints, signingKeys: () => stores.signingKeys.all() }, plan, { exportedAt: clock.now(), issuer: config.issuer.replace(/\/$/, '') });
        const out = values.out as string | undefined;
        if (out === undefined) {
          for await (const chunk of chunks) {
            for (const line of chunk.split(/\r?\n/).slice(0, -1)) io.out(line);
            // A page at a time: a slow reader holds the export back instead of the export filling memory.
            await io.flush?.();
          }
          return 0;
        }
        const file = createWriteStream(out, { mode: 0o600 });
        try {
          for await (const chunk of chunks) if (!file.write(chunk)) await once(file, 'drain');
          file.end();
          await once(file, 'finish');
        } catch (err) {
          file.destroy();
          io.err(`campus-sts audit export: cannot write ${out} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
          return 1;
        }
        io.out(`exported rows through row ${plan.throughId} (${describeFilter(filter)}) to ${out}`);
        return 0;
      } finally {
        await engine.close();
      }
    },
  },
  'audit prune': {
    usage: `campus-sts audit prune [--config FILE] [--keep-days N] [--dry-run]
  Removes audit rows older than admin.audit.retention_days (or --keep-days N). The chain stays verifiable
  from the oldest kept row: its prev_hash is stored as the anchor and recorded in an audit.prune row. Refuses
  when the rows to remove do not verify (pruning must not launder tampering). --dry-run only counts.`,
    options: { config: { type: 'string' }, 'keep-days': { type: 'string' }, 'dry-run': { type: 'boolean' } },
    positionals: 0,
    run: async ({ values }, io, clock) => {
      const keepText = values['keep-days'] as string | undefined;
      if (keepText !== undefined && (!/^\d{1,5}$/.test(keepText) || Number(keepText) < 1)) throw new UsageError('--keep-days: expected a whole number of days, at least 1');
      const { config } = await resolveConfig(values.config as string | undefined, io);
      const days = keepText !== undefined ? Number(keepText) : config.admin.audit.retention_days;
      if (days === undefined) throw new UsageError('no retention period: set admin.audit.retention_days in the config, or pass --keep-days N');
      const { engine, audit, stores } = await openStore(config, io.env, clock);
      try {
        const before = retentionCutoff(clock.now(), days);
        const dryRun = values['dry-run'] === true;
        const r = await pruneAuditLog({ reader: stores.auditReader, audit, clock }, { before, actor: 'cli', dryRun });
        const verb = dryRun ? 'would remove' : 'removed';
        io.out(`${verb} ${r.removed} rows written before ${before.toISOString()}; the chain ${dryRun ? 'would start' : 'now starts'} at row ${r.firstKeptId} (anchor ${r.anchorHash})`);
        return 0;
      } catch (err) {
        if (!(err instanceof ChainBroken)) throw err;
        io.err(`campus-sts audit prune: ${err.message}`);
        return 1;
      } finally {
        await engine.close();
      }
    },
  },
  'audit checkpoint': {
    usage: `campus-sts audit checkpoint [--config FILE]
  Signs a checkpoint of the chain head now (the service also makes one every admin.audit.checkpoint_interval_seconds).
  Refuses when the rows since the previous checkpoint do not verify. Exit 0 with the checkpoint, 1 when refused.`,
    options: { config: { type: 'string' } },
    positionals: 0,
    run: async ({ values }, io, clock) => {
      const { config } = await resolveConfig(values.config as string | undefined, io);
      const { engine, audit, keyring, stores } = await openStore(config, io.env, clock);
      try {
        const keystore = createKeystore({ keys: stores.signingKeys, keyring, clock });
        const checkpoints = createCheckpoints({ reader: stores.auditReader, audit, store: stores.auditCheckpoints, clock, issuer: config.issuer.replace(/\/$/, ''), signingKey: () => keystore.signingKey() });
        const cp = await checkpoints.create('cli');
        if (!cp) {
          io.err('campus-sts audit checkpoint: the audit log is empty; nothing to sign');
          return 1;
        }
        io.out(`checkpoint ${cp.id}: row ${cp.lastId}, head ${cp.headHash}, signed with key ${cp.kid}`);
        return 0;
      } catch (err) {
        if (!(err instanceof ChainBroken)) throw err;
        io.err(`campus-sts audit checkpoint: ${err.message}`);
        return 1;
      } finally {
        await engine.close();
      }
    },
  },
};
