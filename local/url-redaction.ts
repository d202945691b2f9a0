/**
 * @module
 * Connection URLs carry passwords; everything the CLI prints goes through {@link redactUrl} first.
 */

/** The URL with its password replaced by `***` (and any `password=` query parameter too). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString().replace('%2A%2A%2A', '***');
  } catch {
    // Not a URL we can parse: show only the scheme so nothing secret leaks.
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? '';
    return `${scheme}//<unparsable URL>`;
  }
}

/** `host:port` of a postgres URL, for error messages (defaults as libpq applies them). */
export function urlEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`;
  } catch {
    return '<unparsable URL>';
  }
}
