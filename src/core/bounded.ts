/**
 * Client-sent values as refusal reasons, logs and audit rows may carry them: bounded, so that no write can fail
 * (and no line grow) because of the length of something a client sent, and cut visibly, with how much was left
 * out (`…(+N)`: N more characters; no space, as audience and scope lists are space-separated), so nobody
 * mistakes the cut value for what was sent.
 */

/** `value` cut to at most `max` characters, the marker included, when it is longer. */
export function cut(value: string, max: number): string {
  if (value.length <= max) return value;
  // Room for the longest marker this value can need (as many digits as its whole length).
  const kept = Math.max(0, max - `…(+${value.length})`.length);
  return `${value.slice(0, kept)}…(+${value.length - kept})`;
}

/** A client value for a reason or a log line: printable ASCII (anything else as `?`), `cut` to `max`. */
export const bounded = (value: string, max = 128): string => cut(value.replace(/[^\x20-\x7e]/g, '?'), max);

/** `bounded`, in double quotes: how a reason quotes a client value (`unknown audience "…"`). */
export const quote = (value: string, max = 128): string => `"${bounded(value, max)}"`;
