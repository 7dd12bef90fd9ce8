// Output schemas allow no null: some MCP hosts' schema converters reject null types, and the MCP Inspector warns
// on each. A value that is missing is left out of a structured result instead, so tools build their results from
// what Nextcloud gives them (often null) and drop the missing fields here, one object at a time.

type MissingKeys<T> = { [K in keyof T]-?: null extends T[K] ? K : undefined extends T[K] ? K : never }[keyof T];

/** The object's type with every field that may be null or undefined made optional, and null no longer allowed. */
export type WithoutMissing<T> = { [K in Exclude<keyof T, MissingKeys<T>>]: T[K] } & {
  [K in MissingKeys<T>]?: Exclude<T[K], null | undefined>;
};

/**
 * The object without its null and undefined fields (the key gone, not set to undefined, so neither the structured
 * result nor its JSON text mentions it). The other fields keep their order. Shallow: nested objects are built with
 * their own call.
 */
export function withoutMissing<T extends object>(fields: T): WithoutMissing<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null && value !== undefined)) as WithoutMissing<T>;
}
