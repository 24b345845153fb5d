// ESLint for the whole tree: typescript-eslint's type-aware rules (promises around child processes are
// this code's daily bread: a floating one is a silent bug), and the boundary the layout draws between
// synth-time code (pure: config -> model -> constructs -> Terraform JSON) and apply-time code.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { createNodeResolver, importX } from "eslint-plugin-import-x";

/**
 * The layers, lowest first, each a list of folders at the same level; a folder may import its own
 * level and any lower one, never a higher one (import-x/no-restricted-paths, built from this list).
 *  - the model (synth time, pure): value rules and the host's words, addresses, the config model, rendered files, entry contracts;
 *  - the synthesis: constructs (props in, Terraform resources out) and the stacks that compose them;
 *  - the runtime (apply time): processes, files, ssh, disks, ISOs, images, the hypervisor drivers, VMs, guests;
 *  - the operator commands (day two) and the entry points Terraform and npm run (scripts/, main.ts).
 * Test code (test-support/, __tests__/, bench/, e2e/) may import any layer; no layer imports it.
 */
const LAYERS = [
  ["lib/model/rules.ts", "lib/model/host-words.ts"],
  ["lib/model/net"],
  ["lib/model/config"],
  ["lib/model/render", "lib/model/inventory", "lib/model/entry"],
  ["constructs"],
  ["stacks"],
  ["lib/runtime/process", "lib/runtime/fs"],
  [
    "lib/runtime/entry",
    "lib/runtime/ssh",
    "lib/runtime/disk",
    "lib/runtime/iso",
    "lib/runtime/ops",
    "lib/runtime/steps",
  ],
  ["lib/runtime/image", "lib/runtime/hypervisor", "lib/runtime/load"],
  ["lib/runtime/vm", "lib/runtime/guest"],
  ["lib/commands/common"],
  [
    "lib/commands/apt-cache",
    "lib/commands/doctor",
    "lib/commands/render",
    "lib/commands/snapshot",
    "lib/commands/ssh",
    "lib/commands/status",
    "lib/commands/teardown",
  ],
  ["lib/commands/configure", "lib/commands/deploy"],
  ["lib/commands/cli"],
  ["scripts", "main.ts"],
];
const TEST_CODE = ["test-support", "__tests__", "bench", "e2e"];

/** Synth-time code (the model, constructs, stacks): runs inside `cdktf synth` and touches nothing outside. */
const SYNTH_TIME = ["lib/model/**/*.ts", "constructs/**/*.ts", "stacks/**/*.ts"];

/** One zone per folder: nothing above its level, and no test code. */
function layerZones() {
  return LAYERS.flatMap((level, rank) => {
    const higher = LAYERS.slice(rank + 1).flat();
    return level.map((target) => ({
      target: `./${target}`,
      from: [...higher, ...TEST_CODE].map((f) => `./${f}`),
      message: `${target} sits below what it imports here: a lower layer never imports a higher one (LAYERS in eslint.config.mjs); move the shared code down or pass it in.`,
    }));
  });
}

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
    files: ["**/*.ts"],
    plugins: { "import-x": importX },
    settings: {
      "import-x/resolver-next": [createNodeResolver({ extensions: [".ts", ".js", ".json"] })],
      // no-cycle follows imports through the files it parses: it must read TypeScript to see them.
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
      "import-x/extensions": [".ts", ".js"],
    },
    rules: {
      "import-x/no-restricted-paths": ["error", { zones: layerZones() }],
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
    },
  },
  {
    files: ["lib/**/*.ts", "constructs/**/*.ts", "stacks/**/*.ts"],
    rules: {
      // Units short enough to read at once: compose steps, do not inline them.
      "max-lines-per-function": ["error", { max: 80, skipBlankLines: true, skipComments: true }],
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
              "synth-time code is pure: file and process access belongs in apply-time code (scripts/, lib/runtime/) or in main.ts's one read of the outside world.",
          })),
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
