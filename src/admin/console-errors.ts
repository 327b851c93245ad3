/**
 * Refusals specific to the console (no session, failed CSRF check). They render as console
 * pages; everything else goes through the gateway's error catalogue.
 */
export class ConsoleRefusal extends Error {
  override readonly name = 'ConsoleRefusal';
  constructor(
    readonly status: 403,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

export function csrfRefusal(): ConsoleRefusal {
  return new ConsoleRefusal(
    403,
    'This form could not be accepted',
    'The form did not carry this console’s security token, or it has expired. Go back, reload the page and try again.',
  );
}
