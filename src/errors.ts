// Errors users see. Each class has a stable code that scripts can match on;
// messages say what was wrong and what to do next.

export class TickflowError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad configuration: exits at start-up with one line naming field, value and expectation. */
export class ConfigError extends TickflowError {
  constructor(message: string) {
    super('ERR_TICKFLOW_CONFIG', message);
  }
}

/** An input that cannot be opened or read as a whole (not a single bad tick). */
export class InputError extends TickflowError {
  constructor(message: string) {
    super('ERR_TICKFLOW_INPUT', message);
  }
}

/** The embedded SQLite store cannot be opened or used; the message names the file and what to do. */
export class StoreError extends TickflowError {
  constructor(message: string) {
    super('ERR_TICKFLOW_STORE', message);
  }
}
