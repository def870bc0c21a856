import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rotateSigningKey } from '../../src/tokens/keystore.js';
import { alphaToken, SECRETS, type TestService } from '../helpers/service.js';
import { auditRowsOf, startInstances, type Instances } from './pg-instances.js';

/**
 * A signing-key rotation on one instance (`rotateSigningKey`, what `campus-sts keys rotate` does) reaching the
 * others, on the injected clocks (advanced together, as one wall clock). Each keystore re-reads the key table
 * every 5 s, and at once for a token under a kid it does not know (at most once a second).
 */

const alpha: [string, string] = ['alpha', SECRETS.alpha];
let cluster: Instances;
let a: TestService;
let b: TestService;
beforeEach(async () => {
  cluster = await startInstances(2);
  [a, b] = cluster.all as [TestService, TestService];
});
afterEach(() => cluster.stop());

/** As the CLI rotates: the retired key stays published for the longest token lifetime plus the clock skew. */
const rotate = (s: TestService) => rotateSigningKey(s.keyDeps, 'ES256', s.config.tokens.max_ttl_seconds + s.config.tokens.clock_skew_seconds);
const kidOf = (token: string) => decodeProtectedHeader(token).kid;
const jwks = async (s: TestService) => ((await (await s.app.request('/jwks.json')).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
const introspect = async (s: TestService, token: string) => (await (await s.post('/introspect', { token }, alpha)).json()) as { active: boolean };

describe('a rotation on A reaches B', () => {
  it('within 5 s of its last read: until then B signs with the old key and publishes it alone; then the new one, publishing both', async () => {
    const oldKid = kidOf(await alphaToken(b));
    // B last read the key table at its start, a second before the rotation.
    cluster.advance(1000);
    const { kid: newKid, retiredKid } = await rotate(a);
    expect(retiredKid).toBe(oldKid);
    cluster.advance(4000);
    expect(kidOf(await alphaToken(b))).toBe(oldKid);
    expect(await jwks(b)).toEqual([oldKid]);
    cluster.advance(1);
    expect(kidOf(await alphaToken(b))).toBe(newKid);
    expect(await jwks(b)).toEqual([oldKid, newKid]);
    expect(kidOf(await alphaToken(a))).toBe(newKid);
    expect(await jwks(a)).toEqual([oldKid, newKid]);
  });

  it('B verifies the new key\'s tokens from the first one any instance signs, while still signing with the old key itself', async () => {
    const oldKid = kidOf(await alphaToken(a));
    // B reads the key table half a second before the rotation; A last read it at start (stale, re-read on use).
    cluster.advance(5001);
    expect(kidOf(await alphaToken(b))).toBe(oldKid);
    cluster.advance(500);
    const { kid: newKid } = await rotate(a);

    // Every half second for 6 s: each instance signs a token and the other must accept it.
    const timeline: [number, string, string][] = [];
    for (let ms = 0; ms <= 6000; ms += 500) {
      const [fromA, fromB] = [await alphaToken(a), await alphaToken(b)];
      expect({ ms, atB: await introspect(b, fromA), atA: await introspect(a, fromB) }).toMatchObject({ ms, atB: { active: true }, atA: { active: true } });
      timeline.push([ms, kidOf(fromA) === newKid ? 'new' : 'old', kidOf(fromB) === newKid ? 'new' : 'old']);
      cluster.advance(500);
    }
    // A signs with the new key once it is more than a second old; B, reading the table early for A's first such
    // token (its own read being 2 s old), already verifies it while it still signs with the old key; then it
    // signs with the new one too, well before its 5 s re-read.
    expect(timeline).toEqual([
      [0, 'old', 'old'],
      [500, 'old', 'old'],
      [1000, 'old', 'old'],
      [1500, 'new', 'old'],
      ...[2000, 2500, 3000, 3500, 4000, 4500, 5000, 5500, 6000].map((ms) => [ms, 'new', 'new']),
    ]);
  });

  it('a token B signs with the old key 5 s after the rotation is accepted by A until it expires', async () => {
    const { retiredKid } = await rotate(a);
    cluster.advance(5000);
    const late = await alphaToken(b);
    expect(kidOf(late)).toBe(retiredKid);
    const { exp } = decodeJwt(late);
    const skew = a.config.tokens.clock_skew_seconds;
    // The last millisecond of its life (`exp` plus the tolerated skew), on A, which re-reads the key table then.
    cluster.advance((exp! + skew) * 1000 - 1 - a.clock.now().getTime());
    expect(await introspect(a, late)).toMatchObject({ active: true, jti: decodeJwt(late).jti });
    cluster.advance(1);
    expect(await introspect(a, late)).toEqual({ active: false });
    expect((await auditRowsOf(a, 'token.introspect')).at(-1)!.reason).toBe('token rejected: ERR_JWT_EXPIRED (exp)');
  });
});
