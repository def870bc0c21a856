// The SAML engine is built from the config's IdPs with the claim rules the config parse compiled: the very
// objects, so a rule is compiled once (config/claim-rules.ts) and nowhere else.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMPILED } from '../config/claim-rules.js';
import { systemClock } from '../core/clock.js';
import { demoConfig } from '../demo/config.js';
import { resolveIdps } from '../saml/config-check.js';
import { samlSettings } from './build-service-provider.js';

const dir = mkdtempSync(join(tmpdir(), 'campus-sts-sp-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('samlSettings', () => {
  it("hands the engine each IdP's claim rules as the config compiled them", async () => {
    const { config } = await demoConfig({ dataDir: dir, host: '127.0.0.1', port: 9123, env: {} });
    const { idps } = await samlSettings(config, config.issuer, { clock: systemClock });
    const engineIdps = resolveIdps(idps);
    expect(engineIdps.map((idp) => idp.id)).toEqual(config.idps.map((idp) => idp.id));
    config.idps.forEach((idp, i) => expect(engineIdps[i]!.claimRules).toBe(idp[COMPILED].claimRules));
  });
});
