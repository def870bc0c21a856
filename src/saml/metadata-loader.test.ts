// The metadata loader with injected fetch, file reader and clock.
import { beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../core/clock.js';
import { SamlMetadataError } from './errors.js';
import { createMetadataLoader } from './metadata-loader.js';
import { testKeyPair, type TestKeyPair } from '../../test/support/saml/keys.js';
import { aggregateXml, entityXml, signRoot } from '../../test/support/saml/metadata-fixtures.js';

const SHIB = 'https://idp.univ.edu/idp/shibboleth';
const MDQ = 'https://mdq.example.org/entities/x';
let idp: TestKeyPair, fed: TestKeyPair;
beforeAll(async () => {
  [idp, fed] = await Promise.all([testKeyPair('idp-shib'), testKeyPair('federation')]);
});

function fakeFetch(responder: (url: string) => Response | Promise<Response>) {
  const calls: string[] = [];
  const fetch = (async (input: string | URL | Request) => {
    const url = String(input);
    calls.push(url);
    return responder(url);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const ok = (body: string) => new Response(body, { status: 200, headers: { 'content-type': 'application/samlmetadata+xml' } });

describe('createMetadataLoader', () => {
  it('file source (injected reader)', async () => {
    const loader = createMetadataLoader({ clock: fixedClock('2030-01-01T00:00:00Z'), readFile: async () => entityXml({ entityId: SHIB, signingCertPem: idp.certPem }) });
    expect((await loader.load({ file: '/etc/campus-sts/idp.xml' })).entityId).toBe(SHIB);
  });

  it('url source: cached for the TTL, shared by concurrent loads, refetched after', async () => {
    const clock = fixedClock('2030-01-01T00:00:00Z');
    const f = fakeFetch(() => ok(entityXml({ entityId: SHIB, signingCertPem: idp.certPem })));
    const loader = createMetadataLoader({ clock, fetch: f.fetch, cacheTtlMs: 60_000 });
    const src = { url: MDQ, timeoutMs: 1000 };
    const [a, b] = await Promise.all([loader.load(src), loader.load(src)]);
    expect(a.entityId).toBe(SHIB);
    expect(b.entityId).toBe(SHIB);
    await loader.load(src);
    expect(f.calls).toEqual([MDQ]);
    clock.advance(61_000);
    await loader.load(src);
    expect(f.calls).toEqual([MDQ, MDQ]);
  });

  it('serves the cached copy when a refresh fails, but never past validUntil', async () => {
    const clock = fixedClock('2030-01-01T00:00:00Z');
    let fail = false;
    const f = fakeFetch(() => (fail ? new Response('down', { status: 503 }) : ok(entityXml({ entityId: SHIB, signingCertPem: idp.certPem, validUntil: new Date('2030-01-02T00:00:00Z') }))));
    const loader = createMetadataLoader({ clock, fetch: f.fetch, cacheTtlMs: 60_000 });
    const src = { url: MDQ, timeoutMs: 1000 };
    await loader.load(src);
    fail = true;
    clock.advance(120_000);
    expect((await loader.load(src)).entityId).toBe(SHIB);
    clock.set('2030-01-02T00:00:01Z');
    await expect(loader.load(src)).rejects.toMatchObject({ code: 'metadata_fetch_failed' });
  });

  it.each([
    ['plain http', 'http://mdq.example.org/x', () => ok(''), 'metadata_insecure_url'],
    ['HTTP 404', MDQ, () => new Response('no', { status: 404 }), 'metadata_fetch_failed'],
    ['network error', MDQ, () => Promise.reject(new TypeError('fetch failed')), 'metadata_fetch_failed'],
    ['too large', MDQ, () => ok('<x>' + 'a'.repeat(2000) + '</x>'), 'metadata_too_large'],
    ['garbage', MDQ, () => ok('not xml'), 'metadata_malformed'],
  ])('%s → %s', async (_n, url, responder, code) => {
    const f = fakeFetch(responder);
    const loader = createMetadataLoader({ clock: fixedClock('2030-01-01T00:00:00Z'), fetch: f.fetch, maxBytes: 1024 });
    const err = await loader.load({ url, timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SamlMetadataError);
    expect((err as SamlMetadataError).code).toBe(code);
  });

  it('http on loopback is allowed (local IdPs in tests and the demo)', async () => {
    const f = fakeFetch(() => ok(entityXml({ entityId: SHIB, signingCertPem: idp.certPem })));
    const loader = createMetadataLoader({ clock: fixedClock('2030-01-01T00:00:00Z'), fetch: f.fetch });
    await expect(loader.load({ url: 'http://127.0.0.1:8080/md', timeoutMs: 1000 })).resolves.toMatchObject({ entityId: SHIB });
  });

  it('aggregate source: verified once against the pinned key, then entities are selected from the signed bytes', async () => {
    const clock = fixedClock('2030-01-01T00:00:00Z');
    const agg = signRoot(
      aggregateXml([{ entityId: SHIB, signingCertPem: idp.certPem }, { entityId: 'https://idp.other.edu', signingCertPem: idp.certPem }], { validUntil: new Date('2030-01-10T00:00:00Z') }),
      fed,
    );
    const f = fakeFetch(() => ok(agg));
    const loader = createMetadataLoader({ clock, fetch: f.fetch });
    const aggregate = { url: 'https://md.federation.example/all.xml', timeoutMs: 5000 };
    expect((await loader.load({ aggregate, pinnedCertPem: fed.certPem, entityId: SHIB })).entityId).toBe(SHIB);
    expect((await loader.load({ aggregate, pinnedCertPem: fed.certPem, entityId: 'https://idp.other.edu' })).entityId).toBe('https://idp.other.edu');
    expect(f.calls).toHaveLength(1);
    await expect(loader.load({ aggregate, pinnedCertPem: idp.certPem, entityId: SHIB })).rejects.toMatchObject({ code: 'metadata_signature_invalid' });
  });
});
