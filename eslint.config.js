// ESLint for the whole codebase: typescript-eslint's strict, type-aware rules (no floating or misused
// promises, no `any`, no non-null assertions) over src, bin, test, bench, scripts and demo. Formatting is
// Prettier's (.prettierrc.json); `npm run lint` runs both.

import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", ".wrangler/", "test-output/", "bench/results/", "scratch/"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // The shell (workers types) first, then everything that runs in Node (the core, tests, CLI, bench).
        project: ["./tsconfig.json", "./tsconfig.node.json"],
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    rules: {
      // Numbers read the same in every template (`${bytes} bytes`); other non-strings are still refused.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      // `(chunk) => enqueue(chunk)` callbacks, and `return reprocess(tb, tag)` in a void function (the
      // parser model hands a token to another rule that way), say what they mean.
      // `const { dropped: _, ...kept } = x` is how a field is left out of a copy.
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
      // Off: every regex here with a control character means it (control characters refused, escaped or stripped).
      "no-control-regex": "off",
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true, ignoreVoidReturningFunctions: true }],
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      // Off in tests: vitest's asymmetric matchers (expect.objectContaining, expect.stringMatching, …) and
      // workers-types' stream chunks are typed `any`; `no-explicit-any` still keeps tests from writing it.
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      // Off in tests: spreading an ASCII alphabet or a path into code points, and a DOMStringMap into a
      // plain object, are what these spreads mean.
      "@typescript-eslint/no-misused-spread": "off",
      // Off in tests: `expect(mock.method).toHaveBeenCalled…` reads a vi.fn() without calling it.
      "@typescript-eslint/unbound-method": "off",
    },
  },
  {
    files: ["**/*.js"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { process: "readonly" } },
  },
);
