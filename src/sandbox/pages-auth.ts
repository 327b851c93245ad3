/**
 * Pages of the sign-in and consent steps (guide steps 4 and 5) and the authorization server's
 * error pages (docs/cerner.md §8: unknown client etc. are HTML pages, not redirects).
 */
import { html, type PageTheme, page } from './html.ts';

export interface LoginPageInput {
  action: string;
  returnTo: string;
  username: string;
  installation: string;
  error?: string;
}

/** Oracle Health sign-in: Username, Password, the installation field (C1941), Remember me. */
export function loginPage(input: LoginPageInput): string {
  // Log In comes first in the markup so pressing Enter submits it; CSS puts Cancel on the left.
  return page(
    'Oracle Health: Sign in',
    'login',
    html`<section class="card narrow">
<h1>Sign in</h1>
<p class="muted">Cerner FHIR Public Sandbox (local)</p>
${input.error ? html`<div class="error" role="alert">${input.error}</div>` : ''}
<form method="post" action="${input.action}">
<input type="hidden" name="return_to" value="${input.returnTo}">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${input.username}" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<label for="installation">Domain</label>
<input type="text" id="installation" name="installation" value="${input.installation}">
<label><input type="checkbox" name="remember" value="on"> Remember me</label>
<div class="actions" style="flex-direction:row-reverse;justify-content:flex-start">
<button type="submit" name="action" value="login">Log In</button>
<button type="submit" name="action" value="cancel" class="secondary" formnovalidate>Cancel</button>
</div>
</form>
</section>`,
  );
}

export interface ConsentPageInput {
  action: string;
  consentId: string;
  appName: string;
  /** "SMART, WILMA", or undefined when no patient is in context. */
  patientLabel: string | undefined;
  username: string;
  /** What the app may be granted, one line each ("Patient: read"), from its API Access ticks. */
  access: string[];
  /** Type of Access Offline: the app stays connected after the clinician signs out. */
  offline: boolean;
}

/** "Connect Application" prompt with Approve Connection and Cancel (guide step 5). */
export function consentPage(input: ConsentPageInput): string {
  const subject = input.patientLabel ? html`${input.patientLabel}'s patient data` : html`your data`;
  const access = input.access.map((line) => html`<li>${line}</li>`);
  return page(
    'Connect Application',
    'consent',
    html`<section class="card narrow">
<h1>Connect Application</h1>
<p>Cerner practitioner app <strong>${input.appName}</strong> has been authorized by Cerner FHIR Public Sandbox and will access ${subject}.</p>
${access.length > 0 ? html`<p>It will be able to:</p><ul id="consent-access">${access}${input.offline ? html`<li>stay connected after you sign out (offline access)</li>` : ''}</ul>` : ''}
<p class="muted">Signed in as ${input.username}.</p>
<form method="post" action="${input.action}">
<input type="hidden" name="consent_id" value="${input.consentId}">
<div class="actions" style="flex-direction:row-reverse;justify-content:flex-start">
<button type="submit" name="decision" value="approve">Approve Connection</button>
<button type="submit" name="decision" value="cancel" class="secondary">Cancel</button>
</div>
</form>
</section>`,
  );
}

/** A short page with a title and one sentence, in the look of the part of Cerner that shows it. */
export function messagePage(title: string, message: string, theme: PageTheme): string {
  return page(title, theme, html`<section class="card narrow"><h1>${title}</h1><p>${message}</p></section>`);
}

export interface ErrorPageInput {
  message: string;
  urn: string;
  correlationId: string;
  /** Sandbox-only hint about what was wrong. */
  detail?: string;
}

/** The authorization server's error page: message, "Error Code: urn:…", Correlation ID. */
export function errorPage(input: ErrorPageInput): string {
  return page(
    'Authorization Error',
    'plain',
    html`<section class="card">
<h1>Authorization Error</h1>
<p>${input.message}</p>
<p>Error Code: <code>${input.urn}</code></p>
<p>Correlation ID: <code>${input.correlationId}</code></p>
${input.detail ? html`<p class="muted">Sandbox note: ${input.detail}</p>` : ''}
</section>`,
  );
}
