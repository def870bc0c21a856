/**
 * Pre-parse guards (saml-security.md §3.4 steps 1–2): strict base64 / base64url, size cap, UTF-8,
 * no DTD (DOCTYPE, ENTITY, …), no processing instructions, no control characters. They run before
 * any XML parser sees the bytes, so the parser-differential class (CVE-2025-25291 uses a DOCTYPE)
 * and entity expansion never reach xmldom, xml2js or xml-crypto.
 */
import { SamlRefusal } from './errors.js';

export type TransferEncoding = 'base64' | 'base64url';

export interface DecodeOptions {
  encoding: TransferEncoding;
  /** Cap on the decoded bytes. */
  maxBytes: number;
}

export interface DecodedMessage {
  xml: string;
  /** Canonical standard base64 of the same bytes (what node-saml is handed: exactly what we checked). */
  base64: string;
  byteLength: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes and guards a SAML message; every failure is a typed `SamlRefusal`. */
export function decodeSamlMessage(input: string, opts: DecodeOptions): DecodedMessage {
  if (typeof input !== 'string' || input.length === 0) throw new SamlRefusal('malformed_base64', 'empty message');
  // Cheap cap before any work: 4 chars per 3 bytes, plus slack for line breaks.
  const maxEncoded = Math.ceil(opts.maxBytes / 3) * 4;
  if (input.length > maxEncoded + Math.ceil(maxEncoded / 64) * 2 + 4) {
    throw new SamlRefusal('too_large', `encoded message is ${input.length} characters`);
  }
  const { bytes, base64 } = opts.encoding === 'base64' ? strictBase64(input) : strictBase64url(input);
  if (bytes.length > opts.maxBytes) throw new SamlRefusal('too_large', `message is ${bytes.length} bytes (max ${opts.maxBytes})`);
  let xml: string;
  try {
    xml = utf8.decode(bytes);
  } catch (err) {
    throw new SamlRefusal('not_utf8', 'message is not valid UTF-8', { cause: err });
  }
  guardXmlText(xml);
  return { xml, base64, byteLength: bytes.length };
}

/** The decoded bytes and their canonical standard base64. */
interface Decoded {
  bytes: Buffer;
  base64: string;
}

/** RFC 4648 §4 with canonical padding; CR/LF line wrapping (RFC 2045 style) is tolerated, nothing else. */
function strictBase64(input: string): Decoded {
  const s = input.replace(/\r?\n/g, '');
  if (s.length === 0 || s.length % 4 !== 0 || !BASE64.test(s)) {
    throw new SamlRefusal('malformed_base64', 'not canonical base64 (alphabet, length or padding)');
  }
  const bytes = Buffer.from(s, 'base64');
  // Non-zero padding bits or misplaced '=' would not round-trip.
  if (bytes.toString('base64') !== s) throw new SamlRefusal('malformed_base64', 'non-canonical base64 padding');
  return { bytes, base64: s }; // the round trip just proved `s` canonical
}

/** RFC 7522 §2.1: base64url, no line wrapping, padding optional, padding bits zero. */
function strictBase64url(input: string): Decoded {
  if (!BASE64URL.test(input)) throw new SamlRefusal('malformed_base64', 'not base64url (alphabet)');
  const unpadded = input.replace(/=+$/, '');
  if (input.includes('=') && input.length % 4 !== 0) throw new SamlRefusal('malformed_base64', 'bad base64url padding');
  if (unpadded.length === 0 || unpadded.length % 4 === 1) throw new SamlRefusal('malformed_base64', 'bad base64url length');
  const bytes = Buffer.from(unpadded, 'base64url');
  if (bytes.toString('base64url') !== unpadded) throw new SamlRefusal('malformed_base64', 'non-canonical base64url');
  return { bytes, base64: bytes.toString('base64') };
}

const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const XML_DECL = /^<\?xml[ \t\r\n][^?]*\?>/;
const ENCODING_DECL = /encoding[ \t\r\n]*=[ \t\r\n]*(["'])([^"']*)\1/;

/** Textual guards on the decoded document (before it reaches any parser). */
export function guardXmlText(xml: string): void {
  if (xml.charCodeAt(0) === 0xfeff) throw new SamlRefusal('xml_malformed', 'byte-order mark');
  if (CONTROL_CHARS.test(xml)) throw new SamlRefusal('xml_malformed', 'control character');
  // Any markup declaration: <!DOCTYPE, <!ENTITY, <!ELEMENT, <!ATTLIST … Only comments and CDATA may start with "<!".
  for (let i = xml.indexOf('<!'); i !== -1; i = xml.indexOf('<!', i + 2)) {
    if (!xml.startsWith('<!--', i) && !xml.startsWith('<![CDATA[', i)) {
      throw new SamlRefusal('doctype_forbidden', 'DTD markup (DOCTYPE/ENTITY) is not allowed');
    }
  }
  const decl = XML_DECL.exec(xml);
  if (decl) {
    const enc = ENCODING_DECL.exec(decl[0]);
    if (enc && !/^utf-?8$/i.test(enc[2] ?? '')) throw new SamlRefusal('not_utf8', `declared encoding ${enc[2]}`);
  }
  const piFrom = decl ? decl[0].length : 0;
  if (xml.indexOf('<?', piFrom) !== -1) throw new SamlRefusal('xml_malformed', 'processing instructions are not allowed');
}
