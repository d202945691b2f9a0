/**
 * @module
 * Errors as RFC 9457 problem details (`application/problem+json`): a title that says what went wrong, a
 * detail that says what to do, never a stack, a row value or a secret.
 */
import type { z } from '@hono/zod-openapi';
import type { ProblemSchema } from './api-schemas.ts';

/** A problem document. */
export type Problem = z.infer<typeof ProblemSchema>;

/** The media type of a problem document. */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** A failure the app answers with a problem document. */
export class HttpProblemError extends Error {
  override readonly name = 'HttpProblemError';
  readonly status: number;
  readonly title: string;

  constructor(status: number, title: string, detail: string, options?: ErrorOptions) {
    super(detail, options);
    this.status = status;
    this.title = title;
  }
}

/** PostgreSQL's "undefined table": the warehouse was never migrated. */
const UNDEFINED_TABLE = '42P01';

/**
 * The problem for any error: an {@link HttpProblemError} as it is; a warehouse without its tables as 503 with
 * what to run; anything else as 503 "cannot be read" (the reason is logged, not sent).
 */
export function problemFor(error: unknown, instance: string): Problem {
  if (error instanceof HttpProblemError) {
    return { type: 'about:blank', title: error.title, status: error.status, detail: error.message, instance };
  }
  if ((error as { code?: string }).code === UNDEFINED_TABLE) {
    return {
      type: 'about:blank',
      title: 'The warehouse has no star schema yet',
      status: 503,
      detail:
        'The warehouse lacks the tables this answer reads. Run `totesys-stream up` or `sync` once (they migrate it), or check --warehouse-url.',
      instance,
    };
  }
  return {
    type: 'about:blank',
    title: 'The warehouse cannot be read',
    status: 503,
    detail:
      'Reading the warehouse failed; the server log says why. Check that it is up and reachable, then retry.',
    instance,
  };
}

/** A problem as a response. */
export function problemResponse(problem: Problem): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { 'content-type': PROBLEM_MEDIA_TYPE },
  });
}
