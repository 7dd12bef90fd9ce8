// A path in the user's files, checked once and spelled for a URL: the one place a path is refused or encoded, so
// the requests of filesClient and the scope of a SEARCH cannot disagree on it.
import { InvalidArgumentError, printable, wellFormed } from './errors.js';

/** Normalises a user path and refuses dot segments, so no spelling can leave the user's tree. */
export function normalizePath(path: string): string {
  // A lone surrogate cannot be percent-encoded (encodeURIComponent throws) and names no file.
  wellFormed(path, `The path "${printable(path)}"`);
  const segments = path
    .replaceAll('\\', '/')
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.');
  if (segments.some((segment) => segment === '..')) throw new InvalidArgumentError(`The path "${path}" may not contain "..".`);
  return `/${segments.join('/')}`;
}

export function encodePath(path: string): string {
  return normalizePath(path).split('/').map(encodeURIComponent).join('/');
}
