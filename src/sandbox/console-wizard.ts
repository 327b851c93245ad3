/**
 * + New Application: the wizard's handlers. Each step's page posts back to itself with Back,
 * Next (or Submit), or "+ Add more"; the values are kept in the developer's console session, so
 * Back and Next never lose them; Next checks only the step it leaves; Submit checks them all,
 * registers the app and opens its Application Details page.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { checkedPost, sendHtml, signedIn } from './console-guard.ts';
import type { ConsoleSession } from './console-session.ts';
import type { SandboxContext } from './context.ts';
import { appPath } from './pages-console.ts';
import { wizardPage, wizardPath } from './pages-wizard.ts';
import {
  checkApiAccess,
  checkBasicInformation,
  checkProductSelection,
  emptyDraft,
  type FieldErrors,
  firstIncompleteStep,
  MAX_REDIRECT_URIS,
  type RegistrationDraft,
  readApiAccess,
  readBasicInformation,
  readProductSelection,
  registrationOfDraft,
  WIZARD_STEPS,
  type WizardStep,
} from './registration-form.ts';

type StepRequest = FastifyRequest<{ Params: { step: string } }>;

const STEP_SLUGS: readonly string[] = WIZARD_STEPS.map((step) => step.slug);

/** How each step reads its fields into the draft and checks them. */
const STEP_RULES: Record<
  Exclude<WizardStep, 'review'>,
  {
    read(draft: RegistrationDraft, fields: Record<string, string>): RegistrationDraft;
    check(draft: RegistrationDraft): FieldErrors;
  }
> = {
  'basic-information': { read: readBasicInformation, check: checkBasicInformation },
  'product-selection': { read: readProductSelection, check: checkProductSelection },
  'api-access': { read: readApiAccess, check: checkApiAccess },
};

function neighbour(step: WizardStep, offset: 1 | -1): WizardStep {
  const index = STEP_SLUGS.indexOf(step) + offset;
  return (
    WIZARD_STEPS[Math.min(Math.max(index, 0), WIZARD_STEPS.length - 1)] as (typeof WIZARD_STEPS)[number]
  ).slug;
}

function draftOf(session: ConsoleSession): RegistrationDraft {
  session.draft ??= emptyDraft();
  return session.draft;
}

/** Steps after the first open only when the ones before them are complete. */
function reachable(step: WizardStep, draft: RegistrationDraft): WizardStep {
  const incomplete = firstIncompleteStep(draft);
  if (incomplete === undefined) return step;
  return STEP_SLUGS.indexOf(step) <= STEP_SLUGS.indexOf(incomplete) ? step : incomplete;
}

export function wizardHandlers(ctx: SandboxContext) {
  function render(
    reply: FastifyReply,
    status: number,
    session: ConsoleSession,
    step: WizardStep,
    errors: FieldErrors = {},
    focusRow?: number,
  ) {
    const page = wizardPage({
      step,
      draft: draftOf(session),
      session,
      errors,
      ...(focusRow !== undefined ? { focusRow } : {}),
    });
    return sendHtml(reply, status, page);
  }

  function submit(reply: FastifyReply, session: ConsoleSession) {
    const draft = draftOf(session);
    const incomplete = firstIncompleteStep(draft);
    if (incomplete !== undefined) return reply.redirect(wizardPath(incomplete), 303);
    const app = ctx.registry.register(registrationOfDraft(draft));
    delete session.draft;
    session.notice = `Application registered. Client ID ${app.clientId}.${app.secret ? ' Its secret is on Cerner Central.' : ''}`;
    return reply.redirect(appPath(app), 303);
  }

  return {
    /** + New Application: a fresh draft, step 1. */
    async start(request: FastifyRequest, reply: FastifyReply) {
      const session = signedIn(ctx, request, reply);
      if (!session) return reply;
      session.draft = emptyDraft();
      return reply.redirect(wizardPath('basic-information'), 303);
    },

    async showStep(request: StepRequest, reply: FastifyReply) {
      const session = signedIn(ctx, request, reply);
      if (!session) return reply;
      if (!STEP_SLUGS.includes(request.params.step))
        return reply.redirect(wizardPath('basic-information'), 303);
      const step = request.params.step as WizardStep;
      const allowed = reachable(step, draftOf(session));
      if (allowed !== step) return reply.redirect(wizardPath(allowed), 303);
      return render(reply, 200, session, step);
    },

    async postStep(request: StepRequest, reply: FastifyReply) {
      const known = STEP_SLUGS.includes(request.params.step);
      const step = (known ? request.params.step : 'basic-information') as WizardStep;
      const post = checkedPost(ctx, request, reply, wizardPath(step));
      if (!post) return reply;
      const { session, fields } = post;
      if (!known) return reply.redirect(wizardPath(step), 303);
      if (step === 'review') {
        if (fields.action === 'back') return reply.redirect(wizardPath(neighbour(step, -1)), 303);
        return submit(reply, session);
      }
      const rules = STEP_RULES[step];
      session.draft = rules.read(draftOf(session), fields);
      if (fields.action === 'add-redirect-uri' && step === 'basic-information') {
        if (session.draft.redirectUris.length < MAX_REDIRECT_URIS) session.draft.redirectUris.push('');
        return render(reply, 200, session, step, {}, session.draft.redirectUris.length - 1);
      }
      // Back keeps what was typed, checked or not.
      if (fields.action === 'back') return reply.redirect(wizardPath(neighbour(step, -1)), 303);
      const errors = rules.check(session.draft);
      if (Object.keys(errors).length > 0) return render(reply, 400, session, step, errors);
      return reply.redirect(wizardPath(neighbour(step, 1)), 303);
    },
  };
}
