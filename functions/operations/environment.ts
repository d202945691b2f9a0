/**
 * @module
 * Validating a Lambda's environment with a zod schema, reporting every problem at once in one sentence per
 * variable (the schema's own messages name the variable and what to set).
 */
import { z } from 'zod';

/** The environment as Lambda passes it. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** An optional text variable: unset and empty are the same. */
export const optionalText = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

/** A required text variable whose absence reads `message`. */
export function requiredText(message: string) {
  return z.preprocess((v) => (v === '' ? undefined : v), z.string({ error: message }));
}

/** `require` (the default) or `disable`, named `variable` in the message. */
export function tlsSetting(variable: string) {
  return z
    .enum(['require', 'disable'], {
      error: (issue) => `${variable} must be "require" or "disable", not "${String(issue.input)}"`,
    })
    .default('require');
}

/**
 * Parses `env` with `schema`; `extraProblems` (checks across variables) come first. Throws
 * `new Failure(message)` listing every problem: `<title> is invalid: a; b.`
 */
export function parseEnvironment<T extends z.ZodType>(
  schema: T,
  env: Environment,
  title: string,
  Failure: new (message: string) => Error,
  extraProblems: readonly string[] = [],
): z.infer<T> {
  const parsed = schema.safeParse(env);
  const problems = [...extraProblems, ...(parsed.success ? [] : parsed.error.issues.map((i) => i.message))];
  if (problems.length > 0 || !parsed.success)
    throw new Failure(`${title} is invalid: ${problems.join('; ')}.`);
  return parsed.data;
}
