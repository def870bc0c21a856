import { describe, expect, it } from 'vitest';
import { SamlRefusal } from './errors.js';
import { parseSamlInstant } from './time.js';

describe('parseSamlInstant (xs:dateTime, UTC only)', () => {
  it.each([
    ['2025-03-01T12:00:00Z', '2025-03-01T12:00:00.000Z'],
    ['2025-03-01T12:00:00.5Z', '2025-03-01T12:00:00.500Z'],
    ['2025-03-01T12:00:00.123456789Z', '2025-03-01T12:00:00.123Z'],
    ['2024-02-29T23:59:59Z', '2024-02-29T23:59:59.000Z'],
  ])('%s', (input, iso) => {
    expect(parseSamlInstant(input, 'x').toISOString()).toBe(iso);
  });

  it.each(['2025-03-01T12:00:00', '2025-03-01', '2025-03-01T12:00:00+00:00', '2025-03-01 12:00:00Z', '2025-02-30T00:00:00Z', '2025-03-01T24:00:00Z', ' 2025-03-01T12:00:00Z', 'yesterday'])(
    'refuses %j',
    (input) => {
      expect(() => parseSamlInstant(input, 'NotOnOrAfter')).toThrow(SamlRefusal);
      expect(() => parseSamlInstant(input, 'NotOnOrAfter')).toThrow(/timestamp_malformed.*NotOnOrAfter/);
    },
  );
});
