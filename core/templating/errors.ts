/**
 * The one error type templating throws. The worker turns it into a task failure whose
 * log line says what went wrong and where, so the message must stand on its own.
 */
export interface TemplateErrorDetails {
  /** 1-based line in the template, when known. */
  line?: number;
  /** 1-based column in the template, when known. */
  column?: number;
  /** Set when the error is a StrictUndefined-style "'x' is undefined". */
  undefinedName?: string;
  cause?: unknown;
}

export class TemplateError extends Error {
  override name = 'TemplateError';
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly undefinedName: string | undefined;
  /** The message without the position suffix, for callers that re-wrap the error. */
  readonly reason: string;

  constructor(message: string, details: TemplateErrorDetails = {}) {
    super(withPosition(message, details.line, details.column), details.cause === undefined ? undefined : { cause: details.cause });
    this.reason = message;
    this.line = details.line;
    this.column = details.column;
    this.undefinedName = details.undefinedName;
  }
}

function withPosition(message: string, line: number | undefined, column: number | undefined): string {
  if (line === undefined) return message;
  return column === undefined ? `${message} (line ${line})` : `${message} (line ${line}, column ${column})`;
}
