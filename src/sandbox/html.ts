/**
 * Tiny HTML templating: every interpolated value is escaped unless it is a `SafeHtml` fragment
 * produced by this module, so a page cannot be broken (or scripted) through a query parameter.
 */

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (char) => ESCAPES[char] ?? char);
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template: `html\`<p>${userInput}</p>\`` escapes userInput. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

/**
 * Which look a page takes: Code Console (and Cerner Central), the Oracle Health sign-in, the
 * consent prompt that follows it, or the bare authorization server and launcher; `epic` and
 * `smart` are the pages of the Epic and SMART profiles (docs/sandbox-profiles.md).
 */
export type PageTheme = 'console' | 'login' | 'consent' | 'plain' | 'epic' | 'smart';

const BASE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;background:#f4f6f8}
a{color:#0b5cad}
header.bar{background:#1b2a3a;color:#fff;padding:12px 24px;font-weight:600;letter-spacing:.2px;display:flex;align-items:center;gap:12px}
header.bar span{font-weight:400;opacity:.75}
header.bar .account{margin-left:auto;font-weight:400;display:flex;align-items:center;gap:12px}
header.bar .account a,header.bar .account button{color:#fff;background:transparent;border:1px solid #8aa0b6;padding:3px 12px;font-size:14px}
main{max-width:960px;margin:32px auto;padding:0 20px}
.card{background:#fff;border:1px solid #d9dee3;border-radius:8px;padding:24px;margin-bottom:20px}
.narrow{max-width:440px;margin:48px auto}
h1{font-size:22px;margin:0 0 16px}
h2{font-size:17px;margin:0 0 12px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:8px 10px;border-bottom:1px solid #e5e9ed;vertical-align:top}
th{font-size:13px;text-transform:uppercase;letter-spacing:.4px;color:#52606d}
th[scope=row]{font-size:15px;text-transform:none;letter-spacing:0;color:#1f2933;font-weight:500}
table+table,table+h3{margin-top:24px}
dl{display:grid;grid-template-columns:220px 1fr;gap:6px 16px;margin:0}
dt{color:#52606d}dd{margin:0;word-break:break-all}
label{display:block;margin:12px 0 4px;font-weight:500}
input[type=text],input[type=password],input[type=url]{width:100%;padding:8px 10px;border:1px solid #bcc5ce;border-radius:4px;font:inherit}
input[aria-invalid=true]{border-color:#b42318}
fieldset{border:0;margin:14px 0 0;padding:0}
legend{font-weight:500;padding:0;margin-bottom:4px}
label.choice{display:inline-flex;align-items:center;gap:6px;margin:4px 18px 4px 0;font-weight:400}
.field{margin-bottom:6px}
.field-error{color:#8a1c13;font-size:14px;margin:4px 0 0}
.hint{color:#52606d;font-size:13px;margin:4px 0 0}
.warning{background:#fff7e6;border:1px solid #f0c36d;color:#6b4300;padding:10px 12px;border-radius:4px;margin-bottom:12px}
.notice{background:#ecfdf3;border:1px solid #a6e3bd;color:#05603a;padding:10px 12px;border-radius:4px;margin-bottom:12px}
.secret{font-size:15px;background:#fff7e6;padding:4px 8px}
.steps{display:flex;gap:8px;list-style:none;padding:0;margin:0 0 18px;flex-wrap:wrap}
.steps li{padding:4px 10px;border-radius:12px;background:#eef1f4;color:#52606d;font-size:13px}
.steps li[aria-current=step]{background:#0b5cad;color:#fff}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
td.tick,th.tick{text-align:center;width:90px}
.inline-form{display:inline;margin:0}
button.small,.button.small{padding:3px 12px;font-size:14px}
.button,button{display:inline-block;padding:8px 18px;border-radius:4px;border:1px solid #0b5cad;background:#0b5cad;color:#fff;font:inherit;text-decoration:none;cursor:pointer}
.button.secondary,button.secondary{background:#fff;color:#0b5cad}
button[disabled]{opacity:.5;cursor:not-allowed}
.actions{display:flex;gap:12px;justify-content:flex-end;margin-top:20px}
.error{background:#fdecea;border:1px solid #f5c2bd;color:#8a1c13;padding:10px 12px;border-radius:4px;margin-bottom:12px}
.muted{color:#52606d;font-size:13px}
.cds-card{border-left:4px solid #0b5cad;padding:8px 12px;margin:10px 0;background:#f7f9fb}
.cds-card.cds-warning{border-left-color:#c77700}.cds-card.cds-critical{border-left-color:#b42318}
code{background:#eef1f4;padding:1px 5px;border-radius:3px}
.panel-title{display:flex;justify-content:space-between;align-items:center}
.nowrap{white-space:nowrap}
`;

const THEME_TITLES: Record<PageTheme, SafeHtml> = {
  console: html`Cerner Code Console<span>Local sandbox</span>`,
  login: html`Oracle Health<span>Sign in</span>`,
  consent: html`Oracle Health<span>Connect Application</span>`,
  plain: html`Cerner Authorization Server<span>Local sandbox</span>`,
  epic: html`Epic (imitation)<span>Local sandbox</span>`,
  smart: html`SMART App Launch 2 EHR<span>Local sandbox</span>`,
};

/**
 * A whole HTML document. `account`: what the header shows on its right (the Code Console's
 * signed-in developer and Sign out, or a Sign in link).
 */
export function page(title: string, theme: PageTheme, body: SafeHtml, account?: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${new SafeHtml(BASE_CSS)}</style>
</head>
<body>
<header class="bar">${THEME_TITLES[theme]}${account ? html`<div class="account">${account}</div>` : ''}</header>
<main>
${body}
</main>
</body>
</html>
`.value;
}
