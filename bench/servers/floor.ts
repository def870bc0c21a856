// The floor: the least any RFC 8693 JWT→JWT exchange must do on this machine (parse the same form, verify
// one ES256 JWT, sign one) on the same HTTP stack, with no client authentication, policy or database. An
// exchange cannot be faster than this, so exchange/floor says how much our extra work costs.
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { generateKeyPair, jwtVerify, SignJWT } from 'jose';
import type { BenchServer } from '../harness/protocol.js';
import { listenHono } from './hono.js';
import { ACCESS_TOKEN_TYPE, AUD, CLIENT, ISSUER } from './shared.js';

const TTL_SECONDS = 120;

export async function startFloor(): Promise<BenchServer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const header = { alg: 'ES256', kid: 'floor-1', typ: 'at+jwt' };
  const now = () => Math.floor(Date.now() / 1000);
  // Longer-lived than the run, so the load generator needs one subject token only.
  const subjectToken = await new SignJWT({ client_id: CLIENT.id, scope: 'student.read enrollment.read' })
    .setProtectedHeader(header)
    .setIssuer(ISSUER)
    .setSubject(CLIENT.id)
    .setAudience(AUD.sis)
    .setIssuedAt(now())
    .setExpirationTime(now() + 6 * 3600)
    .setJti(randomBytes(16).toString('base64url'))
    .sign(privateKey);

  const app = new Hono().post('/token', async (c) => {
    const form = new URLSearchParams(await c.req.text());
    let sub: string | undefined;
    try {
      ({ payload: { sub } } = await jwtVerify(form.get('subject_token') ?? '', publicKey, { issuer: ISSUER, typ: 'at+jwt', algorithms: ['ES256'] }));
    } catch {
      return c.json({ error: 'invalid_grant' }, 400);
    }
    const iat = now();
    const accessToken = await new SignJWT({ client_id: CLIENT.id, scope: form.get('scope') ?? '' })
      .setProtectedHeader(header)
      .setIssuer(ISSUER)
      .setSubject(sub ?? CLIENT.id)
      .setAudience(form.get('audience') ?? AUD.sis)
      .setIssuedAt(iat)
      .setExpirationTime(iat + TTL_SECONDS)
      .setJti(randomBytes(16).toString('base64url'))
      .sign(privateKey);
    return c.json({ access_token: accessToken, issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', expires_in: TTL_SECONDS }, 200, { 'Cache-Control': 'no-store' });
  });

  const { port, close } = await listenHono(app);
  return { port, info: { subjectToken }, close };
}
