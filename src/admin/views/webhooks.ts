/** Settings → Webhooks: endpoints, and one endpoint's recent deliveries with Redeliver. */
import type { ChartsideError } from '../../errors/catalogue.ts';
import { html, type SafeHtml } from '../../html/escape.ts';
import type { DeliveryRow } from '../../webhooks/deliveries.ts';
import type { WebhookEndpoint } from '../../webhooks/endpoints.ts';
import { WEBHOOK_EVENTS } from '../../webhooks/events.ts';
import type { Flash } from '../sessions.ts';
import { badge, copyField, csrfField, textField, when } from './components.ts';
import { consolePage, type Viewer } from './layout.ts';

const SETTINGS = ['Settings', '/admin/settings'] as const;
const WEBHOOKS = ['Webhooks', '/admin/settings/webhooks'] as const;

const STATUS_TONES: Record<string, 'ok' | 'bad' | 'warn'> = {
  delivered: 'ok',
  failed: 'bad',
  pending: 'warn',
};

const events = (endpoint: WebhookEndpoint) =>
  endpoint.events[0] === '*' ? 'every event' : endpoint.events.join(', ');

export interface NewEndpointForm {
  url: string;
  /** Comma-separated, or undefined for every event. */
  events: string | undefined;
}

function addForm(
  viewer: Viewer,
  form: NewEndpointForm | undefined,
  error: ChartsideError | undefined,
): SafeHtml {
  const ticked = new Set(form?.events?.split(',') ?? []);
  return html`<section class="card" aria-labelledby="add-heading"><h2 id="add-heading">Add an endpoint</h2>
<form method="post" action="/admin/settings/webhooks">${csrfField(viewer.csrfToken)}
${textField({ name: 'url', label: 'Endpoint URL', type: 'url', value: form?.url, placeholder: 'https://app.example.org/hooks/chartside', required: true, spellcheck: false, hint: 'https. Your app’s backend answers 2xx quickly and verifies the signature.', error: error?.param === 'url' ? error.message : undefined })}
<fieldset class="field"><legend class="sr-only">Events</legend><div class="label" aria-hidden="true">Events</div><div><div class="choices">${WEBHOOK_EVENTS.map((event) => html`<label><input type="checkbox" name="events" value="${event}"${ticked.has(event) ? html` checked` : ''}> ${event}</label>`)}</div><p class="hint">None ticked: every event, future ones included.</p>${error?.param === 'events' ? html`<p class="error-text">${error.message}</p>` : ''}</div></fieldset>
<div class="actions"><button type="submit">Add endpoint</button></div>
</form></section>`;
}

export function webhooksPage(
  viewer: Viewer,
  endpoints: readonly WebhookEndpoint[],
  state: { flash?: Flash | null; form?: NewEndpointForm; error?: ChartsideError } = {},
): string {
  const rows = endpoints.map(
    (endpoint) => html`<tr>
  <td data-label="Endpoint"><a class="mono" href="/admin/settings/webhooks/${encodeURIComponent(endpoint.id)}">${endpoint.id}</a></td>
  <td data-label="URL" class="mono">${endpoint.url}</td>
  <td data-label="Events">${events(endpoint)}</td>
  <td data-label="Added">${when(endpoint.createdAt)}</td>
</tr>`,
  );
  return consolePage({
    title: 'Webhooks',
    viewer,
    nav: 'webhooks',
    crumbs: [SETTINGS],
    flash: state.flash,
    body: html`<div class="page-head"><div><h1>Webhooks</h1>
<p class="muted">Chartside tells your app’s backend when a launch is ready, failed, ended or lost its EHR access, by a signed POST (Standard Webhooks: <code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>). Add an endpoint here or with <code>chartside webhook add</code>; its signing secret is shown once.</p></div></div>
<section class="card"><div class="table-wrap"><table class="stack">
<thead><tr><th scope="col">Endpoint</th><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Added</th></tr></thead>
<tbody>${rows.length > 0 ? rows : html`<tr><td colspan="4" class="empty">No webhook endpoints yet.</td></tr>`}</tbody>
</table></div></section>
${addForm(viewer, state.form, state.error)}`,
  });
}

