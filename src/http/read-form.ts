import type { Context } from 'hono';
import { InvalidRequest, PayloadTooLarge } from '../core/oauth-errors.js';
import { parseForm, type FormParams } from './form-params.js';

/**
 * Reads an `application/x-www-form-urlencoded` body (RFC 6749 §3.2) of at most `maxBytes`, counting while it
 * streams in so an oversized or endless body is cut off early rather than buffered.
 */
export async function readForm(c: Context, maxBytes: number): Promise<FormParams> {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new InvalidRequest('the request body must be application/x-www-form-urlencoded', `content-type ${JSON.stringify(type ?? null)}`);
  }
  return parseForm(await readLimitedText(c, maxBytes));
}

async function readLimitedText(c: Context, maxBytes: number): Promise<string> {
  const declared = Number(c.req.header('content-length') ?? NaN);
  const tooLarge = () => new PayloadTooLarge(`the request body is larger than ${maxBytes} bytes`);
  if (declared > maxBytes) throw tooLarge();
  const body = c.req.raw.body;
  if (!body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const text = new TextDecoder('utf-8', { fatal: true });
  try {
    return text.decode(Buffer.concat(chunks));
  } catch {
    throw new InvalidRequest('the request body is not UTF-8');
  }
}
