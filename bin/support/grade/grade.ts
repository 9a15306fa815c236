// The grade of a response's headers: the MDN HTTP Observatory's score and grade, with each point lost
// explained, Google's CSP Evaluator findings on the enforced CSP, and Permissions-Policy wildcards (which
// neither grader looks at). Every finding names the header, why it matters, and the policy change that fixes it.

import { parseDictionary, Token } from "structured-headers";
import { CommandError } from "../command.js";
import { cspFix, observatoryFix } from "./fixes.js";
import { observatoryGrades, scoreRetrieval, type ObservatoryScore, type ResponseHeaders, type Retrieval } from "./observatory.js";

/** Grades from best to worst, as the Observatory's chart gives them. */
export const GRADES = ["A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F"] as const;
export type Grade = (typeof GRADES)[number];

/** A weakness lowers the grade or opens a hole; a note is worth reading. */
export type GradeSeverity = "weakness" | "note";

export interface GradeFinding {
  /** Which grader found it. */
  readonly source: "observatory" | "csp-evaluator" | "permissions-policy";
  readonly severity: GradeSeverity;
  readonly header: string;
  /** What was found. */
  readonly message: string;
  /** Why it matters (the grader's own words where it has them). */
  readonly why: string;
  /** The change to the policy (or, where headers cannot help, to the site) that fixes it. */
  readonly fix: string;
  /** The Observatory points this costs (observatory findings only). */
  readonly points?: number;
}

export interface GradeReport {
  /** The Observatory's grade, or null when it does not grade such a response (see `ungraded`). */
  readonly grade: Grade | null;
  readonly score: number | null;
  /** Why there is no grade. */
  readonly ungraded: string | null;
  readonly observatory: ObservatoryScore | null;
  readonly findings: readonly GradeFinding[];
}

/** A grade the user typed (--min-grade a+), or null. */
export function parseGrade(raw: string): Grade | null {
  const upper = raw.trim().toUpperCase();
  return GRADES.find((grade) => grade === upper) ?? null;
}

/** True when `grade` is `floor` or better. */
export function gradeAtLeast(grade: Grade, floor: Grade): boolean {
  return GRADES.indexOf(grade) <= GRADES.indexOf(floor);
}

function isGrade(text: string): text is Grade {
  return (GRADES as readonly string[]).includes(text);
}

/** The header (or part of the site) each Observatory test reads. */
const TEST_HEADERS: ReadonlyMap<string, string> = new Map([
  ["content-security-policy", "Content-Security-Policy"],
  ["cookies", "Set-Cookie"],
  ["cross-origin-resource-sharing", "Access-Control-Allow-Origin"],
  ["redirection", "http:// redirect"],
  ["referrer-policy", "Referrer-Policy"],
  ["strict-transport-security", "Strict-Transport-Security"],
  ["subresource-integrity", "<script integrity>"],
  ["x-content-type-options", "X-Content-Type-Options"],
  ["x-frame-options", "X-Frame-Options"],
  ["cross-origin-resource-policy", "Cross-Origin-Resource-Policy"],
]);

function observatoryFindings(score: ObservatoryScore): GradeFinding[] {
  return score.tests
    .filter((test) => test.scoreModifier < 0)
    .map((test) => ({
      source: "observatory",
      severity: "weakness",
      header: TEST_HEADERS.get(test.name) ?? test.title,
      message: `${test.title}: ${test.result} (${test.scoreModifier} points)`,
      why: test.description,
      fix: observatoryFix(test.result, test.recommendation),
      points: test.scoreModifier,
    }));
}

function valuesOf(headers: ResponseHeaders, name: string): string[] {
  const value = headers[name];
  return value === undefined ? [] : typeof value === "string" ? [value] : [...value];
}

