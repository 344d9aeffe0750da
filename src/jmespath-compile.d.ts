// jmespath exports compile() (a syntax check we run at validation time), but its types omit it.
export {};
declare module 'jmespath' {
  export function compile(expression: string): unknown;
}
