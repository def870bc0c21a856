import { html } from 'hono/html';
import { renderDemoPage } from '../html.js';
import { SURVEY_PAGE_SCRIPT } from './script.js';

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; color: #24292f; background: #f3f4f6; margin: 0; }
  header { background: #fff; padding: .8rem 2rem; font-weight: 600; }
  .progress { height: 6px; background: #e5e7eb; }
  .progress div { width: 33%; height: 100%; background: #7a1f2b; }
  main { max-width: 42rem; margin: 2rem auto; background: #fff; border-radius: 8px; padding: 1.5rem 2.25rem 2rem; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
  h1 { font-size: 1.35rem; margin: 0 0 .25rem; }
  h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
  .page { color: #6b7280; font-size: .85rem; margin: 0 0 1rem; }
  .status { padding: .6rem .9rem; border-radius: 6px; background: #eef2f7; }
  .status.ok { background: #e6f4ea; border-left: 4px solid #1a7f37; }
  .status.error { background: #fdecea; border-left: 4px solid #cf222e; }
  .hint { color: #57606a; font-size: .9rem; margin: 0 0 .5rem; }
  table { border-collapse: collapse; width: 100%; font-size: .92rem; }
  td { border-top: 1px solid #e5e7eb; padding: .35rem .5rem; vertical-align: top; overflow-wrap: anywhere; }
  td:first-child { width: 11rem; }
  code { background: #f1f3f5; padding: .05rem .3rem; border-radius: 4px; }
  pre { background: #f6f8fa; padding: .75rem; border-radius: 6px; overflow: auto; font-size: .85rem; }
  fieldset { border: 0; padding: 0; margin: 1.5rem 0 0; }
  legend { font-weight: 600; margin-bottom: .5rem; }
  label { display: block; padding: .2rem 0; }
  .next { margin-top: 1.25rem; background: #7a1f2b; color: #fff; border: 0; border-radius: 4px; padding: .5rem 1.4rem; font: inherit; opacity: .6; }
`;

export interface SurveyPageOptions {
  title: string;
  /** Where the browser redeems the code (same host in the demo). */
  redeemUrl: string;
  codeParam: string;
  /** Shown when the page was opened without a usable code. */
  launchUrl: string;
  /**
   * Optional hook for the "Your record from the student-information system" panel: a URL the page calls with
   * the redeemed token as a bearer token (campus-sts's upstream proxy). Undefined: the panel is not rendered.
   */
  recordUrl?: string;
  nonce: string;
}

/** The first page of the demo survey: who campus-sts says you are, then a first question. */
export function renderSurveyPage(o: SurveyPageOptions) {
  const record = o.recordUrl === undefined
    ? ''
    : html`<section id="record" data-url="${o.recordUrl}" hidden>
<h2>Your record from the student-information system</h2>
<p class="hint">Fetched with the token above as a bearer token; the survey never holds an API key.</p>
<pre id="record-body">Loading…</pre>
</section>`;
  return renderDemoPage({
    title: `${o.title} · Demo University`,
    style: STYLE,
    body: html`<header>Demo University · ${o.title}</header><div class="progress"><div></div></div>
<main role="main" data-redeem-url="${o.redeemUrl}" data-code-param="${o.codeParam}" data-launch-url="${o.launchUrl}">
<p class="page">Page 1 of 3</p>
<h1>${o.title}</h1>
<p id="status" class="status" role="status">Checking your sign-in…</p>
<section id="identity" hidden>
<h2>What campus-sts released to this survey</h2>
<p class="hint">Redeemed once with the code from the link; a survey maps these to embedded data fields.</p>
<table id="fields"></table>
</section>
${record}
<fieldset>
<legend>1. Overall, how would you rate this course?</legend>
${['Excellent', 'Good', 'Fair', 'Poor'].map((v) => html`<label><input type="radio" name="q1" value="${v}"> ${v}</label>`)}
</fieldset>
<button class="next" type="button" disabled title="The demo survey ends here">Next →</button>
</main>`,
    script: { nonce: o.nonce, code: SURVEY_PAGE_SCRIPT },
  });
}
