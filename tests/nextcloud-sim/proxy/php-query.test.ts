import { describe, expect, it } from 'vitest';
import { httpBuildQuery, parseStr, rebuildQueryLikePhp } from './php-query.js';

describe("PHP's query rules", () => {
  it('keeps the last of repeated keys', () => {
    expect(parseStr('a=1&a=2')).toEqual({ a: '2' });
  });

  it('builds arrays from brackets, with implicit and explicit keys', () => {
    expect(parseStr('b[]=x&b[]=y&c[k]=v&c[n][m]=w')).toEqual({ b: { '0': 'x', '1': 'y' }, c: { k: 'v', n: { m: 'w' } } });
  });

  it('turns dots and spaces in names into underscores', () => {
    expect(parseStr('c.d=1&e+f=2&e%20g=3')).toEqual({ c_d: '1', e_f: '2', e_g: '3' });
  });

  it('encodes like http_build_query (RFC 1738 spaces, bracket keys)', () => {
    expect(httpBuildQuery({ q: 'a b&c', list: { '0': 'x' } })).toBe('q=a+b%26c&list%5B0%5D=x');
    expect(rebuildQueryLikePhp('scope=files.read%20files.write&redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Fcb')).toBe(
      'scope=files.read+files.write&redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Fcb',
    );
  });

  it('drops empty names and keeps valueless keys as empty strings', () => {
    expect(parseStr('=x&flag&&z=')).toEqual({ flag: '', z: '' });
  });
});
