/**
 * Pages of the Epic and SMART profiles: the sign-in and the patient picker of a standalone
 * launch, the browser launcher, and the authorize error page. Every value is escaped (html.ts).
 */
import { PATIENTS, patientDisplayName } from './data.ts';
import { html, page, type SafeHtml } from './html.ts';
import { messagePage } from './pages-auth.ts';
import type { ProfileClient, ProfileServer } from './profile-types.ts';

function themeOf(server: ProfileServer): 'epic' | 'smart' {
  return server.profile;
}

export function profileMessagePage(server: ProfileServer, title: string, message: string): string {
  return messagePage(title, message, themeOf(server));
}

export interface SignInPageInput {
  pendingId: string;
  username?: string;
  error?: string;
}

/** Sign-in of a standalone launch: the sandbox's clinician, `portal` / `portal`. */
export function signInPage(server: ProfileServer, client: ProfileClient, input: SignInPageInput): string {
  return page(
    `${server.policy.displayName}: Sign in`,
    themeOf(server),
    html`<section class="card narrow">
<h1>Sign in</h1>
<p class="muted">${client.name} wants to connect to ${server.label}. Sandbox clinician: portal / portal.</p>
${input.error ? html`<div class="error" role="alert">${input.error}</div>` : ''}
<form method="post" action="${server.paths.signIn}">
<input type="hidden" name="pending" value="${input.pendingId}">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${input.username ?? ''}" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<div class="actions" style="flex-direction:row-reverse;justify-content:flex-start">
<button type="submit" name="action" value="sign-in">Sign in</button>
<button type="submit" name="action" value="cancel" class="secondary" formnovalidate>Cancel</button>
</div>
</form>
</section>`,
  );
}

function patientChoices(): SafeHtml[] {
  return PATIENTS.map(
    (patient, index) =>
      html`<label class="choice"><input type="radio" name="patient" value="${patient.id}"${index === 0 ? html` checked` : ''}> ${patientDisplayName(patient)} (${patient.birthDate})</label><br>`,
  );
}

/** The patient picker of a standalone launch asking for `launch/patient`. */
export function patientPickerPage(server: ProfileServer, client: ProfileClient, pendingId: string): string {
  return page(
    `${server.policy.displayName}: Select a patient`,
    themeOf(server),
    html`<section class="card narrow">
<h1>Select a patient</h1>
<p class="muted">${client.name} asked to be launched with a patient.</p>
<form method="post" action="${server.paths.pickPatient}">
<input type="hidden" name="pending" value="${pendingId}">
<fieldset><legend>Patient</legend>${patientChoices()}</fieldset>
<div class="actions" style="flex-direction:row-reverse;justify-content:flex-start">
<button type="submit" name="action" value="select">Select</button>
<button type="submit" name="action" value="cancel" class="secondary">Cancel</button>
</div>
</form>
</section>`,
  );
}

/** The browser launcher: an app with a Launch URI and a patient, then the EHR launch. */
export function launcherPage(server: ProfileServer, error?: string): string {
  const apps = server.clients().filter((client) => client.launchUri !== '');
  const appChoices = apps.map(
    (client, index) =>
      html`<label class="choice"><input type="radio" name="client_id" value="${client.clientId}"${index === 0 ? html` checked` : ''}> ${client.name} <span class="muted">(${client.clientId})</span></label><br>`,
  );
  const body =
    apps.length === 0
      ? html`<p>No app with a launch URI is registered with ${server.label}.</p>`
      : html`<form method="post" action="${server.paths.launcher}">
<fieldset><legend>App</legend>${appChoices}</fieldset>
<fieldset><legend>Patient</legend>${patientChoices()}</fieldset>
${server.profile === 'smart' ? html`<label for="intent">Intent (optional)</label><input type="text" id="intent" name="intent" maxlength="200">` : ''}
<div class="actions"><button type="submit">Launch</button></div>
</form>`;
  return page(
    `${server.label}: Launch an app`,
    themeOf(server),
    html`<section class="card">
<h1>Launch an app</h1>
<p class="muted">${server.label}, signed in as the sandbox clinician (portal). FHIR base: <code>${server.urls.fhir}</code></p>
${error ? html`<div class="error" role="alert">${error}</div>` : ''}
${body}
</section>`,
  );
}
