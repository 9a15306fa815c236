// What the scanner's browser part hands the pure part: per document load, the HTML served, the CSP
// violations Chromium reported under the scanner's Report-Only policy, what the DOM held, and the requests.

/** One violation of the scanner's Report-Only policy, as the `securitypolicyviolation` event told it. */
export interface ObservedViolation {
  /** `effectiveDirective`: script-src-elem, style-src-attr, connect-src, … */
  readonly directive: string;
  /** `blockedURI`: a URL (only the origin for a cross-origin frame), or `inline`, `eval`, `data`, `blob`, … */
  readonly blocked: string;
  /** The first 40 characters of inline code (the policy asks for 'report-sample'). */
  readonly sample: string;
  readonly sourceFile: string;
  readonly line: number;
  /** The element the violation was about, when the event had one (inline code, attributes). */
  readonly element?: ViolationElement | undefined;
}

/** The element behind an inline violation, read in the page when the event fired. */
export interface ViolationElement {
  /** `button#buy`, `script`, `p.note`: for people. */
  readonly label: string;
  /** A script's or style element's whole text (the event's sample is cut to 40 characters). */
  readonly text?: string | undefined;
  /** The element's `style` attribute. */
  readonly style?: string | undefined;
  /** The element's event-handler attributes, `[name, code]`. */
  readonly handlers?: readonly (readonly [string, string])[] | undefined;
}

/** What a document's DOM held once it had loaded: what a load alone does not trigger. */
export interface DomFacts {
  /** Event-handler attributes (`onclick=`), which report a violation only when the event fires. */
  readonly handlers: readonly { readonly element: string; readonly attribute: string; readonly code: string }[];
  /** `javascript:` URLs in links, frames and forms, which report one only when followed. */
  readonly javascriptUrls: readonly { readonly element: string; readonly attribute: string; readonly url: string }[];
  /** Where forms submit (resolved; a form without an action submits to its page): the scanner never submits one. */
  readonly formActions: readonly string[];
  /** `<object>` and `<embed>` elements (plugins). */
  readonly plugins: readonly string[];
}

/** A request the browser made during a visit, for loads no violation accounts for (a beacon sent on unload, a blob worker's fetch). */
export interface ObservedRequest {
  readonly url: string;
  /** Playwright's resource type: script, stylesheet, image, font, fetch, xhr, websocket, ping, document, … */
  readonly type: string;
}

/** One load of one document: a page (or a frame of one) or a worker script. */
export interface DocumentLoad {
  readonly url: string;
  /** The HTML as served ("" for a worker): the markup tells parser-inserted scripts from inserted ones. */
  readonly html: string;
  readonly violations: readonly ObservedViolation[];
  /** Undefined for a worker. */
  readonly dom?: DomFacts | undefined;
  /** The site sent its own CSP (enforced or Report-Only); the scanner removed it to see what the page loads. */
  readonly ownCsp: boolean;
}

/** Everything one visit of one URL produced: the documents it loaded (the page, its same-origin frames, workers) and its requests. */
export interface Visit {
  readonly url: string;
  readonly pages: readonly DocumentLoad[];
  readonly workers: readonly DocumentLoad[];
  readonly requests: readonly ObservedRequest[];
}

/** A whole scan: the site's origin, two passes of visits over the same URLs, and what was not scanned. */
export interface SiteScan {
  /** `https://www.example.com`: what 'self' stands for. */
  readonly origin: string;
  readonly passes: readonly (readonly Visit[])[];
  readonly skipped: readonly { readonly url: string; readonly reason: string }[];
}
