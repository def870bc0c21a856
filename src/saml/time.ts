/**
 * SAML time values (SAML core §1.3.3): xs:dateTime in UTC, with the `Z`. `Date.parse` is lenient
 * (a value without `Z` is local time, `2025-01-01` is accepted), so we parse strictly.
 */
import { SamlRefusal } from './errors.js';

const XS_DATETIME_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/** Parses `value` or refuses with `timestamp_malformed` naming `label`. */
export function parseSamlInstant(value: string, label: string): Date {
  const m = XS_DATETIME_UTC.exec(value);
  if (!m) throw new SamlRefusal('timestamp_malformed', `${label} is not an xs:dateTime in UTC: ${JSON.stringify(value.slice(0, 40))}`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const d = new Date(t);
  // Reject roll-overs such as 2025-02-30 or 24:00:00.
  if (
    Number.isNaN(t) || d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day ||
    d.getUTCHours() !== hour || d.getUTCMinutes() !== minute || d.getUTCSeconds() !== second
  ) {
    throw new SamlRefusal('timestamp_malformed', `${label} is not a valid date: ${JSON.stringify(value)}`);
  }
  return d;
}

export function optionalInstant(value: string | undefined, label: string): Date | undefined {
  return value === undefined ? undefined : parseSamlInstant(value, label);
}