/** CSP Evaluator's findings on each enforced policy (a header line may carry several, comma-separated). */
async function cspFindings(headers: ResponseHeaders): Promise<GradeFinding[]> {
  const policies = valuesOf(headers, "content-security-policy")
    .flatMap((line) => line.split(","))
    .filter((p) => p.trim() !== "");
  if (policies.length === 0) return [];
  const [{ CspEvaluator }, { CspParser }, { Version }, { Severity }] = await Promise.all([
    import("csp_evaluator/dist/evaluator.js"),
    import("csp_evaluator/dist/parser.js"),
    import("csp_evaluator/dist/csp.js"),
    import("csp_evaluator/dist/finding.js"),
  ]);
  const weak = new Set<number>([Severity.HIGH, Severity.SYNTAX, Severity.MEDIUM]);
  return policies.flatMap((policy): GradeFinding[] => {
    let findings: ReturnType<InstanceType<typeof CspEvaluator>["evaluate"]>;
    try {
      findings = new CspEvaluator(new CspParser(policy).csp, Version.CSP3).evaluate();
    } catch (error) {
      // It throws on some sources a browser would merely ignore (a source that is no URL): say so, and go on.
      const why = `the CSP Evaluator could not read this policy (${error instanceof Error ? error.message : String(error)}); browsers skip what they cannot parse`;
      return [
        {
          source: "csp-evaluator",
          severity: "note",
          header: "Content-Security-Policy",
          message: policy.trim(),
          why,
          fix: "write the policy in the document's csp field, which validates every source",
        },
      ];
    }
    return findings.map((finding) => ({
      source: "csp-evaluator" as const,
      severity: weak.has(finding.severity) ? ("weakness" as const) : ("note" as const),
      header: "Content-Security-Policy",
      message: `${finding.directive}${finding.value === undefined || finding.value === "" ? "" : ` ${finding.value}`}`,
      why: finding.description,
      fix: cspFix(finding.type, finding.directive, finding.value),
    }));
  });
}

/** Features any origin may use (`camera=*`): neither grader reads Permissions-Policy. */
function permissionsFindings(headers: ResponseHeaders): GradeFinding[] {
  const findings: GradeFinding[] = [];
  for (const line of valuesOf(headers, "permissions-policy")) {
    let dictionary: ReturnType<typeof parseDictionary>;
    try {
      dictionary = parseDictionary(line);
    } catch {
      continue; // check's validity verdict reports an unparseable value
    }
    for (const [feature, [value]] of dictionary) {
      const allowlist = Array.isArray(value) ? value.map(([item]) => item) : [value];
      if (!allowlist.some((item) => item instanceof Token && item.toString() === "*")) continue;
      findings.push({
        source: "permissions-policy",
        severity: "weakness",
        header: "Permissions-Policy",
        message: `${feature}=*`,
        why: `every origin, including any page that frames this one, may ask for ${feature}`,
        fix: `"headers": { "Permissions-Policy": { "value": "${feature}=()", "action": "set" } } (or ${feature}=(self), or list the origins that need it)`,
      });
    }
  }
  return findings;
}

/** Grade one retrieval: the Observatory's score, and every finding of the three graders. */
export async function gradeRetrieval(site: Retrieval): Promise<GradeReport> {
  const headers = site.page.headers;
  const extra = [...(await cspFindings(headers)), ...permissionsFindings(headers)];
  if (!observatoryGrades(site.page.status)) {
    const ungraded = `the Observatory grades only 2xx, 3xx, 401 and 403 responses, not a ${site.page.status}`;
    return { grade: null, score: null, ungraded, observatory: null, findings: extra };
  }
  let observatory: ObservatoryScore;
  try {
    observatory = await scoreRetrieval(site);
  } catch (error) {
    if (error instanceof CommandError) throw error;
    // Its own scan would fail on this response too; the other graders' findings still stand.
    const ungraded = `the Observatory's analyzer failed on this response: ${error instanceof Error ? error.message : String(error)}`;
    return { grade: null, score: null, ungraded, observatory: null, findings: extra };
  }
  if (!isGrade(observatory.grade)) throw new Error(`the Observatory gave a grade this tool does not know: ${observatory.grade}`);
  return {
    grade: observatory.grade,
    score: observatory.score,
    ungraded: null,
    observatory,
    findings: [...observatoryFindings(observatory), ...extra],
  };
}
