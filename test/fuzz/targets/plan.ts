// Target: the whole pure planning path, parseMountRequest -> regions -> planMount.
import fc from 'fast-check';
import { parseGoBool } from '../../../src/config.js';
import {
  ATTR, IRSA_AUDIENCE, POD_IDENTITY_AUDIENCE, checkRegionName, parseMountRequest, parsePathTranslation, planMount, primaryRegion, resolveRegions,
} from '../../../src/plan/request.js';
import { attributesObject, attributesJson, permission, targetPath } from '../arbitraries/request.js';
import { region } from '../arbitraries/text.js';
import { check, type FuzzTarget } from '../target.js';
import { checkPlans, withSecretsKeptOut } from '../properties.js';
import { tokensIn, withoutTokens } from './request.js';

function isRegionName(name: string): boolean {
  try {
    checkRegionName(name, 'region');
    return true;
  } catch {
    return false;
  }
}

export interface PlanInput {
  request: { target_path: string; attributes: string; permission: string };
  envRegion: string | null;
  nodeRegion: string;
}

export const planTarget: FuzzTarget<PlanInput> = {
  name: 'plan',
  summary: 'parseMountRequest, region resolution and planMount on parsed requests with random regions',
  input: fc.record({
    request: fc.record({
      target_path: fc.oneof({ weight: 9, arbitrary: fc.constant('/var/lib/kubelet/pods/u/volumes/v/mount') }, { weight: 1, arbitrary: targetPath }),
      attributes: fc.oneof({ weight: 9, arbitrary: attributesObject.map((a) => JSON.stringify(a)) }, { weight: 1, arbitrary: attributesJson }),
      permission: fc.oneof({ weight: 9, arbitrary: fc.constantFrom('420', '384', '256') }, { weight: 1, arbitrary: permission }),
    }),
    envRegion: fc.option(region, { nil: null }),
    nodeRegion: region,
  }),
  run(input) {
    withSecretsKeptOut(tokensIn(input.request), () => {
      const parsed = parseMountRequest(input.request);
      const primary = primaryRegion(parsed.attributes, input.envRegion ?? undefined) ?? input.nodeRegion;
      const regions = resolveRegions(parsed.attributes, primary);
      check(regions.primary === primary, 'the primary region is the requested one', () => `${regions.primary} vs ${primary}`);
      check(isRegionName(regions.primary), 'the primary region is a region name', () => JSON.stringify(regions.primary));
      if (regions.failover !== undefined) {
        check(isRegionName(regions.failover), 'the failover region is a region name', () => JSON.stringify(regions.failover));
        check(regions.failover !== regions.primary, 'failoverRegion differs from the primary region', () => regions.failover!);
      }
      const plan = planMount(parsed, regions);
      const usePodIdentity = parseGoBool(parsed.attributes[ATTR.usePodIdentity] || 'false');
      check(plan.auth.mode === (usePodIdentity ? 'pod-identity' : 'irsa'), 'auth mode follows usePodIdentity', () => `${plan.auth.mode} for ${JSON.stringify(parsed.attributes[ATTR.usePodIdentity])}`);
      const audience = plan.auth.mode === 'pod-identity' ? POD_IDENTITY_AUDIENCE : IRSA_AUDIENCE;
      check(plan.auth.token === parsed.tokens.get(audience), "the plan uses the token of its mode's audience", () => audience);
      if (plan.auth.mode === 'irsa') {
        check(plan.auth.namespace !== '' && plan.auth.serviceAccount !== '', 'IRSA has a namespace and service account', () => '');
      }
      check(plan.pod === parsed.pod && plan.targetPath === parsed.targetPath && plan.regions === regions, 'the plan carries the parsed pod, target path and regions', () => '');
      const translation = parsePathTranslation(parsed.attributes[ATTR.pathTranslation]);
      checkPlans(plan.objects, {
        primaryRegion: regions.primary,
        ...(regions.failover && { failoverRegion: regions.failover }),
        translation,
        defaultMode: parsed.defaultMode,
      });
    }, withoutTokens(input.request));
  },
};
