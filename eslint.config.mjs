// ESLint for the whole tree: typescript-eslint's type-aware rules (promises around child processes are
// this code's daily bread: a floating one is a silent bug), and the boundary the layout draws between
// synth-time code (pure: config -> model -> constructs -> Terraform JSON) and apply-time code.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Synth-time code: runs inside `cdktf synth`, must not touch files, processes or the environment. */
const SYNTH_TIME = [
  "constructs/**/*.ts",
  "stacks/**/*.ts",
  "lib/config/**/*.ts",
  "lib/render/**/*.ts",
  "lib/net/**/*.ts",
  "lib/inventory/**/*.ts",
  "lib/entry/contracts.ts",
];

/**
 * Folders that touch the outside world: apply-time code (vmrun, disks, ISO, ssh, snapshots, teardown,
 * doctor, CLI, configure) and main.ts's one read of the config and templates (load). A synth-time
 * import of one is a leak.
 */
const APPLY_TIME_FOLDERS = [
  "apt-cache",
  "cli",
  "configure",
  "disk",
  "doctor",
  "fs",
  "guest",
  "image",
  "iso",
  "load",
  "ops",
  "process",
  "snapshot",
  "ssh",
  "status",
  "teardown",
  "vm",
  "vmrun",
];

const NODE_IO_MODULES = [
  "fs",
  "fs/promises",
  "child_process",
  "os",
  "net",
  "http",
  "https",
  "dgram",
  "worker_threads",
];

export default tseslint.config(
  {
    ignores: ["node_modules/**", "cdktf.out/**", ".e2e-cache/**", "coverage/**", "**/*.d.ts"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["*.js", "*.mjs"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: true },
      ],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      // Tests and the Terraform JSON walker handle untyped JSON on purpose.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  {
    files: SYNTH_TIME,
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: NODE_IO_MODULES.flatMap((m) => [m, `node:${m}`]).map((name) => ({
            name,
            message:
              "synth-time code is pure: file and process access belongs in apply-time code (scripts/, lib/<runtime folder>) or in main.ts's one read of the outside world.",
          })),
          patterns: [
            {
              regex: `(^|/)lib/(${APPLY_TIME_FOLDERS.join("|")})(/|$)|^\\.\\./(${APPLY_TIME_FOLDERS.join("|")})(/|$)|^\\.\\./entry/(main|env)$`,
              message:
                "synth-time code must not import apply-time modules: move what it needs into a model-level module (lib/config, lib/render, lib/entry/contracts).",
            },
          ],
        },
      ],
      "no-restricted-globals": [
        "error",
        {
          name: "process",
          message:
            "synth-time code is pure: main.ts reads the environment once and passes values in as props.",
        },
        { name: "__dirname", message: "synth-time code is pure: paths come in through props." },
        { name: "require", message: "synth-time code is pure: use a static import of a pure module." },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: {
        module: "readonly",
        require: "readonly",
        process: "readonly",
        console: "readonly",
        __dirname: "readonly",
      },
    },
  },
);
