import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeService, type Service } from '../../src/compose/service.js';
import { systemClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { DEMO_AUDIENCES, DEMO_CLIENT, demoConfig } from '../../src/demo/config.js';
import { DEMO_SCOPE } from '../../src/demo/idp/personas.js';
import { startDemoUpstream } from '../../src/demo/upstream.js';
import { mintAccessToken } from '../../src/tokens/mint.js';
import { basic } from '../helpers/service.js';

/** Item 6: the demo's own upstream (its authorization server + records API) behind the proxy, as the survey page uses it. */

let dir: string;
let service: Service;
let issuer: string;
const logs: string[] = [];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'campus-sts-demo-upstream-'));
  const { config } = await demoConfig({ dataDir: dir, host: '127.0.0.1', port: 9321, env: {} });
  issuer = config.issuer;
  const sink = new Writable({ write: (chunk, _enc, done) => (logs.push(String(chunk)), done()) });
  service = await composeService({ config, configSource: 'demo', env: {}, clock: systemClock, logger: createLogger('info', sink) });
});
afterAll(() => {
  service.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The token the demo survey's launch mints for a respondent (audience, scope; `sub` = eppn; `student_id` from the claim rule). */
async function respondent(username: string, studentId: string) {
  const minted = await mintAccessToken(
    { sub: `${username}@${DEMO_SCOPE}`, aud: [DEMO_AUDIENCES.sis], clientId: 'survey:demo-survey', scope: ['student.read'], expiresAt: new Date(Date.now() + 300_000), extra: { displayName: 'x', student_id: studentId } },
    { keystore: service.keystore, clock: systemClock, issuer },
  );
  return minted.token;
}
const get = (path: string, token: string) => service.app.request(`${issuer}${path}`, { headers: { authorization: `Bearer ${token}`, origin: issuer } });

describe('the demo upstream', () => {
  it("shows a student their own record through /upstreams/demo-sis/me, cut to the route's fields", async () => {
    const res = await get('/upstreams/demo-sis/me', await respondent('alex.rivera', 's1024'));
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(issuer);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ student_id: 's1024', name: 'Alex Rivera', programme: 'BSc Physics', enrollments: [{ course: 'PHYS201', title: 'Classical Mechanics', term: '2026 Autumn' }, expect.anything()] });
    expect(body).not.toHaveProperty('national_id');
  });

  it("refuses someone else's record", async () => {
    const res = await get('/upstreams/demo-sis/students/s0419', await respondent('alex.rivera', 's1024'));
    expect(res.status).toBe(403);
  });

  it('serves the demo client (client credentials) the public programme list', async () => {
    const tok = await service.app.request(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: basic(DEMO_CLIENT.id, DEMO_CLIENT.secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', audience: DEMO_AUDIENCES.sis, scope: 'student.read' }).toString(),
    });
    const { access_token } = (await tok.json()) as { access_token: string };
    const res = await get('/upstreams/demo-sis/programmes', access_token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ code: 'BSC-PHYS', name: 'BSc Physics' }, { code: 'BSC-CHEM', name: 'BSc Chemistry' }]);
  });
});

describe('the demo authorization server (RFC 6749 §4.4)', () => {
  it('refuses a wrong client secret, another grant type and a token it did not issue', async () => {
    const own = mkdtempSync(join(tmpdir(), 'campus-sts-demo-as-'));
    const up = await startDemoUpstream({ dataDir: own });
    try {
      const secret = readFileSync(up.secretFile, 'utf8').trim();
      const tokenWith = (auth: string, grant = 'client_credentials') =>
        fetch(up.tokenUrl, { method: 'POST', headers: { authorization: basic(up.clientId, auth) }, body: new URLSearchParams({ grant_type: grant }) });
      const wrong = await tokenWith('not-the-secret');
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="demo-sis"');
      expect(await wrong.json()).toEqual({ error: 'invalid_client' });
      const otherGrant = await tokenWith(secret, 'password');
      expect([otherGrant.status, await otherGrant.json()]).toEqual([400, { error: 'unsupported_grant_type' }]);
      const good = await tokenWith(secret);
      const body = (await good.json()) as { access_token: string };
      expect(body).toEqual({ access_token: expect.stringMatching(/^[\w-]{43}$/), token_type: 'Bearer', expires_in: 3600 });
      expect((await fetch(`${up.apiBase}/programmes`, { headers: { authorization: `Bearer ${body.access_token}` } })).status).toBe(200);
      const forged = await fetch(`${up.apiBase}/programmes`, { headers: { authorization: 'Bearer not-issued-here' } });
      expect([forged.status, await forged.json()]).toEqual([401, { error: 'invalid_token' }]);
    } finally {
      await up.close();
      rmSync(own, { recursive: true, force: true });
    }
  });
});
