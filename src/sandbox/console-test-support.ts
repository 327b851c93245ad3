/**
 * For the Code Console's tests: a tiny browser over fetch (one cookie jar, no redirects
 * followed unless asked, the CSRF token read from the last page), and the guide's registration
 * values for the New Application wizard.
 */
import assert from 'node:assert/strict';
import { CODE_ACCOUNT } from './console-session.ts';

/** The text of the `<p class="field-error">` tied to a field, if any. */
export function fieldError(page: string, field: string): string | undefined {
  return new RegExp(`<p class="field-error" id="${field}-error">([^<]*)</p>`).exec(page)?.[1];
}

/** The value of a text input, by its name (= id). */
export function inputValue(page: string, name: string): string | undefined {
  return new RegExp(`<input type="[a-z]+" id="${name}" name="${name}" value="([^"]*)"`).exec(page)?.[1];
}

/** The `<dd>` after a `<dt>` label. */
export function detail(page: string, label: string): string | undefined {
  return new RegExp(`<dt>${label}</dt><dd>([\\s\\S]*?)</dd>`).exec(page)?.[1];
}

export interface PageAnswer {
  status: number;
  text: string;
  location: string | null;
}

/** The guide's values, as the wizard's form fields (step by step). */
export const GUIDE_REGISTRATION = {
  basic: {
    application_name: 'medblocks',
    application_owner: 'Medblocks',
    application_type: 'provider',
    type_of_access: 'offline',
    application_privacy: 'confidential',
    smart_version: 'v1',
    'intended_users:0': 'on',
    'intended_purposes:0': 'on',
    redirect_uri: 'https://app.medblocks.com/api/auth/smart/launch-callback',
    redirect_uri_1: 'https://dev.app.medblocks.com/api/auth/smart/launch-callback',
    redirect_uri_2: 'http://localhost:3000/api/auth/smart/launch-callback',
    smart_launch_uri: 'http://localhost:3000/api/auth/smart/launch/org_123',
    default_fhir_version: 'R4',
  } as Record<string, string>,
  products: { product_family: 'Millennium', 'products:0': 'on' } as Record<string, string>,
  apiAccess: {
    'user:Patient:read': 'on',
    'user:Encounter:read': 'on',
    'user:Observation:read': 'on',
  } as Record<string, string>,
};

export class ConsoleBrowser {
  private cookies = new Map<string, string>();
  csrf = '';

  constructor(readonly origin: string) {}

  private remember(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const [name, ...value] = (pair ?? '').split('=');
      if (name) this.cookies.set(name.trim(), value.join('='));
    }
  }

  private get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private async answer(response: Response): Promise<PageAnswer> {
    this.remember(response);
    const text = await response.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(text)?.[1];
    if (csrf) this.csrf = csrf;
    return { status: response.status, text, location: response.headers.get('location') };
  }

  async get(path: string): Promise<PageAnswer> {
    const response = await fetch(new URL(path, this.origin), {
      headers: { cookie: this.cookieHeader },
      redirect: 'manual',
    });
    return this.answer(response);
  }

  /** POSTs a form with the last page's CSRF token (unless the form names its own). */
  async post(path: string, form: Record<string, string>): Promise<PageAnswer> {
    const response = await fetch(new URL(path, this.origin), {
      method: 'POST',
      headers: { cookie: this.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: this.csrf, ...form }).toString(),
      redirect: 'manual',
    });
    return this.answer(response);
  }

  /** GETs where a redirect answer points. */
  async follow(answer: PageAnswer): Promise<PageAnswer> {
    assert.ok(answer.location, `expected a redirect, got ${answer.status}`);
    return this.get(answer.location);
  }

  async signIn(): Promise<void> {
    await this.get('/developer/sign-in');
    const answer = await this.post('/developer/sign-in', {
      username: CODE_ACCOUNT.username,
      password: CODE_ACCOUNT.password,
      return_to: '/developer/smart-on-fhir/apps',
    });
    assert.equal(answer.status, 303, answer.text);
    await this.follow(answer);
  }

  /**
   * Registers an app through the wizard (the guide's values, with `changes` per step) and
   * returns its Application ID and Client ID from the detail page it lands on.
   */
  async register(
    changes: {
      basic?: Record<string, string>;
      products?: Record<string, string>;
      apiAccess?: Record<string, string>;
    } = {},
  ): Promise<{ applicationId: string; clientId: string; detail: string }> {
    await this.follow(await this.get('/developer/smart-on-fhir/apps/new'));
    const steps: [string, Record<string, string>][] = [
      ['basic-information', { ...GUIDE_REGISTRATION.basic, ...changes.basic }],
      ['product-selection', { ...GUIDE_REGISTRATION.products, ...changes.products }],
      ['api-access', changes.apiAccess ?? GUIDE_REGISTRATION.apiAccess],
    ];
    for (const [step, form] of steps) {
      const answer = await this.post(`/developer/smart-on-fhir/apps/new/${step}`, {
        ...form,
        action: 'next',
      });
      assert.equal(answer.status, 303, `${step}: ${answer.text.slice(answer.text.indexOf('<main>'))}`);
      await this.follow(answer);
    }
    const submitted = await this.post('/developer/smart-on-fhir/apps/new/review', { action: 'submit' });
    assert.equal(submitted.status, 303, submitted.text);
    const applicationId = decodeURIComponent(String(submitted.location).split('/').pop() as string);
    const detail = await this.follow(submitted);
    const clientId = /<code id="client-id">([^<]+)<\/code>/.exec(detail.text)?.[1];
    assert.ok(clientId, 'the detail page shows the Client ID');
    return { applicationId, clientId, detail: detail.text };
  }
}
