// Minimal HTML scraping for SimpleSAMLphp's pages (login form, POST-binding form, error pages).

export interface Form {
  action: string;
  fields: Map<string, string>;
}

// The IdP's pages are small, machine-generated XHTML; a regex scan of <form> and <input>
// is enough and keeps a DOM library out of the harness.
export function parseForms(html: string): Form[] {
  const forms: Form[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = parseAttributes(m[1] ?? '');
    const fields = new Map<string, string>();
    for (const input of (m[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
      const a = parseAttributes(input[1] ?? '');
      const name = a.get('name');
      const type = (a.get('type') ?? 'text').toLowerCase();
      if (!name || type === 'submit' || type === 'checkbox' || type === 'button') continue;
      fields.set(name, a.get('value') ?? '');
    }
    forms.push({ action: attrs.get('action') ?? '', fields });
  }
  return forms;
}

function parseAttributes(s: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of s.matchAll(/([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    const name = (m[1] ?? '').toLowerCase();
    out.set(name, decodeEntities(m[2] ?? m[3] ?? m[4] ?? ''));
  }
  return out;
}

export function decodeEntities(s: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : all;
    }
    return named[e.toLowerCase()] ?? all;
  });
}

/** Visible text of an error/login page, shortened, for error messages. */
export function pageText(html: string): string {
  const body = /<body\b[^>]*>([\s\S]*)<\/body>/i.exec(html)?.[1] ?? html;
  return decodeEntities(body.replace(/<script[\s\S]*?<\/script>/gi, '').replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 600);
}
