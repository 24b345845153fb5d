/** @type {import('jest').Config} */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/cdktf.out/"],
  setupFilesAfterEnv: ["<rootDir>/setup.js"],
  clearMocks: true,
  testTimeout: 60000,
};
