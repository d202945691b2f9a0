/**
 * @module
 * An error as one line with every cause in its chain, for the places that can print only text (the command
 * line's last word, a log line without structured fields), so the reason behind a wrapper is never dropped.
 */

/** The most causes followed; a chain longer than this (or a cycle) is cut with an ellipsis. */
const MAX_CAUSES = 8;

/**
 * `message (caused by: message; caused by: message)`. A non-Error is shown as JSON, so nothing is
 * stringified to `[object Object]`.
 */
export function describeErrorChain(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null; depth++) {
    if (depth > MAX_CAUSES) {
      parts.push('…');
      break;
    }
    parts.push(current instanceof Error ? current.message || current.name : safeJson(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  const [first = 'unknown error', ...causes] = parts;
  return causes.length === 0 ? first : `${first} (${causes.map((c) => `caused by: ${c}`).join('; ')})`;
}

function safeJson(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? typeof value);
  } catch {
    return typeof value;
  }
}
