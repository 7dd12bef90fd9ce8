// One wording for what a zod schema found wrong, wherever it reaches a person (a tool's caller, an admin reading a
// setting, a client's developer reading an OAuth error): each problem as "where: what", the where being the dotted
// path of the value, left out when there is none or the message already starts with it.
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

export interface IssueWording {
  /** How the place of a problem is named (default: the path and a colon, "redirect_uris.0:"). */
  field?: (path: string) => string;
}

/** One problem in words. */
export function issueText(issue: Issue, { field = (path) => `${path}:` }: IssueWording = {}): string {
  const path = issue.path.map(String).join('.');
  if (path === '' || issue.message.startsWith(path)) return issue.message;
  return `${field(path)} ${issue.message}`;
}

/** The problems in words, separated by semicolons: at most `max` of them, then how many more there were. */
export function issuesText(issues: readonly Issue[], options: IssueWording & { max?: number } = {}): string {
  const max = options.max ?? issues.length;
  const shown = issues.slice(0, max).map((issue) => issueText(issue, options));
  const more = issues.length - shown.length;
  return `${shown.join('; ')}${more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'})` : ''}`;
}
