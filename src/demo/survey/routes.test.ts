import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../http/env.js';
import { demoSurveyRoutes, type DemoSurveySettings } from './routes.js';

const base: DemoSurveySettings = {
  title: 'Course experience survey',
  issuer: 'http://127.0.0.1:8787',
  codeParam: 'sts_code',
  launchUrl: 'http://127.0.0.1:8787/launch/demo-survey',
};
const CSP_TAIL = "style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

async function get(settings: DemoSurveySettings) {
  const app = new Hono<AppEnv>().route('/', demoSurveyRoutes(settings));
  const res = await app.request('/demo/survey?sts_code=abc');
  const page = await res.text();
  const nonce = /<script nonce="([^"]+)">/.exec(page)?.[1];
  return { res, page, nonce };
}

describe('GET /demo/survey', () => {
  it('runs its one script under a fresh nonce, fetches only from this host, and has no record panel by default', async () => {
    const { res, page, nonce } = await get(base);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(`default-src 'none'; script-src 'nonce-${nonce}'; connect-src 'self'; ${CSP_TAIL}`);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.match(/<script/g)).toHaveLength(1);
    expect(page).not.toMatch(/\son[a-z]+=/i);
    expect(page).not.toContain('<section id="record"');
    expect((await get(base)).nonce).not.toBe(nonce);
  });

  it('shows the record panel when demo.recordUrl is set, and lets the page fetch from its origin', async () => {
    const { res, page, nonce } = await get({ ...base, recordUrl: 'http://127.0.0.1:9000/sis/me' });
    expect(page).toContain('<section id="record" data-url="http://127.0.0.1:9000/sis/me" hidden>');
    expect(page).toContain('Your record from the student-information system');
    expect(res.headers.get('content-security-policy')).toBe(`default-src 'none'; script-src 'nonce-${nonce}'; connect-src 'self' http://127.0.0.1:9000; ${CSP_TAIL}`);
  });

  it('needs no extra connect-src for a record URL on this host', async () => {
    const { res, nonce } = await get({ ...base, recordUrl: '/upstreams/sis/me' });
    expect(res.headers.get('content-security-policy')).toBe(`default-src 'none'; script-src 'nonce-${nonce}'; connect-src 'self'; ${CSP_TAIL}`);
  });
});
