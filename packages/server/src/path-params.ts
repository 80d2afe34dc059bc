/**
 * The parameters a route path declares, as an object type: `/users/:id/posts/:postId` gives
 * `{ id: string; postId: string }`, a trailing `*` adds `'*'` (the rest of the path).
 *
 * @example
 * ```ts
 * type P = PathParams<'/files/:bucket/*'>; // { bucket: string; '*': string }
 * ```
 */
export type PathParams<Path extends string> = string extends Path
  ? Record<string, string>
  : Flatten<ParamsOf<Path>>;

type ParamsOf<Path extends string> = Path extends `${string}:${infer Rest}`
  ? Rest extends `${infer Name}/${infer Tail}`
    ? { [K in Name]: string } & ParamsOf<`/${Tail}`>
    : { [K in Rest]: string }
  : Path extends `${string}*`
    ? { '*': string }
    : Record<never, never>;

type Flatten<T> = { [K in keyof T]: T[K] };
