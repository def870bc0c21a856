import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { rotateSigningKey } from '../../src/tokens/keystore.js';
import { alphaToken, SECRETS, startTestService, type TestService } from '../helpers/service.js';

let s: TestService;
afterEach(() => s.stop());

const alpha: [string, string] = ['alpha', SECRETS.alpha];
const jwks = async () => ((await (await s.app.request('/jwks.json')).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
const active = async (token: string) => ((await (await s.post('/introspect', { token }, alpha)).json()) as { active: boolean }).active;

describe('restart persistence', () => {
  it('keeps signing keys, issued tokens and revocations across a restart', async () => {
    s = await startTestService();
    const kept = await alphaToken(s);
    const revoked = await alphaToken(s);
    await s.post('/revoke', { token: revoked }, alpha);
    const kids = await jwks();
    s = await s.restart();
    expect(await jwks()).toEqual(kids);
    expect(await active(kept)).toBe(true);
    expect(await active(revoked)).toBe(false);
    expect(s.auditRows().filter((r) => r.event === 'key.generate')).toHaveLength(1);
    expect(s.auditRows().filter((r) => r.event === 'config.load')).toHaveLength(2);
    expect(await s.audit.verify()).toMatchObject({ ok: true });
  });

  it('stores private keys sealed, never in the clear', async () => {
    s = await startTestService();
    const row = s.sqlite.sqlite.prepare('SELECT public_jwk, private_jwk_sealed FROM signing_keys').get() as { public_jwk: string; private_jwk_sealed: string };
    expect(JSON.parse(row.public_jwk)).not.toHaveProperty('d');
    expect(row.private_jwk_sealed).toMatch(/^v1\.[\w-]{12}\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(row.private_jwk_sealed).not.toContain('"d"');
  });
});

describe('key rotation', () => {
  it('signs with the new key, keeps the old one published until its tokens expire', async () => {
    s = await startTestService();
    const before = await alphaToken(s);
    const oldKid = decodeProtectedHeader(before).kid!;
    const { kid: newKid, retiredKid } = await rotateSigningKey(s.keyDeps, 'ES256', 330);
    expect(retiredKid).toBe(oldKid);
    // A running instance re-reads the key table within 5 s (a CLI rotation reaches it without a restart).
    s.clock.advance(6_000);
    expect((await jwks()).sort()).toEqual([oldKid, newKid].sort());
    const after = await alphaToken(s);
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    expect(await active(before)).toBe(true);
    expect(await active(after)).toBe(true);
    expect(s.lastAudit()).toMatchObject({ event: 'token.introspect' });
    const rotation = s.auditRows().filter((r) => r.event === 'key.generate').at(-1)!;
    expect(JSON.parse(rotation.data!)).toEqual({ kid: newKid, alg: 'ES256', retired_kid: oldKid });

    s.clock.advance(330_000);
    expect(await jwks()).toEqual([newKid]);
    expect(decodeJwt(before).exp! * 1000).toBeLessThan(s.clock.now().getTime());
  });

  it.each(['EdDSA', 'RS256'] as const)('signs with %s when configured', async (algorithm) => {
    s = await startTestService({ overrides: { signing: { algorithm } } });
    const token = await alphaToken(s);
    expect(decodeProtectedHeader(token).alg).toBe(algorithm);
    expect(await active(token)).toBe(true);
  });
});

describe('audit is written in the transaction of the change, failing closed', () => {
  it('returns 503 and no token when the audit row cannot be written', async () => {
    s = await startTestService();
    const token = await alphaToken(s);
    const rows = s.auditRows().length;
    s.sqlite.sqlite.exec("CREATE TRIGGER audit_down BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;");
    const res = await s.post('/token', { grant_type: 'client_credentials', audience: 'beta' }, alpha);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'the service cannot record this request; try again shortly' });
    const revoke = await s.post('/revoke', { token }, alpha);
    expect(revoke.status).toBe(503);
    s.sqlite.sqlite.exec('DROP TRIGGER audit_down');
    // The revocation was rolled back with its audit row: the token is still active.
    expect(await active(token)).toBe(true);
    expect(s.auditRows().length).toBe(rows + 1);
  });
});
