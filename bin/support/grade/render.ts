// A grade report on the terminal (check, validate, explain, push) and in --json output.

import type { Io, Style } from "../io.js";
import { printable } from "../printable.js";
import type { GradeFinding, GradeReport } from "./grade.js";

/** The grade as a word and a number: "A+ (115)", or why there is none. */
export function describeGrade(report: GradeReport): string {
  return report.grade === null ? `none: ${report.ungraded ?? "not graded"}` : `${report.grade} (${report.score ?? 0})`;
}

/** The grade's colour: green for an A, yellow for B and C, red below. */
export function styleGrade(report: GradeReport, style: Style): string {
  const text = describeGrade(report);
  const letter = report.grade?.[0];
  return letter === "A" ? style.green(text) : letter === "B" || letter === "C" ? style.yellow(text) : style.red(text);
}

function sourceLabel(finding: GradeFinding): string {
  return finding.source === "observatory" ? "Observatory" : finding.source === "csp-evaluator" ? "CSP Evaluator" : "check";
}

/** Each finding with its header, why it matters and its fix; notes after weaknesses. `brief` leaves out the notes. */
export function renderFindings(report: GradeReport, io: Io, indent: string, brief = false): void {
  const { style } = io;
  const weaknesses = report.findings.filter((f) => f.severity === "weakness");
  const notes = brief ? [] : report.findings.filter((f) => f.severity === "note");
  for (const finding of [...weaknesses, ...notes]) {
    const mark = finding.severity === "weakness" ? style.red("✗") : style.dim("·");
    io.out(
      `${indent}${mark} ${style.bold(printable(finding.header))}  ${printable(finding.message)} ${style.dim(`[${sourceLabel(finding)}]`)}\n`,
    );
    io.out(`${indent}    ${style.dim("why:")} ${printable(finding.why)}\n`);
    io.out(`${indent}    ${style.dim("fix:")} ${printable(finding.fix)}\n`);
  }
  if (brief) {
    const count = report.findings.length - weaknesses.length;
    if (count > 0) io.out(`${indent}${style.dim(`(and ${count} note${count === 1 ? "" : "s"}: \`explain --json\` lists them)`)}\n`);
  }
}

/** The report for --json: the grade, every finding, and each Observatory test's outcome. */
export function gradeJson(report: GradeReport): Record<string, unknown> {
  const { observatory } = report;
  return {
    grade: report.grade,
    score: report.score,
    ungraded: report.ungraded,
    findings: report.findings,
    observatory:
      observatory === null
        ? null
        : {
            algorithmVersion: observatory.algorithmVersion,
            testsPassed: observatory.testsPassed,
            testsQuantity: observatory.testsQuantity,
            hstsPreloadList: observatory.preloadList,
            tests: observatory.tests.map(({ name, result, pass, scoreModifier }) => ({ name, result, pass, scoreModifier })),
          },
  };
}
