// The CDK app: `npx cdk deploy --context stage=dev|production` (deploy/aws/README.md). Two stacks per stage:
// the image repositories first, then the shop. cdk-nag's AwsSolutions checks run on every synth.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp } from '../lib/app.js';

const app = new App();
buildApp(app, {
  stage: app.node.tryGetContext('stage'),
  imageTag: app.node.tryGetContext('imageTag'),
  domainName: app.node.tryGetContext('domainName'),
  alarmEmail: app.node.tryGetContext('alarmEmail'),
  waf: app.node.tryGetContext('waf'),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
