/**
 * A stack (sandbox + gateway) with a console operator, and one Chromium context with clipboard
 * access, for the console's browser tests. Console errors and warnings of the main page are
 * collected: a CSP violation shows up there.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createOperator } from '../../src/admin/operators.ts';
import { launchBrowser } from './browser.ts';
import { type Stack, type StackOptions, startStack } from './stack.ts';

export const OPERATOR = { email: 'it@demo-clinic.example', password: 'a long and calm password' } as const;

export interface ConsoleBrowser {
  readonly stack: Stack;
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and warnings, page errors. */
  readonly problems: string[];
  close(): Promise<void>;
}

export async function openConsoleBrowser(
  options: StackOptions & {
    unconfigured?: boolean;
    /** Who signs in: a platform admin looking at the stack's org (default, as `npm start`), or its org operator. */
    role?: 'org_operator' | 'platform_admin';
  } = {},
): Promise<ConsoleBrowser> {
  const stack = await startStack({ authMethod: 'private_key_jwt', ...options });
  const { db } = stack.gateway.services;
  const orgId = options.role === 'org_operator' ? stack.orgId : null;
  await createOperator(db, { orgId, email: OPERATOR.email, password: OPERATOR.password });
  if (options.unconfigured) await db.deleteFrom('connection').where('org_id', '=', stack.orgId).execute();
  // Without a browser there is nothing to close later: close the stack now, or its servers keep
  // the test file (and with it the whole run) alive.
  const browser = await launchBrowser().catch(async (error: unknown) => {
    await stack.close();
    throw error;
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.gatewayUrl });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return {
    stack,
    browser,
    context,
    page,
    problems,
    async close() {
      await browser.close();
      await stack.close();
    },
  };
}

export async function fillSignIn(page: Page, password: string = OPERATOR.password): Promise<void> {
  await page.getByLabel('Email').fill(OPERATOR.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Evaluate an expression in the page (a string: this project's TypeScript has no DOM types). */
export function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}
