import { html } from '../../html/escape.ts';
import { barePage, consolePage, type Viewer } from './layout.ts';

export interface ErrorView {
  title: string;
  message: string;
  code?: string;
  requestId: string;
  /** Offer to sign in (no session, or it ended). */
  signIn?: boolean;
}

export function consoleErrorPage(viewer: Viewer | null, view: ErrorView): string {
  const body = html`<section class="card error">
  <h1>${view.title}</h1>
  <p>${view.message}</p>
  <dl>${view.code ? html`<dt>Error code</dt><dd>${view.code}</dd>` : ''}<dt>Request id</dt><dd>${view.requestId}</dd></dl>
  <div class="actions">${view.signIn || !viewer ? html`<a class="button" href="/admin/sign-in">Sign in</a>` : html`<a class="button secondary" href="/admin">Back to the console</a>`}</div>
</section>`;
  if (viewer) return consolePage({ title: view.title, viewer, nav: null, body });
  return barePage(view.title, html`<div class="page">${body}</div>`);
}
