import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { entityXml } from '../support/saml/metadata-fixtures.js';
import { testKeyPair } from '../support/saml/keys.js';
import { alphaToken, AUD, SECRETS, startTestService, T0, type TestService } from '../helpers/service.js';

/**
 * GET /metrics (one prom-client registry per service instance), /healthz and /readyz with the named checks,
 * including "IdP metadata fresh" against the metadata's validUntil and the injected clock.
 */
const services: TestService[] = [];
afterEach(() => services.splice(0).forEach((s) => s.stop()));
// The SP and IdP key pairs are made once for the file (RSA generation is the slow part of a service start).
const spKeysDir = mkdtempSync(join(tmpdir(), 'campus-sts-metrics-sp-'));
const idpKey = testKeyPair('metrics-idp');
afterAll(() => rmSync(spKeysDir, { recursive: true, force: true }));

async function start(overrides?: NonNullable<Parameters<typeof startTestService>[0]>['overrides']): Promise<TestService> {
  const s = await startTestService({ overrides });
  services.push(s);
  return s;
}

async function metrics(s: TestService): Promise<string> {
  const res = await s.app.request('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one sample line, e.g. `name{a="b"}`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** A service with an IdP from a metadata file valid until T0 + 1 h (no IdP process needed). */
async function withIdpMetadata(): Promise<TestService> {
  const key = await idpKey;
  return start((dir: string) => {
    const file = join(dir, 'idp.xml');
    writeFileSync(file, entityXml({ entityId: 'https://idp.example.edu/idp', signingCertPem: key.certPem, validUntil: new Date(Date.parse(T0) + 3_600_000), scopes: [{ value: 'example.edu' }] }));
    return {
      saml: { keys_dir: spKeysDir },
      idps: [{ id: 'campus', metadata: { file }, signed: 'both', subject: { source: 'eppn' } }],
    };
  });
}

describe('GET /metrics', () => {
  it('counts requests by route template and status, token decisions by grant and outcome, audit writes', async () => {
    const s = await start();
    await s.app.request('/healthz');
    await s.app.request('/healthz');
    await s.app.request('/no/such/thing');
    await alphaToken(s);
    await s.post('/token', { grant_type: 'client_credentials', audience: AUD.other }, ['alpha', SECRETS.alpha]);
    await s.post('/token', { grant_type: 'x'.repeat(100) }, ['alpha', SECRETS.alpha]);
    const text = await metrics(s);
    expect(sample(text, 'campus_sts_http_requests_total{route="/healthz",method="GET",status="200"}')).toBe(2);
    expect(sample(text, 'campus_sts_http_requests_total{route="unmatched",method="GET",status="404"}')).toBe(1);
    expect(sample(text, 'campus_sts_http_requests_total{route="/token",method="POST",status="200"}')).toBe(1);
    expect(sample(text, 'campus_sts_http_requests_total{route="/token",method="POST",status="400"}')).toBe(2);
    expect(sample(text, 'campus_sts_http_request_duration_seconds_count{route="/token",method="POST"}')).toBe(3);
    expect(sample(text, 'campus_sts_token_requests_total{grant_type="client_credentials",outcome="success"}')).toBe(1);
    expect(sample(text, 'campus_sts_token_requests_total{grant_type="client_credentials",outcome="refused"}')).toBe(1);
    // A made-up grant type does not become a label value of its own.
    expect(sample(text, 'campus_sts_token_requests_total{grant_type="other",outcome="refused"}')).toBe(1);
    expect(text).not.toContain('xxxxxxxx');
    expect(sample(text, 'campus_sts_audit_write_seconds_count')).toBe(s.auditRows().length);
    expect(sample(text, 'campus_sts_audit_rows_total{event="config.load",outcome="success"}')).toBe(1);
    expect(text).toContain('campus_sts_process_cpu_seconds_total');
  });

  it('keeps one registry per service instance', async () => {
    const a = await start();
    const b = await start();
    await a.app.request('/healthz');
    expect(sample(await metrics(a), 'campus_sts_http_requests_total{route="/healthz",method="GET",status="200"}')).toBe(1);
    expect(sample(await metrics(b), 'campus_sts_http_requests_total{route="/healthz",method="GET",status="200"}')).toBeUndefined();
  });

  it('offers the upstream module a recorder for call latency and refreshes', async () => {
    const s = await start();
    s.metrics.upstream.observeCall({ upstream: 'sis', status: 200 }, 0.12);
    s.metrics.upstream.observeCall({ upstream: 'sis', status: 'timeout' }, 10);
    s.metrics.upstream.countRefresh({ upstream: 'qualtrics', outcome: 'success' });
    const text = await metrics(s);
    expect(sample(text, 'campus_sts_upstream_request_duration_seconds_count{upstream="sis",status="200"}')).toBe(1);
    expect(sample(text, 'campus_sts_upstream_request_duration_seconds_bucket{le="0.25",upstream="sis",status="200"}')).toBe(1);
    expect(sample(text, 'campus_sts_upstream_request_duration_seconds_count{upstream="sis",status="timeout"}')).toBe(1);
    expect(sample(text, 'campus_sts_upstream_refreshes_total{upstream="qualtrics",outcome="success"}')).toBe(1);
  });

  it('counts SAML refusals by reason, and routes by their template', async () => {
    const s = await withIdpMetadata();
    const post = (body: string) => s.app.request('/saml/acs', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect((await post('SAMLResponse=%%%not-base64')).status).toBe(400);
    expect((await post(`SAMLResponse=${encodeURIComponent(Buffer.from('<not-xml').toString('base64'))}`)).status).toBe(400);
    await s.app.request('/launch/no-such-survey');
    const text = await metrics(s);
    expect(text.split('\n').filter((l) => l.startsWith('campus_sts_saml_refusals_total{'))).toEqual([
      'campus_sts_saml_refusals_total{reason="malformed_base64"} 1',
      'campus_sts_saml_refusals_total{reason="xml_malformed"} 1',
    ]);
    expect(sample(text, 'campus_sts_http_requests_total{route="/launch/:survey",method="GET",status="404"}')).toBe(1);
  });
});

describe('health and readiness', () => {
  it('/healthz answers while the process runs; /readyz names every check', async () => {
    const s = await withIdpMetadata();
    expect(await (await s.app.request('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await s.app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', signing_key: 'ok', idp_metadata: 'ok' } });
  });

  it('is not ready once the IdP metadata is past its validUntil', async () => {
    const s = await withIdpMetadata();
    s.clock.advance(3_600_000 + 1000);
    const res = await s.app.request('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not ready', checks: { database: 'ok', signing_key: 'ok', idp_metadata: 'failing' } });
  });

  it('is not ready when the database is gone', async () => {
    const s = await start();
    s.sqlite.close();
    const res = await s.app.request('/readyz');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { checks: Record<string, string> }).checks.database).toBe('failing');
    services.splice(services.indexOf(s), 1);
  });
});
