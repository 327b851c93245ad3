/** A bad setting or command-line value. The CLI prints `message` as one line and exits 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
