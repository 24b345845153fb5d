/** The one answer every day-two command gives for a VM whose .vmx does not exist yet (or any more). */
export const NOT_BUILT = "not built yet: run npm run deploy";
