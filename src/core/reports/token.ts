// The summary's credentials as an Authorization header carries them: Bearer, or Basic with the token as
// the password so that a browser's own login prompt works. Comparing them is the shell's (timing-safe).

/** Longer headers are refused unread: no token is this long. */
const MAX_AUTHORIZATION_CHARS = 4096;

/** The token an Authorization header presents, or undefined when it presents none in a form we accept. */
export function presentedToken(header: string | null): string | undefined {
  if (header === null || header.length > MAX_AUTHORIZATION_CHARS) return undefined;
  const bearer = /^Bearer +(\S+) *$/i.exec(header);
  if (bearer?.[1] !== undefined) return bearer[1];
  const basic = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (basic?.[1] === undefined) return undefined;
  let decoded: string;
  try {
    const binary = atob(basic[1]);
    decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

/** The scheme of an Authorization header, short and lower-cased, for a log line that must not hold its value. */
export function authScheme(header: string | null): string {
  if (header === null) return "none";
  return (header.trim().split(/\s+/, 1)[0] ?? "").slice(0, 16).toLowerCase();
}
