/**
 * The notes app: an example of an app behind Chartside. Chartside sends the clinician to
 * `<this app>/launch?mb_launch=<id>`; the app resolves the handle with its API key, reads the chart
 * through Chartside's FHIR proxy (chart.ts) and renders it (pages.ts). Notes are kept in memory,
 * per patient, until the app stops. "End session" ends the launch at Chartside.
 *
 * Plain node:http, so every step is visible; a real app would use its own framework and sessions.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Chartside, ChartsideConnectionError, isChartsideApiError } from '../../packages/client/src/index.ts';
import { LaunchNotReady, loadChart } from './chart.ts';
import { chartBody, messageBody, type Note, page } from './pages.ts';
import { createStyleLoader } from './smart-style.ts';

export interface NotesAppOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly host?: string;
  /** Chartside's public URL and the app's API key (of the environment it launches in). */
  readonly gatewayUrl: string;
  readonly apiKey: string;
}

export interface NotesApp {
  /** The app's origin, e.g. `http://localhost:4300`. */
  readonly url: string;
  /** What to set as Chartside's App launch URL. */
  readonly launchUrl: string;
  close(): Promise<void>;
}

const STYLESHEET = readFileSync(new URL('./public/app.css', import.meta.url));
const MAX_FORM_BYTES = 8192;
const MAX_NOTES = 50;

export async function startNotesApp(options: NotesAppOptions): Promise<NotesApp> {
  const chartside = new Chartside({ apiKey: options.apiKey, baseUrl: options.gatewayUrl });
  const styles = createStyleLoader();
  const notes = new Map<string, Note[]>();
  // Forms carry an HMAC of their launch id: another site cannot post to a launch it cannot read.
  const formKey = randomBytes(32);
  const formToken = (launchId: string) => createHmac('sha256', formKey).update(launchId).digest('base64url');
  const tokenIsValid = (launchId: string, token: string) => {
    const expected = Buffer.from(formToken(launchId));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const notesKey = (context: { fhir_base_url: string; patient: string | null }) =>
    `${context.fhir_base_url}|${context.patient}`;

  async function showChart(launchId: string, response: ServerResponse) {
    const chart = await loadChart(chartside, launchId);
    const lines = await styles(chart.context.smart_style_url);
    const body = chartBody({
      ...chart,
      notes: notes.get(notesKey(chart.context)) ?? [],
      formToken: formToken(chart.context.id),
    });
    sendPage(response, 200, 'Chart', body, lines);
  }

  async function addNote(form: URLSearchParams, response: ServerResponse) {
    const launchId = form.get('launch') ?? '';
    const text = (form.get('text') ?? '').trim().slice(0, 2000);
    if (!tokenIsValid(launchId, form.get('token') ?? '')) return forbidden(response);
    const context = await chartside.getLaunchContext(launchId);
    if (context.status !== 'ready') throw new LaunchNotReady(context.status);
    if (text !== '') {
      const list = notes.get(notesKey(context)) ?? [];
      list.push({ at: new Date().toISOString(), text });
      notes.set(notesKey(context), list.slice(-MAX_NOTES));
    }
    response.writeHead(303, { location: `/launch?mb_launch=${encodeURIComponent(launchId)}#notes` }).end();
  }

  async function endSession(form: URLSearchParams, response: ServerResponse) {
    const launchId = form.get('launch') ?? '';
    if (!tokenIsValid(launchId, form.get('token') ?? '')) return forbidden(response);
    const ended = await chartside.endLaunch(launchId);
    const text = `The launch is ${ended.status}: this app can no longer read the chart. Open it again from the EHR.`;
    sendPage(response, 200, 'Session ended', messageBody('Session ended', text));
  }

  async function route(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://app.invalid');
    const method = request.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/app.css') {
      response.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'max-age=300' });
      return response.end(STYLESHEET);
    }
    if (method === 'GET' && url.pathname === '/') {
      const text =
        'Open this app from a patient’s chart in the EHR: Chartside sends you to /launch with mb_launch.';
      return sendPage(response, 200, 'Notes', messageBody('Notes, an example app behind Chartside', text));
    }
    if (method === 'GET' && url.pathname === '/launch') {
      const launchId = url.searchParams.get('mb_launch');
      if (!launchId)
        return sendPage(response, 400, 'No launch', messageBody('No launch', 'mb_launch is missing.'));
      return showChart(launchId, response);
    }
    if (method === 'POST' && (url.pathname === '/notes' || url.pathname === '/end')) {
      const form = await readForm(request);
      if (!form)
        return sendPage(response, 413, 'Too large', messageBody('Too large', 'That form is too large.'));
      return url.pathname === '/notes' ? addNote(form, response) : endSession(form, response);
    }
    sendPage(response, 404, 'Not found', messageBody('Not found', 'There is no such page here.'));
  }

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => sendFailure(response, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host =
    !options.host || ['127.0.0.1', '0.0.0.0', '::'].includes(options.host) ? 'localhost' : options.host;
  const url = `http://${host}:${port}`;
  return {
    url,
    launchUrl: `${url}/launch`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function sendPage(
  response: ServerResponse,
  status: number,
  title: string,
  body: Parameters<typeof page>[1],
  styleLines: readonly string[] = [],
) {
  const nonce = randomBytes(16).toString('base64');
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    // No script at all; the EHR's style arrives as one inline <style> with this response's nonce.
    // No frame-ancestors: EHRs show apps inside their own window.
    'content-security-policy': `default-src 'none'; style-src 'self' 'nonce-${nonce}'; form-action 'self'; base-uri 'none'`,
    // The page URL holds mb_launch: it goes nowhere else.
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  response.end(page(title, body, { nonce, lines: styleLines }));
}

function sendFailure(response: ServerResponse, error: unknown) {
  if (response.headersSent) return response.destroy();
  if (error instanceof LaunchNotReady) {
    const text = `This launch is ${error.status}. Open the app again from the patient’s chart in the EHR.`;
    return sendPage(response, 410, 'Launch over', messageBody('This launch is over', text));
  }
  if (isChartsideApiError(error) && error.status === 404 && error.code === 'resource_not_found') {
    return sendPage(
      response,
      404,
      'Unknown launch',
      messageBody('Unknown launch', error.message, error.requestId),
    );
  }
  if (isChartsideApiError(error)) {
    const text = `Chartside answered ${error.status} ${error.code}: ${error.message}`;
    return sendPage(
      response,
      502,
      'Chart unavailable',
      messageBody('The chart could not be read', text, error.requestId),
    );
  }
  const text =
    error instanceof ChartsideConnectionError
      ? 'Chartside could not be reached.'
      : 'Something went wrong in this app.';
  sendPage(response, 502, 'Chart unavailable', messageBody('The chart could not be read', text));
}

function forbidden(response: ServerResponse) {
  sendPage(response, 403, 'Refused', messageBody('Refused', 'That form does not belong to this launch.'));
}

/** An `application/x-www-form-urlencoded` body, or null past the size limit. */
async function readForm(request: IncomingMessage): Promise<URLSearchParams | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return null;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
