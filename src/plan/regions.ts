// What an AWS region name looks like: the region patterns of the AWS partitions
// (aws, aws-cn, aws-us-gov, the ISO partitions, aws-eusc), as the AWS SDK's
// endpoint data defines them. test/unit/regions.test.ts checks this list against
// the SDK's own partition data, so a new partition is noticed when the SDK is
// upgraded. A made-up region ("us-east-1x", "moon-1") fails at validation, not as
// an SDK error at mount time, and cannot make the provider build clients for it.
import { RequestError } from '../errors.js';

export const PARTITION_REGION_PATTERNS: readonly RegExp[] = [
  /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/,
  /^cn-\w+-\d+$/,
  /^eusc-(de)-\w+-\d+$/,
  /^us-iso-\w+-\d+$/,
  /^us-isob-\w+-\d+$/,
  /^eu-isoe-\w+-\d+$/,
  /^us-isof-\w+-\d+$/,
  /^us-gov-\w+-\d+$/,
];

/** Longer than any region AWS has named (the longest today is 14 characters). */
const MAX_REGION_LENGTH = 32;

export function isRegionName(region: string): boolean {
  return region.length <= MAX_REGION_LENGTH && /^[a-z0-9-]+$/.test(region) && PARTITION_REGION_PATTERNS.some((p) => p.test(region));
}

export function checkRegionName(region: string, field: string): void {
  if (!isRegionName(region)) {
    throw new RequestError(`${field} "${region.slice(0, 60)}" is not a valid AWS region name (for example us-east-1)`);
  }
}
