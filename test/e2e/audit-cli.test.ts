import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { captureCli } from '../helpers/cli.js';

/** Every audit verb answers --help, and refuses bad usage with exit 2 and a clear message (no stack trace). */
// A config that does not exist: a verb that got past its usage checks fails on it, and never falls back to the
// demo's ./data folder.
const cli = (args: string[]) => captureCli((io) => runCli(args, io), { CAMPUS_STS_CONFIG: '/nonexistent/campus-sts.yaml' });

describe('campus-sts audit … --help and usage errors', () => {
  it.each([['verify'], ['export'], ['prune'], ['checkpoint']])('audit %s --help', async (verb) => {
    const r = await cli(['audit', verb, '--help']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(new RegExp(`^campus-sts audit ${verb} `));
  });

  it('lists the audit verbs in the top-level usage', async () => {
    const r = await cli(['--help']);
    for (const verb of ['audit verify', 'audit export', 'audit prune', 'audit checkpoint']) expect(r.out).toContain(verb);
  });

  const usage: [string[], string][] = [
    [['audit', 'verify', '--file', 'x.jsonl', '--config', 'c.yaml'], 'campus-sts audit verify: --file checks an export offline; it takes no --config'],
    [['audit', 'verify', '--jwks', '/nonexistent/jwks.json'], 'campus-sts audit verify: --jwks /nonexistent/jwks.json: cannot read a JSON JWK Set (ENOENT)'],
    [['audit', 'verify', '--checkpoint', '/nonexistent/cp.jws'], 'campus-sts audit verify: --checkpoint /nonexistent/cp.jws: cannot read (ENOENT)'],
    [['audit', 'export', '--format', 'pdf'], 'campus-sts audit export: --format: expected jsonl or csv'],
    [['audit', 'export', '--from', 'yesterday'], 'campus-sts audit export: --from: expected an ISO 8601 time such as 2026-11-23T10:00:00Z'],
    [['audit', 'prune', '--keep-days', 'ten'], 'campus-sts audit prune: --keep-days: expected a whole number of days, at least 1'],
    [['audit', 'export', 'extra'], 'campus-sts audit export: expected 0 argument(s), got 1'],
    [['audit', 'checkpoint', '--now'], "campus-sts audit checkpoint: Unknown option '--now'"],
  ];
  for (const [args, message] of usage) {
    it(`${args.join(' ')} → exit 2`, async () => {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.err.split('\n')[0]).toContain(message);
    });
  }
});
