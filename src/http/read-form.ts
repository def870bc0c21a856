import type { Context } from 'hono';
import { InvalidRequest, PayloadTooLarge } from '../core/oauth-errors.js';
import { readCapped } from '../core/read-capped.js';
import { parseForm, type FormParams } from './form-params.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads an `application/x-www-form-urlencoded` body (RFC 6749 §3.2) of at most `maxBytes`: a body that declares
 * a larger length is refused before it is read, and one without a length is counted while it streams in, so an
 * oversized or endless body is cut off early rather than buffered.
 */
export async function readForm(c: Context, maxBytes: number): Promise<FormParams> {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new InvalidRequest('the request body must be application/x-www-form-urlencoded', `content-type ${JSON.stringify(type ?? null)}`);
  }
  return parseForm(await readLimitedText(c, maxBytes));
}

async function readLimitedText(c: Context, maxBytes: number): Promise<string> {
  const tooLarge = () => new PayloadTooLarge(`the request body is larger than ${maxBytes} bytes`);
  const declared = c.req.header('content-length');
  let bytes: Uint8Array | undefined;
  if (declared !== undefined && /^\d{1,15}$/.test(declared)) {
    if (Number(declared) > maxBytes) throw tooLarge();
    // Node's HTTP parser delivers exactly Content-Length bytes (and refuses a request that also has
    // Transfer-Encoding), so the declared length bounds this read; the adapter buffers it without building a
    // web stream, which costs more than the rest of a token request's parsing.
    bytes = new Uint8Array(await c.req.arrayBuffer());
  } else {
    bytes = await readCapped(c.req.raw.body, maxBytes);
  }
  if (!bytes || bytes.byteLength > maxBytes) throw tooLarge();
  try {
    return utf8.decode(bytes);
  } catch {
    throw new InvalidRequest('the request body is not UTF-8');
  }
}
