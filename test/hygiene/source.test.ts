import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Rules about the source text itself: each spec constant is written down once (and imported everywhere else),
 * and comments say why rather than which ticket a line came from.
 */
const root = join(import.meta.dirname, '..', '..');

function files(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|js)$/.test(e.name))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

const source = files('src').filter((f) => !f.endsWith('.test.ts'));
const everything = [...files('src'), ...files('test')];

/** Lines of `paths` matching `pattern`, as `path:line: text`. */
function hits(paths: string[], pattern: RegExp): string[] {
  return paths.flatMap((f) =>
    readFileSync(join(root, f), 'utf8')
      .split('\n')
      .flatMap((line, i) => (pattern.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
  );
}

describe('one source for each spec constant', () => {
  const once: [what: string, pattern: RegExp, home: string][] = [
    ['grant-type URNs', /'urn:ietf:params:oauth:grant-type:/, 'src/core/constants.ts'],
    ['token-type URNs', /'urn:ietf:params:oauth:token-type:/, 'src/core/constants.ts'],
    ['our signing algorithms', /'ES256',\s*'EdDSA'|'EdDSA',\s*'RS256'/, 'src/core/constants.ts'],
    ['client-assertion algorithms', /'PS256'/, 'src/core/constants.ts'],
    ['registered JWT claims', /'nbf'/, 'src/core/constants.ts'],
  ];
  for (const [what, pattern, home] of once) {
    it(`${what} are written only in ${home}`, () => {
      expect(hits(source, pattern).filter((h) => !h.startsWith(`${home}:`))).toEqual([]);
      expect(hits([home], pattern).length).toBeGreaterThan(0);
    });
  }

  it('no algorithm list accepts a name our keys never sign with', () => {
    expect(hits(source, /'Ed25519'/)).toEqual([]);
  });
});

describe('comments say why', () => {
  // Built from parts so that this file does not match itself.
  const provenance = new RegExp(['\\bissues?', '#?\\d+'].join(' '), 'i');
  it('no provenance markers ("issue N") in src/ or test/', () => {
    expect(hits(everything, provenance)).toEqual([]);
  });

  it('no begin/end comment fences in src/ or test/', () => {
    expect(hits(everything, new RegExp(['^\\s*//', '-{3,} end\\b'].join(' ')))).toEqual([]);
  });
});
