// Read a CSP header into directive → sources, so tests compare directives rather than strings.

/** Parse one CSP policy (directives separated by `;`) into an ordered map; null or "" gives an empty map. */
export function cspMap(value: string | null): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of (value ?? "").split(";")) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name !== undefined && name !== "") map.set(name, sources);
  }
  return map;
}
