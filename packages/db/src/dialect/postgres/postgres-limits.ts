/** PostgreSQL's wire protocol counts bind parameters in 16 bits. */
export const POSTGRES_MAX_PARAMETERS = 65_535;
