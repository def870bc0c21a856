import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRow } from '../../src/db/schema/audit-log.js';
import { loginAtIdp } from '../support/simplesamlphp/login.js';
import type { SimpleSamlIdp } from '../support/simplesamlphp/idp.js';
import { AppBrowser, PEOPLE } from '../helpers/saml.js';
import { alphaToken, AUD, SECRETS, type TestService } from '../helpers/service.js';
import { CONSOLE_PEOPLE, consoleSignIn, startConsoleService, wholeSecondNow, type SignedIn } from './admin-helpers.js';

/**
 * The query API over a log written by real flows (a SAML survey launch through SimpleSAMLphp, a refused
 * launch, token requests): every filter, keyset pagination while rows are appended, and the correlation view
 * that follows one launch from the sign-in to the upstream calls.
 */
let idp: SimpleSamlIdp;
let s: TestService;
let carol: SignedIn;
let launch: { jti: string; code: string; jwt: string; redeemRequest: string; acsRequest: string };
let t0: Date;
let t1: Date;

interface ApiRow { id: number; event: string; outcome: string; subject: string | null; client_id: string | null; audience: string[]; jti: string | null; request_id: string | null; at: string; data: Record<string, unknown>; link?: string }

async function api(path: string): Promise<{ status: number; body: { rows: ApiRow[]; next_cursor: string | null; error?: string; error_description?: string } }> {
  const res = await carol.browser.request(path);
  return { status: res.status, body: (await res.json()) as never };
}

