import { createHash, randomBytes } from 'node:crypto';
import { startOidcUpstream, CLIENTS } from '/work/main/test/support/oauth/oidc-upstream.ts';
const redirect = 'http://127.0.0.1:9/cb';
const up = await startOidcUpstream({ redirectUris: [redirect] });
const basic = (c: {id: string, secret: string}) => 'Basic ' + Buffer.from(`${c.id}:${c.secret}`).toString('base64');
let r = await fetch(up.tokenUrl, { method: 'POST', headers: { authorization: basic(CLIENTS.machine) }, body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'records:read' }) });
console.log('cc', r.status, await r.text());
// auth code
const verifier = randomBytes(32).toString('base64url');
const challenge = createHash('sha256').update(verifier).digest('base64url');
const jar = new Map<string,string>();
async function go(url: string): Promise<Response> {
  const cookie = [...jar.entries()].map(([k,v]) => `${k}=${v}`).join('; ');
  const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  for (const c of res.headers.getSetCookie()) { const [kv] = c.split(';'); const i = kv!.indexOf('='); jar.set(kv!.slice(0,i), kv!.slice(i+1)); }
  return res;
}
let url = `${up.authorizeUrl}?` + new URLSearchParams({ response_type: 'code', client_id: CLIENTS.connector.id, redirect_uri: redirect, scope: 'records:read', state: 'xyz', code_challenge: challenge, code_challenge_method: 'S256' });
let res: Response;
for (;;) { res = await go(url); const loc = res.headers.get('location'); console.log(res.status, loc?.slice(0,120)); if (!loc || loc.startsWith(redirect)) break; url = new URL(loc, url).href; }
const loc = new URL(res.headers.get('location')!);
const code = loc.searchParams.get('code')!;
r = await fetch(up.tokenUrl, { method: 'POST', headers: { authorization: basic(CLIENTS.connector) }, body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirect, code_verifier: verifier }) });
const t1 = await r.json() as any; console.log('code', r.status, t1);
r = await fetch(up.apiBase + '/students/S1001', { headers: { authorization: 'Bearer ' + t1.access_token } }); console.log('api', r.status, await r.text());
r = await fetch(up.tokenUrl, { method: 'POST', headers: { authorization: basic(CLIENTS.connector) }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: t1.refresh_token }) });
const t2 = await r.json() as any; console.log('refresh', r.status, t2);
r = await fetch(up.tokenUrl, { method: 'POST', headers: { authorization: basic(CLIENTS.connector) }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: t1.refresh_token }) });
console.log('reuse', r.status, await r.text());
r = await fetch(up.tokenUrl, { method: 'POST', headers: { authorization: basic(CLIENTS.connector) }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: t2.refresh_token }) });
console.log('after reuse', r.status, await r.text());
console.log(up.grants, up.grantErrors);
await up.stop();
