// The upstream API behind the proxy scenario: an OAuth client_credentials token endpoint (what campus-sts's
// vault calls once to connect) and one JSON resource that checks the bearer token. The same GET is sent
// straight here (direct) and through campus-sts (proxy), so the difference is what the proxy adds.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { BenchServer } from '../harness/protocol.js';
import { listenHono } from './hono.js';
import { UPSTREAM } from './shared.js';

/** A course list of a realistic size (~2 KB of JSON). */
const COURSES = Array.from({ length: 12 }, (_, i) => ({
  id: `CS-${101 + i}`,
  title: `Course ${101 + i}: ${['Algorithms', 'Databases', 'Networks', 'Security'][i % 4]}`,
  term: '2026-autumn',
  credits: 3 + (i % 3),
  instructor: { name: `Instructor ${i}`, email: `instructor${i}@univ.edu` },
}));

export async function startUpstream(): Promise<BenchServer> {
  const accessToken = randomBytes(24).toString('base64url');
  const expected = Buffer.from(`Bearer ${accessToken}`);
  const basic = 'Basic ' + Buffer.from(`${UPSTREAM.clientId}:${UPSTREAM.clientSecret}`).toString('base64');
  const app = new Hono()
    .post('/oauth/token', async (c) => {
      const form = new URLSearchParams(await c.req.text());
      if (c.req.header('authorization') !== basic || form.get('grant_type') !== 'client_credentials') return c.json({ error: 'invalid_client' }, 401);
      return c.json({ access_token: accessToken, token_type: 'Bearer', expires_in: 24 * 3600, scope: form.get('scope') ?? '' }, 200, { 'Cache-Control': 'no-store' });
    })
    .get('/api/courses', (c) => {
      const got = Buffer.from(c.req.header('authorization') ?? '');
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) return c.json({ error: 'invalid_token' }, 401);
      return c.json({ courses: COURSES });
    });
  const { port, close } = await listenHono(app);
  return { port, info: { accessToken }, close };
}
