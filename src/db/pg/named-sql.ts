/**
 * `@name` parameters (better-sqlite3's spelling, so the two engines share the queue tables' SQL fragments) compiled
 * once into PostgreSQL's positional `$n`. A name used twice is one parameter. Fragments never hold `@` in a literal.
 */
export interface Compiled<P> {
  text: string;
  bind(params: P): unknown[];
}

export function compileNamed<P extends Record<string, unknown>>(source: string): Compiled<P> {
  const names: string[] = [];
  const text = source.replace(/@([A-Za-z_]\w*)/g, (_match, name: string) => {
    let i = names.indexOf(name);
    if (i < 0) i = names.push(name) - 1;
    return `$${i + 1}`;
  });
  return {
    text,
    bind: (params) =>
      names.map((name) => {
        if (!(name in params)) throw new Error(`SQL parameter @${name} not given`);
        return params[name];
      }),
  };
}
