import { describe, expect, it } from 'vitest';
import { csvCell } from './export.js';

describe('csvCell (RFC 4180, safe for spreadsheets)', () => {
  const cases: [string | number | null, string][] = [
    [null, ''],
    [42, '42'],
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=1+2', "'=1+2"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ["'quoted", "''quoted"],
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
  ];
  for (const [value, cell] of cases) it(`${JSON.stringify(value)} → ${cell}`, () => expect(csvCell(value)).toBe(cell));

  it('leaves the prefix reversible: strip one leading apostrophe to get the stored value back', () => {
    for (const v of ['=x', "'x", "''x", '-1', 'x']) {
      const cell = csvCell(v);
      expect(/^'[=+\-@\t\r']/.test(cell) ? cell.slice(1) : cell).toBe(v);
    }
  });
});
