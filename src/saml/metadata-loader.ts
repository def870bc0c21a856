/**
 * Loads IdP metadata from a file, a URL (TLS-trusted, e.g. an MDQ answer) or a signed federation
 * aggregate (pinned certificate, entity selected by entityID from the signed bytes). `fetch`, the file
 * reader and the clock are injected. Documents are cached (TTL, and never past their `validUntil`);
 * concurrent loads of one document share one fetch; when a refresh fails, a cached copy that has not
 * expired is served (stale-if-error).
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import type { Clock } from '../core/clock.js';
import { readCapped } from '../core/read-capped.js';
import { assertServiceUrl } from './config-check.js';
import { SamlConfigError, SamlMetadataError } from './errors.js';
import { parseIdpMetadata, verifyMetadataAggregate } from './metadata.js';
import type { ParsedIdpMetadata } from './settings.js';

export type DocumentLocation = { file: string } | { url: string; timeoutMs: number };

export type MetadataSource =
  | ({ entityId?: string } & DocumentLocation)
  | { aggregate: DocumentLocation; pinnedCertPem: string; entityId: string };

export interface MetadataLoaderDeps {
  clock: Clock;
  fetch?: typeof globalThis.fetch;
  readFile?: (path: string) => Promise<string>;
  /** Cap on one metadata document, bytes. Default 64 MiB (federation aggregates are large). */
  maxBytes?: number;
  /** How long a loaded document is reused, ms. Default 1 h. */
  cacheTtlMs?: number;
}

export interface MetadataLoader {
  load(source: MetadataSource): Promise<ParsedIdpMetadata>;
}

interface CachedDoc {
  /** Trusted XML: the document itself, or the signed bytes of a verified aggregate. */
  xml: string;
  validUntil: number | undefined;
  loadedAt: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_TTL_MS = 60 * 60 * 1000;

async function readMetadataBody(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<string> {
  const bytes = await readCapped(body, maxBytes);
  if (!bytes) throw new SamlMetadataError('metadata_too_large', `metadata exceeds ${maxBytes} bytes`);
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

// long: closure scope: the cache and in-flight map are shared by fetch, load and the returned methods.
export function createMetadataLoader(deps: MetadataLoaderDeps): MetadataLoader {
  const fetchImpl = deps.fetch ?? globalThis.fetch;
  const readFile = deps.readFile ?? ((p: string) => fsReadFile(p, 'utf8'));
  const maxBytes = deps.maxBytes ?? DEFAULT_MAX_BYTES;
  const ttl = deps.cacheTtlMs ?? DEFAULT_TTL_MS;
  const cache = new Map<string, CachedDoc>();
  const inflight = new Map<string, Promise<CachedDoc>>();

  async function fetchText(loc: DocumentLocation): Promise<string> {
    if ('file' in loc) {
      const text = await readFile(loc.file);
      if (Buffer.byteLength(text) > maxBytes) throw new SamlMetadataError('metadata_too_large', `${loc.file} exceeds ${maxBytes} bytes`);
      return text;
    }
    try {
      assertServiceUrl(loc.url, 'metadata url');
    } catch (err) {
      throw new SamlMetadataError('metadata_insecure_url', (err as SamlConfigError).message, { cause: err });
    }
    let res: Response;
    try {
      res = await fetchImpl(loc.url, {
        signal: AbortSignal.timeout(loc.timeoutMs),
        headers: { accept: 'application/samlmetadata+xml, application/xml;q=0.9, text/xml;q=0.8' },
      });
    } catch (err) {
      throw new SamlMetadataError('metadata_fetch_failed', `${loc.url}: ${(err as Error).message}`, { cause: err });
    }
    if (res.url) assertFinalUrl(res.url);
    if (res.status !== 200) throw new SamlMetadataError('metadata_fetch_failed', `${loc.url}: HTTP ${res.status}`);
    const length = Number(res.headers.get('content-length') ?? '0');
    if (length > maxBytes) throw new SamlMetadataError('metadata_too_large', `${loc.url}: ${length} bytes`);
    try {
      return await readMetadataBody(res.body, maxBytes);
    } catch (err) {
      if (err instanceof SamlMetadataError) throw err;
      throw new SamlMetadataError('metadata_fetch_failed', `${loc.url}: ${(err as Error).message}`, { cause: err });
    }
  }

  function assertFinalUrl(url: string): void {
    try {
      assertServiceUrl(url, 'metadata url after redirects');
    } catch (err) {
      throw new SamlMetadataError('metadata_insecure_url', (err as SamlConfigError).message, { cause: err });
    }
  }

  type Produced = { xml: string; validUntil: Date | undefined };
  const unexpired = (doc: CachedDoc): boolean => doc.validUntil === undefined || doc.validUntil > deps.clock.now().getTime();

  async function loadDoc(key: string, produce: () => Promise<Produced>): Promise<string> {
    const hit = cache.get(key);
    if (hit && deps.clock.now().getTime() - hit.loadedAt < ttl && unexpired(hit)) return hit.xml;
    let pending = inflight.get(key);
    if (!pending) {
      pending = produce().then((p) => ({ xml: p.xml, validUntil: p.validUntil?.getTime(), loadedAt: deps.clock.now().getTime() }));
      inflight.set(key, pending);
      pending.then(
        (doc) => {
          cache.set(key, doc);
          inflight.delete(key);
        },
        () => inflight.delete(key),
      );
    }
    try {
      return (await pending).xml;
    } catch (err) {
      if (hit && unexpired(hit)) return hit.xml; // stale-if-error, never past validUntil
      throw err;
    }
  }

  return {
    async load(source: MetadataSource): Promise<ParsedIdpMetadata> {
      if ('aggregate' in source) {
        const loc = source.aggregate;
        const key = `aggregate:${'file' in loc ? `file:${loc.file}` : `url:${loc.url}`}:${source.pinnedCertPem}`;
        const signedXml = await loadDoc(key, async () => verifyMetadataAggregate(await fetchText(loc), source.pinnedCertPem, deps.clock.now()));
        return parseIdpMetadata(signedXml, { entityId: source.entityId, now: deps.clock.now() });
      }
      const select = { ...(source.entityId ? { entityId: source.entityId } : {}) };
      const key = `${'file' in source ? `file:${source.file}` : `url:${source.url}`}#${source.entityId ?? ''}`;
      const xml = await loadDoc(key, async () => {
        const text = await fetchText(source);
        // Validate before caching, so a broken refresh never replaces a good copy.
        const parsed = parseIdpMetadata(text, { ...select, now: deps.clock.now() });
        return { xml: text, validUntil: parsed.validUntil };
      });
      return parseIdpMetadata(xml, { ...select, now: deps.clock.now() });
    },
  };
}
