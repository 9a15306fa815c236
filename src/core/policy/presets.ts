// The named presets a policy document can start from (`"preset": "strict"`): a layer merged right over the
// built-in defaults, below everything the user writes, so every field the user sets layers over it.

import type { PolicyLayer } from "./types.js";

export const PRESET_NAMES = ["strict"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** Features no page of a strict site uses without saying so: sensors, devices, payment, tracking. */
const DENIED_FEATURES = [
  "accelerometer",
  "ambient-light-sensor",
  "bluetooth",
  "browsing-topics",
  "camera",
  "display-capture",
  "geolocation",
  "gyroscope",
  "hid",
  "idle-detection",
  "magnetometer",
  "microphone",
  "midi",
  "payment",
  "serial",
  "usb",
  "xr-spatial-tracking",
];

/**
 * The strict preset: the MDN HTTP Observatory's best header-only score (docs/policy-format.md says what it
 * breaks and how to relax each part). The edge owns each header (`set`), so an origin's weaker value does
 * not lower the grade; HSTS is two years with subdomains but never `preload`, a commitment a preset must
 * not make for a site (`hsts.preload: true` does, once the site meets the list's rules).
 */
function strictPreset(): PolicyLayer {
  return {
    hsts: { action: "set", maxAge: 63072000, includeSubDomains: true, preload: false },
    csp: {
      action: "set",
      replace: true,
      directives: {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "upgrade-insecure-requests": true,
      },
    },
    headers: {
      "X-Frame-Options": { value: "DENY", action: "set" },
      "X-Content-Type-Options": { value: "nosniff", action: "set" },
      "Referrer-Policy": { value: "no-referrer", action: "set" },
      "Permissions-Policy": { value: DENIED_FEATURES.map((f) => `${f}=()`).join(", "), action: "set" },
      "Cross-Origin-Opener-Policy": { value: "same-origin", action: "set" },
      "Cross-Origin-Resource-Policy": { value: "same-origin", action: "set" },
    },
    // Over the defaults' Secure: no cookie rides along on a cross-site request, POSTs included.
    cookies: [{ pattern: "*", sameSite: "Lax" }],
  };
}

const PRESETS: Readonly<Record<PresetName, () => PolicyLayer>> = { strict: strictPreset };

/** The layer a preset stands for, a fresh copy on every call (callers may not share it). */
export function presetLayer(name: PresetName): PolicyLayer {
  return PRESETS[name]();
}
