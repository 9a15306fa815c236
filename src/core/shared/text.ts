// Short text for messages and logs: a value cut to a readable length, and an error's message.

/** `text` cut to at most `max` characters, the last one an ellipsis when anything was cut. */
export function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** An error's message (anything else thrown, as a string): for messages that name what failed, not its class. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
