// Hostile bodies for blanket stamping: the patterns of issue 8 (script text after "<!--", "<a " that
// never closes) and the like, each a prefix and a unit repeated to a size. Shared by the linear-time
// tests (test/unit/nonce/tag-stamper-linear.test.ts) and the side-by-side in `npm run bench`.

export interface Hostile {
  readonly name: string;
  readonly prefix: string;
  readonly unit: string;
  /** Why the stamper gives up on it (a cap), if it does. */
  readonly gives?: RegExp;
  /** Steps a byte it may cost, where the spec's own work per byte is more than the usual bound (see below). */
  readonly steps?: number;
}

export const HOSTILE: readonly Hostile[] = [
  { name: "script text after <!-- full of - and <", prefix: "<script><!--", unit: "-<-<!--<s--<scr-->-<script" },
  { name: "<a  repeated with no >", prefix: "", unit: "<a " },
  { name: "an unterminated quote", prefix: '<div title="', unit: "x<y>" },
  { name: "deep nesting, then div after div", prefix: "<div>".repeat(500), unit: "<div></div>" },
  { name: "deep spans, then end tags nothing matches", prefix: "<div>" + "<span>".repeat(500), unit: "</x>" },
  { name: "a deep svg run, then end tags nothing matches", prefix: "<svg>" + "<g>".repeat(500), unit: "</x>" },
  { name: "font colours that never close", prefix: "", unit: "<p><font color=1><font color=2><font color=3>" },
  { name: "misnesting for the adoption agency", prefix: "", unit: "<b><div></b></div>" },
  { name: "the adoption agency over a deep stack", prefix: "<b>" + "<div>".repeat(300), unit: "</b>x" },
  {
    name: "reconstruction after every end tag",
    prefix: "<div>".repeat(200) + "<b><i><u><s><em><strong><code><small><big><tt>",
    unit: "</div>x",
  },
  { name: "a long comment with --!", prefix: "<!--", unit: "--!" },
  { name: "CDATA with ]]", prefix: "<svg><![CDATA[", unit: "]]" },
  { name: "table text", prefix: "<table>", unit: " x" },
  { name: "li after li inside deep divs", prefix: "<ul>" + "<div>".repeat(400), unit: "<li>" },
  { name: "a tag name that never ends", prefix: "<", unit: "a" },
  { name: "numeric character references that never end", prefix: "<p>", unit: "&#99999999999999;&NewLin" },
  { name: "select contents", prefix: "<select>", unit: "<option><optgroup><hr>" },
  { name: "forms removed from under svg", prefix: "", unit: "<form><svg></form>" },
  { name: "foreign end tags through integration points", prefix: "<svg><foreignObject><svg><desc>", unit: "</desc></foreignobject><desc>" },
  { name: "thousands of formatting elements", prefix: "", unit: "<b>", gives: /deeper than 1024/ },
  { name: "formatting elements with attributes, never closed", prefix: "", unit: "<b class=a>x</b><b class=b>", gives: /deeper than 1024/ },
  { name: "templates with table parts", prefix: "", unit: "<template><tr><td></template>", gives: /longer than 64/ },
  { name: "an unterminated quote in a held <script>", prefix: '<script src="', unit: "x<y>", gives: /longer than 65536 bytes/ },
  // The red team's costliest units (issue 8, second round). Each <a> runs the adoption agency for the
  // open <a>; <li> or <p> pops the formatting elements above it, and the next tag reconstructs them (up to
  // three <i> by Noah's Ark): the spec itself creates about one element for every byte and a half. The
  // scans around that work are bounded (counts per name, the Noah's Ark limit); the element creations
  // and removals are not avoidable, so these stay near the budget: past about 1.5 MiB of such markup the
  // stamper gives up (availability, never integrity).
  { name: "<a> repeated", prefix: "", unit: "<a>" },
  { name: "<a><p> repeated", prefix: "", unit: "<a><p>" },
  { name: "<a><li><i> repeated (reconstruction after every li)", prefix: "", unit: "<a><li><i>", steps: 8.5 },
  { name: "<a><p><i> repeated (the adoption agency with a furthest block)", prefix: "", unit: "<a><p><i>", steps: 9 },
  { name: "<a><p><b> repeated", prefix: "", unit: "<a><p><b>", steps: 9 },
  { name: "</span><a><li><i> repeated", prefix: "", unit: "</span><a><li><i>", steps: 6 },
];

/** `prefix`, then `unit` repeated, to exactly `size` bytes (or the prefix, if longer). */
export function fill(prefix: string, unit: string, size: number): string {
  const room = Math.max(0, size - prefix.length);
  return prefix + unit.repeat(Math.ceil(room / Math.max(1, unit.length))).slice(0, room);
}
