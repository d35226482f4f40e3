// Errors a user can cause. The CLI prints their one-line message and exits with
// their code; anything else is a bug and keeps its stack trace.
export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_USAGE,
  ) {
    super(message);
    this.name = "UserError";
  }
}

/** A bad configuration value: `config: <path>: <what is wrong>`, exit 2. */
export class ConfigError extends UserError {
  constructor(path: string, problem: string) {
    super(`config: ${path}: ${problem}`, EXIT_USAGE);
    this.name = "ConfigError";
  }
}
