import type { Context } from 'hono';
import { quote } from '../core/bounded.js';
import { InvalidRequest } from '../core/oauth-errors.js';
import { parseForm, type FormParams } from '../core/form-params.js';
import { readBody } from './read-body.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body is not a form at all (its Content-Type), as opposed to a malformed form. */
export class NotAForm extends InvalidRequest {}

/** Reads an `application/x-www-form-urlencoded` body (RFC 6749 §3.2) of at most `maxBytes` (see `readBody`). */
export async function readForm(c: Context, maxBytes: number): Promise<FormParams> {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new NotAForm('the request body must be application/x-www-form-urlencoded', `content-type ${type === undefined ? '(none)' : quote(type)}`);
  }
  const bytes = await readBody(c, maxBytes);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new InvalidRequest('the request body is not UTF-8');
  }
  return parseForm(text);
}
