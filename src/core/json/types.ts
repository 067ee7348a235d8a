/** A value that survives a JSON round trip unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object: the shape of a row's data and of a patch. */
export type JsonObject = { [key: string]: JsonValue };
