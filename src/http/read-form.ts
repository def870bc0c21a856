import type { Context } from 'hono';
import { InvalidRequest, PayloadTooLarge } from '../core/oauth-errors.js';
import { readCapped } from '../core/read-capped.js';
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
  const tooLarge = () => new PayloadTooLarge(`the request body is larger than ${maxBytes} bytes`);
  if (Number(c.req.header('content-length') ?? NaN) > maxBytes) throw tooLarge();
  const bytes = await readCapped(c.req.raw.body, maxBytes);
  if (!bytes) throw tooLarge();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InvalidRequest('the request body is not UTF-8');
  }
}
