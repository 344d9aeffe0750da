// esbuild's text loader embeds .proto files into the bundle.
declare module '*.proto' {
  const text: string;
  export default text;
}

/** Set by the build (scripts/build.mjs) from package.json. */
declare const __PROVIDER_VERSION__: string;