/** Every row the filter selects, newest first, following next_cursor. */
async function all(query: string, limit = 500): Promise<ApiRow[]> {
  const out: ApiRow[] = [];
  let cursor: string | null = null;
  do {
    const r = await api(`/admin/api/audit?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    out.push(...r.body.rows);
    cursor = r.body.next_cursor;
  } while (cursor);
  return out;
}

const ids = (rows: { id: number }[]) => rows.map((r) => r.id);
const expected = (pred: (r: AuditRow) => boolean) => s.auditRows().filter(pred).map((r) => r.id).reverse();

beforeAll(async () => {
  t0 = wholeSecondNow();
  // The log spans two hours of our clock: a long idle timeout keeps the auditor signed in across it.
  ({ idp, s } = await startConsoleService({ startAt: t0, admin: { session: { idle_timeout_seconds: 14_400, absolute_timeout_seconds: 86_400 } } }));
  carol = await consoleSignIn(s, CONSOLE_PEOPLE.auditor);

  // A student launches the survey; the survey redeems the code; the token is then used upstream twice.
  const student = new AppBrowser(s);
  const start = await student.request('/launch/course-eval');
  const posted = await loginAtIdp(start.headers.get('location')!, PEOPLE.student);
  const acs = await student.postForm('/saml/acs', { SAMLResponse: posted.SAMLResponse });
  expect(acs.status).toBe(303);
  const code = new URL(acs.headers.get('location')!).searchParams.get('sts_code')!;
  const redeemed = await s.app.request('/launch/redeem', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
  const fields = (await redeemed.json()) as { token: string };
  const jti = (JSON.parse(Buffer.from(fields.token.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
  launch = { jti, code, jwt: fields.token, redeemRequest: redeemed.headers.get('x-request-id')!, acsRequest: acs.headers.get('x-request-id')! };
  // What the upstream proxy records for calls made with that token (its own requests; the token's jti).
  for (const [i, status] of [200, 429].entries()) {
    await s.audit.commit((tx) =>
      s.audit.append(tx, {
        event: 'upstream.call', outcome: status === 200 ? 'success' : 'refused', requestId: `proxy-${i}`, subject: 'alice@example.edu', clientId: 'survey:course-eval', jti,
        audience: [AUD.sis], data: { upstream: 'sis', method: 'GET', route: '/students/{claims.student_id}', status, upstream_status: status, latency_ms: 12 },
      }),
    );
  }
  // Staff is refused by the survey's policy.
  const staff = new AppBrowser(s);
  const staffStart = await staff.request('/launch/course-eval');
  const staffPosted = await loginAtIdp(staffStart.headers.get('location')!, PEOPLE.staff);
  expect((await staff.postForm('/saml/acs', { SAMLResponse: staffPosted.SAMLResponse })).status).toBe(403);

  // An hour later: token requests by two clients, one refused.
  s.clock.advance(3_600_000);
  t1 = s.clock.now();
  await alphaToken(s);
  await alphaToken(s, { audience: AUD.reports, scope: 'student.read' });
  expect((await s.post('/token', { grant_type: 'client_credentials', audience: AUD.reports, client_id: 'beta', client_secret: SECRETS.beta })).status).toBe(200);
  const refused = await s.post('/token', { grant_type: 'client_credentials', audience: AUD.other }, ['alpha', SECRETS.alpha]);
  expect(refused.status).toBe(400);
});
afterAll(async () => {
  s?.stop();
  await idp?.stop();
});

describe('GET /admin/api/audit filters', () => {
  const data = (r: AuditRow) => (r.data ? (JSON.parse(r.data) as Record<string, unknown>) : {});
  const cases: [string, () => string, (r: AuditRow) => boolean][] = [
    ['no filter', () => '', () => true],
    ['subject', () => 'subject=alice%40example.edu', (r) => r.subject === 'alice@example.edu'],
    ['survey', () => 'survey=course-eval', (r) => data(r).survey === 'course-eval'],
    ['client', () => 'client=alpha', (r) => r.clientId === 'alpha'],
    ['audience (one of several)', () => `audience=${encodeURIComponent(AUD.reports)}`, (r) => (r.audience ?? '').split(' ').includes(AUD.reports)],
    ['event', () => 'event=token.issue', (r) => r.event === 'token.issue'],
    ['two events', () => 'event=launch.issue&event=launch.redeem', (r) => r.event === 'launch.issue' || r.event === 'launch.redeem'],
    ['an event family', () => 'event=saml.*', (r) => r.event.startsWith('saml.')],
    ['outcome', () => 'outcome=refused', (r) => r.outcome === 'refused'],
    ['request id', () => `request_id=${launch.acsRequest}`, (r) => r.requestId === launch.acsRequest],
    ['jti', () => `jti=${launch.jti}`, (r) => r.jti === launch.jti],
    ['time range (from inclusive, to exclusive)', () => `from=${t0.toISOString()}&to=${t1.toISOString()}`, (r) => r.at >= t0 && r.at < t1],
    ['from only, as datetime-local (UTC)', () => `from=${t1.toISOString().slice(0, 16)}`, (r) => r.at >= new Date(t1.toISOString().slice(0, 16) + 'Z')],
    ['several at once', () => `client=alpha&outcome=refused&event=token.issue`, (r) => r.clientId === 'alpha' && r.outcome === 'refused' && r.event === 'token.issue'],
  ];
  for (const [name, query, pred] of cases) {
    it(`filters by ${name}`, async () => {
      const want = expected(pred);
      expect(want.length, 'the fixture has rows for this filter').toBeGreaterThan(0);
      expect(ids(await all(query()))).toEqual(want);
      expect(ids(await all(query(), 2))).toEqual(want);
    });
  }

  it('returns rows in their JSON form, without any token or code', async () => {
    const [row] = (await api(`/admin/api/audit?event=launch.issue&outcome=success`)).body.rows;
    expect(row).toMatchObject({ event: 'launch.issue', subject: 'alice@example.edu', client_id: 'survey:course-eval', audience: [AUD.sis], jti: launch.jti, data: { survey: 'course-eval', purpose: 'launch' } });
    expect(row!.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const everything = JSON.stringify(await all(''));
    expect(everything).not.toContain(launch.code);
    expect(everything).not.toContain(launch.jwt.split('.')[2]);
  });

  const bad: [string, string][] = [
    ['nonsense=1', 'unknown filter "nonsense"'],
    ['from=yesterday', 'from: expected an ISO 8601 time such as 2026-11-23T10:00:00Z'],
    ['from=2026-02-30T00:00:00Z', 'from: is not a valid time'],
    ['from=2026-11-24T00:00:00Z&to=2026-11-23T00:00:00Z', 'from: must be before to'],
    ['outcome=maybe', 'outcome: Invalid option: expected one of "success"|"refused"|"error"'],
    ['event=DROP%20TABLE', 'event.0: expected an event name such as token.issue or a family such as upstream.*'],
    ['subject=a&subject=b', 'parameter subject is included more than once'],
    ['limit=0', 'limit: expected 1..500'],
    ['limit=501', 'limit: expected 1..500'],
    ['cursor=bm9wZQ', 'cursor: malformed (pass next_cursor from the previous page unchanged)'],
    ['order=asc&cursor=ZGVzYzo1', 'cursor: belongs to the other order'],
  ];
  for (const [query, description] of bad) {
    it(`answers ${query} with 400 invalid_request`, async () => {
      expect(await api(`/admin/api/audit?${query}`)).toEqual({ status: 400, body: { error: 'invalid_request', error_description: description } });
    });
  }
});

describe('pagination while rows are appended', () => {
  it('newest-first pages neither skip nor repeat a row while others write', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      // Each page is fetched while new rows are being written (a token request and a direct append).
      const [page]: [Awaited<ReturnType<typeof api>>, ...unknown[]] = await Promise.all([
        api(`/admin/api/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`),
        alphaToken(s),
        s.audit.commit((tx) => s.audit.append(tx, { event: 'token.introspect', outcome: 'success', clientId: 'alpha', data: { active: true } })),
      ]);
      seen.push(...page.body.rows.map((r) => r.id));
      cursor = page.body.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBeGreaterThanOrEqual(6);
    // Strictly decreasing (nothing repeated, nothing out of order) and every row up to the first page's head.
    seen.forEach((id, i) => i > 0 && expect(id).toBeLessThan(seen[i - 1]!));
    expect(seen).toEqual(s.auditRows().map((r) => r.id).filter((id) => id <= seen[0]!).reverse());
    // The writes really happened meanwhile: rows newer than the first page exist now.
    expect(s.lastAudit().id).toBeGreaterThan(seen[0]! + 2 * (pages - 1));
  });

  it('oldest-first pages run on into the rows appended meanwhile, each exactly once', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let appended = 0;
    do {
      const page = await api(`/admin/api/audit?order=asc&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.rows.map((r) => r.id));
      cursor = page.body.next_cursor;
      // Rows appended between pages (before the last page is read) must show up at the end, once.
      if (cursor && appended < 5) {
        await alphaToken(s);
        appended += 1;
      }
    } while (cursor);
    expect(appended).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual(s.auditRows().map((r) => r.id));
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe('correlation view', () => {
  it('follows one launch: sign-in start → SAML login → token → redeem → upstream calls', async () => {
    const redeem = s.auditRows().find((r) => r.event === 'launch.redeem' && r.outcome === 'success')!;
    const res = await carol.browser.request(`/admin/api/audit/${redeem.id}/correlation`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rows: ApiRow[]; truncated: boolean };
    expect(body.rows.map((r) => `${r.event}:${r.outcome}:${r.link}`)).toEqual([
      'saml.start:success:sign_in',
      'saml.login:success:request',
      'launch.issue:success:jti',
      'launch.redeem:success:self',
      'upstream.call:success:jti',
      'upstream.call:refused:jti',
    ]);
    expect(body.truncated).toBe(false);
    // From the other end (an upstream call) the same chain comes back.
    const call = body.rows.at(-1)!;
    const back = (await (await carol.browser.request(`/admin/api/audit/${call.id}/correlation`)).json()) as { rows: ApiRow[] };
    expect(ids(back.rows)).toEqual(ids(body.rows));
  });

  it('links each of two overlapping sign-ins of one survey to its own start, both ways', async () => {
    const a = new AppBrowser(s);
    const b = new AppBrowser(s);
    s.clock.set(wholeSecondNow());
    const startA = await a.request('/launch/course-eval');
    const startB = await b.request('/launch/course-eval');
    for (const [browser, start] of [[a, startA], [b, startB]] as const) {
      const posted = await loginAtIdp(start.headers.get('location')!, PEOPLE.student);
      expect((await browser.postForm('/saml/acs', { SAMLResponse: posted.SAMLResponse })).status).toBe(303);
    }
    const rowOf = (event: string, request: string) => s.auditRows().find((r) => r.event === event && (r.requestId === request || JSON.parse(r.data ?? '{}').start_request === request))!;
    const [requestA, requestB] = [startA.headers.get('x-request-id')!, startB.headers.get('x-request-id')!];
    const chain = async (id: number) =>
      ((await (await carol.browser.request(`/admin/api/audit/${id}/correlation`)).json()) as { rows: ApiRow[] }).rows.map((r) => `${r.id}:${r.event}:${r.link}`);
    const issueA = rowOf('launch.issue', requestA);
    expect(await chain(issueA.id)).toEqual([`${rowOf('saml.start', requestA).id}:saml.start:sign_in`, `${rowOf('saml.login', requestA).id}:saml.login:request`, `${issueA.id}:launch.issue:self`]);
    const startRowB = rowOf('saml.start', requestB);
    expect(await chain(startRowB.id)).toEqual([`${startRowB.id}:saml.start:self`, `${rowOf('saml.login', requestB).id}:saml.login:sign_in`, `${rowOf('launch.issue', requestB).id}:launch.issue:sign_in`]);
  });

  it('answers an unknown row with 404', async () => {
    const res = await carol.browser.request('/admin/api/audit/999999/correlation');
    expect(res.status).toBe(404);
  });
});
