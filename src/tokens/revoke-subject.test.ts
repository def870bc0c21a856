// Subject-wide revocation over the real revocation store (SQLite) and audit log: the subject and its pairwise
// subjects cut off in one audited transaction, the cutoff never in the future, a later cutoff standing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequest } from '../core/oauth-errors.js';
import { T0, openTokenPath, type TokenPath } from '../../test/support/token-path.js';
import { mintAccessToken } from './mint.js';
import { parseCutoff, revokeSubject, type SubjectRevocationDeps } from './revoke-subject.js';
import { verifyOwnToken } from './verify.js';

let p: TokenPath;
let deps: SubjectRevocationDeps;
beforeEach(async () => {
  p = await openTokenPath();
  deps = { revocations: p.revocations, audit: p.audit, clock: p.clock, aliases: (s) => [`pairwise-a(${s})`, `pairwise-b(${s})`], acceptedForSeconds: 3660 };
});
afterEach(() => p.close());

const tokenOf = async (sub: string) =>
  (await mintAccessToken({ sub, aud: ['a'], clientId: 'alpha', scope: ['r'], expiresAt: new Date(Date.parse(T0) + 300_000) }, p.minting)).token;
const detail = (run: Promise<unknown>) => run.then(() => 'accepted', (e: { detail?: string }) => e.detail);

describe('revokeSubject', () => {
  it('revokes the tokens of the subject and of its pairwise subjects issued before now, audited with the actor', async () => {
    const [own, pairwise, other] = await Promise.all([tokenOf('alice'), tokenOf('pairwise-b(alice)'), tokenOf('bob')]);
    p.clock.advance(1500);
    expect(await revokeSubject(deps, { subject: ' alice ', actor: 'dave@example.edu', requestId: 'req-1' })).toEqual({ subject: 'alice', cutoff: new Date(Date.parse(T0) + 1500), pairwiseSubjects: 2 });
    const reason = 'token revoked: every token of its subject issued before 2026-11-23T10:00:01.500Z was revoked';
    expect(await detail(verifyOwnToken(own, p.verify))).toBe(reason);
    expect(await detail(verifyOwnToken(pairwise, p.verify))).toBe(reason);
    expect(await detail(verifyOwnToken(other, p.verify))).toBe('accepted');
    // Issued after the cutoff (in a later second): accepted.
    p.clock.advance(1000);
    expect(await detail(verifyOwnToken(await tokenOf('alice'), p.verify))).toBe('accepted');
    expect(p.auditRows()).toEqual([
      { event: 'subject.revoke', outcome: 'success', requestId: 'req-1', subject: 'alice', data: { actor: 'dave@example.edu', before: '2026-11-23T10:00:01.500Z', pairwise_subjects: 2 } },
    ]);
  });

  it('takes an earlier cutoff, keeps a later one already recorded, and refuses one in the future or an empty subject', async () => {
    p.clock.advance(60_000);
    const earlier = new Date(T0);
    expect(await revokeSubject(deps, { subject: 'alice', before: earlier, actor: 'cli:root' })).toEqual({ subject: 'alice', cutoff: earlier, pairwiseSubjects: 2 });
    expect(await revokeSubject(deps, { subject: 'alice', actor: 'cli:root' })).toMatchObject({ cutoff: p.clock.now() });
    expect(await revokeSubject(deps, { subject: 'alice', before: earlier, actor: 'cli:root' })).toMatchObject({ cutoff: p.clock.now() });
    await expect(revokeSubject(deps, { subject: 'alice', before: new Date(p.clock.now().getTime() + 1), actor: 'cli:root' })).rejects.toMatchObject({
      constructor: InvalidRequest, description: 'before: must not be in the future',
    });
    await expect(revokeSubject(deps, { subject: '  ', actor: 'cli:root' })).rejects.toMatchObject({ description: 'subject: expected 1 to 512 characters' });
    expect(p.auditRows().map((r) => (r.data as { before: string }).before)).toEqual(['2026-11-23T10:00:00.000Z', '2026-11-23T10:01:00.000Z', '2026-11-23T10:00:00.000Z']);
  });
});

describe('parseCutoff', () => {
  it('reads an ISO 8601 time with its zone, to the millisecond', () => {
    expect(parseCutoff('2026-12-01T09:00:00Z')).toEqual(new Date('2026-12-01T09:00:00.000Z'));
    expect(parseCutoff(' 2026-12-01T10:00+01:00 ')).toEqual(new Date('2026-12-01T09:00:00.000Z'));
    expect(parseCutoff('2026-12-01T09:00:00.25Z')).toEqual(new Date('2026-12-01T09:00:00.250Z'));
  });

  it('refuses a time without a zone, a date alone, an impossible date or hour, and anything else', () => {
    for (const text of ['2026-12-01T09:00:00', '2026-12-01', 'yesterday', '2026-13-01T09:00:00Z', '2026-02-30T09:00:00Z', '2026-12-01T24:00:00Z', '']) {
      expect(() => parseCutoff(text), text).toThrow('before: expected an ISO 8601 time with its zone, e.g. 2026-12-01T09:00:00Z');
    }
  });
});