function deliveryRow(viewer: Viewer, endpoint: WebhookEndpoint, delivery: DeliveryRow): SafeHtml {
  const action = `/admin/settings/webhooks/${encodeURIComponent(endpoint.id)}/deliveries/${encodeURIComponent(delivery.messageId)}/redeliver`;
  return html`<tr>
  <td data-label="Event"><strong>${delivery.eventType}</strong><span class="sub mono">${delivery.messageId}</span>${delivery.launchId ? html`<a class="sub mono" href="/admin/audit?launch=${delivery.launchId}">${delivery.launchId}</a>` : ''}</td>
  <td data-label="Status">${badge(delivery.status, STATUS_TONES[delivery.status] ?? 'warn')}${delivery.lastError ? html`<span class="sub">${delivery.lastError}</span>` : ''}</td>
  <td data-label="Attempts" class="num">${delivery.attempts}</td>
  <td data-label="Last response" class="num">${delivery.lastResponseStatus ?? html`<span class="muted">—</span>`}</td>
  <td data-label="Next attempt">${delivery.nextAttemptAt ? when(delivery.nextAttemptAt) : html`<span class="muted">—</span>`}</td>
  <td data-label="Created">${when(delivery.createdAt)}</td>
  <td><form method="post" action="${action}">${csrfField(viewer.csrfToken)}<button type="submit" class="secondary small" aria-label="Redeliver ${delivery.eventType} ${delivery.messageId}">Redeliver</button></form></td>
</tr>`;
}

export function webhookEndpointPage(
  viewer: Viewer,
  endpoint: WebhookEndpoint,
  deliveries: readonly DeliveryRow[],
  flash?: Flash | null,
): string {
  const secret = flash?.webhookSecret?.endpointId === endpoint.id ? flash.webhookSecret.secret : null;
  const remove = `/admin/settings/webhooks/${encodeURIComponent(endpoint.id)}/remove`;
  return consolePage({
    title: `Webhook ${endpoint.id}`,
    viewer,
    nav: 'webhooks',
    crumbs: [SETTINGS, WEBHOOKS],
    flash: secret ? null : flash,
    body: html`<div class="page-head"><div><h1>Webhook endpoint</h1>
<p class="mono">${endpoint.url}</p>
<p class="muted">${endpoint.id} · ${events(endpoint)} · added ${when(endpoint.createdAt)}</p></div>
<form method="post" action="${remove}">${csrfField(viewer.csrfToken)}<button type="submit" class="danger small">Remove endpoint</button></form></div>
${
  secret
    ? html`<section class="new-key" aria-labelledby="secret-heading" role="status">
  <h2 id="secret-heading">Signing secret</h2>
  <p>Copy it now into your app’s secrets: it verifies <code>webhook-signature</code> and is not shown again.</p>
  ${copyField({ id: 'webhook_secret', label: 'Signing secret', value: secret })}
</section>`
    : ''
}
<section class="card"><h2>Recent deliveries</h2>
<p class="muted">Newest first. A failed attempt is tried again with growing delays; <strong>Redeliver</strong> sends one again now, from its first attempt, with the same <code>webhook-id</code>.</p>
<div class="table-wrap"><table class="stack">
<thead><tr><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last response</th><th scope="col">Next attempt</th><th scope="col">Created</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
<tbody>${deliveries.length > 0 ? deliveries.map((delivery) => deliveryRow(viewer, endpoint, delivery)) : html`<tr><td colspan="7" class="empty">No deliveries yet: they appear when a launch of ${viewer.orgName} is ready, fails or ends.</td></tr>`}</tbody>
</table></div></section>`,
  });
}
