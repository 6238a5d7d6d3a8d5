// Builds the stacks of one stage into an app (bin/app.ts, and the tests with no AWS account).
import type { App, Environment } from 'aws-cdk-lib';
import { stageOf } from './config.js';
import { ImagesStack } from './images-stack.js';
import { ShopStack } from './shop-stack.js';

export const DEFAULT_REGION = 'eu-west-1';

export interface AppOptions {
  stage?: unknown;
  imageTag?: unknown;
  domainName?: unknown;
  alarmEmail?: unknown;
  /** the WAF in front of the load balancer: on in production, off in dev, unless said otherwise */
  waf?: unknown;
  env?: Environment;
}

export function buildApp(app: App, opts: AppOptions = {}): { images: ImagesStack; shop: ShopStack } {
  const stage = stageOf(opts.stage);
  // a region always (the load balancer's log delivery needs it); the account when known (else agnostic)
  const env = {
    env: { region: opts.env?.region ?? DEFAULT_REGION, ...(opts.env?.account ? { account: opts.env.account } : {}) },
  };
  const images = new ImagesStack(app, `Microbazaar-${stage.name}-Images`, { stage, ...env });
  const shop = new ShopStack(app, `Microbazaar-${stage.name}`, {
    ...env,
    stage,
    repositories: images.repositories,
    imageTag: String(opts.imageTag ?? '0.1.0'),
    domainName: typeof opts.domainName === 'string' ? opts.domainName : undefined,
    alarmEmail: typeof opts.alarmEmail === 'string' ? opts.alarmEmail : undefined,
    waf: opts.waf === undefined ? stage.name === 'production' : String(opts.waf) === 'true',
    description: `microBazaar ${stage.name}: VPC, ECS Fargate services, RDS PostgreSQL, Amazon MQ, ElastiCache, S3 + CloudFront`,
  });
  shop.addStackDependency(images);
  return { images, shop };
}
