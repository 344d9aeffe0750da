// The build (scripts/build.mjs) parses each .proto file and embeds protobufjs's JSON form of it.
declare module '*.proto' {
  const json: import('protobufjs').INamespace;
  export default json;
}

/** Set by the build (scripts/build.mjs) from package.json. */
declare const __PROVIDER_VERSION__: string;
