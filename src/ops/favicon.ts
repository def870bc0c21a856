import { Hono } from 'hono';
import type { AppEnv } from '../http/env.js';

/**
 * The icon browsers ask every origin for on every page (`/favicon.ico`): a 32×32 ICO holding one PNG (a white
 * check mark on a rounded maroon square, 225 bytes). It never changes, so it is cached for a year.
 */
const FAVICON = Buffer.from(
  'AAABAAEAICAAAAEAIADLAAAAFgAAAIlQTkcNChoKAAAADUlIRFIAAAAgAAAAIAgGAAAAc3p69AAAAJJJREFUeNrtl0EOgCAMBPsSP+ATfbzejNGC3bIUBDfhujMHbVqRRLZl3ZlPLGFDIZkouCoRDX9IzC3QCn5KDCtwT6iAlnkEUgkRQOFUAQ/8VcBa4oVnBaxlJXBIQCsthcMC13IG3PwNaJAQgRyIATf/hrXg0ByoAYcHERvumoRM+NgLySf2wn8t7+c06+I4bXWeHwh7tHpQPf/vAAAAAElFTkSuQmCC',
  'base64',
);

export function faviconRoutes(): Hono<AppEnv> {
  return new Hono<AppEnv>().get('/favicon.ico', (c) =>
    c.body(new Uint8Array(FAVICON), 200, {
      'Content-Type': 'image/x-icon',
      'Content-Length': String(FAVICON.length),
      'Cache-Control': 'public, max-age=31536000, immutable',
    }),
  );
}
