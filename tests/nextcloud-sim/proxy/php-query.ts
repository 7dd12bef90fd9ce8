// The PHP proxy hands the ExApp `http_build_query($_GET)`, so the query the app sees is the one PHP parsed:
// repeated keys collapse to the last value, `a[]` builds arrays, dots and spaces in names become `_`.
// No npm package reproduces PHP's parse_str/http_build_query pair exactly, hence this small port of the rules.
type PhpValue = string | PhpArray;
interface PhpArray {
  [key: string]: PhpValue;
}

function urldecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value.replace(/\+/g, ' ');
  }
}

function urlencode(value: string): string {
  // PHP's urlencode (RFC 1738): space becomes '+', and only [A-Za-z0-9_.-] stay literal.
  return encodeURIComponent(value)
    .replace(/[!'()*~]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

function nextIndex(target: PhpArray): string {
  const numeric = Object.keys(target)
    .filter((key) => /^(0|[1-9][0-9]*)$/.test(key))
    .map(Number);
  return String(numeric.length ? Math.max(...numeric) + 1 : 0);
}

export function parseStr(query: string): PhpArray {
  const result: PhpArray = {};
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    let name = urldecode(eq === -1 ? pair : pair.slice(0, eq)).replace(/^ +/, '');
    const value = eq === -1 ? '' : urldecode(pair.slice(eq + 1));
    if (!name) continue;
    const bracket = name.indexOf('[');
    const base = (bracket === -1 ? name : name.slice(0, bracket)).replace(/[ .]/g, '_');
    let rest = bracket === -1 ? '' : name.slice(bracket);
    const keys: string[] = [];
    // Only well-formed [..] groups nest; PHP keeps an unmatched '[' as '_' in the base name.
    while (rest.startsWith('[')) {
      const close = rest.indexOf(']');
      if (close === -1) break;
      keys.push(rest.slice(1, close));
      rest = rest.slice(close + 1);
    }
    name = keys.length === 0 && bracket !== -1 ? `${base}${name.slice(bracket).replace(/[[ .]/, '_')}` : base;
    if (keys.length === 0) {
      result[name] = value;
      continue;
    }
    let target: PhpArray = typeof result[name] === 'object' ? (result[name] as PhpArray) : (result[name] = {});
    keys.forEach((key, index) => {
      const resolved = key === '' ? nextIndex(target) : key;
      if (index === keys.length - 1) {
        target[resolved] = value;
      } else {
        const child = target[resolved];
        target = typeof child === 'object' ? child : (target[resolved] = {});
      }
    });
  }
  return result;
}

export function httpBuildQuery(data: PhpArray, prefix = ''): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    const name = prefix ? `${prefix}[${key}]` : key;
    if (typeof value === 'object') {
      const nested = httpBuildQuery(value, name);
      if (nested) parts.push(nested);
    } else {
      parts.push(`${urlencode(name)}=${urlencode(value)}`);
    }
  }
  return parts.join('&');
}

export function rebuildQueryLikePhp(rawQuery: string): string {
  return httpBuildQuery(parseStr(rawQuery));
}
