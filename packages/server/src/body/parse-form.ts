/** Form fields: a repeated name gives an array of its values, in order. */
export type FormFields = Record<string, string | string[]>;

/** Adds a field, turning a repeated name into an array. */
export function appendField(fields: FormFields, name: string, value: string): void {
  const existing = fields[name];
  if (existing === undefined) fields[name] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else fields[name] = [existing, value];
}

/** Parses `application/x-www-form-urlencoded` text (also used for query strings). */
export function parseUrlEncoded(text: string): FormFields {
  const fields: FormFields = Object.create(null);
  if (text === '') return fields;
  for (const [name, value] of new URLSearchParams(text)) appendField(fields, name, value);
  return fields;
}
