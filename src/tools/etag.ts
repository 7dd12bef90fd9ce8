// Etags as tools take them back from a model, which often copies them without their quotes.

/** "W/\"abc\"", "\"abc\"" or abc -> the header form Nextcloud returned and compares in If-Match. */
export function headerEtag(etag: string): string {
  const trimmed = etag.trim();
  return /^(W\/)?".*"$/.test(trimmed) ? trimmed : `"${trimmed.replace(/"/g, '')}"`;
}

/** Whether two etags name the same version, however each is quoted or marked weak. */
export function sameEtag(a: string, b: string): boolean {
  const bare = (etag: string) => etag.trim().replace(/^W\//, '').replace(/"/g, '');
  return bare(a) === bare(b);
}
