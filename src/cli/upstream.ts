import { UsageError, type CliIo } from './io.js';
import { resolveConfig } from './resolve-config.js';
import { openStore } from '../compose/service.js';
import type { Clock } from '../core/clock.js';
import { rotateMasterKey } from './rotate-master.js';
import { buildUpstreamVault } from '../compose/upstream.js';
import { describeConnections, formatStatusTable } from '../upstream/status.js';

/** The CLI verbs of the upstream feature; `cli/main.ts` adds them to its table (same shape as its verbs). */
interface UpstreamVerb {
  usage: string;
  options: Record<string, { type: 'string' | 'boolean' }>;
  positionals: number;
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[] }, io: CliIo, clock: Clock): Promise<number>;
}

export const UPSTREAM_USAGE = `  upstream status [--config FILE] [--json]
                                     list upstream connections: state, token expiry, last error
  upstream disconnect ID [--config FILE]
                                     revoke an upstream account's tokens at the provider and forget them
  keys rotate-master [--config FILE] re-seal everything sealed with master_key.previous_key_* under the current key`;

export const UPSTREAM_VERBS: Record<string, UpstreamVerb> = {
  'upstream status': {
    usage: `campus-sts upstream status [--config FILE] [--json]
  Lists every configured upstream: its state (connected, needs re-authorisation, not connected, disconnected),
  when its access token expires ("never" when the provider sets no expiry), and the last error.
  --json prints the same as a JSON array. Exit 0, or 1 when any connection needs re-authorisation (for monitoring).`,
    options: { config: { type: 'string' }, json: { type: 'boolean' } },
    positionals: 0,
    run: async ({ values }, io, clock) => {
      const { config } = await resolveConfig(values.config as string | undefined, io);
      const { engine, stores } = await openStore(config, io.env, clock);
      try {
        const list = describeConnections(config.upstreams, await stores.upstreamConnections.rows());
        if (values.json) io.out(JSON.stringify(list, null, 2));
        else if (list.length === 0) io.out('no upstreams configured');
        else formatStatusTable(list).forEach((line) => io.out(line));
        return list.some((s) => s.state === 'needs_reauth') ? 1 : 0;
      } finally {
        await engine.close();
      }
    },
  },

  'upstream disconnect': {
    usage: `campus-sts upstream disconnect ID [--config FILE]
  Revokes the upstream account's tokens at the provider where it offers revocation (RFC 7009, or SurveyMonkey
  Apply's revoke endpoint), then forgets them. The row stays, so status shows when it was disconnected.
  An authorization-code upstream stays disconnected until an admin connects it again; a client-credentials
  upstream connects itself again on its next use (remove it from the config to stop it).`,
    options: { config: { type: 'string' } },
    positionals: 1,
    run: async ({ values, positionals }, io, clock) => {
      const id = positionals[0]!;
      const { config } = await resolveConfig(values.config as string | undefined, io);
      if (!config.upstreams.some((u) => u.id === id)) {
        throw new UsageError(`no upstream "${id}" in the configuration (configured: ${config.upstreams.map((u) => u.id).join(', ') || 'none'})`);
      }
      const { engine, keyring, audit, stores } = await openStore(config, io.env, clock);
      try {
        const { vault } = await buildUpstreamVault({ config, env: io.env, audit, clock, keyring, connections: stores.upstreamConnections, importSeeds: false });
        const result = await vault.disconnect(id, { actor: `cli:${io.env.USER ?? io.env.LOGNAME ?? 'unknown'}` });
        if (!result.wasConnected) io.out(`${id} was not connected; nothing to do`);
        else if (result.revoked) io.out(`disconnected ${id}; its tokens were revoked at the provider`);
        else io.out(`disconnected ${id}; NOT revoked at the provider (${result.error}): revoke or regenerate the credentials there`);
        return 0;
      } finally {
        await engine.close();
      }
    },
  },

  'keys rotate-master': {
    usage: `campus-sts keys rotate-master [--config FILE]
  Re-seals every value sealed with an older master key (signing keys, upstream tokens, service secrets,
  pending launch codes and connect states) under the current one, a batch per transaction, each audited.
  First set master_key.key_env/key_file to the NEW key and master_key.previous_key_env/previous_key_file
  to the OLD one on every instance; run this; then remove the previous key from the config.`,
    options: { config: { type: 'string' } },
    positionals: 0,
    run: async ({ values }, io, clock) => {
      const { config } = await resolveConfig(values.config as string | undefined, io);
      const { engine, keyring, audit, stores } = await openStore(config, io.env, clock);
      try {
        const r = await rotateMasterKey({ sealedColumns: stores.sealedColumns, connections: stores.upstreamConnections, keyring, audit });
        const total = Object.values(r.resealed).reduce((a, b) => a + b, 0);
        if (total === 0) io.out(`everything is already sealed with the current master key ${r.keyId}`);
        else {
          io.out(`re-sealed ${total} value(s) under master key ${r.keyId} (from ${r.previousKeyIds.join(', ')}) in ${r.batches} transaction(s)`);
          for (const [table, n] of Object.entries(r.resealed)) io.out(`  ${table}: ${n}`);
          io.out('the previous key can now be removed from master_key.previous_key_env / previous_key_file');
        }
        return 0;
      } finally {
        await engine.close();
      }
    },
  },
};
