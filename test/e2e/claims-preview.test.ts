import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { captureCli, writeConfigFile } from '../helpers/cli.js';
import { AppBrowser, PEOPLE, registerSp, samlOverrides, startIdp } from '../helpers/saml.js';
import { startTestService, type TestService } from '../helpers/service.js';
import type { SimpleSamlIdp } from '../support/simplesamlphp/idp.js';
import { loginAtIdp } from '../support/simplesamlphp/login.js';

/**
 * `campus-sts claims preview`, as an IdP team runs it before go-live: a Response saved from the real IdP
 * (SimpleSAMLphp), judged by the ACS pipeline with the config's claim rules and every survey of that IdP; and the
 * demo's personas. Exact output.
 */
const SKIPS = [
  'Preview of one assertion: judged as the ACS judges it, except for',
  "  - freshness: NotBefore, NotOnOrAfter and the IssueInstant and AuthnInstant ages are judged as at the assertion's own IssueInstant, not now",
  '  - the login binding: an InResponseTo is taken as a login pending in this browser (a response without one still needs allow_unsolicited)',
  '  - replay: the assertion ID is not recorded (a used or a later-replayed assertion previews the same); nothing is written and no token is minted',
  '',
];
const ISSUED = /^assertion {2}issued \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let idp: SimpleSamlIdp;
let s: TestService;
let configFile: string;
const files = mkdtempSync(join(tmpdir(), 'claims-preview-'));
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => captureCli((io) => runCli(args, io), env);

beforeAll(async () => {
  idp = await startIdp();
  const base = samlOverrides(idp, { survey: { release: ['displayName', 'student_id'] } });
  s = await startTestService({
    startAt: new Date(),
    overrides: (dir: string) => {
      const o = base(dir);
      const rules = { student_id: { from: 'schacPersonalUniqueCode', extract: '^urn:schac:personalUniqueCode:int:esi:example\\.edu:(.+)$', pick: 'one' } };
      return {
        ...o,
        idps: [{ ...o.idps[0], claim_rules: rules }],
        surveys: [...o.surveys, { ...o.surveys[0], id: 'staff-pulse', require: '"staff" in claims.affiliation', release: ['mail'] }],
      };
    },
  });
  await registerSp(idp, s);
  configFile = writeConfigFile(s);
});
afterAll(async () => {
  await s?.stop();
  await idp?.stop();
  rmSync(files, { recursive: true, force: true });
});

/** The Response the IdP posts for `person` (to a login started at the service), saved to a file as XML. */
async function savedResponse(person: { username: string; password: string }): Promise<{ file: string; b64: string; browser: AppBrowser }> {
  const browser = new AppBrowser(s);
  const start = await browser.request('/launch/course-eval');
  const posted = await loginAtIdp(start.headers.get('location')!, person);
  const file = join(files, `${person.username}.xml`);
  writeFileSync(file, Buffer.from(posted.SAMLResponse, 'base64').toString('utf8'));
  return { file, b64: posted.SAMLResponse, browser };
}

