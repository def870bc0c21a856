import { z } from 'zod';

/** Shared value types of the configuration schema. */
export const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected an id of letters, digits, ".", "_" or "-"');
export const scope = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'expected a scope token (RFC 6749 §3.3: printable ASCII, no space, quote or backslash)');
/** Audiences are absolute URIs (RFC 8707 resources) or plain names. */
export const audience = z.string().min(1).max(512).regex(/^\S+$/, 'expected an audience without spaces');
/** A secret is referenced, never written inline: the name of an environment variable, or a file path. */
export const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name');
export const filePath = z.string().min(1);
export const claimName = z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'expected a claim name of [A-Za-z0-9_]');
/** A web origin (scheme://host[:port]) for CORS. */
export const origin = z.string().regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, 'expected an origin like https://survey.example.edu');
