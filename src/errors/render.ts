/** One renderer per surface. Each takes a ChartsideError and the request id, nothing else. */
import { html } from '../html/escape.ts';
import { page } from '../html/page.ts';
import type { ChartsideError } from './catalogue.ts';

export type Surface = 'api' | 'html';

/** The API envelope of DESIGN.md: all six keys always present. */
export function renderApiError(error: ChartsideError, requestId: string) {
  return {
    error: {
      type: error.type,
      code: error.code,
      message: error.message,
      param: error.param,
      doc_url: null,
      request_id: requestId,
    },
  };
}

/** A browser-facing error page (launch and callback). Shows the code and request id for support. */
export function renderHtmlError(error: ChartsideError, requestId: string): string {
  const facts = Object.entries(error.details).filter(([, value]) => value !== null && value !== '');
  return page(
    'Launch error',
    html`<div class="card error">
  <h1>${error.message}</h1>
  <dl>
    ${facts.map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}
    <dt>Error code</dt><dd>${error.code}</dd>
    <dt>Request id</dt><dd>${requestId}</dd>
  </dl>
  <p class="muted">Close this window and launch the app again from the patient’s chart. If it keeps happening,
  give the request id above to your administrator.</p>
</div>`,
  );
}
