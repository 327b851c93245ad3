import { html } from '../../html/escape.ts';
import { csrfField } from './components.ts';
import { barePage } from './layout.ts';

export interface SignInView {
  csrfToken: string;
  email: string;
  next: string | null;
  error?: string;
  notice?: string;
}

export function signInPage(view: SignInView): string {
  const invalid = view.error ? html` aria-invalid="true" aria-describedby="sign-in-error"` : '';
  return barePage(
    'Sign in',
    html`<div class="sign-in">
  <div class="card">
    <h1>Sign in to the console</h1>
    <p class="muted">Manage your organization’s EHR connections, launches and keys.</p>
    ${view.notice ? html`<div class="notice ok" role="status">${view.notice}</div>` : ''}
    ${view.error ? html`<div class="notice bad" role="alert" id="sign-in-error">${view.error}</div>` : ''}
    <form method="post" action="/admin/sign-in" novalidate>
      ${csrfField(view.csrfToken)}
      ${view.next ? html`<input type="hidden" name="next" value="${view.next}">` : ''}
      <div class="stack-field">
        <label for="email">Email</label>
        <input type="email" id="email" name="email" value="${view.email}" autocomplete="username" required autofocus${invalid}>
      </div>
      <div class="stack-field">
        <label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required${invalid}>
      </div>
      <button type="submit">Sign in</button>
    </form>
  </div>
  <p class="muted">No account? An administrator creates one with <code>chartside admin create</code>.</p>
</div>`,
  );
}
