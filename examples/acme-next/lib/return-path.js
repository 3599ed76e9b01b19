/** Only same-origin paths after sign-in: `/contacts?x=1`, never `//host`, `/\host` or `https://...`. */
export function safeReturnPath(value) {
  if (typeof value !== 'string' || value === '') return '/';
  // eslint-disable-next-line no-control-regex -- control characters in a return path are refused on purpose
  if (!/^\/(?![/\\])/.test(value) || /[\u0000-\u001f\\]/.test(value)) return '/';
  return value;
}
