// Request parameters coerced the way Nextcloud's controller dispatcher hands them to typed PHP arguments, so the
// simulator is exactly as lenient (or strict) as the real server with sloppy input.
import { z } from 'zod';

/** Query or body values flattened like PHP's $_GET: a repeated key keeps its last value. */
export function phpParams(...sources: unknown[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const source of sources) {
    if (!source || typeof source !== 'object' || Array.isArray(source)) continue;
    for (const [key, value] of Object.entries(source as Record<string, unknown>)) {
      const last = Array.isArray(value) ? value.at(-1) : value;
      if (last === undefined || last === null) continue;
      params[key] = typeof last === 'object' ? JSON.stringify(last) : String(last);
    }
  }
  return params;
}

/** PHP's (int) cast: a leading integer is kept, anything else becomes 0. */
export function toPhpInt(value: string): number {
  const parsed = Number.parseInt(value.trim(), 10);
  return Number.isNaN(parsed) ? 0 : parsed;
}

/** `int $name = default` */
export function phpInt(defaultValue: number) {
  return z
    .string()
    .optional()
    .transform((value) => (value === undefined ? defaultValue : toPhpInt(value)));
}

/** `int $name` without a default: absent is a client error here (the brief's 400), present is cast like PHP. */
export function requiredPhpInt() {
  return z.string().transform(toPhpInt);
}

/** `bool $name = default`: the dispatcher turns 'false' into false, then PHP's (bool) makes '' and '0' false. */
export function phpBool(defaultValue: boolean) {
  return z
    .string()
    .optional()
    .transform((value) => (value === undefined ? defaultValue : value !== 'false' && value !== '0' && value !== ''));
}
