import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from '../config/load.js';
import { readSecret } from '../config/secrets.js';
import { hashClientSecret } from '../clients/secret-hash.js';
import { openStore } from '../compose/service.js';
import { systemClock, type Clock } from '../core/clock.js';
import { MasterKeyError, MasterKeyUnavailable } from '../core/sealed-box.js';
import { DatabaseError } from '../db/client.js';
import { DemoRefused } from '../demo/config.js';
import { SamlConfigError, SamlMetadataError } from '../saml/errors.js';
import { rotateSigningKey } from '../tokens/keystore.js';
import { OutputClosed, UsageError, type CliIo } from './io.js';
import { resolveConfig } from './resolve-config.js';
import { serveCommand } from './serve.js';
import { StartupError } from './startup.js';
import { UPSTREAM_USAGE, UPSTREAM_VERBS } from './upstream.js';
import { AUDIT_USAGE, AUDIT_VERBS } from './audit.js';
import { DB_USAGE, DB_VERBS } from './db.js';
import { CLAIMS_USAGE, CLAIMS_VERBS } from './claims.js';
import { REVOKE_USAGE, REVOKE_VERBS } from './revoke.js';

const USAGE = `usage: campus-sts <command> [options]

commands:
  serve [--config FILE]              run the service (no config: the demo on 127.0.0.1:8787)
  config check FILE                  validate a configuration file without starting
${CLAIMS_USAGE}
  keys rotate [--config FILE]        make a new active signing key; the old one stays published until its tokens expire
${REVOKE_USAGE}
${AUDIT_USAGE}
${DB_USAGE}
  client hash-secret --secret-env NAME
                                     print the scrypt hash of a client secret (for clients[].auth.secret_hash)
${UPSTREAM_USAGE}

Every command takes --help. CAMPUS_STS_CONFIG may name the config file instead of --config.`;

interface Verb {
  usage: string;
  options: Record<string, { type: 'string' | 'boolean' }>;
  positionals: number;
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[] }, io: CliIo, clock: Clock): Promise<number>;
}

const VERBS: Record<string, Verb> = {
  // upstream status, upstream disconnect, keys rotate-master
  ...UPSTREAM_VERBS,
  // audit verify, audit export, audit prune, audit checkpoint
  ...AUDIT_VERBS,
  // db migrate, db copy, db backup
  ...DB_VERBS,
  // claims preview
  ...CLAIMS_VERBS,
  // revoke --subject
  ...REVOKE_VERBS,
  serve: {
    usage: 'campus-sts serve [--config FILE]\n  Runs the service. Without a config it runs the demo (refused when NODE_ENV=production).',
    options: { config: { type: 'string' } },
    positionals: 0,
    run: ({ values }, io) => serveCommand(values.config as string | undefined, io),
  },
  'config check': {
    usage: 'campus-sts config check FILE\n  Validates FILE; prints every problem with its path (clients[1].scopes[0]). Exit 0 when valid, 1 when not.',
    options: {},
    positionals: 1,
    run: async ({ positionals }, io) => {
      const config = loadConfigFile(positionals[0]!);
      io.out(`${positionals[0]}: valid (${config.clients.length} clients, ${config.audiences.length} audiences)`);
      return 0;
    },
  },
  'keys rotate': {
    usage: 'campus-sts keys rotate [--config FILE]\n  Makes a new active signing key. The previous key stays in the JWKS until every token it signed has expired.',
    options: { config: { type: 'string' } },
    positionals: 0,
    run: async ({ values }, io, clock) => {
      const { config } = await resolveConfig(values.config as string | undefined, io);
      const { engine, keyDeps } = await openStore(config, io.env, clock);
      try {
        const publishFor = config.tokens.max_ttl_seconds + config.tokens.clock_skew_seconds;
        const { kid, retiredKid, retiredPublishedSeconds } = await rotateSigningKey(keyDeps, config.signing.algorithm, publishFor);
        io.out(`new signing key ${kid} (${config.signing.algorithm}) is active`);
        if (retiredKid) io.out(`retired key ${retiredKid} stays published for ${retiredPublishedSeconds} s`);
        return 0;
      } finally {
        await engine.close();
      }
    },
  },
  'client hash-secret': {
    usage: 'campus-sts client hash-secret --secret-env NAME\n  Prints the scrypt hash of the secret held in environment variable NAME, for clients[].auth.secret_hash.',
    options: { 'secret-env': { type: 'string' } },
    positionals: 0,
    run: async ({ values }, io) => {
      const name = values['secret-env'] as string | undefined;
      if (!name) throw new UsageError('--secret-env NAME is required');
      io.out(await hashClientSecret(readSecret({ env: name }, '--secret-env', io.env)));
      return 0;
    },
  },
};

/** Runs one CLI invocation; returns the exit code. Known errors print one clear message, never a stack. */
export async function runCli(argv: string[], io: CliIo, clock: Clock = systemClock): Promise<number> {
  const [first, second] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    (first === undefined ? io.err : io.out)(USAGE);
    return first === undefined ? 2 : 0;
  }
  const name = VERBS[first] ? first : `${first} ${second ?? ''}`.trim();
  const verb = VERBS[name];
  if (!verb) {
    io.err(`campus-sts: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  const rest = argv.slice(name.split(' ').length);
  try {
    const parsed = parseArgs({ args: rest, options: { ...verb.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    if (parsed.values.help) {
      io.out(verb.usage);
      return 0;
    }
    if (parsed.positionals.length !== verb.positionals) throw new UsageError(`expected ${verb.positionals} argument(s), got ${parsed.positionals.length}`);
    return await verb.run(parsed, io, clock);
  } catch (err) {
    if (
      err instanceof ConfigError ||
      err instanceof DatabaseError ||
      err instanceof MasterKeyError ||
      err instanceof DemoRefused ||
      err instanceof SamlConfigError ||
      err instanceof SamlMetadataError ||
      err instanceof OutputClosed ||
      err instanceof StartupError
    ) {
      io.err(`campus-sts ${name}: ${err.message}`);
      return 1;
    }
    if (err instanceof MasterKeyUnavailable) {
      io.err(`campus-sts ${name}: ${err.detail}`);
      return 1;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`campus-sts ${name}: ${(err as Error).message}\n\n${verb.usage}`);
      return 2;
    }
    throw err;
  }
}
