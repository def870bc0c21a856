import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { captureCli, writeConfigFile } from '../helpers/cli.js';
import { alphaToken, SECRETS, startTestService, type TestService } from '../helpers/service.js';

/**
 * `campus-sts revoke --subject` against a running service's SQLite file: the service refuses the subject's tokens on
 * the next request; the cutoff is checked as typed (a zone, never the future); a later cutoff already recorded stands.
 */
let s: TestService;
let configFile: string;
beforeAll(async () => {
  s = await startTestService();
  configFile = writeConfigFile(s);
});
afterAll(() => s?.stop());

const revoke = (...args: string[]) => captureCli((io) => runCli(['revoke', ...args], io, s.clock), { ...s.env, USER: 'ops' });
const introspect = async (token: string) => (await s.post('/introspect', { token }, ['alpha', SECRETS.alpha])).json();

describe('campus-sts revoke', () => {
  it('revokes every token of the subject issued before now; the running service refuses them at once', async () => {
    const token = await alphaToken(s);
    s.clock.advance(1000);
    const r = await revoke('--subject', 'alpha', '--config', configFile);
    expect(r).toEqual({ code: 0, err: '', out: 'revoked every token of alpha issued before 2026-11-23T10:00:01.000Z\nlaunch codes not yet redeemed for them can no longer be redeemed' });
    expect(await introspect(token)).toEqual({ active: false });
    expect(s.lastAudit()).toMatchObject({ event: 'token.introspect', reason: 'token revoked: every token of its subject issued before 2026-11-23T10:00:01.000Z was revoked' });
    expect(s.auditRows().find((row) => row.event === 'subject.revoke')).toMatchObject({
      outcome: 'success', subject: 'alpha', data: JSON.stringify({ actor: 'cli:ops', before: '2026-11-23T10:00:01.000Z', pairwise_subjects: 0 }),
    });
    s.clock.advance(1000);
    expect(await introspect(await alphaToken(s))).toMatchObject({ active: true });
  });

  it('keeps a later cutoff already recorded, and says so', async () => {
    const r = await revoke('--subject', 'alpha', '--before', '2026-11-23T11:00:00+01:00', '--config', configFile);
    expect(r).toEqual({
      code: 0,
      err: '',
      out: 'revoked every token of alpha issued before 2026-11-23T10:00:01.000Z\n(a later cutoff was already in force: 2026-11-23T10:00:01.000Z)\nlaunch codes not yet redeemed for them can no longer be redeemed',
    });
  });

  it.each([
    [['--config', 'x.yaml'], '--subject SUB is required'],
    [['--subject', 'alpha', '--before', '2026-11-23T10:00:00'], '--before: expected an ISO 8601 time with its zone, e.g. 2026-12-01T09:00:00Z'],
    [['--subject', 'alpha', '--before', '2099-01-01T00:00:00Z'], '--before: must not be in the future'],
    [['--subject', ' '], '--subject: expected 1 to 512 characters'],
  ])('refuses %j with a usage error, revoking nothing', async (args, message) => {
    const before = s.auditRows().length;
    const r = await revoke(...args, ...(args.includes('--config') ? [] : ['--config', configFile]));
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(`campus-sts revoke: ${message}`);
    expect(r.err).toContain('\n\ncampus-sts revoke --subject SUB [--before TIME] [--config FILE]\n');
    expect(s.auditRows().length).toBe(before);
  });
});
