/** One value as fetched from AWS, with the version that identifies it. */
export interface FetchedValue {
  value: Buffer;
  version: string;
  region: string;
}
