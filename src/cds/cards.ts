/**
 * The app's CDS response checked against CDS Hooks 2.0 §3.3 before the EHR sees it: a card that
 * breaks the spec is dropped (and the caller audits why) rather than passed on. SMART links that
 * point at the app are rewritten to our org-scoped launch URL, so the EHR launches the app through
 * Chartside and the launch context is set.
 */

const INDICATORS = ['info', 'warning', 'critical'];
const SELECTION_BEHAVIORS = ['at-most-one', 'any'];
const ACTION_TYPES = ['create', 'update', 'delete'];
const LINK_TYPES = ['absolute', 'smart'];

type Json = Record<string, unknown>;

export interface DroppedCard {
  readonly index: number;
  readonly reason: string;
}

export interface CheckedResponse {
  readonly body: { cards: Json[]; systemActions?: Json[] };
  readonly dropped: DroppedCard[];
  /** Whether the body as a whole was not a CDS response (treated like an app error). */
  readonly malformed: boolean;
}

export interface LinkRewrite {
  /** Origins whose `smart` links are the app's own (its launch URL's origin). */
  readonly appOrigins: readonly string[];
  /** Our org-scoped SMART launch URL. */
  readonly launchUrl: string;
}

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

export function checkCdsResponse(body: unknown, links: LinkRewrite): CheckedResponse {
  if (!isObject(body) || !Array.isArray(body.cards)) {
    return { body: { cards: [] }, dropped: [], malformed: true };
  }
  const cards: Json[] = [];
  const dropped: DroppedCard[] = [];
  body.cards.forEach((card, index) => {
    const reason = cardProblem(card);
    if (reason) dropped.push({ index, reason });
    else cards.push(rewriteLinks(card as Json, links));
  });
  const out: { cards: Json[]; systemActions?: Json[] } = { cards };
  if (body.systemActions !== undefined) {
    if (!Array.isArray(body.systemActions) || body.systemActions.some((action) => actionProblem(action))) {
      dropped.push({ index: -1, reason: 'systemActions are not valid actions' });
    } else if (body.systemActions.length > 0) {
      out.systemActions = body.systemActions as Json[];
    }
  }
  return { body: out, dropped, malformed: false };
}

/** Why a card breaks CDS Hooks 2.0, or null when it is valid. */
export function cardProblem(card: unknown): string | null {
  if (!isObject(card)) return 'card is not an object';
  if (!isText(card.summary)) return 'summary is required';
  if (card.summary.length > 140) return 'summary is longer than 140 characters';
  if (typeof card.indicator !== 'string' || !INDICATORS.includes(card.indicator))
    return 'indicator must be info, warning or critical';
  if (card.uuid !== undefined && !isText(card.uuid)) return 'uuid must be a string';
  if (card.detail !== undefined && typeof card.detail !== 'string') return 'detail must be a string';
  const source = card.source;
  if (!isObject(source) || !isText(source.label)) return 'source.label is required';
  if (source.url !== undefined && !isHttpUrl(source.url)) return 'source.url must be an absolute URL';
  if (source.icon !== undefined && !isHttpUrl(source.icon)) return 'source.icon must be an absolute URL';
  if (source.topic !== undefined && !isObject(source.topic)) return 'source.topic must be a Coding';
  if (card.suggestions !== undefined) {
    if (!Array.isArray(card.suggestions)) return 'suggestions must be an array';
    for (const suggestion of card.suggestions) {
      const problem = suggestionProblem(suggestion);
      if (problem) return problem;
    }
    if (typeof card.selectionBehavior !== 'string' || !SELECTION_BEHAVIORS.includes(card.selectionBehavior))
      return 'selectionBehavior must be at-most-one or any when suggestions are present';
    if (
      card.selectionBehavior === 'at-most-one' &&
      card.suggestions.filter((s) => (s as Json).isRecommended === true).length > 1
    )
      return 'at-most-one allows at most one recommended suggestion';
  }
  if (card.overrideReasons !== undefined) {
    if (!Array.isArray(card.overrideReasons)) return 'overrideReasons must be an array';
    if (card.overrideReasons.some((reason) => !isObject(reason) || !isText(reason.display)))
      return 'every override reason needs a display';
  }
  if (card.links !== undefined) {
    if (!Array.isArray(card.links)) return 'links must be an array';
    for (const link of card.links) {
      const problem = linkProblem(link);
      if (problem) return problem;
    }
  }
  return null;
}

function suggestionProblem(suggestion: unknown): string | null {
  if (!isObject(suggestion) || !isText(suggestion.label)) return 'every suggestion needs a label';
  if (suggestion.uuid !== undefined && !isText(suggestion.uuid)) return 'suggestion uuid must be a string';
  if (suggestion.isRecommended !== undefined && typeof suggestion.isRecommended !== 'boolean')
    return 'isRecommended must be a boolean';
  if (suggestion.actions !== undefined) {
    if (!Array.isArray(suggestion.actions)) return 'suggestion actions must be an array';
    for (const action of suggestion.actions) {
      const problem = actionProblem(action);
      if (problem) return problem;
    }
  }
  return null;
}

function actionProblem(action: unknown): string | null {
  if (!isObject(action)) return 'action is not an object';
  if (typeof action.type !== 'string' || !ACTION_TYPES.includes(action.type))
    return 'action type must be create, update or delete';
  if (!isText(action.description)) return 'every action needs a description';
  if (action.type !== 'delete' && !isObject(action.resource))
    return `a ${action.type} action needs a resource`;
  if (action.type === 'delete' && !isText(action.resourceId)) return 'a delete action needs a resourceId';
  return null;
}

function linkProblem(link: unknown): string | null {
  if (!isObject(link) || !isText(link.label)) return 'every link needs a label';
  if (!isHttpUrl(link.url)) return 'link url must be an absolute URL';
  if (typeof link.type !== 'string' || !LINK_TYPES.includes(link.type))
    return 'link type must be absolute or smart';
  if (link.appContext !== undefined && (link.type !== 'smart' || typeof link.appContext !== 'string'))
    return 'appContext is only allowed (as a string) on smart links';
  if (link.autolaunchable !== undefined && typeof link.autolaunchable !== 'boolean')
    return 'autolaunchable must be a boolean';
  return null;
}

function rewriteLinks(card: Json, rewrite: LinkRewrite): Json {
  if (!Array.isArray(card.links)) return card;
  const links = (card.links as Json[]).map((link) => {
    if (link.type !== 'smart') return link;
    const origin = new URL(link.url as string).origin;
    return rewrite.appOrigins.includes(origin) ? { ...link, url: rewrite.launchUrl } : link;
  });
  return { ...card, links };
}