describe('campus-sts claims preview --config FILE --response FILE', () => {
  it("prints the student's claims (student_id from schacPersonalUniqueCode) and each survey's decision and release", async () => {
    const { file } = await savedResponse(PEOPLE.student);
    const { code, out, err } = await cli(['claims', 'preview', '--config', configFile, '--response', file]);
    expect([code, err]).toEqual([0, '']);
    const lines = out.split('\n');
    expect(lines.slice(0, 5)).toEqual(SKIPS);
    expect(lines[5]).toBe(`IdP        campus (${idp.entityId})`);
    expect(lines[6]).toMatch(ISSUED);
    expect(lines.slice(7)).toEqual([
      'subject    alice@example.edu (eppn)',
      '',
      'claims',
      '  affiliation = [member, student]',
      '  displayName = Alice Example',
      '  eppn = alice@example.edu',
      '  mail = alice@example.edu',
      '  schacPersonalUniqueCode = urn:schac:personalUniqueCode:int:esi:example.edu:S12345',
      '  scopedAffiliation = [member@example.edu, student@example.edu]',
      '  student_id = S12345   (claim rule)',
      '',
      'surveys',
      '  course-eval: admitted',
      '    released: sub = alice@example.edu',
      '              displayName = Alice Example',
      '              student_id = S12345',
      '  staff-pulse: refused (survey condition not met: "staff" in claims.affiliation)',
    ]);
  });

  it('previews a Response the ACS has already accepted (no replay record) in its base64 form, and one of staff', async () => {
    const { b64, browser } = await savedResponse(PEOPLE.staff);
    expect((await browser.postForm('/saml/acs', { SAMLResponse: b64 })).status).toBe(403); // signed in, then refused by the survey
    expect(s.auditRows().map((r) => `${r.event}:${r.outcome}`).slice(-2)).toEqual(['saml.login:success', 'launch.issue:refused']);
    const file = join(files, 'staff.b64');
    writeFileSync(file, `${b64.replace(/(.{76})/g, '$1\n')}\n`);
    const { code, out } = await cli(['claims', 'preview', '--config', configFile, '--response', file]);
    expect(code).toBe(0);
    expect(out.split('\n').slice(-6)).toEqual([
      '',
      'surveys',
      '  course-eval: refused (survey requires affiliation in [student])',
      '  staff-pulse: admitted',
      '    released: sub = bob@example.edu',
      '              mail = bob@example.edu',
    ]);
  });

  it('refuses what the ACS refuses on grounds other than time: exit 1 with the reason', async () => {
    const { file } = await savedResponse(PEOPLE.student);
    const xml = (await import('node:fs')).readFileSync(file, 'utf8');
    const forged = join(files, 'forged.xml');
    writeFileSync(forged, xml.replace('alice@example.edu', 'mallory@example.edu'));
    const { code, out } = await cli(['claims', 'preview', '--config', configFile, '--response', forged]);
    expect(code).toBe(1);
    expect(out.split('\n').at(-1)).toMatch(/^refused: signature_invalid: /);
  });

  it('usage errors: exactly one of --response and --persona; --persona only in the demo', async () => {
    expect(await cli(['claims', 'preview', '--config', configFile])).toMatchObject({ code: 2, err: expect.stringMatching(/^campus-sts claims preview: give exactly one of --response FILE or --persona NAME\n/) });
    expect(await cli(['claims', 'preview', '--config', configFile, '--persona', 'student'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^campus-sts claims preview: --persona works with the demo only \(run it without --config or CAMPUS_STS_CONFIG\)\n/),
    });
  });
});

describe('campus-sts claims preview --persona NAME (the demo)', () => {
  const demoEnv = () => ({ CAMPUS_STS_DATA: mkdtempSync(join(files, 'demo-')), PORT: '9477' });

  it("shows the demo's claim rule: the ESI in schacPersonalUniqueCode becomes student_id, released to the survey", async () => {
    const { code, out } = await cli(['claims', 'preview', '--persona', 'student'], demoEnv());
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines).toContain('  schacPersonalUniqueCode = urn:schac:personalUniqueCode:int:esi:demo.campus-sts.test:s1024');
    expect(lines).toContain('  student_id = s1024   (claim rule)');
    expect(lines.slice(lines.indexOf('surveys'))).toEqual([
      'surveys',
      '  demo-survey: admitted',
      '    released: sub = alex.rivera@demo.campus-sts.test',
      '              affiliation = [member, student]',
      '              displayName = Alex Rivera',
      '              mail = alex.rivera@demo.campus-sts.test',
      '              student_id = s1024',
    ]);
  });

  it('names the personas when given an unknown one', async () => {
    expect(await cli(['claims', 'preview', '--persona', 'nobody'], demoEnv())).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^campus-sts claims preview: no persona "nobody" \(the demo has student, staff, alumna, auditor\)\n/),
    });
  });
});
