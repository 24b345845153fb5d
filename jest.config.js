/** @type {import('jest').Config} */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/cdktf.out/"],
  setupFilesAfterEnv: ["<rootDir>/setup.js"],
  // One summary at the end of what was skipped for a missing outside tool (test-support/required-tools.ts).
  globalSetup: "<rootDir>/test-support/jest-global-setup.ts",
  globalTeardown: "<rootDir>/test-support/jest-global-teardown.ts",
  clearMocks: true,
  testTimeout: 60000,
};
