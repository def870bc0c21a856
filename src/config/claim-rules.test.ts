// Claim rules and CEL conditions are compiled when the config is loaded: each problem names its path and position.
import { describe, expect, it } from 'vitest';
import { COMPILED } from './claim-rules.js';
import { ConfigError, parseConfig } from './load.js';

const base = (idp: Record<string, unknown>, survey: Record<string, unknown> = {}) => ({
  issuer: 'https://sts.example.edu',
  master_key: { key_env: 'K' },
  audiences: [{ id: 'https://sis.example.edu', scopes: ['student.read'] }],
  idps: [{ id: 'campus', metadata: { file: './idp.xml' }, signed: 'both', subject: { source: 'eppn' }, ...idp }],
  surveys: [{ id: 'eval', url: 'https://survey.example.edu/s', audience: 'https://sis.example.edu', ...survey }],
});

function issues(doc: unknown): string[] {
  try {
    parseConfig(doc, 'campus-sts.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

describe('claim rules in the config', () => {
  it('accept both forms, per IdP and per survey, and a CEL require', () => {
    const config = parseConfig(
      base(
        { claim_rules: { student_id: { from: 'schacPersonalUniqueCode', extract: '^urn:schac:personalUniqueCode:int:esi:example\\.org:(.+)$', pick: 'one' } } },
        { claim_rules: { faculty: { cel: '"student@med.example.org" in claims.scopedAffiliation ? "medicine" : ""' } }, require: '"student" in claims.affiliation' },
      ),
    );
    const [idp, survey] = [config.idps[0]!, config.surveys[0]!];
    expect(idp.claim_rules.student_id).toMatchObject({ from: 'schacPersonalUniqueCode', pick: 'one' });
    expect(survey.require).toBe('"student" in claims.affiliation');
    expect(idp[COMPILED].claimRules.rules.map((r) => [r.claim, r.pick])).toEqual([['student_id', 'one']]);
    expect(survey[COMPILED].claimRules.rules.map((r) => [r.claim, r.pick])).toEqual([['faculty', 'all']]);
    expect(survey[COMPILED].condition?.source).toBe('"student" in claims.affiliation');
    const anyOf = parseConfig(base({}, { require: { affiliation: ['student'] } })).surveys[0]!;
    expect(anyOf.require).toEqual({ affiliation: ['student'] });
    expect(anyOf[COMPILED].condition).toBeUndefined();
    expect(parseConfig(base({})).surveys[0]!.require).toEqual({});
    // The parsed config is hashed into the config.load audit row: what was compiled stays out of it.
    expect(JSON.stringify(config)).not.toMatch(/claimRules|condition|expression|"rules"/);
  });

  it('name the config path and the line and column of every problem', () => {
    expect(
      issues(
        base(
          { claim_rules: { student_id: { cel: 'claims.schacPersonalUniqueCode.map(v,\n  v.extract("(x"))' }, affiliation: { from: 'scopedAffiliation', strip_scope: 'yes' }, sub: { from: 'eppn' } } },
          { claim_rules: { both: { from: 'mail', cel: '"x"' } }, require: 'claims.affiliation == "student"' },
        ),
      ),
    ).toEqual([
      'idps[0].claim_rules.affiliation.strip_scope: Invalid input: expected boolean, received string',
    ]);
    expect(
      issues(
        base(
          { claim_rules: { student_id: { cel: 'claims.schacPersonalUniqueCode.map(v,\n  v.extract("(x"))' }, sub: { from: 'eppn' } } },
          { claim_rules: { both: { from: 'mail', cel: '"x"' } }, require: 'claims.affiliation == "student"' },
        ),
      ),
    ).toEqual([
      'idps[0].claim_rules.student_id.cel: at line 2, column 13: not an RE2 regular expression: error parsing regexp: missing closing ): `(x`',
      'idps[0].claim_rules.sub: "sub" cannot be computed by a rule (the subject comes from subject.source)',
      'surveys[0].claim_rules.both: expected exactly one of cel or from',
      'surveys[0].require: at line 1, column 20: list(string) and string are never equal (for a list, use "value in list")',
    ]);
  });

  it('are reported with the problems of the other options, even one that fails its own check', () => {
    expect(issues(base({}, { id: 'redeem', audience: 'https://nowhere.example.edu', require: 'claims.affiliation == "student"' }))).toEqual([
      'surveys[0].id: "redeem" is reserved (POST /launch/redeem)',
      'surveys[0].audience: unknown audience "https://nowhere.example.edu" (declare it under audiences)',
      'surveys[0].require: at line 1, column 20: list(string) and string are never equal (for a list, use "value in list")',
    ]);
  });

  it('refuse an unknown key in a rule (strict, like every option)', () => {
    expect(issues(base({ claim_rules: { x: { from: 'mail', regex: '.' } } }))).toEqual(['idps[0].claim_rules.x: Unrecognized key: "regex"']);
  });
});
