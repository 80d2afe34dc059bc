/** PGlite's protocol parser reads the parameter count as a signed 16-bit number. */
export const PGLITE_MAX_PARAMETERS = 32_767;
