// Every bound the provider puts on one request, in one place (docs/reliability.md
// lists them). Each is checked before the memory it bounds is allocated; a
// request over a bound fails with INVALID_ARGUMENT naming it (LimitError or
// ObjectSpecError). They are far above real use: a SecretProviderClass that
// works with the Go provider and stays below them behaves the same here.

/** The driver's receive limit: our encoded MountResponse must fit in it. */
export const MAX_DRIVER_RESPONSE_BYTES = 4 * 1024 * 1024;
/**
 * Fetched bytes one mount may hold, and bytes of files it may write. Secrets
 * Manager values are at most 64 KiB and SSM's 8 KiB; with 32 mounts at once this
 * still fits the chart's 100Mi.
 */
export const MAX_MOUNT_BYTES = 8 * 1024 * 1024;
/** Files one mount may write (objects, their jmesPath entries, allKeys keys and parameters below a path). */
export const MAX_MOUNT_FILES = 1000;
/** The request's attributes JSON (the SecretProviderClass parameters, pod info and tokens). */
export const MAX_ATTRIBUTES_BYTES = 512 * 1024;
/** One service account token. */
export const MAX_TOKEN_BYTES = 16 * 1024;
/** The `objects` YAML text. */
export const MAX_OBJECTS_YAML_BYTES = 256 * 1024;
/**
 * Nesting of the `objects` YAML (block indentation levels plus flow brackets).
 * A valid spec needs 5 (list, object, jmesPath list, entry, failoverObject); deep
 * nesting exhausts the parser's stack, after which V8 can abort the process.
 */
export const MAX_OBJECTS_YAML_NESTING = 16;
/**
 * Tokens of the `objects` YAML (scalars, indicators, whitespace runs). Composing YAML costs
 * about 500 bytes of heap per token; a spec of 1,000 objects in block style has ~18,000.
 */
export const MAX_OBJECTS_YAML_TOKENS = 24_000;
/** Entries of `objects`. */
export const MAX_OBJECTS = 1000;
/** One JMESPath expression. */
export const MAX_JMESPATH_EXPRESSION_BYTES = 1024;
/** Nesting of brackets and parentheses in one JMESPath expression (the compiler recurses). */
export const MAX_JMESPATH_NESTING = 32;
/** Nesting of a JSON value that jmesPath entries read (evaluation recurses). */
export const MAX_JSON_NESTING = 128;
/** Bytes of parsed plans the objects memo may hold (keyed by digest: texts are not kept). */
export const MAX_OBJECTS_MEMO_BYTES = 2 * 1024 * 1024;
/** AWS SDK clients kept (per service, region and retry policy); least recently used go first. */
export const MAX_AWS_CLIENTS = 32;
/**
 * The largest gRPC message accepted: attributes (512 KiB) plus the `secrets` field (a
 * nodePublishSecretRef's data, which the AWS provider ignores) and framing. gRPC buffers a
 * whole message before we see it, so this bounds memory per request.
 */
export const MAX_GRPC_RECEIVE_BYTES = 1536 * 1024;
/**
 * Parameters one parametersByPath object may mount: GetParametersByPath returns at most 10 per
 * call and its pages are sequential, so 200 parameters are 20 calls on every mount and rotation.
 */
export const MAX_PARAMETERS_BY_PATH = 200;
/** Pages read for one path: SSM may return short (even empty) pages, so twice the pages the bound needs. */
export const MAX_PARAMETERS_BY_PATH_PAGES = 2 * (MAX_PARAMETERS_BY_PATH / 10);
