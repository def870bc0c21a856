import type { Context } from 'hono';
import { PayloadTooLarge } from '../core/oauth-errors.js';
import { readCapped } from '../core/read-capped.js';

/**
 * The client went away, or broke the message framing (a malformed chunk: Node's parser answers 400 and closes),
 * before its body arrived. Nobody is left to answer and nothing was decided: not a server fault, not a refusal.
 */
export class ClientAborted extends Error {
  constructor(
    description: string,
    readonly detail: string = description,
    options?: { cause?: unknown },
  ) {
    super(description, options);
  }
}

/** Bodies already read, by request: a guard (the admin CSRF check) and then its handler may both read the form. */
const received = new WeakMap<Request, Uint8Array<ArrayBuffer>>();

/**
 * Reads a request body of at most `maxBytes`: a body that declares a larger length is refused before it is read,
 * and one without a length is counted while it streams in, so an oversized or endless body is cut off early
 * rather than buffered. Every request body in the service is read here.
 */
export async function readBody(c: Context, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = received.get(c.req.raw) ?? (await readOnce(c, maxBytes));
  received.set(c.req.raw, bytes);
  return bytes;
}

async function readOnce(c: Context, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const tooLarge = () => new PayloadTooLarge(`the request body is larger than ${maxBytes} bytes`);
  const declared = c.req.header('content-length');
  let bytes: Uint8Array<ArrayBuffer> | undefined;
  try {
    if (declared !== undefined && /^\d{1,15}$/.test(declared)) {
      if (Number(declared) > maxBytes) throw tooLarge();
      // Node's HTTP parser delivers exactly Content-Length bytes (and refuses a request that also has
      // Transfer-Encoding), so the declared length bounds this read; the adapter buffers it without building a
      // web stream, which costs more than the rest of a token request's parsing.
      bytes = new Uint8Array(await c.req.arrayBuffer());
    } else {
      bytes = await readCapped(c.req.raw.body, maxBytes);
    }
  } catch (err) {
    // A TypeError is our own misuse (a body read twice); any other failure comes from the connection.
    if (err instanceof PayloadTooLarge || err instanceof TypeError) throw err;
    throw new ClientAborted('the client aborted the request', err instanceof Error ? err.message.slice(0, 200) : undefined, { cause: err });
  }
  if (!bytes || bytes.byteLength > maxBytes) throw tooLarge();
  return bytes;
}
