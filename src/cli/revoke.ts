import { openPairwise, subjectRevocation } from '../compose/subject-revocation.js';
import { openStore } from '../compose/stores.js';
import type { Clock } from '../core/clock.js';
import { InvalidRequest } from '../core/oauth-errors.js';
import { parseCutoff } from '../tokens/revoke-subject.js';
import { UsageError, type CliIo } from './io.js';
import { resolveConfig } from './resolve-config.js';

/** The revoke verb; `cli/main.ts` adds it to its table (same shape as its verbs). */
interface RevokeVerb {
  usage: string;
  options: Record<string, { type: 'string' | 'boolean' }>;
  positionals: number;
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[] }, io: CliIo, clock: Clock): Promise<number>;
}

export const REVOKE_USAGE = `  revoke --subject SUB [--before TIME] [--config FILE]
                                     revoke every token of SUB (and its pairwise subjects) issued before TIME (default now)`;

export const REVOKE_VERBS: Record<string, RevokeVerb> = {
  revoke: {
    usage: `campus-sts revoke --subject SUB [--before TIME] [--config FILE]
  Revokes every token of SUB issued before TIME (an ISO 8601 time with its zone, e.g. 2026-12-01T09:00:00Z;
  default now, never later), and every token of SUB's pairwise subjects (surveys with pairwise_subject): at once,
  on every instance. Introspection answers inactive, exchanges and proxied calls are refused, and launch codes
  not yet redeemed can no longer be. Tokens issued later are not affected. Audited with the CLI user as actor.`,
    options: { subject: { type: 'string' }, before: { type: 'string' }, config: { type: 'string' } },
    positionals: 0,
    run: async ({ values }, io, clock) => {
      const subject = values.subject as string | undefined;
      if (subject === undefined) throw new UsageError('--subject SUB is required');
      const before = values.before === undefined ? undefined : await parseArgument(() => parseCutoff(values.before as string));
      const { config } = await resolveConfig(values.config as string | undefined, io);
      const { engine, keyring, audit, stores } = await openStore(config, io.env, clock);
      try {
        // Only a survey with pairwise subjects needs the pairwise key (and so the master key's unsealing).
        const pairwise = config.surveys.some((s) => s.pairwise_subject) ? await openPairwise(config, { serviceSecrets: stores.serviceSecrets, commit: audit.commit, keyring, clock }) : undefined;
        const revoke = subjectRevocation(config, { revocations: stores.revocations, audit, clock, pairwise });
        const actor = `cli:${io.env.USER ?? io.env.LOGNAME ?? 'unknown'}`;
        const done = await parseArgument(() => revoke({ subject, before, actor }));
        const others = done.pairwiseSubjects === 0 ? '' : `, and every token of its ${done.pairwiseSubjects} pairwise subject(s)`;
        io.out(`revoked every token of ${done.subject} issued before ${done.cutoff.toISOString()}${others}`);
        if (before && done.cutoff > before) io.out(`(a later cutoff was already in force: ${done.cutoff.toISOString()})`);
        io.out('launch codes not yet redeemed for them can no longer be redeemed');
        return 0;
      } finally {
        await engine.close();
      }
    },
  },
};

/** An argument refused by the revocation (its `InvalidRequest`), as the usage error it is: `--before: …`. */
async function parseArgument<T>(run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof InvalidRequest) throw new UsageError(`--${err.description}`);
    throw err;
  }
}
